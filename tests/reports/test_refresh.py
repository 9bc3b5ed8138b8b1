"""The alerts' refresh after batches, in a background thread that gathers batches into one pass."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import carbon.reports.alerts as alerts_module
from carbon.reports.refresh import SLICE, AlertRefresher
from carbon.store import Scope, Store
from tests.reports.test_summaries import electricity, file_store, months, put  # noqa: F401 (fixture)


def test_a_reader_sees_the_alerts_a_batch_opened(file_store: Store) -> None:  # noqa: F811
    put(file_store, "GZHTZ-0001", electricity(months(2024, 1, 2, 3, 4, 5, 6), 1))
    put(file_store, "GZHTZ-0002", electricity(months(2024, 4, 6), 1))  # May missing
    refresher = AlertRefresher(file_store.path, gather=60.0)
    try:
        refresher.submit(["GZHTZ-0002"])
        assert refresher.wait(timeout=30.0)  # a reader does not wait out the gathering delay
        missing = {alert["fingerprint"] for alert in file_store.list_alerts(Scope.everything(), kind="missing_report")}
        assert "missing_report|GZHTZ-0002|2024-05" in missing
    finally:
        refresher.stop()


def test_batches_queued_together_are_refreshed_in_one_pass(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[list[str]] = []
    monkeypatch.setattr(alerts_module, "refresh_after_batch", lambda store, ids: passes.append(list(ids)))
    refresher = AlertRefresher(str(tmp_path / "carbon.db"), gather=60.0)
    refresher.submit(["GZHTZ-0002"])
    refresher.submit(["GZHTZ-0001", "GZHTZ-0002"])
    assert refresher.wait(timeout=30.0)
    refresher.stop()
    assert passes == [["GZHTZ-0001", "GZHTZ-0002"]]


def test_a_failing_refresh_does_not_stop_the_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[list[str]] = []

    def refresh(store: Store, ids: list[str]) -> None:
        passes.append(list(ids))
        if len(passes) == 1:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(alerts_module, "refresh_after_batch", refresh)
    refresher = AlertRefresher(str(tmp_path / "carbon.db"), gather=0.0)
    refresher.submit(["GZHTZ-0001"])
    assert refresher.wait(timeout=30.0)
    refresher.submit(["GZHTZ-0002"])
    assert refresher.wait(timeout=30.0)
    refresher.stop()
    assert passes == [["GZHTZ-0001"], ["GZHTZ-0002"]]


def test_a_long_pass_takes_its_turns_through_the_gate_in_slices(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[list[str]] = []
    turns: list[str] = []

    @contextmanager
    def gate() -> Iterator[None]:
        turns.append("in")
        yield
        turns.append("out")

    monkeypatch.setattr(alerts_module, "refresh_after_batch", lambda store, ids: passes.append(list(ids)))
    refresher = AlertRefresher(str(tmp_path / "carbon.db"), gather=0.0, gate=gate)
    ids = [f"E{number:03d}" for number in range(2 * SLICE + 1)]
    refresher.submit(ids)  # no reader waits for this pass: it goes through the gate
    deadline = time.monotonic() + 30
    while len(passes) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    refresher.stop()
    assert passes == [ids[:SLICE], ids[SLICE:2 * SLICE], ids[2 * SLICE:]]
    assert turns == ["in", "out"] * 3


def test_a_stop_finishes_the_queued_pass_without_waiting_at_the_gate(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The service stops its refresher from the event loop that gives the places: waiting there would stall."""
    passes: list[list[str]] = []
    monkeypatch.setattr(alerts_module, "refresh_after_batch", lambda store, ids: passes.append(list(ids)))

    def closed() -> Any:
        raise RuntimeError("the gate was taken while stopping")

    refresher = AlertRefresher(str(tmp_path / "carbon.db"), gather=60.0, gate=closed)
    refresher.submit(["GZHTZ-0001"])
    refresher.stop()
    assert passes == [["GZHTZ-0001"]]


def test_a_reader_waiting_for_the_pass_is_not_kept_behind_the_gate(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[list[str]] = []
    gated: list[str] = []
    monkeypatch.setattr(alerts_module, "refresh_after_batch", lambda store, ids: passes.append(list(ids)))

    def closed() -> Any:
        gated.append("taken")
        raise RuntimeError("the gate was taken while a reader waited for the pass")

    refresher = AlertRefresher(str(tmp_path / "carbon.db"), gather=60.0, gate=closed)
    refresher.submit(["GZHTZ-0001"])
    assert refresher.wait(timeout=30.0)  # the reader may hold the very place the gate would wait for
    refresher.stop()
    assert passes == [["GZHTZ-0001"]] and not gated
