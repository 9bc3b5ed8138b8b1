"""The database: schema, migrations, writes and scoped queries. The only module that speaks SQL.

Two engines behind one :class:`Store`:

- SQLite through sqlite-utils, the embedded default (``CARBON_DB`` a path, ``data/carbon.db``): WAL mode and a
  busy timeout, so readers never block the writer and writers queue instead of failing;
- PostgreSQL through psycopg (``CARBON_DB=postgresql://…``), for many API instances and hundreds of millions of
  readings: bulk inserts by ``COPY``, readings partitioned by month.

Bulk writes happen inside :meth:`Store.transaction`: a batch is stored whole or not at all, and write
transactions are serialised (SQLite's write lock; a transaction-level advisory lock on PostgreSQL), so a batch
classifies its rows against a database no other batch is changing. The SQL is the subset both engines accept
(``ON CONFLICT``, ``RETURNING``, standard types), parameterised throughout.

Every query of enterprise data takes a :class:`Scope`: an enterprise's scope reaches its own rows only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from carbon.errors import Conflict, NotFound

__all__ = [
    "CONSUMPTION_COLUMNS", "CONSUMPTION_KEY", "DATABASE_ERRORS", "READING_COLUMNS", "TRANSIENT_ERRORS", "Conflict",
    "NotFound", "SchedulerLock", "Scope", "Store", "default_db_path", "is_postgresql", "now_iso", "open_store",
]

DEFAULT_DB = Path("data") / "carbon.db"

# The natural key of a monthly consumption row, and the columns stored for it.
CONSUMPTION_KEY: tuple[str, ...] = ("enterprise_id", "period", "carrier", "purpose")
CONSUMPTION_VALUES: tuple[str, ...] = ("quantity", "unit", "ncv", "ncv_unit")
CONSUMPTION_COLUMNS: tuple[str, ...] = (
    *CONSUMPTION_KEY, *CONSUMPTION_VALUES, "energy_gj", "tce_equivalent", "tce_equal", "co2_t", "tce_factor",
    "tce_equal_factor", "co2_factor", "factor_fallback", "factor_version", "revision", "batch_id", "created_batch",
    "source_row", "submitted_at", "updated_at",
)
READING_KEY: tuple[str, ...] = ("meter_id", "ts")
READING_COLUMNS: tuple[str, ...] = (
    "meter_id", "ts", "enterprise_id", "value", "unit", "carrier", "kind", "batch_id", "source_row",
)


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


def now_iso() -> str:
    """Current UTC time as ISO 8601 with seconds, the timestamp format of every stored row."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_db_path() -> str:
    """The database named by ``CARBON_DB``, else ``data/carbon.db``."""
    return os.environ.get("CARBON_DB") or str(DEFAULT_DB)


# -- migrations ---------------------------------------------------------------------------------------------

