"""Connections, transactions and the SQL helpers every part of the store shares — the only place that opens one.

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

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Final, Self

import numpy as np
import pandas as pd
import psycopg
import sqlite_utils

from carbon.errors import Busy

__all__ = [
    "DATABASE_ERRORS", "DEFAULT_DB", "DEFAULT_WRITE_WAIT_S", "NUL_STANDIN", "REGION_VERSION", "TRANSIENT_ERRORS",
    "AdvisoryLocks", "Engine", "PostgresConnection", "SchedulerLock", "Scope", "WriterQueue", "clean",
    "columns_as_lists", "conditions", "connect_sqlite", "csv_text", "default_db_path", "int_years", "is_postgresql",
    "now_iso", "upsert_sql",
]

DEFAULT_DB = Path("data") / "carbon.db"
# How long a write waits for the writers before it [s]: a batch of the API holds the lock for milliseconds.
DEFAULT_WRITE_WAIT_S = 20.0
# The key in ``meta`` of a region's version (the region code follows).
REGION_VERSION = "region_version:"
BUSY_TIMEOUT_MS = 30_000  # SQLite statements outside a write transaction wait this long for a lock [ms]
# PostgreSQL text cannot hold NUL: such a character (only ever in rejected input) is stored as U+FFFD.
NUL_STANDIN = "\ufffd"

# Errors worth waiting out: the database is locked, busy, full or unreachable for now (SQLite or PostgreSQL).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (sqlite3.OperationalError, OSError, psycopg.OperationalError)
# Errors of the database driver itself (either engine), for code that must tell them from its own.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, psycopg.Error)


class AdvisoryLocks:
    """The keys of the service's PostgreSQL advisory locks, kept together so that no two uses share one."""

    MIGRATION: Final = 7_241_001  # one instance applies a migration at a time (transaction level)
    WRITE: Final = 7_241_002  # one write transaction at a time (transaction level)
    SCHEDULER: Final = 7_241_003  # the instance that runs the schedule (session level, on its own connection)
    PARTITION: Final = 7_241_004  # one connection makes a month's partition of readings at a time (session level)


class WriterQueue:
    """One lock per database for the write transactions of this process: its threads wait in order here.

    SQLite lets one writer in at a time and makes the others poll in its busy timeout, where a late thread can
    overtake one that waited for seconds; behind this lock only one thread of the process polls at a time.
    """

    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def lock(cls, database: str) -> threading.Lock:
        """The writer lock of ``database`` (a file path, resolved, or a URL)."""
        key = database if is_postgresql(database) or database == ":memory:" else os.path.realpath(database)
        with cls._guard:
            return cls._locks.setdefault(key, threading.Lock())


