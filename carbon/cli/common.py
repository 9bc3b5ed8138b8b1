"""What every command shares: the consoles, failing with a hint, JSON printing, the ``--db`` option and the store."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from rich.console import Console

from carbon.store import Store, default_db_path, open_store

__all__ = ["console", "db_option", "err_console", "fail", "fail_on", "open_db", "print_json"]

console = Console()
if not console.is_terminal:
    console = Console(width=120)  # piped output: wide enough for the report tables
err_console = Console(stderr=True)

db_option = click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
                         help="SQLite database (default: $CARBON_DB or data/carbon.db).")


def fail(message: str, hint: str | None = None) -> NoReturn:
    """Print the error and how to fix it on stderr, and exit with status 2."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    if hint:
        err_console.print(hint, highlight=False)
    sys.exit(2)


def fail_on(error: Exception, hints: Mapping[type[Exception], str] | None = None) -> NoReturn:
    """Fail with an error's message and the hint, in CLI terms, of the nearest of its classes in ``hints``."""
    hints = hints or {}
    fail(str(error), next((hints[kind] for kind in type(error).__mro__ if kind in hints), None))


def print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@contextmanager
def open_db(db_path: str | None) -> Iterator[Store]:
    """The store at ``--db`` (default ``$CARBON_DB`` or data/carbon.db), closed on leaving."""
    store = open_store(db_path or default_db_path())
    try:
        yield store
    finally:
        store.close()
