"""Bearer tokens and roles: tokens are random, shown once, and stored only as their SHA-256 hash.

A token is 32 random bytes (URL-safe); with that much entropy a fast hash is enough — there is nothing to
brute-force — and the lookup is by hash, so the token itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from carbon.audit import chain_entries
from carbon.audit_coverage import token_entry
from carbon.errors import InvalidInput, NotFound
from carbon.store import Scope, Store

Role = Literal["admin", "bureau", "enterprise", "finance"]
ROLES: tuple[str, ...] = ("admin", "bureau", "enterprise", "finance")
TOKEN_PREFIX = "cbt_"


class UnboundToken(InvalidInput):
    """An enterprise token without its enterprise, or another role's token with one."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, the enterprise an enterprise token is bound to, and the token id."""

    role: str
    token_id: str
    enterprise_id: str | None = None

    @property
    def scope(self) -> Scope:
        """The enterprises this caller may see: an enterprise only itself, every other role all of them."""
        return Scope.only(self.enterprise_id) if self.role == "enterprise" else Scope.everything()

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.token_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, *, role: str, enterprise_id: str | None = None, label: str | None = None,
                 days: int | None = 365, actor: str = "cli") -> tuple[str, str]:
    """Create a token; returns (token id, token). The token is not stored and cannot be shown again; the audit
    log records the token row's digest, so a role or enterprise edited behind the service's back shows.

    Raises
    ------
    InvalidInput
        For an unknown role, an enterprise token without its enterprise, or another role with one.
    NotFound
        If the enterprise of an enterprise token is not registered.
    """
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "enterprise":
        if not enterprise_id:
            raise UnboundToken("an enterprise token acts for one enterprise, and none was given")
        store.get_enterprise(enterprise_id, Scope.everything())
    elif enterprise_id:
        raise UnboundToken(f"a {role} token is not bound to an enterprise, and {enterprise_id!r} was given")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(6)
    expires = (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ") if days else None
    with store.transaction():
        store.add_token(token_id=token_id, token_hash=hash_token(token), role=role, enterprise_id=enterprise_id,
                        label=label, expires_at=expires)
        audit_token(store, token_id, "created", actor)
    return token_id, token


def revoke_token(store: Store, token_id: str, *, actor: str = "cli") -> None:
    """Revoke a token and record it in the audit log.

    Raises
    ------
    NotFound
        If there is no token ``token_id``.
    """
    if not any(row["id"] == token_id for row in store.token_rows()):
        raise NotFound(f"no token {token_id!r}")
    with store.transaction():
        store.revoke_token(token_id)
        audit_token(store, token_id, "revoked", actor)


def audit_token(store: Store, token_id: str, event: str, actor: str) -> None:
    """Chain an entry holding the digest of the token row as it now is (an edited role or enterprise shows)."""
    row = next(row for row in store.token_rows() if row["id"] == token_id)
    entry = token_entry(row, action=event, actor=actor, ts=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    store.append_audit(chain_entries([entry], store.last_audit()))


def authenticate(store: Store, token: str, *, admin_token: str | None = None) -> Principal | None:
    """The principal of a bearer token, or None when it is unknown, revoked or expired."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role="admin", token_id="env-admin")
    row = store.token_by_hash(hash_token(token))
    if row is None or row.get("revoked_at"):
        return None
    if row.get("expires_at") and row["expires_at"] <= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"):
        return None
    return Principal(role=row["role"], token_id=row["id"], enterprise_id=row.get("enterprise_id"))
