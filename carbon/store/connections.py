"""Connections to either engine: SQLite (a file, the embedded default) and PostgreSQL through psycopg, which takes
the same ``?``-parameter SQL here (:class:`PostgresConnection`); and the errors of both drivers."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from carbon.store.sql import csv_text

__all__ = [
    "BUSY_TIMEOUT_MS", "DEFAULT_DB", "NUL_STANDIN", "PostgresConnection", "connect_sqlite", "database_errors",
    "default_db_path", "is_postgresql", "transient_errors",
]

DEFAULT_DB = Path("data") / "carbon.db"
BUSY_TIMEOUT_MS = 30_000  # SQLite statements outside a write transaction wait this long for a lock [ms]
# PostgreSQL text cannot hold NUL: such a character (only ever in rejected input) is stored as U+FFFD.
NUL_STANDIN = "\ufffd"


def transient_errors(*, postgresql: bool = False) -> tuple[type[BaseException], ...]:
    """Errors worth waiting out: the database is locked, busy, full or unreachable for now.

    PostgreSQL's driver is loaded only by a PostgreSQL connection (a SQLite process is spared its import), so
    its errors are among these once it is loaded — before, no connection exists to raise one — or when
    ``postgresql`` asks for them (for handlers registered before any connection is opened).
    """
    driver = _postgresql_driver(load=postgresql)
    return (sqlite3.OperationalError, OSError) + ((driver.OperationalError,) if driver else ())


def database_errors() -> tuple[type[BaseException], ...]:
    """Errors of the database drivers themselves, for code that must tell them from its own (PostgreSQL's once
    its driver is loaded, as in :func:`transient_errors`)."""
    driver = _postgresql_driver(load=False)
    return (sqlite3.Error,) + ((driver.Error,) if driver else ())


def _postgresql_driver(*, load: bool) -> Any:
    """The psycopg module if it is loaded (or loading it when ``load``), else None."""
    if load:
        import psycopg

        return psycopg
    return sys.modules.get("psycopg")


def is_postgresql(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database rather than a SQLite file."""
    return url.startswith(("postgresql://", "postgres://"))


def default_db_path() -> str:
    """The database named by ``CARBON_DB``, else ``data/carbon.db``."""
    return os.environ.get("CARBON_DB") or str(DEFAULT_DB)


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
        import psycopg  # loaded by the first PostgreSQL connection only

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
