"""The database drivers: PostgreSQL's loaded only by a PostgreSQL connection, and the errors of both told apart."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from carbon.store import database_errors, transient_errors


def test_a_sqlite_process_never_loads_the_postgresql_driver(tmp_path) -> None:
    code = ("import sys; from carbon.store import Store, transient_errors; "
            f"store = Store({str(tmp_path / 'c.db')!r}); store.close(); "
            "print('psycopg' in sys.modules, transient_errors(postgresql=True)[-1].__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "psycopg"]  # not loaded by a SQLite store; loaded when asked for its errors


def test_the_errors_of_both_drivers_once_postgresql_is_loaded() -> None:
    import psycopg

    assert transient_errors() == (sqlite3.OperationalError, OSError, psycopg.OperationalError)
    assert database_errors() == (sqlite3.Error, psycopg.Error)