def is_postgresql(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database rather than a SQLite file."""
    return url.startswith(("postgresql://", "postgres://"))


def default_db_path() -> str:
    """The database named by ``CARBON_DB``, else ``data/carbon.db``."""
    return os.environ.get("CARBON_DB") or str(DEFAULT_DB)


def now_iso() -> str:
    """Current UTC time as ISO 8601 with seconds, the timestamp format of every stored row."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Scope:
    """Which enterprises a caller may see: all of them, or one.

    Examples
    --------
    >>> Scope.everything().allows("GZHTZ-0001"), Scope.only("GZHTZ-0002").allows("GZHTZ-0001")
    (True, False)
    """

    enterprise_id: str | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def only(cls, enterprise_id: str) -> Scope:
        return cls(enterprise_id)

    @property
    def is_limited(self) -> bool:
        return self.enterprise_id is not None

    def allows(self, enterprise_id: str) -> bool:
        return self.enterprise_id is None or self.enterprise_id == enterprise_id

    def where(self, column: str = "enterprise_id") -> tuple[str, list[Any]]:
        """A SQL condition and its parameters that keep rows inside the scope."""
        if self.enterprise_id is None:
            return "1 = 1", []
        return f"{column} = ?", [self.enterprise_id]


# -- values and SQL fragments -------------------------------------------------------------------------------

def clean(value: Any) -> Any:
    """A value as the database stores it: numpy scalars as Python ones, NaN/NA as NULL, flags as 0/1.

    Examples
    --------
    >>> clean(np.float64(1.5)), clean(float("nan")), clean(np.True_), clean(pd.NA)
    (1.5, None, 1, None)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return int(value)  # flags are 0/1 on both engines
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        return clean(value.item())
    return value


def columns_as_lists(frame: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    """Frame columns as Python lists with NaN → None, column by column (fast), for ``executemany``.

    Zip the lists (``zip(*lists, strict=True)``) for the rows.
    """
    return [_column_as_list(frame[name]) for name in columns]


def _column_as_list(series: pd.Series) -> list[Any]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Build from the few categories, not from a million values.
        categories = np.append(series.cat.categories.to_numpy(dtype=object), None)
        return categories[series.cat.codes.to_numpy()].tolist()
    values = series.to_numpy()
    if values.dtype.kind in "fc":
        missing = np.isnan(values)
        return values.tolist() if not missing.any() else np.where(missing, None, values.astype(object)).tolist()
    if values.dtype.kind == "b":
        return values.astype(np.int64).tolist()  # flags are stored as 0/1 on both engines
    if values.dtype.kind in "iu":
        return values.tolist()
    values = series.astype(object).to_numpy()
    return np.where(pd.isna(values), None, values).tolist()


# Characters that make CSV quote a text field.
_NEEDS_QUOTING = frozenset(',"\r\n')


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV lines for ``COPY … (FORMAT csv)``: missing values empty (NULL), no header, no index.

    Fields are joined directly when no text needs quoting — numbers, and text columns whose distinct values hold
    no comma, quote or line break (identifiers, units, batch ids): about four times faster than
    :meth:`pandas.DataFrame.to_csv`, whose output it equals. Any other frame goes through ``to_csv``.

    Examples
    --------
    >>> csv_text(pd.DataFrame({"id": ["a", None], "value": [1.5, float("nan")], "row": [1, 2]}))
    'a,1.5,1\\n,,2\\n'
    >>> csv_text(pd.DataFrame({"note": ["x, y"]}))
    '"x, y"\\n'
    """
    fields = [_csv_fields(frame.iloc[:, i]) for i in range(frame.shape[1])]
    if any(column is None for column in fields):
        return frame.to_csv(header=False, index=False, lineterminator="\n")
    if not len(frame):
        return ""
    return "\n".join(map(",".join, zip(*fields, strict=True))) + "\n"


def _csv_fields(series: pd.Series) -> list[str] | None:
    """A column's CSV fields, or None when it holds something :func:`csv_text` leaves to ``to_csv``."""
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else None
    if kind == "f":
        values = series.to_numpy()
        texts = list(map(repr, values.tolist()))  # repr: the shortest text that reads back as the same float
        for index in np.flatnonzero(np.isnan(values)):
            texts[index] = ""
        return texts
    if kind in ("i", "u"):
        return list(map(str, series.to_numpy().tolist()))
    if kind is not None and kind != "O" and not isinstance(series.dtype, pd.StringDtype):
        return None  # dates, flags, …: to_csv knows how pandas writes them
    if not isinstance(series.dtype, pd.CategoricalDtype):
        texts = series.to_numpy(dtype=object).tolist()
        try:
            joined = ",".join(texts)  # one C pass: a TypeError for a missing or non-text value
        except TypeError:
            pass  # missing values: looked at value by value below
        else:
            # no comma but the separators, no quote or line break, no empty value (it would read as NULL)
            plain = (joined.count(",") == len(texts) - 1 and '"' not in joined and "\n" not in joined
                     and "\r" not in joined and all(texts))
            return texts if plain or not texts else None
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = np.asarray(uniques, dtype=object)
    if not all(isinstance(v, str) and v and _NEEDS_QUOTING.isdisjoint(v) for v in distinct):
        return None
    return np.append(distinct, "")[codes].tolist()  # code -1 (missing) → the last entry, empty


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (?, …)``.

    Examples
    --------
    >>> insert_sql("tokens", ["id", "role"])
    'INSERT INTO tokens (id, role) VALUES (?, ?)'
    """
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def upsert_sql(table: str, columns: Sequence[str], pk: Sequence[str]) -> str:
    """INSERT … ON CONFLICT DO UPDATE for the columns given (SQLite ≥ 3.24 and PostgreSQL).

    Examples
    --------
    >>> upsert_sql("quotas", ["id", "tce"], ["id"])
    'INSERT INTO quotas (id, tce) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET tce = excluded.tce'
    """
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk) or f"{pk[0]} = excluded.{pk[0]}"
    return f"{insert_sql(table, columns)} ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates}"


def conditions(scope: Scope, scope_column: str, *, equal: Mapping[str, Any] | None = None,
               since: tuple[str, Any] | None = None, until: tuple[str, Any] | None = None,
               until_op: str = "<=") -> tuple[str, list[Any]]:
    """A WHERE clause and its parameters: the caller's scope, equalities, and a range on one column.

    Examples
    --------
    >>> conditions(Scope.only("E1"), "enterprise_id", equal={"carrier": "电力", "unit": None},
    ...            since=("period", "2024-01"))
    ('enterprise_id = ? AND carrier = ? AND period >= ?', ['E1', '电力', '2024-01'])
    """
    condition, params = scope.where(scope_column)
    for column, value in (equal or {}).items():
        if value is not None:
            condition += f" AND {column} = ?"
            params.append(value)
    for (column, value), op in ((since or ("", None), ">="), (until or ("", None), until_op)):
        if value is not None:
            condition += f" AND {column} {op} ?"
            params.append(value)
    return condition, params


def int_years(frame: pd.DataFrame) -> pd.DataFrame:
    """Years grouped by ``substr(period, 1, 4)`` come back as text: make them integers (in place)."""
    if "year" in frame and len(frame):
        frame["year"] = frame["year"].astype(int)
    return frame


# -- connections --------------------------------------------------------------------------------------------

def connect_sqlite(path: str) -> sqlite3.Connection:
    """A SQLite connection in autocommit mode, WAL (files), a 30 s busy timeout and foreign keys enforced."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit transactions; Engine.transaction() says where a batch begins and ends.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class PostgresConnection:
    """A psycopg connection that takes the same ``?``-parameter SQL the SQLite connection takes."""

    def __init__(self, url: str) -> None:
        self.raw = psycopg.connect(url, autocommit=True)  # transactions are opened by Engine.transaction()

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    @staticmethod
    def _params(params: Sequence[Any]) -> list[Any]:
        return [p.replace("\x00", NUL_STANDIN) if isinstance(p, str) and "\x00" in p else p for p in params]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        cursor = self.raw.cursor()
        cursor.execute(self._sql(sql), self._params(params) if params else None)
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(self._sql(sql), [self._params(row) for row in rows])
        return cursor

    def copy_frame(self, table: str, columns: Sequence[str], frame: pd.DataFrame) -> None:
        """Bulk insert with COPY, the frame written as CSV (NULL = empty, unquoted) by :func:`csv_text`."""
        block = 200_000
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
        with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
            for start in range(0, len(frame), block):
                text = csv_text(frame.iloc[start:start + block])
                copy.write(text.replace("\x00", NUL_STANDIN).encode("utf-8"))

    def close(self) -> None:
        self.raw.close()


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
            conn = psycopg.connect(self.db, autocommit=True)
            if conn.execute("SELECT pg_try_advisory_lock(%s)", [AdvisoryLocks.SCHEDULER]).fetchone()[0]:
                self._handle = conn
                return True
            conn.close()
            return False
        import fcntl

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
        self.conn: Any
        self.db: sqlite_utils.Database | None
        if self.dialect == "postgresql":
            self.conn, self.db = PostgresConnection(path), None
        else:
            self.conn = connect_sqlite(path)
            self.db = sqlite_utils.Database(self.conn)
        self._depth = 0
        # How long a write waits for other writers [s] before Busy; a long-running CLI ingest may wait longer.
        self.write_wait_s: float = DEFAULT_WRITE_WAIT_S
        self.on_write_wait: Callable[[], None] | None = None  # called once when a write starts waiting
        self._regions_changed: set[str] | None = None  # declared by the running transaction, if it did

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

        The process's writers queue on :class:`WriterQueue`; then SQLite's ``BEGIN IMMEDIATE`` takes the write
        lock (waiting for other processes), or PostgreSQL takes the write advisory lock. A commit bumps
        ``data_version``.

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
        queue = WriterQueue.lock(self.path) if self.path != ":memory:" else None
        deadline = time.monotonic() + self.write_wait_s
        if queue is not None and not queue.acquire(timeout=self.write_wait_s):
            raise Busy(f"another write held the database for more than {self.write_wait_s:g} s")
        try:
            self._begin(deadline)
            self._depth, self._regions_changed = 1, None
            try:
                yield self
                self._bump_versions()
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0
        finally:
            if queue is not None:
                queue.release()

    def _begin(self, deadline: float) -> None:
        """Begin the write transaction, waiting for other processes' writers until ``deadline``."""
        if self.dialect == "postgresql":
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
            left = deadline - time.monotonic()
            self.conn.execute(f"PRAGMA busy_timeout = {max(int(min(left, 1.0) * 1000), 0)}")
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
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def changes_only_regions(self, regions: Iterable[str]) -> None:
        """Declare that the current write transaction changes the data of these regions only.

        Its commit then moves only their region versions (see :meth:`data_versions`), so cached reports of
        other regions stay valid. Only the outermost transaction may say so: one nested inside a larger
        transaction leaves the declaration to it (and the data version moves as a whole).
        """
        if self._depth == 1:
            self._regions_changed = (self._regions_changed or set()) | {str(r) for r in regions if r is not None}

    def _bump_versions(self) -> None:
        """Tell cached reports that the data moved (inside the committing transaction): the versions of the
        regions the transaction declared it changes, or else the data version of the whole database."""
        regions, self._regions_changed = self._regions_changed, None
        if regions is None:
            self.conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
            return
        self.conn.executemany("INSERT INTO meta (key, value) VALUES (?, 1) "
                              "ON CONFLICT (key) DO UPDATE SET value = meta.value + 1",
                              [[f"{REGION_VERSION}{region}"] for region in sorted(regions)])

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

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The result as a list of dicts (column name → value)."""
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of the result as a dict, or None."""
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The result as a data frame with the query's column names."""
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=names)

    def _count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def _insert(self, table: str, columns: Sequence[str], frame: pd.DataFrame) -> None:
        """Many rows at once: COPY on PostgreSQL, one executemany on SQLite."""
        if self.dialect == "postgresql":
            flags = {c: frame[c].astype(np.int64) for c in columns if frame[c].dtype == bool}
            self.conn.copy_frame(table, columns, frame[list(columns)].assign(**flags))
        else:
            self.conn.executemany(insert_sql(table, columns), zip(*columns_as_lists(frame, columns), strict=True))
