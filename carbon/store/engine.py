"""Transactions and the engine every store mixin builds on — the only place that opens a connection (through
:mod:`carbon.store.connections`; the locks are in :mod:`carbon.store.locks`, the SQL helpers in
:mod:`carbon.store.sql`).

Two engines behind one :class:`Engine`:

- SQLite, the embedded default (``CARBON_DB`` a path, ``data/carbon.db``): WAL mode and a busy timeout, so
  readers never block the writer and writers queue instead of failing;
- PostgreSQL through psycopg (``CARBON_DB=postgresql://…``), for many API instances and hundreds of millions of
  readings: the same ``?``-parameter SQL (see :class:`PostgresConnection`), bulk inserts by ``COPY``.

Write transactions are serialised (SQLite's write lock taken at ``BEGIN IMMEDIATE``; a transaction-level advisory
lock on PostgreSQL), so a batch classifies its rows against a database no other batch is changing, and each one
bumps ``data_version`` (or, when it declared the regions it changes, only their versions) so cached reports
know the data moved. The threads of one process queue for a write on an
in-process lock per database first (:class:`WriterQueue`), so they never race each other in SQLite's busy
timeout; a writer that cannot begin within :attr:`Engine.write_wait_s` hears :class:`carbon.errors.Busy`.
The keys of every advisory lock of the service are in :class:`AdvisoryLocks`.

sqlite-utils declares the SQLite schema (see :mod:`carbon.store.migrations`); reads and writes are plain SQL that
both engines run as written, because one statement for both cannot drift apart between them, and a column-wise
``executemany`` (``COPY`` on PostgreSQL) is several times faster on the insert paths than sqlite-utils' row-dict
``insert_all``/``upsert_all``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd

from carbon.errors import Busy
from carbon.store.connections import (
    BUSY_TIMEOUT_MS,
    DEFAULT_DB,
    NUL_STANDIN,
    PostgresConnection,
    connect_sqlite,
    database_errors,
    default_db_path,
    is_postgresql,
    transient_errors,
)
from carbon.store.locks import AdvisoryLocks, SchedulerLock, WriterQueue
from carbon.store.sql import Rows, columns_as_lists, insert_sql

if TYPE_CHECKING:
    import sqlite_utils

__all__ = [
    "DEFAULT_DB", "DEFAULT_WRITE_WAIT_S", "NUL_STANDIN", "REGION_VERSION", "AdvisoryLocks", "Engine",
    "PostgresConnection", "SchedulerLock", "WriterQueue", "connect_sqlite", "database_errors", "default_db_path",
    "is_postgresql", "now_iso", "transient_errors",
]

# How long a write waits for the writers before it [s]: a batch of the API holds the lock for milliseconds.
DEFAULT_WRITE_WAIT_S = 20.0
# The key in ``meta`` of a region's version (the region code follows); "/" and a year after the code, the version of
# that year's rows; "/*" after it, the version of the region's changes that no years confine.
REGION_VERSION = "region_version:"
WAIT_SLICE_MS = 1_000  # a write waits for other processes' writers in slices of this [ms], to keep its deadline
SMALL_INSERT_VALUES = 900  # up to this many parameters, a few keys are given as one VALUES list
# Parameters of one INSERT of many VALUES (SQLite takes up to 32 766 since 3.32, PostgreSQL 65 535).
INSERT_VALUES = 16_000


def now_iso() -> str:
    """Current UTC time as ISO 8601 with seconds, the timestamp format of every stored row."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Engine:
    """A connection to the carbon database (either engine), its transactions and query helpers.

    The parts of :class:`carbon.store.Store` build on it; it knows no table but ``meta`` (the data version)
    and ``_migrations`` (to answer :meth:`ping`).

    Parameters
    ----------
    path : str
        SQLite file (``":memory:"`` for a throw-away database) or a ``postgresql://`` URL.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.dialect = "postgresql" if is_postgresql(path) else "sqlite"
        self.conn: Any = PostgresConnection(path) if self.dialect == "postgresql" else connect_sqlite(path)
        self._depth = 0
        # How long a write waits for other writers [s] before Busy; a long-running CLI ingest may wait longer.
        self.write_wait_s: float = DEFAULT_WRITE_WAIT_S
        self.on_write_wait: Callable[[], None] | None = None  # called once when a write starts waiting
        # declared by the running transaction, if it did: per region, the years it changes (None: not only some)
        self._regions_changed: dict[str, set[int] | None] | None = None
        self._busy_ms = BUSY_TIMEOUT_MS
        # Keys known without asking: the running transaction's batches (None: started in it, no key yet), and
        # factor sets (rows of factor_sets are never changed or deleted; forgotten after a rollback).
        self._batch_keys_known: dict[Any, tuple[int | None, Any] | None] = {}
        self._factor_sets_known: dict[tuple[Any, ...], int] = {}

    @cached_property
    def db(self) -> sqlite_utils.Database | None:
        """sqlite-utils' view of the SQLite connection, for migrations and introspection (None on PostgreSQL);
        made on first use, so that a process that only reads and writes rows never imports it."""
        if self.dialect != "sqlite":
            return None
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        self.conn.close()

    def ping(self) -> None:
        """Raise if the database cannot answer (or was never migrated)."""
        self.conn.execute("SELECT 1 FROM _migrations LIMIT 1").fetchall()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Self]:
        """All writes inside happen together or not at all, one writer at a time; nested calls join the outer one.

        The process's writers queue on :class:`WriterQueue`, then on the host's writer lock file (SQLite); then
        SQLite's ``BEGIN IMMEDIATE`` takes the write lock (waiting for processes that did not queue), or
        PostgreSQL takes the write advisory lock. A commit bumps ``data_version``.

        Raises
        ------
        carbon.errors.Busy
            When the write cannot begin within :attr:`write_wait_s` (another writer holds the database).
        """
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        deadline = time.monotonic() + self.write_wait_s
        # Every statement while the write lock is held costs a wait for the interpreter lock under load: the busy
        # timeout is set for waiting before the queue is joined and restored after it is left.
        self._busy_timeout(WAIT_SLICE_MS)
        try:
            with self._queued(deadline):
                self._begin(deadline)
                self._depth, self._regions_changed, self._batch_keys_known = 1, None, {}
                try:
                    yield self
                    self._bump_versions()
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    self._factor_sets_known = {}  # it may hold keys the rollback took back
                    raise
                else:
                    self.conn.execute("COMMIT")
                finally:
                    self._depth, self._batch_keys_known = 0, {}
        finally:
            self._busy_timeout(BUSY_TIMEOUT_MS)

    @contextmanager
    def _queued(self, deadline: float) -> Iterator[None]:
        """Wait for this writer's turn: behind the process's other writers, then (SQLite) the host's other
        processes; :class:`carbon.errors.Busy` when ``deadline`` [monotonic s] passes first."""
        if self.path == ":memory:":
            yield
            return
        queue = WriterQueue.lock(self.path)
        if not queue.acquire(timeout=max(deadline - time.monotonic(), 0)):
            raise Busy(f"another write held the database for more than {self.write_wait_s:g} s")
        try:
            if self.dialect != "sqlite":
                yield
                return
            with WriterQueue.between_processes(self.path, deadline, self.on_write_wait) as turn:
                if not turn:
                    raise Busy(f"another write held the database for more than {self.write_wait_s:g} s")
                yield
        finally:
            queue.release()

    def _busy_timeout(self, ms: int) -> None:
        """Set SQLite's busy timeout [ms] (a statement only when it changes)."""
        if self.dialect == "sqlite" and ms != self._busy_ms:
            self.conn.execute(f"PRAGMA busy_timeout = {ms}")
            self._busy_ms = ms

    def _begin(self, deadline: float) -> None:
        """Begin the write transaction, waiting for other processes' writers until ``deadline``."""
        if self.dialect == "postgresql":
            import psycopg  # loaded already: the connection is PostgreSQL's

            self.conn.execute("BEGIN")
            try:
                left_ms = max(int((deadline - time.monotonic()) * 1000), 1)
                self.conn.execute(f"SET LOCAL lock_timeout = {left_ms}")
                self.conn.execute("SELECT pg_advisory_xact_lock(?)", [AdvisoryLocks.WRITE])
                self.conn.execute("SET LOCAL lock_timeout = 0")
            except psycopg.errors.LockNotAvailable as error:
                self.conn.execute("ROLLBACK")
                raise Busy(f"another write held the database for more than {self.write_wait_s:g} s") from error
            return
        waited = False
        while True:
            # Wait in slices, so that the deadline holds and a waiting CLI can say that it waits.
            left_ms = int((deadline - time.monotonic()) * 1000)
            self._busy_timeout(max(min(left_ms, WAIT_SLICE_MS), 0))
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if not waited and self.on_write_wait is not None:
                    self.on_write_wait()
                waited = True
                if time.monotonic() >= deadline:
                    raise Busy(f"another write held the database for more than {self.write_wait_s:g} s") from error

    def changes_only_regions(self, regions: Iterable[str]) -> None:
        """Declare that the current write transaction changes the data of these regions only.

        Its commit then moves only their region versions (see :meth:`data_versions`), so cached reports of
        other regions stay valid. Only the outermost transaction may say so: one nested inside a larger
        transaction leaves the declaration to it (and the data version moves as a whole).
        """
        self._declare({str(region): None for region in regions if region is not None})

    def changes_only_region_years(self, years: Iterable[tuple[str | None, int]]) -> None:
        """Declare that the current write transaction changes the rows of these (region, year) pairs only (a
        batch of monthly data): as :meth:`changes_only_regions`, and its commit also moves the versions of those
        years (:meth:`region_year_versions`), so a report can re-read the years that moved and keep the others."""
        changed: dict[str, set[int]] = {}
        for region, year in years:
            if region is not None:
                changed.setdefault(str(region), set()).add(int(year))
        self._declare(changed)

    def _declare(self, changed: Mapping[str, set[int] | None]) -> None:
        if self._depth != 1:
            return
        declared = self._regions_changed if self._regions_changed is not None else {}
        for region, years in changed.items():
            before = declared.get(region, set())
            declared[region] = None if years is None or before is None else before | years
        self._regions_changed = declared

    def _bump_versions(self) -> None:
        """Tell cached reports that the data moved (inside the committing transaction): the versions of the
        regions the transaction declared it changes (and of their years, or of their changes no years confine),
        or else the data version of the whole database."""
        regions, self._regions_changed = self._regions_changed, None
        if regions is None:
            self.conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
            return
        keys = []
        for region, years in sorted(regions.items()):
            keys.append(f"{REGION_VERSION}{region}")
            keys += ([f"{REGION_VERSION}{region}/*"] if years is None
                     else [f"{REGION_VERSION}{region}/{year:04d}" for year in sorted(years)])
        self.conn.executemany("INSERT INTO meta (key, value) VALUES (?, 1) "
                              "ON CONFLICT (key) DO UPDATE SET value = meta.value + 1", [[key] for key in keys])

    def data_version(self) -> int:
        """A number that changes whenever a write transaction commits (any connection, any process), except
        those that declared the regions they change (:meth:`changes_only_regions`)."""
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])

    def data_versions(self, region: str) -> tuple[int, int]:
        """The data version and the version of a region: together they change whenever the region's data may
        have changed (any connection, any process)."""
        rows = dict(self.conn.execute("SELECT key, value FROM meta WHERE key IN ('data_version', ?)",
                                      [f"{REGION_VERSION}{region}"]).fetchall())
        return int(rows.get("data_version", 0)), int(rows.get(f"{REGION_VERSION}{region}", 0))

    def region_year_versions(self, region: str) -> tuple[int, int, dict[int, int]]:
        """The data version, the version of the region's changes that no years confine, and the version of each
        year's rows (a year no batch declared is absent): together they change whenever the region's data may have
        changed, and say which years did when only some did (:meth:`changes_only_region_years`)."""
        prefix = f"{REGION_VERSION}{region}/"
        # LIKE finds the region's keys on either engine (``_`` escaped); the exact prefix is checked here, as
        # SQLite's LIKE ignores case
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.execute("SELECT key, value FROM meta WHERE key = 'data_version' OR key LIKE ? ESCAPE '\\'",
                                 [pattern]).fetchall()
        data, whole, years = 0, 0, {}
        for key, value in rows:
            if key == "data_version":
                data = int(value)
            elif key.startswith(prefix):
                suffix = key[len(prefix):]
                if suffix == "*":
                    whole = int(value)
                else:
                    years[int(suffix)] = int(value)
        return data, whole, years

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The result as a list of dicts (column name → value)."""
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of the result as a dict, or None."""
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _tuples(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """The result as :class:`~carbon.store.sql.Rows` (plain tuples with the query's column names)."""
        cursor = self.conn.execute(sql, list(params))
        return Rows(tuple(d[0] for d in cursor.description), tuple(tuple(row) for row in cursor.fetchall()))

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The result as a data frame with the query's column names."""
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=names)

    def _insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                     suffix: str = "") -> None:
        """Insert parameter rows as statements of many VALUES (see :meth:`_insert_columns`)."""
        self._insert_columns(table, columns, list(zip(*rows, strict=True)), suffix=suffix)

    def _insert_columns(self, table: str, columns: Sequence[str], values: Sequence[Sequence[Any]], *,
                        suffix: str = "") -> None:
        """Insert rows given column by column (``values[i]``: the values of ``columns[i]``) as statements of many
        VALUES, up to :data:`INSERT_VALUES` parameters each.

        Not ``executemany``: it lets go of the interpreter lock for every row, and under load each row then waits
        for it again while the write lock is held — an alert refresh's thousand rows would take a thousand such
        waits, a request's five rows five. A statement's parameters are laid out by slices of the columns, with no
        tuple per row. ``suffix`` follows the VALUES (an ``ON CONFLICT`` clause: each key at most once).
        """
        width, count = len(columns), len(values[0]) if len(values) else 0
        per_statement = max(INSERT_VALUES // width, 1)
        for start in range(0, count, per_statement):
            rows = min(per_statement, count - start)
            parameters: list[Any] = [None] * (rows * width)
            for i, column in enumerate(values):
                parameters[i::width] = column[start:start + rows]
            self.conn.execute(insert_sql(table, columns, rows=rows) + suffix, parameters)

    def _count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def _insert(self, table: str, columns: Sequence[str], frame: pd.DataFrame) -> None:
        """Many rows at once: COPY on PostgreSQL, one executemany on SQLite."""
        if self.dialect == "postgresql":
            flags = {c: frame[c].astype(np.int64) for c in columns if frame[c].dtype == bool}
            self.conn.copy_frame(table, columns, frame[list(columns)].assign(**flags))
        else:
            self.conn.executemany(insert_sql(table, columns), zip(*columns_as_lists(frame, columns), strict=True))
