"""The review queue of held revisions: the bureau approves or rejects, an enterprise withdraws its own."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.deps import DbDep, Overseer, RefresherDep, Submitter
from api.schemas.revisions import HeldRevisionOut, RevisionDecisionIn
from carbon.ingest.review import approve_revision, decide_revision

router = APIRouter(prefix="/v1/revisions", tags=["revisions"])

RevisionId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("", response_model=list[HeldRevisionOut])
def held_revisions(db: DbDep, principal: Submitter,
                   status: Literal["held", "applied", "rejected", "withdrawn", "superseded", "all"] = "held",
                   enterprise_id: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    """Revisions held for confirmation or review (an enterprise sees its own), newest first."""
    return db.held_revisions(principal.scope, status=None if status == "all" else status,
                             enterprise_id=enterprise_id)


@router.post("/{revision_id}/approve", response_model=HeldRevisionOut)
def approve(revision_id: RevisionId, db: DbDep, principal: Overseer, refresher: RefresherDep,
            body: RevisionDecisionIn | None = None) -> dict[str, Any]:
    """Apply a held revision (bureau, admin): the month is revised as if confirmed, and the decision audited."""
    decided = approve_revision(db, revision_id, actor=principal.actor, reason=body.reason if body else None)
    refresher.submit([decided["enterprise_id"]])
    return decided


@router.post("/{revision_id}/reject", response_model=HeldRevisionOut)
def reject(revision_id: RevisionId, db: DbDep, principal: Overseer,
           body: RevisionDecisionIn | None = None) -> dict[str, Any]:
    """Refuse a held revision (bureau, admin): the stored month stays as it is; the decision is audited."""
    return decide_revision(db, revision_id, "rejected", actor=principal.actor, scope=principal.scope,
                           reason=body.reason if body else None)


@router.post("/{revision_id}/withdraw", response_model=HeldRevisionOut)
def withdraw(revision_id: RevisionId, db: DbDep, principal: Submitter,
             body: RevisionDecisionIn | None = None) -> dict[str, Any]:
    """Take back a held revision of one's own enterprise (the bureau may on its behalf); audited."""
    return decide_revision(db, revision_id, "withdrawn", actor=principal.actor, scope=principal.scope,
                           reason=body.reason if body else None)
