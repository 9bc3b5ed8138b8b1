"""The audit log: appended in order, read back by scope, never changed."""

from __future__ import annotations

import pytest

from carbon.store import Scope, Store, database_errors


def _entry(seq: int, enterprise_id: str | None, action: str = "batch") -> dict:
    return {"seq": seq, "ts": f"2025-01-01T00:00:0{seq}Z", "actor": "a", "action": action, "entity": "consumption",
            "enterprise_id": enterprise_id, "content_count": 2, "prev_hash": f"h{seq - 1}", "hash": f"h{seq}"}


@pytest.fixture
def logged(fresh_store: Store) -> Store:
    entries = [_entry(1, "GZHTZ-0001"), _entry(2, "GZHTZ-0002", "revision"), _entry(3, "GZHTZ-0001", "revision"),
               _entry(4, None)]
    with fresh_store.transaction():
        fresh_store.append_audit(entries)
        fresh_store.append_audit([])
    return fresh_store


def test_the_last_entry_is_what_the_next_one_chains_to(fresh_store: Store) -> None:
    assert fresh_store.last_audit() is None
    with fresh_store.transaction():
        fresh_store.append_audit([_entry(1, None), _entry(2, None)])
    assert fresh_store.last_audit() == {"seq": 2, "hash": "h2"}


def test_entries_by_scope_enterprise_action_and_position(logged: Store) -> None:
    def seqs(scope: Scope, **filters) -> list[int]:
        return [entry["seq"] for entry in logged.audit_entries(scope, **filters)]

    assert seqs(Scope.everything()) == [1, 2, 3, 4]
    assert seqs(Scope.only("GZHTZ-0001")) == [1, 3]
    assert seqs(Scope.everything(), enterprise_id="GZHTZ-0002") == [2]
    assert seqs(Scope.only("GZHTZ-0001"), enterprise_id="GZHTZ-0002") == []
    assert seqs(Scope.everything(), action="revision") == [2, 3]
    assert seqs(Scope.everything(), after_seq=1, limit=2) == [2, 3]
    entry = logged.audit_entries(Scope.everything(), limit=1)[0]
    assert (entry["content_count"], entry["entity_key"], entry["prev_hash"]) == (2, None, "h0")


def test_the_whole_log_is_read_in_chunks(logged: Store) -> None:
    assert [entry["seq"] for entry in logged.iter_audit(chunk=3)] == [1, 2, 3, 4]


def test_audit_log_is_append_only(logged: Store) -> None:
    with pytest.raises(database_errors(), match="append-only"):
        logged.conn.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(database_errors(), match="append-only"):
        logged.conn.execute("DELETE FROM audit_log")
    assert len(logged.audit_entries(Scope.everything())) == 4
