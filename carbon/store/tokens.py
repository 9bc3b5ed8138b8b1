"""API tokens: stored by the hash of the secret only (minting and hashing: :mod:`carbon.access`)."""

from __future__ import annotations

from typing import Any

from carbon.store.engine import Engine, now_iso

__all__ = ["TokensMixin"]


class TokensMixin(Engine):
    """Adding, finding, revoking and listing tokens."""

    def add_token(self, *, token_id: str, token_hash: str, role: str, enterprise_id: str | None,
                  label: str | None = None, expires_at: str | None = None) -> None:
        """Store a token's hash with its role (and the enterprise an enterprise token is bound to)."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO tokens (id, token_hash, role, enterprise_id, label, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [token_id, token_hash, role, enterprise_id, label, now_iso(), expires_at])

    def token_by_hash(self, token_hash: str) -> dict[str, Any] | None:
        """The token with this hash (revoked or expired ones included: the caller decides), or None."""
        return self._first("SELECT * FROM tokens WHERE token_hash = ?", [token_hash])

    def revoke_token(self, token_id: str) -> None:
        """Mark a token revoked now (an unknown id changes nothing)."""
        with self.transaction():
            self.conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", [now_iso(), token_id])

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token, oldest first, without its hash."""
        return self._rows("SELECT id, role, enterprise_id, label, created_at, expires_at, revoked_at FROM tokens "
                          "ORDER BY created_at")
