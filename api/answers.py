"""Answers sent as bytes made once: a report validated against its response model and serialized when it is made,
then sent again as it is while the report stands.

A plain ``def`` route hands its work to a worker thread and, when it returns a dict, hands the response model's
validation to another; under load each hand-over waits for the interpreter lock. A report already made needs
neither: it is looked up (one read of its version), its bytes found by the report's identity, and the answer
leaves from the event loop. Only a report that must be made, or bytes not made yet, go to a worker thread, once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Response
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter

__all__ = ["cached_report", "model_json"]

_KEPT_SIZE = 64  # serialized reports kept (two reports per region and option set)
_KEPT: OrderedDict[tuple[int, Any, bool], tuple[Any, bytes]] = OrderedDict()
_LOCK = threading.Lock()
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def model_json(model: Any, content: Any, *, exclude_unset: bool = False) -> bytes:
    """``content`` validated against ``model`` and serialized as the route's response model would be [JSON]."""
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS.setdefault(model, TypeAdapter(model))
    return adapter.dump_json(adapter.validate_python(content), by_alias=True, exclude_unset=exclude_unset)


def _kept_json(report: Any, model: Any, exclude_unset: bool) -> bytes | None:
    """The bytes made for this very report object, if any (the entry holds the object, so its id stays its own)."""
    with _LOCK:
        entry = _KEPT.get((id(report), model, exclude_unset))
        return entry[1] if entry is not None and entry[0] is report else None


def _made_json(report: Any, model: Any, exclude_unset: bool) -> bytes:
    body = _kept_json(report, model, exclude_unset)
    if body is None:
        body = model_json(model, report, exclude_unset=exclude_unset)
        with _LOCK:
            _KEPT[(id(report), model, exclude_unset)] = (report, body)
            while len(_KEPT) > _KEPT_SIZE:
                _KEPT.popitem(last=False)
    return body


async def cached_report(make: Callable[..., Any], *args: Any, model: Any, exclude_unset: bool = False,
                        **kwargs: Any) -> Response:
    """The answer of a cached report (``make``, wrapped by :mod:`carbon.reports.cache`, called with ``args`` and
    ``kwargs``) as ``model``'s JSON: from the event loop when the report and its bytes are already made, else made
    in a worker thread."""
    report = make.kept(*args, **kwargs)
    body = _kept_json(report, model, exclude_unset) if report is not None else None
    if body is None:
        body = await run_in_threadpool(lambda: _made_json(make(*args, **kwargs), model, exclude_unset))
    return Response(body, media_type="application/json")
