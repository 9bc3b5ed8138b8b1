"""Reports reused while the data they were made from stand still.

A report is made once per version of its data, however many readers ask for it at the same time: the first
makes it, the others wait for its result (no stampede of identical computations right after a write).
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from carbon.store import Store

__all__ = ["cached_by_data_version", "cached_by_region_version"]

_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CACHE_SIZE = 128
_CACHE_LOCK = threading.Lock()
_MAKING: dict[tuple[Any, ...], threading.Lock] = {}  # reports being made now, by key


def _cached(function: Callable[..., Any], version: Callable[..., Any]) -> Callable[..., Any]:
    """Reuse ``function``'s result while ``version(store, *args)`` stands still; in-memory databases are not
    cached."""

    @functools.wraps(function)
    def wrapper(store: Store, *args: Any, **kwargs: Any) -> Any:
        if store.path == ":memory:":
            return function(store, *args, **kwargs)
        key = (function.__name__, os.path.realpath(store.path), version(store, *args, **kwargs), args,
               tuple(sorted(kwargs.items())))
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
            making = _MAKING.setdefault(key, threading.Lock())
        with making:  # one reader makes it; the others of this version wait for it here
            with _CACHE_LOCK:
                if key in _CACHE:
                    return _CACHE[key]
            try:
                result = function(store, *args, **kwargs)
            except BaseException:
                with _CACHE_LOCK:
                    _MAKING.pop(key, None)
                raise
            with _CACHE_LOCK:
                _CACHE[key] = result
                _MAKING.pop(key, None)
                while len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
        return result

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
