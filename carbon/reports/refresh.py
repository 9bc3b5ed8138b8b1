"""The alerts' refresh after a batch, off the submitter's request: one thread per database, coalescing batches.

A submission answers as soon as its batch is committed; the enterprises it changed wait here, and one thread
refreshes the alerts of all waiting enterprises in one pass (:func:`carbon.reports.alerts.refresh_after_batch`).
Under the monthly-deadline load many batches share a pass, so the refresh costs far less than once per batch.
Readers of alerts call :meth:`AlertRefresher.wait` first, so whoever reads the alerts after a submission sees
what the submission changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext

__all__ = ["AlertRefresher"]

log = logging.getLogger(__name__)

SLICE = 16  # enterprises refreshed in one turn (about 16 ms of work)


class AlertRefresher:
    """Refresh the alerts of changed enterprises in a background thread of this process.

    Parameters
    ----------
    db : str
        The database (path or URL) the thread opens its own connection to.
    gather : float
        How long the first queued enterprise waits for others before a pass starts [s]; a reader of the alerts
        (:meth:`wait`) starts it at once.
    gate : callable, optional
        A context manager each slice of a pass runs inside (the service's: a place among its requests), so that a
        pass of many enterprises takes turns with the requests instead of running beside all of them at once.
    """

    def __init__(self, db: str, *, gather: float = 1.0,
                 gate: Callable[[], AbstractContextManager[object]] = nullcontext) -> None:
        self.db = db
        self.gather = gather
        self.gate = gate
        self._pending: set[str] = set()
        self._busy = False
        self._waiting = 0  # readers in :meth:`wait`: they start the pass without the gathering delay
        self._stopped = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, enterprise_ids: Iterable[str]) -> None:
        """Queue these enterprises' alerts for a refresh (the thread starts on first use)."""
        with self._changed:
            self._pending.update(enterprise_ids)
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="alert-refresh", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until every queued refresh is done [s at most]; False if it is still going when time is up."""
        with self._changed:
            self._waiting += 1
            self._changed.notify_all()
            try:
                return self._changed.wait_for(lambda: not self._pending and not self._busy, timeout=timeout)
            finally:
                self._waiting -= 1

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the queued refreshes, then end the thread."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _next(self) -> set[str] | None:
        """Everything queued within the gathering delay (None once stopped with nothing left)."""
        with self._changed:
            self._changed.wait_for(lambda: self._pending or self._stopped)
            # under the monthly-deadline load a pass serves every batch of the last moment, not just one
            self._changed.wait_for(lambda: self._stopped or self._waiting > 0, timeout=self.gather)
            if not self._pending:
                return None
            batch, self._pending, self._busy = self._pending, set(), True
            return batch

    def _run(self) -> None:
        from carbon.reports.alerts import refresh_after_batch
        from carbon.store import Store

        store = Store(self.db)
        try:
            while (enterprise_ids := self._next()) is not None:
                try:
                    ordered = sorted(enterprise_ids)
                    for start in range(0, len(ordered), SLICE):
                        # a reader waiting for this pass may hold the place the gate would wait for; a stop
                        # finishes the queued work at once
                        with nullcontext() if self._waiting or self._stopped else self.gate():
                            refresh_after_batch(store, ordered[start:start + SLICE])
                except Exception:  # the next batch or the alert jobs refresh them again; never stop the thread
                    log.exception("alert refresh after a batch failed for %d enterprises", len(enterprise_ids))
                finally:
                    with self._changed:
                        self._busy = False
                        self._changed.notify_all()
        finally:
            store.close()
