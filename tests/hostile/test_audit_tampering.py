"""Edits behind the service's back (triggers dropped, rows edited in the database) are found by
`GET /v1/audit/verify` and `carbon audit verify`, which name what changed; a cut tail is found against a
checkpoint."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from carbon.cli import main
from carbon.store import Store
from tests.api.conftest import Service

RECORDS = [{"period": "2024-02", "carrier": "电力", "quantity": 12.5, "unit": "万千瓦时"},
           {"period": "2024-02", "carrier": "天然气", "quantity": 3, "unit": "万立方米"}]
READINGS = [{"meter_id": "M1", "ts": f"2025-06-01T00:{m:02d}:00+08:00", "value": 100.0 + m} for m in (15, 30, 45)]


def _drop_triggers(store: Store) -> None:
    for name in ("audit_log_no_update", "audit_log_no_delete"):
        if store.dialect == "postgresql":
            store.conn.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_log")
        else:
            store.conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def _tamper(service: Service, *statements: str) -> None:
    store = Store(service.db_path)
    with store.transaction():
        _drop_triggers(store)
        for statement in statements:
            store.conn.execute(statement)
    store.close()


def _submit(service: Service) -> None:
    assert service.post("/v1/enterprises/E1/consumption", "enterprise", json={"records": RECORDS}).status_code == 200
    assert service.post("/v1/enterprises/E1/readings", "enterprise", json={"readings": READINGS}).status_code == 200
    revised = [{**READINGS[0], "value": 99.0}]
    assert service.post("/v1/enterprises/E1/readings", "enterprise", json={"readings": revised}).json()["revised"] == 1


def _cli_verify(db_path: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify", "--db", db_path, *extra])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_an_untouched_database_verifies(service: Service) -> None:
    _submit(service)
    reply = service.get("/v1/audit/verify", "bureau").json()
    assert reply["ok"], reply["problems"]
    code, output = _cli_verify(service.db_path)
    assert code == 0, output


TAMPERING: list[tuple[str, Callable[[], list[str]], str]] = [
    ("derived-tce", lambda: ["UPDATE consumption SET tce_equivalent = tce_equivalent * 2 "
                             "WHERE carrier = 'electricity'"], "tce_equivalent"),
    ("derived-co2", lambda: ["UPDATE consumption SET co2_t = 0 WHERE carrier = 'natural_gas'"], "co2_t"),
    ("monthly-totals-doubled", lambda: ["UPDATE monthly_totals SET tce_equivalent = tce_equivalent * 2, "
                                        "co2_t = co2_t * 2"], "monthly total"),
    ("reading-edited", lambda: ["UPDATE readings SET value = 1 WHERE value > 130"], "readings batch"),
    ("reading-deleted", lambda: ["DELETE FROM readings WHERE value > 130"], "readings batch"),
    ("revised-reading-edited", lambda: ["UPDATE readings SET value = 5 WHERE value = 99"], "readings batch"),
    ("token-role-to-admin", lambda: ["UPDATE tokens SET role = 'admin' WHERE enterprise_id = 'E2'"], "token"),
    ("token-rebound", lambda: ["UPDATE tokens SET enterprise_id = 'E2' WHERE enterprise_id = 'E1'"], "token"),
    ("token-added", lambda: ["INSERT INTO tokens (id, token_hash, role, created_at) VALUES ('x', 'h', 'admin', "
                             "'2024-01-01T00:00:00Z')"], "token x"),
    ("consumption-row-edited", lambda: ["UPDATE consumption SET quantity = 1 WHERE carrier = 'electricity'"],
     "edited or deleted"),
    ("consumption-row-deleted", lambda: ["DELETE FROM consumption_rows WHERE carrier = 'natural_gas'"],
     "edited or deleted"),
    ("factor-reference", lambda: ["UPDATE consumption SET co2_factor = 'mee-nbs:2019:national:average' "
                                  "WHERE carrier = 'electricity'"], "factor reference"),
    ("factor-set-edited", lambda: ["UPDATE factor_sets SET tce_factor = 'gb2589:other'"], "factor reference"),
    ("row-moved-to-another-batch", lambda: ["INSERT INTO batch_keys (batch_id, stamp) VALUES ('other', NULL)",
                                            "UPDATE consumption_rows SET created_batch_key = (SELECT key FROM "
                                            "batch_keys WHERE batch_id = 'other') WHERE carrier = 'electricity'"],
     "edited or deleted"),
]


@pytest.mark.parametrize(("case", "statements", "named"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_found_and_named(service: Service, case: str, statements: Callable[[], list[str]],
                                      named: str) -> None:
    _submit(service)
    _tamper(service, *statements())
    reply = service.get("/v1/audit/verify", "bureau").json()
    assert not reply["ok"]
    assert any(named in problem for problem in reply["problems"]), reply["problems"]
    code, output = _cli_verify(service.db_path)
    assert code == 1 and named in output, output


def test_a_cut_tail_is_found_against_a_checkpoint(service: Service, tmp_path: Path) -> None:
    _submit(service)
    mark = tmp_path / "head.json"
    result = CliRunner().invoke(main, ["audit", "checkpoint", "--db", service.db_path, "--output", str(mark)])
    assert result.exit_code == 0
    head = json.loads(mark.read_text(encoding="utf-8"))
    assert head["seq"] > 0 and len(head["hash"]) == 64
    assert _cli_verify(service.db_path, "--against", str(mark))[0] == 0
    # the last batch removed with its rows and its audit entry: the chain that is left is consistent in itself
    store = Store(service.db_path)
    last = store.last_audit()
    store.close()
    _tamper(service, f"DELETE FROM audit_log WHERE seq = {last['seq']}")
    code, output = _cli_verify(service.db_path, "--against", str(mark))
    assert code == 1 and f"entry {head['seq']} is gone" in output, output
    reply = service.get(f"/v1/audit/verify?seq={head['seq']}&hash={head['hash']}", "bureau").json()
    assert not reply["ok"] and any("tail" in problem for problem in reply["problems"])


def test_a_bad_checkpoint_file_is_a_usage_error(service: Service, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    assert _cli_verify(service.db_path, "--against", str(bad))[0] == 2
