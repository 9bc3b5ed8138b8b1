"""Timing a block in the test process without the cyclic garbage collector's pauses.

The tests share one process: every app, store and frame that earlier tests left behind makes a full collection
slower (seen: 2 s on the PostgreSQL run), and one may start inside any timed block. What a bound measures is the
code in the block, so the collector stays off during it (collecting before it would cost as much, every time).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["without_collector_pauses"]


@contextmanager
def without_collector_pauses() -> Iterator[None]:
    """Keep the cyclic collector off inside the block; switch it back on after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
