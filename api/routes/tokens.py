"""Tokens (admin only): create one (shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.deps import Admin, DbDep, visible_enterprise
from api.schemas.access import TokenIn, TokenInfoOut, TokenOut
from carbon.access import create_token, revoke_token

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def new_token(body: TokenIn, db: DbDep, principal: Admin) -> dict[str, Any]:
    """Create a bearer token for a role (an enterprise token for one enterprise); the token is shown only here."""
    if body.enterprise_id:
        visible_enterprise(db, principal, body.enterprise_id)
    token_id, token = create_token(db, role=body.role, enterprise_id=body.enterprise_id, label=body.label,
                                   days=body.days, actor=principal.actor)
    return {"id": token_id, "token": token, "role": body.role, "enterprise_id": body.enterprise_id}


@router.get("", response_model=list[TokenInfoOut])
def tokens(db: DbDep, principal: Admin) -> list[dict[str, Any]]:
    """Tokens without their secrets (only hashes are stored, and not even those are shown)."""
    return db.list_tokens()


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke(token_id: str, db: DbDep, principal: Admin) -> None:
    """Revoke a token: it stops working at once; an id that is not a token answers 404."""
    revoke_token(db, token_id, actor=principal.actor)
