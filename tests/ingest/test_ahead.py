"""Reading ahead: the next chunk made on a thread of its own, in order, its errors raised where it would come."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from carbon.ingest.ahead import read_ahead


def test_items_come_in_order_made_on_another_thread() -> None:
    makers: list[int] = []

    def items() -> Iterator[int]:
        for i in range(5):
            makers.append(threading.get_ident())
            yield i

    assert list(read_ahead(items())) == [0, 1, 2, 3, 4]
    assert threading.get_ident() not in makers


def test_an_error_while_making_an_item_is_raised_where_it_would_come() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise OSError("file vanished")

    taken = []
    with pytest.raises(OSError, match="file vanished"):
        for item in read_ahead(items()):
            taken.append(item)
    assert taken == [1]


def test_a_consumer_that_stops_leaves_nothing_running_behind_it() -> None:
    made = []

    def items() -> Iterator[int]:
        for i in range(100):
            made.append(i)
            yield i

    ahead = read_ahead(items())
    assert next(ahead) == 0
    ahead.close()  # waits for the item being made, begins no other
    assert made in ([0, 1], [0])
    assert not any(thread.name.startswith("carbon-read-ahead") for thread in threading.enumerate())
