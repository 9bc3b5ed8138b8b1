"""API tokens, stored by hash."""

from __future__ import annotations

import pytest

from carbon.store import Store, database_errors


def test_a_token_is_found_by_its_hash(fresh_store: Store) -> None:
    fresh_store.add_token(token_id="t1", token_hash="h1", role="enterprise", enterprise_id="GZHTZ-0001",
                          label="ems", expires_at="2030-01-01T00:00:00Z")
    token = fresh_store.token_by_hash("h1")
    assert (token["id"], token["role"], token["enterprise_id"], token["expires_at"], token["revoked_at"]) == \
        ("t1", "enterprise", "GZHTZ-0001", "2030-01-01T00:00:00Z", None)
    assert fresh_store.token_by_hash("h2") is None


def test_revoked_tokens_stay_listed_and_hashes_never_show(fresh_store: Store) -> None:
    fresh_store.add_token(token_id="t1", token_hash="h1", role="admin", enterprise_id=None)
    fresh_store.add_token(token_id="t2", token_hash="h2", role="finance", enterprise_id=None)
    fresh_store.revoke_token("t1")
    fresh_store.revoke_token("unknown")  # changes nothing
    listed = {t["id"]: t for t in fresh_store.list_tokens()}
    assert set(listed) == {"t1", "t2"} and listed["t1"]["revoked_at"] and listed["t2"]["revoked_at"] is None
    assert all("token_hash" not in t for t in listed.values())
    assert fresh_store.token_by_hash("h1")["revoked_at"] == listed["t1"]["revoked_at"]


def test_a_hash_is_unique(fresh_store: Store) -> None:
    fresh_store.add_token(token_id="t1", token_hash="h1", role="admin", enterprise_id=None)
    with pytest.raises(database_errors()):
        fresh_store.add_token(token_id="t2", token_hash="h1", role="admin", enterprise_id=None)
    assert [t["id"] for t in fresh_store.list_tokens()] == ["t1"]  # and the store is usable after the failure
