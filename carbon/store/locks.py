"""The locks of writers and of the scheduler: in this process (:class:`WriterQueue`), between the processes of a
host (a ``flock`` on a file beside a SQLite database), and between instances (PostgreSQL advisory locks, their keys
in :class:`AdvisoryLocks`)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Final

from carbon.store.connections import is_postgresql

__all__ = ["AdvisoryLocks", "SchedulerLock", "WriterQueue"]

HOST_QUEUE_PAUSE_S = (0.0002, 0.002)  # a writer of another process polls the host's writer lock within these [s]


class AdvisoryLocks:
    """The keys of the service's PostgreSQL advisory locks, kept together so that no two uses share one."""

    MIGRATION: Final = 7_241_001  # one instance applies a migration at a time (transaction level)
    WRITE: Final = 7_241_002  # one write transaction at a time (transaction level)
    SCHEDULER: Final = 7_241_003  # the instance that runs the schedule (session level, on its own connection)
    PARTITION: Final = 7_241_004  # one connection makes a month's partition of readings at a time (session level)


class WriterQueue:
    """One lock per database for the write transactions of this process: its threads wait in order here.

    SQLite lets one writer in at a time and makes the others poll in its busy timeout, where a late thread can
    overtake one that waited for seconds, and a waiter sleeps up to 100 ms after the lock is free; behind this
    lock only one thread of the process waits, and behind :meth:`between_processes` only one process of the host.
    """

    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def lock(cls, database: str) -> threading.Lock:
        """The writer lock of ``database`` (a file path, resolved, or a URL)."""
        key = database if is_postgresql(database) or database == ":memory:" else os.path.realpath(database)
        with cls._guard:
            return cls._locks.setdefault(key, threading.Lock())

    @staticmethod
    @contextmanager
    def between_processes(database: str, deadline: float,
                          on_wait: Callable[[], None] | None = None) -> Iterator[bool]:
        """Hold the host-wide writer lock of SQLite file ``database`` (``flock`` on ``<database>.writer.lock``,
        released with its process); yields False when ``deadline`` [monotonic s] passed first. ``on_wait`` is
        called once when another process holds it (so a CLI can say that it waits).

        The workers of ``carbon serve --workers N``, a CLI ingest and the scheduled jobs take turns here within a
        few milliseconds of each other, instead of polling in SQLite's busy timeout. The lock file is only a
        queue: SQLite's own lock still guards the data, so a writer that does not take it is merely not queued.
        """
        try:
            handle = open(f"{database}.writer.lock", "ab")  # noqa: SIM115 — closed below, which releases the lock
        except OSError:  # a read-only folder: SQLite's lock alone
            yield True
            return
        with handle:
            yield _flock_until(handle, deadline, on_wait)


def _flock_until(handle: Any, deadline: float, on_wait: Callable[[], None] | None) -> bool:
    """Take an exclusive ``flock`` on ``handle``, polling (a blocking flock could not keep ``deadline``)."""
    pause = HOST_QUEUE_PAUSE_S[0]
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            if on_wait is not None and pause == HOST_QUEUE_PAUSE_S[0]:
                on_wait()
            time.sleep(pause)
            pause = min(pause * 2, HOST_QUEUE_PAUSE_S[1])


class SchedulerLock:
    """Only one instance of the service runs the scheduler: the one holding this lock.

    PostgreSQL: a session-level advisory lock on a connection of its own (released if the instance dies);
    SQLite: an exclusive ``flock`` on ``<database>.scheduler.lock`` (instances on one machine).
    """

    def __init__(self, db: str) -> None:
        self.db = db
        self._handle: Any = None

    def acquire(self) -> bool:
        """Take the lock unless another instance holds it; whether this instance holds it now."""
        if self._handle is not None:
            return True
        if is_postgresql(self.db):
            import psycopg  # loaded by PostgreSQL's connections only

            conn = psycopg.connect(self.db, autocommit=True)
            if conn.execute("SELECT pg_try_advisory_lock(%s)", [AdvisoryLocks.SCHEDULER]).fetchone()[0]:
                self._handle = conn
                return True
            conn.close()
            return False
        handle = open(f"{Path(self.db).resolve()}.scheduler.lock", "a+")  # noqa: SIM115 (held open while leading)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the connection or the file releases the lock
            self._handle = None
