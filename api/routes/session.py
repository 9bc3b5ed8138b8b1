"""Who the caller is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentPrincipal
from api.schemas.access import WhoamiOut

router = APIRouter(prefix="/v1", tags=["session"])


@router.get("/whoami", response_model=WhoamiOut)
def whoami(principal: CurrentPrincipal) -> dict[str, Any]:
    """The role of the bearer token and, for an enterprise token, its enterprise."""
    return {"role": principal.role, "enterprise_id": principal.enterprise_id, "token_id": principal.token_id}
