"""Answers made once: a kept report leaves as the bytes made for it, without being made or serialized again."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pydantic import BaseModel

from api.answers import cached_report, model_json


class _Out(BaseModel):
    region: str
    note: str | None = None
    values: list[float]


class _Report:
    """A cached report as :mod:`carbon.reports.cache` makes them: callable, with ``kept``."""

    def __init__(self) -> None:
        self.made: dict[str, Any] | None = None
        self.calls = 0
        self.kept_now = True

    def __call__(self, store: object, code: str) -> dict[str, Any]:
        self.calls += 1
        if self.made is None or not self.kept_now:
            self.made = {"region": code, "values": [1.0, 2.5]}
        return self.made

    def kept(self, store: object, code: str) -> dict[str, Any] | None:
        return self.made if self.kept_now else None


def test_a_kept_report_is_answered_from_its_bytes_and_a_new_one_made_once() -> None:
    report = _Report()

    def answer() -> bytes:
        return asyncio.run(cached_report(report, None, "gz-htz", model=_Out, exclude_unset=True)).body

    first = answer()
    assert json.loads(first) == {"region": "gz-htz", "values": [1.0, 2.5]}  # unset fields left out
    assert report.calls == 1
    assert answer() == first and report.calls == 1  # kept, and its bytes kept: not made again
    report.kept_now = False  # the data moved: made anew, in a worker thread
    assert json.loads(answer())["region"] == "gz-htz" and report.calls == 2


def test_model_json_validates_and_serializes_as_the_response_model() -> None:
    assert json.loads(model_json(_Out, {"region": "x", "values": [1], "extra": 2})) == {
        "region": "x", "note": None, "values": [1.0]}
    try:
        model_json(_Out, {"region": "x"})
    except ValueError as error:  # pydantic's ValidationError: a report that breaks its model is not sent
        assert "values" in str(error)
    else:
        raise AssertionError("a report without its values was serialized")
