"""The store: migrations, scoped queries, transactions."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from carbon.errors import InvalidInput
from carbon.store import MIGRATIONS, NotFound, Scope, Store, migrate
from tests.databases import new_database

DATABASE_ERRORS = (sqlite3.DatabaseError, psycopg.DatabaseError)


def test_migrations_apply_once(tmp_path) -> None:
    store = Store(new_database(tmp_path))
    applied = {row[0] for row in store.conn.execute("SELECT name FROM _migrations").fetchall()}
    assert applied == {name for name, _ in MIGRATIONS}
    assert migrate(store) == []  # a second run applies nothing
    if store.dialect == "sqlite":
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_scope_keeps_an_enterprise_to_itself(fresh_store: Store) -> None:
    assert [e["id"] for e in fresh_store.list_enterprises(Scope.only("GZHTZ-0002"))] == ["GZHTZ-0002"]
    assert len(fresh_store.list_enterprises(Scope.everything())) == 3
    with pytest.raises(NotFound):
        fresh_store.get_enterprise("GZHTZ-0001", Scope.only("GZHTZ-0002"))


def test_enterprise_needs_an_existing_region(fresh_store: Store) -> None:
    with pytest.raises(NotFound, match="create the region first"):
        fresh_store.add_enterprises([{"id": "X", "name": "x", "region": "atlantis"}])


def test_strings_are_stored_literally(fresh_store: Store) -> None:
    nasty = "x'); DROP TABLE enterprises; --<script>alert(1)</script>"
    fresh_store.add_enterprises([{"id": "X-1", "name": nasty, "region": "gz-htz"}])
    assert fresh_store.get_enterprise("X-1", Scope.everything())["name"] == nasty


@pytest.mark.parametrize("nasty", ["x'); DROP TABLE enterprises; --", "<script>alert(1)</script>", "A/B", "..",
                                   "a..b", "-x", "x" * 65, "企业1", "=HYPERLINK(1)"])
def test_identifiers_follow_the_one_pattern(fresh_store: Store, nasty: str) -> None:
    with pytest.raises(InvalidInput, match="not an identifier"):
        fresh_store.add_enterprises([{"id": nasty, "name": "n", "region": "gz-htz"}])
    with pytest.raises(InvalidInput, match="not an identifier"):
        fresh_store.upsert_region(nasty, name="n")


def test_transaction_rolls_back_everything(fresh_store: Store) -> None:
    with pytest.raises(RuntimeError), fresh_store.transaction():
        fresh_store.start_batch("b1", kind="consumption", source="t", actor="test")
        raise RuntimeError("crash")
    assert fresh_store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0


def test_audit_log_is_append_only(fresh_store: Store) -> None:
    from carbon.audit import chain_entries

    with fresh_store.transaction():
        fresh_store.append_audit(chain_entries([{"ts": "t", "actor": "a", "action": "batch", "entity": "x"}], None))
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        fresh_store.conn.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        fresh_store.conn.execute("DELETE FROM audit_log")


def test_statistics_round_trip(fresh_store: Store) -> None:
    fresh_store.put_statistics("gz-htz", 2020, gdp_current=39_723_000, gdp_constant=39_723_000,
                               sources={"gdp_current": "published"})
    fresh_store.put_statistics("gz-htz", 2020, energy_total_tce=5_958_450)
    stats = fresh_store.statistics("gz-htz")
    assert stats.loc[2020, "gdp_current"] == 39_723_000 and stats.loc[2020, "energy_total_tce"] == 5_958_450


def test_alerts_sync_opens_updates_and_resolves(fresh_store: Store) -> None:
    alert = {"fingerprint": "k|1", "severity": "warning", "message": "m", "enterprise_id": "GZHTZ-0001"}
    assert fresh_store.sync_alerts("k", [alert]) == {"opened": 1, "updated": 0, "resolved": 0}
    assert fresh_store.sync_alerts("k", [alert]) == {"opened": 0, "updated": 1, "resolved": 0}
    assert len(fresh_store.list_alerts(Scope.only("GZHTZ-0001"))) == 1
    assert fresh_store.list_alerts(Scope.only("GZHTZ-0002")) == []
    assert fresh_store.sync_alerts("k", []) == {"opened": 0, "updated": 0, "resolved": 1}
    assert fresh_store.list_alerts(Scope.everything()) == []


def test_job_lock_is_exclusive(fresh_store: Store) -> None:
    assert fresh_store.acquire_job_lock("j", "a")
    assert not fresh_store.acquire_job_lock("j", "b")
    fresh_store.release_job_lock("j", "a")
    assert fresh_store.acquire_job_lock("j", "b")
