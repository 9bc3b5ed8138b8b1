"""Reports reused while the data they were made from stand still.

A report is made once per version of its data, however many readers ask for it at the same time: the first
makes it, the others wait for its result (no stampede of identical computations right after a write). While a
report is being remade for newer data, readers get the one made last instead of waiting or making another: under
the monthly-deadline load a batch lands every few milliseconds, and a report remade for each would spend the
service's time on reports no one reads before the next batch. Remaking is one at a time per report, so a
report trails the newest batch by at most one remake; with no remake running, a reader gets the current one.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from carbon.store import Store

__all__ = ["cached_by_data_version", "cached_by_region_version", "database_key", "recall",
           "remember", "remembered"]

_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CACHE_SIZE = 128
_CACHE_LOCK = threading.Lock()
_MAKING: dict[tuple[Any, ...], threading.Lock] = {}  # reports being made now, by key
_LATEST: OrderedDict[tuple[Any, ...], Any] = OrderedDict()  # the report made last, by report and arguments
_REMAKING: dict[tuple[Any, ...], int] = {}  # reports being made now, by report and arguments
# Results of pure computations by their inputs (see remembered): valid as long as the process lives.
_REMEMBERED: OrderedDict[Any, Any] = OrderedDict()
_REMEMBERED_SIZE = 1024
_ABSENT = object()


def _cached(function: Callable[..., Any], version: Callable[..., Any]) -> Callable[..., Any]:
    """Reuse ``function``'s result while ``version(store, *args)`` stands still; in-memory databases are not
    cached. While another reader remakes it for a newer version, the one made last is answered."""

    def keys(store: Store, *args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """The report's identity (function and arguments) and its key in the cache (with the data's version)."""
        report = (function.__name__, database_key(store), args, tuple(sorted(kwargs.items())))
        return report, (*report, version(store, *args, **kwargs))

    def kept(store: Store, *args: Any, **kwargs: Any) -> Any:
        """The result already made for the data as they are now, or None: nothing is computed (one read of the
        version), so a caller can answer from it without handing the work to another thread."""
        if store.path == ":memory:":
            return None
        key = keys(store, *args, **kwargs)[1]
        with _CACHE_LOCK:
            return _CACHE.get(key)

    @functools.wraps(function)
    def wrapper(store: Store, *args: Any, **kwargs: Any) -> Any:
        if store.path == ":memory:":
            return function(store, *args, **kwargs)
        report, key = keys(store, *args, **kwargs)
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
            if _REMAKING.get(report) and report in _LATEST:
                return _LATEST[report]  # being remade by another reader: the last one made meanwhile
            making = _MAKING.setdefault(key, threading.Lock())
        with making:  # one reader makes it; the others of this version wait for it here
            with _CACHE_LOCK:
                if key in _CACHE:
                    return _CACHE[key]
                _REMAKING[report] = _REMAKING.get(report, 0) + 1
            try:
                result = function(store, *args, **kwargs)
            finally:
                with _CACHE_LOCK:
                    _MAKING.pop(key, None)
                    if (left := _REMAKING.pop(report) - 1) > 0:
                        _REMAKING[report] = left
            with _CACHE_LOCK:
                _CACHE[key] = _LATEST[report] = result
                _LATEST.move_to_end(report)
                for kept in (_CACHE, _LATEST):
                    while len(kept) > _CACHE_SIZE:
                        kept.popitem(last=False)
        return result

    wrapper.kept = kept  # type: ignore[attr-defined]
    return wrapper


def cached_by_data_version(function: Callable[..., Any]) -> Callable[..., Any]:
    """Reuse a report while the database's data version stands still (it moves on every committed write that
    did not name the regions it changes).

    Reports are read-only results: callers must not mutate what they get. In-memory databases are not cached.
    """
    return _cached(function, lambda store, *args, **kwargs: store.data_version())


def cached_by_region_version(function: Callable[..., Any]) -> Callable[..., Any]:
    """Reuse a report of one region (its code the first argument after the store) while the data version and
    that region's version stand still: a batch of another region's enterprises leaves it valid.

    Reports are read-only results: callers must not mutate what they get. In-memory databases are not cached.
    """
    return _cached(function, lambda store, *args, **kwargs: store.data_versions(args[0] if args else kwargs["code"]))


def database_key(store: Store) -> str | None:
    """What names the store's database across connections: its resolved path or its URL; None for an in-memory
    database (two of them share the name ``:memory:``)."""
    if store.path == ":memory:":
        return None
    return store.path if store.dialect == "postgresql" else _resolved(store.path)


@functools.lru_cache(maxsize=64)
def _resolved_absolute(path: str) -> str:
    return os.path.realpath(path)


def _resolved(path: str) -> str:
    """``path`` resolved (an absolute one once per process: resolving walks every folder of it on each call)."""
    return _resolved_absolute(path) if os.path.isabs(path) else os.path.realpath(path)


def recall(key: Any, default: Any = None) -> Any:
    """The result :func:`remember` kept for ``key``, or ``default``."""
    with _CACHE_LOCK:
        if key not in _REMEMBERED:
            return default
        _REMEMBERED.move_to_end(key)
        return _REMEMBERED[key]


def remember(key: Any, result: Any) -> Any:
    """Keep ``result`` for ``key`` (see :func:`remembered`); returns it."""
    with _CACHE_LOCK:
        _REMEMBERED[key] = result
        while len(_REMEMBERED) > _REMEMBERED_SIZE:
            _REMEMBERED.popitem(last=False)
    return result


def remembered(key: Any, make: Callable[[], Any]) -> Any:
    """``make()``, reused for every later call with an equal ``key``.

    The key must hold everything the result depends on (the inputs of a pure computation, or a database, its
    version and what makes the answer change within it): equal keys give the kept result, never a stale one.
    Results are read-only; concurrent first calls may each compute (they agree).
    """
    found = recall(key, _ABSENT)
    return remember(key, make()) if found is _ABSENT else found