Migration = Callable[["Schema"], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(function: Migration) -> Migration:
    """Register a schema change; it runs once per database, in the order registered."""
    MIGRATIONS.append((function.__name__, function))
    return function


@migration
def m001_core(db: Schema) -> None:
    db["regions"].create({
        "code": str, "name": str, "name_en": str, "parent": str, "grid_region": str,
        "intensity_base_year": int, "intensity_base_value": float, "intensity_target_year": int,
        "intensity_target_value": float, "peak_aim_year": int, "deduct_feedstock": int,
        "deduct_new_renewables": int, "gdp_target_year": int, "gdp_target_current": float,
        "created_at": str, "updated_at": str,
    }, pk="code", not_null=["name"], defaults={"deduct_feedstock": 1, "deduct_new_renewables": 0})
    db["region_statistics"].create({
        "region": str, "year": int, "gdp_current": float, "gdp_constant": float, "energy_total_tce": float,
        "feedstock_tce": float, "renewable_tce": float, "co2_total_t": float, "sources": str, "updated_at": str,
    }, pk=("region", "year"), foreign_keys=[("region", "regions", "code")])
    db["enterprises"].create({
        "id": str, "name": str, "region": str, "industry": str, "credit_code": str, "synthetic": int,
        "created_at": str,
    }, pk="id", not_null=["name", "region"], foreign_keys=[("region", "regions", "code")],
        defaults={"synthetic": 0})
    db["enterprises"].create_index(["region"])

    db["batches"].create({
        "id": str, "kind": str, "source": str, "actor": str, "enterprise_scope": str, "started_at": str,
        "finished_at": str, "status": str, "read": int, "accepted": int, "unchanged": int, "revised": int,
        "rejected": int, "content_count": int, "content_hash": str, "error": str,
    }, pk="id", not_null=["kind", "source", "started_at", "status"])
    db["rejections"].create({
        "batch_id": str, "row": int, "field": str, "reason": str, "value": str,
    }, foreign_keys=[("batch_id", "batches", "id")])
    db["rejections"].create_index(["batch_id", "row"])

    columns: dict[str, Any] = {name: str for name in CONSUMPTION_COLUMNS}
    columns.update({name: float for name in ("quantity", "ncv", "energy_gj", "tce_equivalent", "tce_equal", "co2_t")})
    columns.update({"factor_fallback": int, "revision": int, "source_row": int})
    db["consumption"].create(columns, pk=CONSUMPTION_KEY, not_null=[*CONSUMPTION_KEY, "quantity", "unit"],
                             column_order=list(CONSUMPTION_COLUMNS))
    # The indicator queries aggregate by period (region totals) and by enterprise and period (its own page).
    db["consumption"].create_index(["period"])
    db["consumption"].create_index(["created_batch"])

    db["audit_log"].create({
        "seq": int, "ts": str, "actor": str, "action": str, "entity": str, "entity_key": str,
        "enterprise_id": str, "batch_id": str, "old": str, "new": str, "content_count": int,
        "content_hash": str, "prev_hash": str, "hash": str,
    }, pk="seq", not_null=["ts", "actor", "action", "entity", "prev_hash", "hash"])
    db["audit_log"].create_index(["enterprise_id"])
    db["audit_log"].create_index(["batch_id"])
    # Append-only: the log refuses updates and deletes (the hash chain catches any edit made around this).
    db.execute(sqlite=["CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                       "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"],
               postgresql=["CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
                           "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                           "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                           "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                           "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"])

    db["meters"].create({
        "id": str, "enterprise_id": str, "carrier": str, "unit": str, "kind": str, "interval_minutes": int,
        "created_at": str,
    }, pk="id", not_null=["enterprise_id"], foreign_keys=[("enterprise_id", "enterprises", "id")])
    # On PostgreSQL readings are a time-stamped, month-partitioned table (partitions: migration m007).
    db["readings"].create({
        "meter_id": str, "ts": str, "enterprise_id": str, "value": float, "unit": str, "carrier": str, "kind": str,
        "batch_id": str, "source_row": int,
    }, pk=READING_KEY, not_null=["meter_id", "ts", "enterprise_id", "value"],
        postgresql_types={"ts": "TIMESTAMPTZ"}, postgresql_partition="RANGE (ts)")
    db["readings"].create_index(["enterprise_id", "ts"])

    db["job_runs"].create({
        "id": int, "job": str, "started_at": str, "finished_at": str, "status": str, "counts": str, "error": str,
    }, pk="id", not_null=["job", "started_at", "status"])
    db["job_runs"].create_index(["job", "started_at"])
    db["http_sources"].create({
        "name": str, "url": str, "enterprise_id": str, "headers": str, "params": str, "timeout": float,
        "retries": int, "enabled": int, "created_at": str,
    }, pk="name", not_null=["url"], defaults={"enabled": 1})

    db["tokens"].create({
        "id": str, "token_hash": str, "role": str, "enterprise_id": str, "label": str, "created_at": str,
        "expires_at": str, "revoked_at": str,
    }, pk="id", not_null=["token_hash", "role", "created_at"])
    db["tokens"].create_index(["token_hash"], unique=True)


@migration
def m002_alerts_and_job_locks(db: Schema) -> None:
    db["alerts"].create({
        "id": int, "fingerprint": str, "kind": str, "severity": str, "region": str, "enterprise_id": str,
        "period": str, "message": str, "details": str, "created_at": str, "updated_at": str,
        "acknowledged_by": str, "acknowledged_at": str, "resolved_at": str,
    }, pk="id", not_null=["fingerprint", "kind", "severity", "message", "created_at"])
    db["alerts"].create_index(["fingerprint"], unique=True)
    db["alerts"].create_index(["kind", "resolved_at"])
    db["job_locks"].create({"job": str, "owner": str, "acquired_at": str}, pk="job")


@migration
def m003_quotas_and_output(db: Schema) -> None:
    # 用能权: an enterprise's energy-use quota for a year, on a stated basis.
    db["quotas"].create({
        "enterprise_id": str, "year": int, "quota_tce": float, "basis": str, "source": str, "updated_at": str,
    }, pk=("enterprise_id", "year"), not_null=["quota_tce", "basis"],
        foreign_keys=[("enterprise_id", "enterprises", "id")])
    # Output value (万元) per month, and product output for unit-product energy against 能耗限额 standards.
    db["enterprise_output"].create({
        "enterprise_id": str, "period": str, "product": str, "output_value": float, "quantity": float,
        "unit": str, "updated_at": str,
    }, pk=("enterprise_id", "period", "product"), foreign_keys=[("enterprise_id", "enterprises", "id")])


@migration
def m004_data_version(db: Schema) -> None:
    # A counter bumped by every write transaction: cached reports are valid while it stands still.
    db["meta"].create({"key": str, "value": int}, pk="key")
    db.execute(sql="INSERT INTO meta (key, value) VALUES ('data_version', 0)")


@migration
def m005_telemetry_malformed(db: Schema) -> None:
    # Messages that could not even be read as readings (not JSON, wrong topic, no value): kept for inspection.
    db["telemetry_malformed"].create({
        "id": int, "received_at": str, "topic": str, "payload": str, "reason": str,
    }, pk="id", not_null=["received_at", "reason"])


_TYPES = {
    "sqlite": {str: "TEXT", int: "INTEGER", float: "FLOAT"},
    "postgresql": {str: "TEXT", int: "BIGINT", float: "DOUBLE PRECISION"},
}


class _Table:
    """What a migration asks of one table, written for the store's engine."""

    def __init__(self, schema: Schema, name: str) -> None:
        self.schema, self.name = schema, name

    def create(self, columns: Mapping[str, type], *, pk: str | Sequence[str] | None = None,
               not_null: Iterable[str] = (), defaults: Mapping[str, Any] | None = None,
               foreign_keys: Iterable[tuple[str, str, str]] = (), column_order: Sequence[str] | None = None,
               postgresql_types: Mapping[str, str] | None = None, postgresql_partition: str | None = None) -> None:
        """Create the table: sqlite-utils on SQLite, generated DDL on PostgreSQL (same columns, keys, checks)."""
        if self.schema.dialect == "sqlite":
            self.schema.sqlite_db[self.name].create(dict(columns), pk=pk, not_null=list(not_null),
                                                    defaults=dict(defaults or {}), foreign_keys=list(foreign_keys),
                                                    column_order=list(column_order) if column_order else None)
            return
        keys = [pk] if isinstance(pk, str) else list(pk or [])
        not_null, defaults, overrides = set(not_null), dict(defaults or {}), dict(postgresql_types or {})
        names = list(column_order or []) + [c for c in columns if c not in (column_order or [])]
        lines = []
        for name in names:
            if len(keys) == 1 and name == keys[0] and columns[name] is int:
                lines.append(f"{name} BIGINT GENERATED BY DEFAULT AS IDENTITY")  # as SQLite's INTEGER PRIMARY KEY
                continue
            line = f"{name} {overrides.get(name, _TYPES['postgresql'][columns[name]])}"
            if name in not_null:
                line += " NOT NULL"
            if name in defaults:
                line += f" DEFAULT {defaults[name]!r}" if isinstance(defaults[name], str) else \
                    f" DEFAULT {defaults[name]}"
            lines.append(line)
        if keys:
            lines.append(f"PRIMARY KEY ({', '.join(keys)})")
        for column, table, other in foreign_keys:
            lines.append(f"FOREIGN KEY ({column}) REFERENCES {table} ({other})")
        partition = f" PARTITION BY {postgresql_partition}" if postgresql_partition else ""
        self.schema.store.conn.execute(f"CREATE TABLE {self.name} ({', '.join(lines)}){partition}")

    def create_index(self, columns: Sequence[str], *, unique: bool = False) -> None:
        name = f"idx_{self.name}_{'_'.join(columns)}"
        self.schema.store.conn.execute(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {self.name} ({', '.join(columns)})")


class Schema:
    """The schema-changing operations a migration may use, for either engine."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.dialect = store.dialect
        self.sqlite_db = store.db if store.dialect == "sqlite" else None

    def __getitem__(self, table: str) -> _Table:
        return _Table(self, table)

    def execute(self, *, sql: str | None = None, sqlite: str | Sequence[str] | None = None,
                postgresql: str | Sequence[str] | None = None) -> None:
        """Run SQL both engines share (``sql``), or each engine's own statements."""
        statements = sql if sql is not None else (sqlite if self.dialect == "sqlite" else postgresql)
        for statement in [statements] if isinstance(statements, str) else list(statements or []):
            self.store.conn.execute(statement)


@migration
def m006_monthly_totals(db: Schema) -> None:
    # The region indicators read these instead of aggregating every row: kept up to date by each batch (sums
    # added as rows arrive or are revised) and rebuilt from the rows by the refresh job.
    db["monthly_totals"].create({
        "region": str, "period": str, "carrier": str, "purpose": str, "energy_gj": float, "tce_equivalent": float,
        "tce_equal": float, "co2_t": float, "rows": int,
    }, pk=("region", "period", "carrier", "purpose"))
    db["enterprise_months"].create({"enterprise_id": str, "period": str, "region": str},
                                   pk=("enterprise_id", "period"))
    db["enterprise_months"].create_index(["region", "period"])
    db.execute(sql=MONTHLY_TOTALS_REBUILD[0])
    db.execute(sql=MONTHLY_TOTALS_REBUILD[1])


MONTHLY_TOTALS_REBUILD = (
    "INSERT INTO monthly_totals (region, period, carrier, purpose, energy_gj, tce_equivalent, tce_equal, co2_t, "
    "rows) SELECT e.region, c.period, c.carrier, c.purpose, SUM(c.energy_gj), SUM(c.tce_equivalent), "
    "SUM(c.tce_equal), SUM(c.co2_t), COUNT(*) FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id "
    "GROUP BY e.region, c.period, c.carrier, c.purpose",
    "INSERT INTO enterprise_months (enterprise_id, period, region) SELECT DISTINCT c.enterprise_id, c.period, "
    "e.region FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id",
)


def migrate(store: Store) -> list[str]:
    """Apply the registered migrations not yet applied, each in its own transaction; return their names."""
    store.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    applied = {row[0] for row in store.conn.execute("SELECT name FROM _migrations").fetchall()}
    done = []
    for name, function in MIGRATIONS:
        if name in applied:
            continue
        store.conn.execute("BEGIN IMMEDIATE" if store.dialect == "sqlite" else "BEGIN")
        try:
            if store.dialect == "postgresql":
                # two instances starting together: the second waits here, then finds the migration applied
                store.conn.execute("SELECT pg_advisory_xact_lock(?)", [_MIGRATION_LOCK])
                if store.conn.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchall():
                    store.conn.execute("COMMIT")
                    continue
            function(Schema(store))
            store.conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now_iso()])
            store.conn.execute("COMMIT")
        except BaseException:
            store.conn.execute("ROLLBACK")
            raise
        done.append(name)
    return done


# -- connections --------------------------------------------------------------------------------------------

_migrated: set[str] = set()
_migrate_lock = threading.Lock()
_MIGRATION_LOCK = 7_241_001  # advisory-lock keys of this service (PostgreSQL)
_WRITE_LOCK = 7_241_002
_SCHEDULER_LOCK = 7_241_003
_PARTITION_LOCK = 7_241_004
NUL_STANDIN = "\ufffd"


def is_postgresql(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _transient_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (sqlite3.OperationalError, OSError, psycopg.OperationalError)


# Errors worth waiting out: the database is locked, busy, full or unreachable for now (SQLite or PostgreSQL).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = _transient_errors()
# Errors of the database driver itself (either engine), for code that must tell them from its own.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, __import__("psycopg").Error)


class SchedulerLock:
    """Only one instance of the service runs the scheduler: the one holding this lock.

    PostgreSQL: a session-level advisory lock on a connection of its own (released if the instance dies);
    SQLite: an exclusive ``flock`` on ``<database>.scheduler.lock`` (instances on one machine).
    """

    def __init__(self, db: str) -> None:
        self.db = db
        self._handle: Any = None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        if is_postgresql(self.db):
            import psycopg

            conn = psycopg.connect(self.db, autocommit=True)
            if conn.execute("SELECT pg_try_advisory_lock(%s)", [_SCHEDULER_LOCK]).fetchone()[0]:
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


def _connect(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit transactions; Store.transaction() says where a batch begins and ends.
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class _PostgresConnection:
    """A psycopg connection that takes the same ``?``-parameter SQL the SQLite connection takes."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.raw = psycopg.connect(url, autocommit=True)  # transactions are opened by Store.transaction()

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    @staticmethod
    def _params(params: Sequence[Any]) -> list[Any]:
        # PostgreSQL text cannot hold NUL: such a character (only ever in rejected input) becomes U+FFFD.
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
        """Bulk insert with COPY, the frame written as CSV by pandas' C writer (NULL = empty, unquoted)."""
        block = 200_000
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
        with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
            for start in range(0, len(frame), block):
                text = frame.iloc[start:start + block].to_csv(header=False, index=False, lineterminator="\n")
                copy.write(text.replace("\x00", NUL_STANDIN).encode("utf-8"))

    def close(self) -> None:
        self.raw.close()


def open_store(path: str | Path | None = None) -> Store:
    """Open (and on first use migrate) the database at ``path``, ``CARBON_DB`` or ``data/carbon.db``."""
    return Store(str(path) if path is not None else default_db_path())


def _clean(value: Any) -> Any:
    """A value as SQLite stores it: numpy scalars as Python ones, NaN/NA as NULL."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return int(value)  # flags are 0/1 on both engines
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def _conditions(scope: Scope, scope_column: str, *, equal: Mapping[str, Any] | None = None,
                since: tuple[str, Any] | None = None, until: tuple[str, Any] | None = None,
                until_op: str = "<=") -> tuple[str, list[Any]]:
    """A WHERE clause and its parameters: the caller's scope, equalities, and a range on one column."""
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


def _int_years(frame: pd.DataFrame) -> pd.DataFrame:
    """Years grouped by ``substr(period, 1, 4)`` come back as text: make them integers."""
    if "year" in frame and len(frame):
        frame["year"] = frame["year"].astype(int)
    return frame


def _upsert_sql(table: str, columns: Sequence[str], pk: Sequence[str]) -> str:
    """INSERT … ON CONFLICT DO UPDATE for the columns given (SQLite ≥ 3.24 and PostgreSQL)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk) or f"{pk[0]} = excluded.{pk[0]}"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates}")


def _columns_as_lists(frame: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    """Frame columns as Python lists with NaN → None, column by column (fast), for executemany."""
    out = []
    for name in columns:
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            # Build from the few categories, not from a million values.
            categories = np.append(series.cat.categories.to_numpy(dtype=object), None)
            out.append(categories[series.cat.codes.to_numpy()].tolist())
            continue
        values = series.to_numpy()
        if values.dtype.kind in "fc":
            missing = np.isnan(values)
            out.append(values.tolist() if not missing.any()
                       else np.where(missing, None, values.astype(object)).tolist())
        elif values.dtype.kind == "b":
            out.append(values.astype(np.int64).tolist())  # flags are stored as 0/1 on both engines
        elif values.dtype.kind in "iu":
            out.append(values.tolist())
        else:
            values = series.astype(object).to_numpy()
            out.append(np.where(pd.isna(values), None, values).tolist())
    return out


from carbon.store.revisions import HeldRevisionStore  # noqa: E402  (it registers its migration with the above)


class Store(HeldRevisionStore):
    """A connection to the carbon database with the operations the program needs.

    Parameters
    ----------
    path : str
        SQLite file (``":memory:"`` for a throw-away database); created and migrated on first use.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.dialect = "postgresql" if is_postgresql(path) else "sqlite"
        if self.dialect == "postgresql":
            self.conn: Any = _PostgresConnection(path)
            self.db = None
        else:
            self.conn = _connect(path)
            self.db = sqlite_utils.Database(self.conn)
        self._depth = 0
        self._partitions: set[str] = set()
        with _migrate_lock:
            if path == ":memory:" or path not in _migrated:
                migrate(self)
                if path != ":memory:":
                    _migrated.add(path)

    def close(self) -> None:
        self.conn.close()

    def ping(self) -> None:
        """Raise if the database cannot answer."""
        self.conn.execute("SELECT 1 FROM _migrations LIMIT 1").fetchall()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside happen together or not at all (``BEGIN IMMEDIATE`` takes the write lock at once)."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        if self.dialect == "postgresql":
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT pg_advisory_xact_lock(?)", [_WRITE_LOCK])  # one writer at a time
        else:
            self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
            self.conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def data_version(self) -> int:
        """A number that changes whenever a write transaction commits (any connection, any process)."""
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        cursor = self.conn.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=names)

    # -- regions ------------------------------------------------------------------------------------------

    REGION_FIELDS = (
        "name", "name_en", "parent", "grid_region", "intensity_base_year", "intensity_base_value",
        "intensity_target_year", "intensity_target_value", "peak_aim_year", "deduct_feedstock",
        "deduct_new_renewables", "gdp_target_year", "gdp_target_current",
    )

    def upsert_region(self, code: str, **fields: Any) -> dict[str, Any]:
        """Create a region or update the fields given; returns the stored row."""
        unknown = set(fields) - set(self.REGION_FIELDS)
        if unknown:
            raise ValueError(f"unknown region fields: {', '.join(sorted(unknown))}")
        existing = self._rows("SELECT * FROM regions WHERE code = ?", [code])
        if not existing and not fields.get("name"):
            raise ValueError("a new region needs a name")
        if fields.get("parent") and fields["parent"] != code:
            self.get_region(fields["parent"])  # the parent must exist
        stamp = now_iso()
        row = {"code": code, **{k: _clean(v) for k, v in fields.items()}, "updated_at": stamp}
        if not existing:
            row["created_at"] = stamp
        with self.transaction():
            if existing:
                sets = ", ".join(f"{c} = ?" for c in row if c != "code")
                self.conn.execute(f"UPDATE regions SET {sets} WHERE code = ?",
                                  [v for c, v in row.items() if c != "code"] + [code])
            else:
                self.conn.execute(f"INSERT INTO regions ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                                  list(row.values()))
        return self.get_region(code)

    def get_region(self, code: str) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM regions WHERE code = ?", [code])
        if not rows:
            raise NotFound(f"no region {code!r}; create it first (carbon region add {code} --name ...)")
        return rows[0]

    def list_regions(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM regions ORDER BY code")

    def put_statistics(self, region: str, year: int, **values: Any) -> dict[str, Any]:
        """Set a region's statistics for one year (GDP in 万元, energy in tce); the fields given replace."""
        self.get_region(region)
        allowed = {"gdp_current", "gdp_constant", "energy_total_tce", "feedstock_tce", "renewable_tce",
                   "co2_total_t", "sources"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown statistics fields: {', '.join(sorted(unknown))}")
        row = {"region": region, "year": int(year), **{k: _clean(v) for k, v in values.items()},
               "updated_at": now_iso()}
        if isinstance(row.get("sources"), Mapping):
            row["sources"] = json.dumps(row["sources"], ensure_ascii=False, sort_keys=True)
        with self.transaction():
            self.conn.execute(_upsert_sql("region_statistics", list(row), ["region", "year"]), list(row.values()))
        return self._rows("SELECT * FROM region_statistics WHERE region = ? AND year = ?", [region, int(year)])[0]

    def statistics(self, region: str) -> pd.DataFrame:
        """A region's statistics by year (index ``year``)."""
        frame = self._frame("SELECT * FROM region_statistics WHERE region = ? ORDER BY year", [region])
        return frame.set_index("year") if not frame.empty else frame

    # -- enterprises --------------------------------------------------------------------------------------

    def add_enterprises(self, rows: Iterable[Mapping[str, Any]], *, replace: bool = False) -> int:
        """Register enterprises (``id``, ``name``, ``region`` and optional ``industry``, ``credit_code``).

        Existing ids are left as they are unless ``replace``; returns how many rows were written.
        """
        rows = [dict(row) for row in rows]
        regions = {row["code"] for row in self._rows("SELECT code FROM regions")}
        stamp = now_iso()
        for row in rows:
            for field in ("id", "name", "region"):
                if not str(row.get(field) or "").strip():
                    raise ValueError(f"enterprise {row.get('id')!r}: {field} is required")
            if row["region"] not in regions:
                raise NotFound(f"enterprise {row['id']!r}: no region {row['region']!r}; create the region first")
            row.setdefault("created_at", stamp)
            row["synthetic"] = int(bool(row.get("synthetic") in (True, 1, "1", "true", "True")))
        columns = ("id", "name", "region", "industry", "credit_code", "synthetic", "created_at")
        sql = (_upsert_sql("enterprises", columns, ["id"]) if replace else
               f"INSERT INTO enterprises ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
               "ON CONFLICT (id) DO NOTHING")
        with self.transaction():
            before = self._count("enterprises")
            self.conn.executemany(sql, [[_clean(row.get(c)) for c in columns] for row in rows])
            written = len(rows) if replace else self._count("enterprises") - before
        if replace:
            self.rebuild_monthly_totals()  # a region may have changed hands
        return written

    def _count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def get_enterprise(self, enterprise_id: str, scope: Scope) -> dict[str, Any]:
        if not scope.allows(enterprise_id):
            raise NotFound(f"no enterprise {enterprise_id!r}")
        rows = self._rows("SELECT * FROM enterprises WHERE id = ?", [enterprise_id])
        if not rows:
            raise NotFound(f"no enterprise {enterprise_id!r}")
        return rows[0]

    def list_enterprises(self, scope: Scope, *, region: str | None = None) -> list[dict[str, Any]]:
        condition, params = scope.where("id")
        if region is not None:
            condition += " AND region = ?"
            params.append(region)
        return self._rows(f"SELECT * FROM enterprises WHERE {condition} ORDER BY id", params)

    def enterprise_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM enterprises")}

    # -- batches, rejections ------------------------------------------------------------------------------

    def start_batch(self, batch_id: str, *, kind: str, source: str, actor: str,
                    enterprise_scope: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO batches (id, kind, source, actor, enterprise_scope, started_at, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'running')", [batch_id, kind, source, actor, enterprise_scope, now_iso()])

    def finish_batch(self, batch_id: str, *, status: str, counts: Mapping[str, int], content_count: int = 0,
                     content_hash: str | None = None, error: str | None = None) -> None:
        self.conn.execute(
            "UPDATE batches SET finished_at = ?, status = ?, read = ?, accepted = ?, unchanged = ?, revised = ?, "
            "rejected = ?, content_count = ?, content_hash = ?, error = ? WHERE id = ?",
            [now_iso(), status, counts.get("read", 0), counts.get("accepted", 0), counts.get("unchanged", 0),
             counts.get("revised", 0), counts.get("rejected", 0), content_count, content_hash, error, batch_id])

    def add_rejections(self, batch_id: str, rejections: pd.DataFrame) -> None:
        if rejections.empty:
            return
        frame = rejections.assign(batch_id=batch_id)
        columns = ("batch_id", "row", "field", "reason", "value")
        self.conn.executemany(
            f"INSERT INTO rejections ({', '.join(columns)}) VALUES (?, ?, ?, ?, ?)",
            zip(*_columns_as_lists(frame, columns), strict=True))

    def get_batch(self, batch_id: str, scope: Scope) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM batches WHERE id = ?", [batch_id])
        if not rows or (scope.is_limited and rows[0]["enterprise_scope"] != scope.enterprise_id):
            raise NotFound(f"no batch {batch_id!r}")
        return rows[0]

    def loaded_sources(self, *, prefix: str = "") -> set[str]:
        """Sources of the batches stored completely, optionally those starting with ``prefix``."""
        rows = self.conn.execute("SELECT source FROM batches WHERE status = 'ok' AND source LIKE ? ESCAPE '\\'",
                                 [prefix.replace("%", "\\%").replace("_", "\\_") + "%"])
        return {row[0] for row in rows}

    def batch_rejections(self, batch_id: str) -> pd.DataFrame:
        return self._frame("SELECT row, field, reason, value FROM rejections WHERE batch_id = ? ORDER BY row",
                           [batch_id])

    # -- consumption --------------------------------------------------------------------------------------

    def consumption_pairs(self) -> set[tuple[str, str]]:
        """Every (enterprise, period) that has at least one stored row (an index-only scan)."""
        return set(self.conn.execute("SELECT DISTINCT enterprise_id, period FROM consumption").fetchall())

    def existing_consumption(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Stored rows with exactly these natural keys (columns enterprise_id, period, carrier, purpose).

        The keys go into a temporary table and are joined on the primary key, so the cost follows the number
        of keys asked for, not the size of the table.
        """
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision", "batch_id", "created_batch", "source_row",
                   "energy_gj", "tce_equivalent", "tce_equal", "co2_t")
        if keys.empty:
            return pd.DataFrame(columns=columns)
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS lookup_keys "
                          "(enterprise_id TEXT, period TEXT, carrier TEXT, purpose TEXT)")
        self.conn.execute("DELETE FROM lookup_keys")
        self.conn.executemany("INSERT INTO lookup_keys VALUES (?, ?, ?, ?)",
                              zip(*_columns_as_lists(keys, CONSUMPTION_KEY), strict=True))
        join = " AND ".join(f"c.{k} = k.{k}" for k in CONSUMPTION_KEY)
        found = self._frame(f"SELECT {', '.join(f'c.{c}' for c in columns)} FROM lookup_keys k "
                            f"JOIN consumption c ON {join}")
        return found if not found.empty else pd.DataFrame(columns=columns)

    def insert_consumption(self, frame: pd.DataFrame) -> int:
        """Insert new consumption rows (all of :data:`CONSUMPTION_COLUMNS`); call inside a transaction."""
        if frame.empty:
            return 0
        self._insert("consumption", CONSUMPTION_COLUMNS, frame)
        return len(frame)

    def _insert(self, table: str, columns: Sequence[str], frame: pd.DataFrame) -> None:
        """Many rows at once: COPY on PostgreSQL, one executemany on SQLite."""
        if self.dialect == "postgresql":
            flags = {c: frame[c].astype(np.int64) for c in columns if frame[c].dtype == bool}
            self.conn.copy_frame(table, columns, frame[list(columns)].assign(**flags))
        else:
            rows = zip(*_columns_as_lists(frame, columns), strict=True)
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                  f"VALUES ({', '.join('?' for _ in columns)})", rows)

    def revise_consumption(self, frame: pd.DataFrame) -> int:
        """Replace the values of stored rows by their new revision; call inside a transaction."""
        if frame.empty:
            return 0
        values = [c for c in CONSUMPTION_COLUMNS if c not in CONSUMPTION_KEY and c != "created_batch"]
        sql = (f"UPDATE consumption SET {', '.join(f'{c} = ?' for c in values)} "
               f"WHERE {' AND '.join(f'{k} = ?' for k in CONSUMPTION_KEY)}")
        self.conn.executemany(sql, zip(*_columns_as_lists(frame, [*values, *CONSUMPTION_KEY]), strict=True))
        return len(frame)

    def consumption(self, scope: Scope, *, enterprise_id: str | None = None, start: str | None = None,
                    end: str | None = None, region: str | None = None,
                    columns: Sequence[str] = CONSUMPTION_COLUMNS) -> pd.DataFrame:
        """Stored consumption rows inside the scope, optionally for one enterprise, region and period range."""
        condition, params = _conditions(scope, "c.enterprise_id",
                                        equal={"c.enterprise_id": enterprise_id, "e.region": region},
                                        since=("c.period", start), until=("c.period", end))
        join = " JOIN enterprises e ON e.id = c.enterprise_id" if region is not None else ""
        select = ", ".join(f"c.{name}" for name in columns)
        return self._frame(f"SELECT {select} FROM consumption c{join} WHERE {condition} "
                           "ORDER BY c.enterprise_id, c.period, c.carrier, c.purpose", params)

    def consumption_totals(self, scope: Scope, *, by: Sequence[str], region: str | None = None,
                           enterprise_id: str | None = None, start: str | None = None,
                           end: str | None = None) -> pd.DataFrame:
        """Sums of energy, tce and CO2 grouped by any of year, period, carrier, purpose, enterprise_id, industry."""
        expressions = {
            "year": "substr(c.period, 1, 4)", "period": "c.period", "carrier": "c.carrier", "purpose": "c.purpose",
            "enterprise_id": "c.enterprise_id", "industry": "e.industry", "region": "e.region",
        }
        unknown = [name for name in by if name not in expressions]
        if unknown:
            raise ValueError(f"cannot group by {', '.join(unknown)}; choose from {', '.join(expressions)}")
        condition, params = _conditions(scope, "c.enterprise_id",
                                        equal={"e.region": region, "c.enterprise_id": enterprise_id},
                                        since=("c.period", start), until=("c.period", end))
        keys = ", ".join(f"{expressions[name]} AS {name}" for name in by)
        group = ", ".join(expressions[name] for name in by)
        sql = (f"SELECT {keys + ', ' if keys else ''}SUM(c.energy_gj) AS energy_gj, "
               "SUM(c.tce_equivalent) AS tce_equivalent, SUM(c.tce_equal) AS tce_equal, SUM(c.co2_t) AS co2_t, "
               "COUNT(*) AS rows, COUNT(DISTINCT c.enterprise_id) AS enterprises "
               f"FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id WHERE {condition}"
               + (f" GROUP BY {group} ORDER BY {group}" if group else ""))
        return _int_years(self._frame(sql, params))

    def region_year_summary(self, region: str) -> pd.DataFrame:
        """A region's tce and CO2 per year, carrier and purpose (from the monthly totals)."""
        frame = self._frame(
            "SELECT substr(period, 1, 4) AS year, carrier, purpose, SUM(tce_equivalent) AS tce_equivalent, "
            "SUM(co2_t) AS co2_t FROM monthly_totals WHERE region = ? "
            "GROUP BY substr(period, 1, 4), carrier, purpose", [region])
        return _int_years(frame)

    def region_year_counts(self, region: str) -> pd.DataFrame:
        """Per year: how many months and how many enterprises of a region have reports."""
        frame = self._frame(
            "SELECT substr(period, 1, 4) AS year, COUNT(DISTINCT period) AS months, "
            "COUNT(DISTINCT enterprise_id) AS enterprises FROM enterprise_months WHERE region = ? "
            "GROUP BY substr(period, 1, 4)", [region])
        return _int_years(frame)

    def add_to_monthly_totals(self, rows: pd.DataFrame, *, sign: float = 1.0) -> None:
        """Add (or, with ``sign=-1``, take away) converted rows to the monthly totals; inside the batch's
        transaction. ``rows`` has region, enterprise_id, period, carrier, purpose and the converted values."""
        if rows.empty:
            return
        values = ["energy_gj", "tce_equivalent", "tce_equal", "co2_t"]
        keys = ["region", "period", "carrier", "purpose"]
        # grouped on categorical codes: a chunk of a million rows folds into a few hundred sums quickly
        frame = rows[keys + values].astype({k: "category" for k in keys}).assign(rows=1)
        sums = frame.groupby(keys, observed=True, sort=False)[[*values, "rows"]].sum().reset_index()
        sums[[*values, "rows"]] = sums[[*values, "rows"]] * sign
        columns = [*keys, *values, "rows"]
        self.conn.executemany(
            f"INSERT INTO monthly_totals ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT (region, period, carrier, purpose) DO UPDATE SET "
            + ", ".join(f"{c} = monthly_totals.{c} + excluded.{c}" for c in [*values, "rows"]),
            zip(*_columns_as_lists(sums, columns), strict=True))
        if sign > 0:
            months = (rows[["enterprise_id", "period", "region"]].astype("category")
                      .groupby(["enterprise_id", "period", "region"], observed=True, sort=False).size()
                      .reset_index()[["enterprise_id", "period", "region"]])
            self.conn.executemany(
                "INSERT INTO enterprise_months (enterprise_id, period, region) VALUES (?, ?, ?) "
                "ON CONFLICT (enterprise_id, period) DO NOTHING",
                zip(*_columns_as_lists(months, ["enterprise_id", "period", "region"]), strict=True))

    def rebuild_monthly_totals(self) -> None:
        """Recompute the monthly totals from the stored rows (after re-conversions, or a region change)."""
        with self.transaction():
            self.conn.execute("DELETE FROM monthly_totals")
            self.conn.execute("DELETE FROM enterprise_months")
            for statement in MONTHLY_TOTALS_REBUILD:
                self.conn.execute(statement)

    def enterprise_regions(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, region FROM enterprises").fetchall())

    def reported_months(self, scope: Scope, *, region: str | None = None) -> pd.DataFrame:
        """Per enterprise and period: rows reported and the latest submission date (for missing/late reports)."""
        condition, params = scope.where("c.enterprise_id")
        if region is not None:
            condition += " AND e.region = ?"
            params.append(region)
        return self._frame(
            "SELECT c.enterprise_id, c.period, COUNT(*) AS rows, MAX(c.submitted_at) AS submitted_at "
            f"FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id WHERE {condition} "
            "GROUP BY c.enterprise_id, c.period ORDER BY c.enterprise_id, c.period", params)

    def consumption_for_batch(self, batch_id: str) -> pd.DataFrame:
        """Rows first stored by a batch, as they are now (for re-computing its content hash)."""
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision", "source_row")
        return self._frame(f"SELECT {', '.join(columns)} FROM consumption WHERE created_batch = ?", [batch_id])

    def enterprise_grid_regions(self) -> list[dict[str, Any]]:
        """Each enterprise with the grid region or province its region's electricity factor comes from."""
        return self._rows("SELECT e.id, r.grid_region FROM enterprises e JOIN regions r ON r.code = e.region")

    def stale_conversions(self, factor_version: str) -> pd.DataFrame:
        """Rows converted with another factor version, or with a factor that stood in for a missing year."""
        return self._frame(
            "SELECT enterprise_id, period, carrier, purpose, quantity, unit, ncv, ncv_unit, "
            "energy_gj AS old_energy_gj, tce_equivalent AS old_tce_equivalent, tce_equal AS old_tce_equal, "
            "co2_t AS old_co2_t FROM consumption "
            "WHERE factor_version IS NULL OR factor_version <> ? OR factor_fallback = 1",
            [factor_version])

    def update_conversions(self, frame: pd.DataFrame) -> int:
        """Write re-converted values (not a revision: the submitted values stay); call inside a transaction."""
        values = ("energy_gj", "tce_equivalent", "tce_equal", "co2_t", "tce_factor", "tce_equal_factor",
                  "co2_factor", "factor_fallback", "factor_version")
        sql = (f"UPDATE consumption SET {', '.join(f'{c} = ?' for c in values)} "
               f"WHERE {' AND '.join(f'{k} = ?' for k in CONSUMPTION_KEY)}")
        self.conn.executemany(sql, zip(*_columns_as_lists(frame, [*values, *CONSUMPTION_KEY]), strict=True))
        return len(frame)

    def consumption_with_revisions(self) -> pd.DataFrame:
        """Rows that have been revised at least once (revision > 1), with their current values."""
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision")
        return self._frame(f"SELECT {', '.join(columns)} FROM consumption WHERE revision > 1")

    # -- readings -----------------------------------------------------------------------------------------

    def upsert_meters(self, meters: pd.DataFrame) -> None:
        """Register meters (id, enterprise_id, carrier, unit, kind); call inside a transaction."""
        if meters.empty:
            return
        columns = ("id", "enterprise_id", "carrier", "unit", "kind", "interval_minutes", "created_at")
        frame = meters.assign(created_at=now_iso())
        for column in columns:
            if column not in frame:
                frame[column] = None
        self.conn.executemany(
            f"INSERT INTO meters ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            "ON CONFLICT (id) DO NOTHING", zip(*_columns_as_lists(frame, columns), strict=True))

    def meter_owners(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, enterprise_id FROM meters").fetchall())

    @property
    def _ts(self) -> str:
        """The readings' timestamp as the text every caller sees: ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
        if self.dialect == "postgresql":
            return "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS ts"
        return "ts"

    def existing_readings(self, meter_ids: Sequence[str], start: str, end: str) -> pd.DataFrame:
        placeholders = ", ".join("?" for _ in meter_ids)
        return self._frame(
            f"SELECT meter_id, {self._ts}, value, unit, kind, batch_id, source_row FROM readings "
            f"WHERE meter_id IN ({placeholders}) AND ts BETWEEN ? AND ?", [*meter_ids, start, end])

    def insert_readings(self, frame: pd.DataFrame) -> int:
        """Insert new readings; call inside a transaction (on PostgreSQL into their month's partition)."""
        if frame.empty:
            return 0
        self._insert("readings", READING_COLUMNS, frame)
        return len(frame)

    def ensure_reading_partitions(self, months: Iterable[str]) -> None:
        """PostgreSQL: make the monthly partitions of ``readings`` that do not exist yet (nothing on SQLite).

        Run it on a connection outside the batch's transaction: the partition is made as a table of its own and
        attached, which locks the parent only against schema changes, not against the batch's writes or reads.
        """
        if self.dialect != "postgresql":
            return
        for month in sorted(set(months) - self._partitions):
            name = f"readings_{month[:4]}_{month[5:7]}"
            year, number = int(month[:4]), int(month[5:7])
            following = f"{year + number // 12:04d}-{number % 12 + 1:02d}"
            self.conn.execute("SELECT pg_advisory_lock(?)", [_PARTITION_LOCK])
            try:
                attached = self.conn.execute(
                    "SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'readings'::regclass AND c.relname = ?", [name]).fetchall()
                if not attached:
                    self.conn.execute(f"CREATE TABLE IF NOT EXISTS {name} (LIKE readings INCLUDING ALL)")
                    self.conn.execute(f"ALTER TABLE readings ATTACH PARTITION {name} FOR VALUES FROM "
                                      f"('{month}-01 00:00:00+00') TO ('{following}-01 00:00:00+00')")
            finally:
                self.conn.execute("SELECT pg_advisory_unlock(?)", [_PARTITION_LOCK])
            self._partitions.add(month)

    def revise_readings(self, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        self.conn.executemany(
            "UPDATE readings SET value = ?, unit = ?, kind = ?, batch_id = ?, source_row = ? "
            "WHERE meter_id = ? AND ts = ?",
            zip(*_columns_as_lists(frame, ("value", "unit", "kind", "batch_id", "source_row", "meter_id", "ts")),
                strict=True))
        return len(frame)

    def readings(self, scope: Scope, *, enterprise_id: str | None = None, meter_id: str | None = None,
                 start: str | None = None, end: str | None = None) -> pd.DataFrame:
        condition, params = _conditions(scope, "enterprise_id",
                                        equal={"enterprise_id": enterprise_id, "meter_id": meter_id},
                                        since=("ts", start), until=("ts", end), until_op="<")
        columns = ", ".join(self._ts if c == "ts" else c for c in READING_COLUMNS)
        return self._frame(f"SELECT {columns} FROM readings WHERE {condition} ORDER BY meter_id, ts", params)

    def add_malformed_messages(self, messages: Sequence[Mapping[str, Any]]) -> int:
        """Keep telemetry messages that could not be read (``topic``, ``payload`` text, ``reason``)."""
        if not messages:
            return 0
        stamp = now_iso()
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO telemetry_malformed (received_at, topic, payload, reason) VALUES (?, ?, ?, ?)",
                [[m.get("received_at") or stamp, m.get("topic"), m.get("payload"), m["reason"]] for m in messages])
        return len(messages)

    def malformed_messages(self, *, limit: int = 100) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM telemetry_malformed ORDER BY id DESC LIMIT ?", [limit])

    def count_malformed_messages(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM telemetry_malformed").fetchone()[0])

    # -- audit log ----------------------------------------------------------------------------------------

    def last_audit(self) -> dict[str, Any] | None:
        rows = self._rows("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        return rows[0] if rows else None

    def append_audit(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append already-chained entries (see carbon.audit); call inside the batch's transaction."""
        if not entries:
            return
        columns = ("seq", "ts", "actor", "action", "entity", "entity_key", "enterprise_id", "batch_id", "old",
                   "new", "content_count", "content_hash", "prev_hash", "hash")
        self.conn.executemany(
            f"INSERT INTO audit_log ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [[_clean(entry.get(c)) for c in columns] for entry in entries])

    def audit_entries(self, scope: Scope, *, enterprise_id: str | None = None, action: str | None = None,
                      limit: int | None = None, after_seq: int = 0) -> list[dict[str, Any]]:
        condition, params = scope.where("enterprise_id")
        condition += " AND seq > ?"
        params.append(after_seq)
        if enterprise_id is not None:
            condition += " AND enterprise_id = ?"
            params.append(enterprise_id)
        if action is not None:
            condition += " AND action = ?"
            params.append(action)
        sql = f"SELECT * FROM audit_log WHERE {condition} ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return self._rows(sql, params)

    def iter_audit(self, chunk: int = 10_000) -> Iterator[dict[str, Any]]:
        """Every audit entry in order, read in chunks (the log can be long)."""
        after = 0
        while True:
            rows = self._rows("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", [after, chunk])
            if not rows:
                return
            yield from rows
            after = rows[-1]["seq"]

    # -- jobs ---------------------------------------------------------------------------------------------

    def start_job_run(self, job: str) -> int:
        cursor = self.conn.execute("INSERT INTO job_runs (job, started_at, status) VALUES (?, ?, 'running') "
                                   "RETURNING id", [job, now_iso()])
        return int(cursor.fetchone()[0])

    def finish_job_run(self, run_id: int, *, status: str, counts: Mapping[str, Any] | None = None,
                       error: str | None = None) -> None:
        self.conn.execute(
            "UPDATE job_runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
            [now_iso(), status, json.dumps(counts or {}, ensure_ascii=False, default=str), error, run_id])

    def job_runs(self, *, job: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        condition, params = ("job = ?", [job]) if job else ("1 = 1", [])
        rows = self._rows(f"SELECT * FROM job_runs WHERE {condition} ORDER BY id DESC LIMIT ?", [*params, limit])
        for row in rows:
            row["counts"] = json.loads(row["counts"]) if row.get("counts") else {}
        return rows

    def acquire_job_lock(self, job: str, owner: str, *, stale_after_s: int = 6 * 3600) -> bool:
        """Take the job's lock unless another run holds it (a lock older than ``stale_after_s`` is taken over)."""
        stale = (datetime.now(UTC).timestamp() - stale_after_s)
        stale_iso = datetime.fromtimestamp(stale, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.transaction():
            self.conn.execute("DELETE FROM job_locks WHERE job = ? AND acquired_at < ?", [job, stale_iso])
            cursor = self.conn.execute(
                "INSERT INTO job_locks (job, owner, acquired_at) VALUES (?, ?, ?) ON CONFLICT (job) DO NOTHING",
                [job, owner, now_iso()])
            return cursor.rowcount == 1

    def release_job_lock(self, job: str, owner: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM job_locks WHERE job = ? AND owner = ?", [job, owner])

    # -- alerts -------------------------------------------------------------------------------------------

    def sync_alerts(self, kind: str, alerts: Sequence[Mapping[str, Any]], *, scope_region: str | None = None) -> dict:
        """Make the open alerts of one kind match ``alerts`` (keyed by ``fingerprint``).

        New fingerprints are opened, known ones updated (an acknowledged alert stays acknowledged), and open
        alerts of that kind that no longer occur are resolved. Returns the counts opened/updated/resolved.
        """
        stamp = now_iso()
        condition, params = "kind = ? AND resolved_at IS NULL", [kind]
        if scope_region is not None:
            condition += " AND region = ?"
            params.append(scope_region)
        with self.transaction():
            rows = self._rows(f"SELECT * FROM alerts WHERE {condition}", params)
            open_now = {row["fingerprint"]: row for row in rows}
            opened = updated = 0
            seen = set()
            for alert in alerts:
                fingerprint = alert["fingerprint"]
                seen.add(fingerprint)
                details = json.dumps(alert.get("details") or {}, ensure_ascii=False, default=str, sort_keys=True)
                if fingerprint in open_now:
                    self.conn.execute("UPDATE alerts SET severity = ?, message = ?, details = ?, updated_at = ? "
                                      "WHERE id = ?", [alert["severity"], alert["message"], details, stamp,
                                                       open_now[fingerprint]["id"]])
                    updated += 1
                    continue
                self.conn.execute(
                    "INSERT INTO alerts (fingerprint, kind, severity, region, enterprise_id, period, message, details, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (fingerprint) DO UPDATE SET severity = excluded.severity, message = excluded.message, "
                    "details = excluded.details, updated_at = excluded.updated_at, resolved_at = NULL, "
                    "acknowledged_by = NULL, acknowledged_at = NULL",
                    [fingerprint, kind, alert["severity"], alert.get("region"), alert.get("enterprise_id"),
                     alert.get("period"), alert["message"], details, stamp, stamp])
                opened += 1
            gone = [row["id"] for fp, row in open_now.items() if fp not in seen]
            self.conn.executemany("UPDATE alerts SET resolved_at = ?, updated_at = ? WHERE id = ?",
                                  [[stamp, stamp, alert_id] for alert_id in gone])
        return {"opened": opened, "updated": updated, "resolved": len(gone)}

    def list_alerts(self, scope: Scope, *, include_resolved: bool = False, kind: str | None = None,
                    region: str | None = None) -> list[dict[str, Any]]:
        condition, params = scope.where("enterprise_id")
        if not include_resolved:
            condition += " AND resolved_at IS NULL"
        for column, value in (("kind", kind), ("region", region)):
            if value is not None:
                condition += f" AND {column} = ?"
                params.append(value)
        rows = self._rows(f"SELECT * FROM alerts WHERE {condition} ORDER BY "
                          "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, created_at DESC",
                          params)
        for row in rows:
            row["details"] = json.loads(row["details"]) if row.get("details") else {}
        return rows

    def acknowledge_alert(self, alert_id: int, by: str) -> dict[str, Any]:
        with self.transaction():
            cursor = self.conn.execute("UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
                                       [by, now_iso(), alert_id])
            if cursor.rowcount != 1:
                raise NotFound(f"no alert {alert_id}")
        return self._rows("SELECT * FROM alerts WHERE id = ?", [alert_id])[0]

    # -- quotas and output ---------------------------------------------------------------------------------

    def put_quota(self, enterprise_id: str, year: int, quota_tce: float, *, basis: str = "equivalent",
                  source: str | None = None) -> dict[str, Any]:
        """Set an enterprise's energy-use quota (用能权) for a year [tce]."""
        self.get_enterprise(enterprise_id, Scope.everything())
        row = {"enterprise_id": enterprise_id, "year": int(year), "quota_tce": float(quota_tce), "basis": basis,
               "source": source, "updated_at": now_iso()}
        with self.transaction():
            self.conn.execute(_upsert_sql("quotas", list(row), ["enterprise_id", "year"]), list(row.values()))
        return row

    def quota(self, enterprise_id: str, year: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM quotas WHERE enterprise_id = ? AND year = ?", [enterprise_id, int(year)])
        return rows[0] if rows else None

    def quotas(self, year: int) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM quotas WHERE year = ? ORDER BY enterprise_id", [int(year)])

    def put_output(self, enterprise_id: str, period: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Replace an enterprise's output for a month: the output value (product "") and product quantities."""
        self.get_enterprise(enterprise_id, Scope.everything())
        stamp = now_iso()
        columns = ("enterprise_id", "period", "product", "output_value", "quantity", "unit", "updated_at")
        with self.transaction():
            self.conn.execute("DELETE FROM enterprise_output WHERE enterprise_id = ? AND period = ?",
                              [enterprise_id, period])
            self.conn.executemany(
                f"INSERT INTO enterprise_output ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [[enterprise_id, period, row.get("product") or "", _clean(row.get("output_value")),
                  _clean(row.get("quantity")), row.get("unit"), stamp] for row in rows])
        return len(rows)

    def output(self, scope: Scope, enterprise_id: str, *, start: str | None = None,
               end: str | None = None) -> pd.DataFrame:
        condition, params = _conditions(scope, "enterprise_id", equal={"enterprise_id": enterprise_id},
                                        since=("period", start), until=("period", end))
        return self._frame(f"SELECT * FROM enterprise_output WHERE {condition} ORDER BY period, product", params)

    def monthly_tce(self, scope: Scope, *, region: str | None = None, enterprise_id: str | None = None,
                    start: str | None = None, end: str | None = None) -> pd.DataFrame:
        """tce (both bases) and CO2 per enterprise and month."""
        return self.consumption_totals(scope, by=["enterprise_id", "period"], region=region,
                                       enterprise_id=enterprise_id, start=start, end=end)

    # -- HTTP sources -------------------------------------------------------------------------------------

    def upsert_http_source(self, name: str, url: str, **fields: Any) -> None:
        row = {"name": name, "url": url, "created_at": now_iso(), **fields}
        for key in ("headers", "params"):
            if isinstance(row.get(key), Mapping):
                row[key] = json.dumps(row[key], ensure_ascii=False)
        with self.transaction():
            self.conn.execute(_upsert_sql("http_sources", list(row), ["name"]), [_clean(v) for v in row.values()])

    def http_sources(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM http_sources WHERE enabled = 1 ORDER BY name")
        for row in rows:
            for key in ("headers", "params"):
                row[key] = json.loads(row[key]) if row.get(key) else {}
        return rows

    # -- tokens -------------------------------------------------------------------------------------------

    def add_token(self, *, token_id: str, token_hash: str, role: str, enterprise_id: str | None,
                  label: str | None = None, expires_at: str | None = None) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO tokens (id, token_hash, role, enterprise_id, label, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [token_id, token_hash, role, enterprise_id, label, now_iso(), expires_at])

    def token_by_hash(self, token_hash: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM tokens WHERE token_hash = ?", [token_hash])
        return rows[0] if rows else None

    def revoke_token(self, token_id: str) -> None:
        with self.transaction():
            self.conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", [now_iso(), token_id])

    def list_tokens(self) -> list[dict[str, Any]]:
        return self._rows("SELECT id, role, enterprise_id, label, created_at, expires_at, revoked_at FROM tokens "
                          "ORDER BY created_at")
