"""Where the tests' databases live.

By default each test gets SQLite (in memory, or a file in its tmp folder). With ``CARBON_TEST_BACKEND=postgresql``
each gets a fresh schema in the PostgreSQL database ``CARBON_TEST_PG_URL`` (default the machine's ``test``
database), so the same suite runs against both stores; the schemas are dropped when the session ends.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

BACKEND = os.environ.get("CARBON_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("CARBON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_schemas: list[str] = []


def postgresql() -> bool:
    return BACKEND == "postgresql"


def _schema(name: str) -> str:
    import psycopg

    schema = f"t_{name}_{uuid.uuid4().hex[:12]}".lower()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    _schemas.append(schema)
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def new_database(folder: Path | str, name: str = "carbon") -> str:
    """A new, empty database: a SQLite file in ``folder``, or a new PostgreSQL schema."""
    return _schema(name) if postgresql() else str(Path(folder) / f"{name}.db")


def scratch_database() -> str:
    """A throw-away database: SQLite in memory, or a new PostgreSQL schema."""
    return _schema("scratch") if postgresql() else ":memory:"


def drop_schemas() -> None:
    if not _schemas:
        return
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for schema in _schemas:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    _schemas.clear()
