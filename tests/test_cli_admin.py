"""`carbon token list|revoke`, `carbon region list|update`, and a busy port named before anything happens."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from carbon.access import create_token
from carbon.cli import main
from carbon.store import Store


def test_tokens_are_listed_and_revoked(tmp_path) -> None:
    db = str(tmp_path / "admin.db")
    store = Store(db)
    token_id, _ = create_token(store, role="bureau", label="desk 3")
    store.close()
    runner = CliRunner()
    listed = runner.invoke(main, ["token", "list", "--db", db])
    assert listed.exit_code == 0 and token_id in listed.output and "desk 3" in listed.output
    assert runner.invoke(main, ["token", "revoke", token_id, "--db", db]).exit_code == 0
    assert token_id not in runner.invoke(main, ["token", "list", "--db", db]).output
    assert token_id in runner.invoke(main, ["token", "list", "--all", "--db", db]).output
    missing = runner.invoke(main, ["token", "revoke", "nope", "--db", db])
    assert missing.exit_code == 2 and "token list" in missing.output


def test_regions_are_listed_and_updated(tmp_path) -> None:
    db = str(tmp_path / "admin.db")
    runner = CliRunner()
    assert runner.invoke(main, ["region", "add", "r1", "--name", "区一", "--db", db]).exit_code == 0
    updated = runner.invoke(main, ["region", "update", "r1", "--target-year", "2025", "--target-value", "0.13",
                                   "--db", db])
    assert updated.exit_code == 0, updated.output
    store = Store(db)
    region = store.get_region("r1")
    store.close()
    assert (region["name"], region["intensity_target_value"]) == ("区一", 0.13)
    assert "0.13" in runner.invoke(main, ["region", "list", "--db", db]).output
    unknown = runner.invoke(main, ["region", "update", "r9", "--name", "x", "--db", db])
    assert unknown.exit_code == 2 and "region add" in " ".join(unknown.output.split())  # the console wraps lines


def test_a_busy_port_is_named_before_tokens_are_minted(tmp_path) -> None:
    db = str(tmp_path / "admin.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["demo", "--db", db, "--port", str(port)])
    assert result.exit_code == 2 and "--port" in result.output and "in use" in result.output
    store = Store(db)
    assert store.list_tokens() == [] and store.list_regions() == []
    store.close()
