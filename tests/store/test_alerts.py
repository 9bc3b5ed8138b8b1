"""Alerts: synchronised with their findings, listed, acknowledged."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon.errors import NotFound
from carbon.store import AlertSync, Scope, Store
from tests.databases import new_database


def _alert(fingerprint: str, severity: str = "warning", **fields) -> dict:
    return {"fingerprint": fingerprint, "severity": severity, "message": f"m {fingerprint}",
            "enterprise_id": "GZHTZ-0001", "region": "gz-htz", **fields}


def test_alerts_sync_opens_updates_and_resolves(fresh_store: Store) -> None:
    alert = _alert("k|1")
    assert fresh_store.sync_alerts("k", [alert]) == {"opened": 1, "updated": 0, "resolved": 0}
    assert fresh_store.sync_alerts("k", [alert]) == {"opened": 0, "updated": 1, "resolved": 0}
    assert len(fresh_store.list_alerts(Scope.only("GZHTZ-0001"))) == 1
    assert fresh_store.list_alerts(Scope.only("GZHTZ-0002")) == []
    assert fresh_store.sync_alerts("k", []) == {"opened": 0, "updated": 0, "resolved": 1}
    assert fresh_store.list_alerts(Scope.everything()) == []
    assert len(fresh_store.list_alerts(Scope.everything(), include_resolved=True)) == 1


def test_hundreds_of_alerts_open_and_resolve_in_one_statement_each(fresh_store: Store) -> None:
    many = [_alert(f"k|{n:03d}") for n in range(250)]
    many.append(_alert("k|007", "critical"))  # found twice: the later finding stands
    statements: list[str] = []
    if fresh_store.dialect == "sqlite":
        fresh_store.conn.set_trace_callback(statements.append)
    assert fresh_store.sync_alerts("k", many) == {"opened": 250, "updated": 0, "resolved": 0}
    if fresh_store.dialect == "sqlite":
        fresh_store.conn.set_trace_callback(None)
        assert sum(statement.startswith("INSERT INTO alerts") for statement in statements) == 1  # 250 rows
    listed = {a["fingerprint"]: a for a in fresh_store.list_alerts(Scope.everything())}
    assert len(listed) == 250 and listed["k|007"]["severity"] == "critical"
    assert fresh_store.sync_alerts("k", many[:10]) == {"opened": 0, "updated": 10, "resolved": 240}
    assert sorted(listed)[:10] == sorted(a["fingerprint"] for a in fresh_store.list_alerts(Scope.everything()))


def test_an_alert_found_again_unchanged_is_not_rewritten(fresh_store: Store) -> None:
    fresh_store.sync_alerts("k", [_alert("k|1", details={"gap": 2})])
    written = fresh_store.list_alerts(Scope.everything())[0]["updated_at"]
    fresh_store.conn.execute("UPDATE alerts SET updated_at = '2000-01-01T00:00:00Z'")  # as if written long ago
    assert fresh_store.sync_alerts("k", [_alert("k|1", details={"gap": 2})])["updated"] == 1  # still open
    assert fresh_store.list_alerts(Scope.everything())[0]["updated_at"] == "2000-01-01T00:00:00Z"
    fresh_store.sync_alerts("k", [_alert("k|1", details={"gap": 3})])  # changed: rewritten
    assert fresh_store.list_alerts(Scope.everything())[0]["updated_at"] >= written


def test_an_acknowledged_alert_stays_acknowledged_until_it_recurs(fresh_store: Store) -> None:
    fresh_store.sync_alerts("k", [_alert("k|1", details={"gap": 2})])
    alert_id = fresh_store.list_alerts(Scope.everything())[0]["id"]
    assert fresh_store.acknowledge_alert(alert_id, "bureau")["acknowledged_by"] == "bureau"
    fresh_store.sync_alerts("k", [_alert("k|1", "critical", details={"gap": 3})])
    alert = fresh_store.list_alerts(Scope.everything())[0]
    assert (alert["severity"], alert["details"], alert["acknowledged_by"]) == ("critical", {"gap": 3}, "bureau")
    fresh_store.sync_alerts("k", [])
    fresh_store.sync_alerts("k", [_alert("k|1")])  # it happens again: reopened, to be seen again
    alert = fresh_store.list_alerts(Scope.everything())[0]
    assert (alert["id"], alert["resolved_at"], alert["acknowledged_by"]) == (alert_id, None, None)
    with pytest.raises(NotFound, match="no alert 999"):
        fresh_store.acknowledge_alert(999, "bureau")


def test_alert_sync_keeps_to_its_kind_and_region(fresh_store: Store) -> None:
    fresh_store.upsert_region("sz", name="深圳")
    fresh_store.sync_alerts("k", [_alert("k|gz"), _alert("k|sz", region="sz", enterprise_id=None)])
    fresh_store.sync_alerts("other", [_alert("o|1", "critical")])
    assert fresh_store.sync_alerts("k", [], scope_region="gz-htz") == {"opened": 0, "updated": 0, "resolved": 1}
    listed = fresh_store.list_alerts(Scope.everything())
    assert [a["fingerprint"] for a in listed] == ["o|1", "k|sz"]  # critical first
    assert [a["fingerprint"] for a in fresh_store.list_alerts(Scope.everything(), kind="k", region="sz")] == ["k|sz"]


def test_alert_kinds_are_compared_before_the_write_lock(fresh_store: Store) -> None:
    fresh_store.sync_alerts("k", [_alert(f"k|{n}") for n in range(30)])
    statements: list[str] = []
    if fresh_store.dialect == "sqlite":
        fresh_store.conn.set_trace_callback(statements.append)
    counts = fresh_store.sync_alert_kinds([AlertSync("k", [_alert(f"k|{n}") for n in range(1, 31)], "gz-htz"),
                                           AlertSync("other", [_alert("o|1", "critical")])])
    assert counts == [{"opened": 1, "updated": 29, "resolved": 1}, {"opened": 1, "updated": 0, "resolved": 0}]
    if fresh_store.dialect == "sqlite":
        fresh_store.conn.set_trace_callback(None)
        inside = statements[statements.index("BEGIN IMMEDIATE"):]
        # inside the lock: one summary row per kind, then the changes; the open alerts were read before
        assert not any(statement.startswith("SELECT id, fingerprint") for statement in inside)
        assert sum(statement.startswith("SELECT COUNT(*)") for statement in inside) == 2
    assert sorted(a["fingerprint"] for a in fresh_store.list_alerts(Scope.everything())) == sorted(
        ["o|1", *(f"k|{n}" for n in range(1, 31))])


@pytest.mark.parametrize("meanwhile", ["opened", "resolved", "changed"])
def test_alerts_moved_by_another_writer_meanwhile_are_compared_again(tmp_path: Path, meanwhile: str) -> None:
    store = Store(new_database(tmp_path))
    store.sync_alerts("k", [_alert("k|1"), _alert("k|2")])
    other = Store(store.path)  # another process's connection
    begin = store._begin

    def other_writer_first(deadline: float) -> None:  # it writes after the comparison, before our write lock
        if meanwhile == "opened":
            other.conn.execute("INSERT INTO alerts (fingerprint, kind, severity, region, enterprise_id, message, "
                               "details, created_at, updated_at) VALUES ('k|3', 'k', 'warning', 'gz-htz', "
                               "'GZHTZ-0001', 'm', '{}', '2999-01-01T00:00:00Z', '2999-01-01T00:00:00Z')")
        elif meanwhile == "resolved":
            other.conn.execute("UPDATE alerts SET resolved_at = '2999-01-01T00:00:00Z' WHERE fingerprint = 'k|2'")
        else:
            other.conn.execute("UPDATE alerts SET message = 'other', updated_at = '2999-01-01T00:00:00Z' "
                               "WHERE fingerprint = 'k|1'")
        begin(deadline)

    store._begin = other_writer_first  # type: ignore[method-assign]
    try:
        counts = store.sync_alerts("k", [_alert("k|1"), _alert("k|2")])
        listed = {a["fingerprint"]: a for a in store.list_alerts(Scope.everything())}
    finally:
        other.close()
        store.close()
    assert counts == {"opened": {"opened": 0, "updated": 2, "resolved": 1},  # k|3 is no finding: resolved
                      "resolved": {"opened": 1, "updated": 1, "resolved": 0},  # k|2 is one: reopened
                      "changed": {"opened": 0, "updated": 2, "resolved": 0}}[meanwhile]
    assert sorted(listed) == ["k|1", "k|2"] and listed["k|1"]["message"] == "m k|1"
