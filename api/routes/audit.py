"""The audit trail: revisions with who, when, source, old → new; and the chain's verification."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query

from api.deps import DbDep, Overseer, Submitter, enterprise_scope
from api.schemas.operations import AuditEntryOut, VerifyOut
from carbon.audit import verify
from carbon.audit_coverage import check_against

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntryOut])
def audit_entries(db: DbDep, principal: Submitter,
                  enterprise: str | None = Query(default=None, max_length=64),
                  action: str | None = Query(default=None, pattern="^(batch|revise|recompute|token)$"),
                  after: int = Query(default=0, ge=0, le=2**62, description="entries after this sequence number"),
                  limit: int = Query(default=500, ge=1, le=5000)) -> list[dict[str, Any]]:
    """Audit entries, oldest first; an enterprise token sees the entries about itself only."""
    if enterprise is not None:
        enterprise_scope(enterprise, principal)
    entries = db.audit_entries(principal.scope, enterprise_id=enterprise, action=action, after_seq=after,
                               limit=limit)
    for entry in entries:
        for name in ("old", "new"):
            entry[name] = json.loads(entry[name]) if entry.get(name) else None
    return entries


@router.get("/verify", response_model=VerifyOut)
def verify_chain(db: DbDep, principal: Overseer,
                 seq: int | None = Query(default=None, ge=1, le=2**62, description="checkpoint: sequence number"),
                 hash: str | None = Query(default=None, pattern="^[0-9a-f]{64}$", description="checkpoint: its hash"),
                 ) -> dict[str, Any]:
    """Re-compute the hash chain, every batch's content, derived values, monthly totals, readings and tokens;
    with a checkpoint (``seq``, ``hash`` from `carbon audit checkpoint`), also check the tail was not cut."""
    result = verify(db)
    if seq is not None:
        check_against(db, {"seq": seq, "hash": hash}, result)
    return result.to_dict()
