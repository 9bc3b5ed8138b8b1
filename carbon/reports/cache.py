"""Reports reused while the data they were made from stand still."""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from carbon.store import Store

__all__ = ["cached_by_data_version"]

_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CACHE_SIZE = 128
_CACHE_LOCK = threading.Lock()


def cached_by_data_version(function: Callable[..., Any]) -> Callable[..., Any]:
    """Reuse a report while the database's data version stands still (it moves on every committed write).

    Reports are read-only results: callers must not mutate what they get. In-memory databases are not cached.
    """

    @functools.wraps(function)
    def wrapper(store: Store, *args: Any, **kwargs: Any) -> Any:
        if store.path == ":memory:":
            return function(store, *args, **kwargs)
        key = (function.__name__, os.path.realpath(store.path), store.data_version(), args,
               tuple(sorted(kwargs.items())))
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
        result = function(store, *args, **kwargs)
        with _CACHE_LOCK:
            _CACHE[key] = result
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return result

    return wrapper
