"""Work one step ahead: the next chunk of a batch is read, validated and converted on a thread of its own while
the current one is written.

SQLite lets go of the interpreter lock while it steps a statement, so on two cores the parsing and converting of
the next chunk runs beside the writing of this one instead of after it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["read_ahead"]

T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterable[T]) -> Generator[T, None, None]:
    """Yield the items of ``items``, each next one made on a thread of its own while the caller works on this one.

    What making an item raises is raised here, where the item would have come. When the caller stops early (an
    error, a closed generator), the item being made is waited for and no other is begun, so no work of a finished
    batch goes on behind it.
    """
    iterator = iter(items)
    with ThreadPoolExecutor(1, thread_name_prefix="carbon-read-ahead") as pool:
        pending = pool.submit(next, iterator, _DONE)
        while (item := pending.result()) is not _DONE:
            pending = pool.submit(next, iterator, _DONE)
            yield item  # type: ignore[misc]
