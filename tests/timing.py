"""Timing a block in the test process without the cyclic garbage collector's pauses.

The tests share one process: every app, store and frame that earlier tests left behind makes a full collection
slower (seen: 2 s on the PostgreSQL run), and one may start inside any timed block. What a bound measures is the
code in the block, so the collector stays off during it (collecting before it would cost as much, every time).
The CPU of the process counts its other threads too (a server or a scheduler an earlier test left running; seen:
0.75 s around a 1 ms parse), so code that runs in the calling thread is measured by that thread's CPU alone.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["ThreadCpu", "thread_cpu", "without_collector_pauses"]


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


@dataclass
class ThreadCpu:
    """CPU time [s] the calling thread spent inside a :func:`thread_cpu` block, known once the block ends."""

    seconds: float = 0.0


@contextmanager
def thread_cpu() -> Iterator[ThreadCpu]:
    """Measure the CPU of the calling thread inside the block, the collector kept off."""
    spent = ThreadCpu()
    with without_collector_pauses():
        started = time.thread_time()
        try:
            yield spent
        finally:
            spent.seconds = time.thread_time() - started
