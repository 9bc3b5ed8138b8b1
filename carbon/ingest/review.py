"""Deciding held revisions: the bureau approves or rejects one, the enterprise withdraws its own.

Approval submits the held record again, confirmed, through the pipeline (same revision path: the monthly totals,
a ``revise`` audit entry); every decision also gets an audit entry of its own (``review``) in the chain.
"""

from __future__ import annotations

from typing import Any, Literal

from carbon.audit import chain_entries
from carbon.errors import Conflict
from carbon.ingest.pipeline import ingest_records
from carbon.store import Scope, Store, now_iso

__all__ = ["approve_revision", "decide_revision"]

Decision = Literal["approved", "rejected", "withdrawn"]


def _audit(store: Store, held: dict[str, Any], decision: Decision, actor: str, reason: str | None,
           batch_id: str | None) -> None:
    entry = {
        "ts": now_iso(), "actor": actor, "action": "review", "entity": "held_revision", "entity_key": str(held["id"]),
        "enterprise_id": held["enterprise_id"], "batch_id": batch_id, "old": {"status": "held"},
        "new": {"decision": decision, "reason": reason, "period": held["period"], "carrier": held["carrier"],
                "purpose": held["purpose"], "old": held["old"], "new": held["new"]},
        "content_count": None, "content_hash": None,
    }
    store.append_audit(chain_entries([entry], store.last_audit()))


def approve_revision(store: Store, revision_id: int, *, actor: str, reason: str | None = None) -> dict[str, Any]:
    """Apply a held revision (confirmed, through the pipeline) and record the approval; returns the revision.

    Raises
    ------
    carbon.errors.NotFound, carbon.errors.Conflict
        No such held revision, or it was already decided.
    """
    with store.transaction():
        held = store.held_revision(revision_id, Scope.everything())
        if held["status"] != "held":
            raise Conflict(f"held revision {revision_id} is already {held['status']}")
        summary = ingest_records(store, [held["record"]], enterprise_id=held["enterprise_id"], actor=actor,
                                 source=f"review:{revision_id}", confirm=True,
                                 reason=reason or f"approved in review (held revision {revision_id})")
        if summary.rejected:
            raise Conflict(f"held revision {revision_id} no longer passes validation: "
                           f"{summary.rejection_frame['reason'].iloc[0]}")
        if store.held_revision(revision_id, Scope.everything())["status"] == "held":  # the row already had it
            store.decide_held(revision_id, status="applied", by=actor, reason=reason, batch_id=summary.batch_id)
        _audit(store, held, "approved", actor, reason, summary.batch_id)
    return store.held_revision(revision_id, Scope.everything())


def decide_revision(store: Store, revision_id: int, decision: Literal["rejected", "withdrawn"], *, actor: str,
                    scope: Scope, reason: str | None = None) -> dict[str, Any]:
    """Close a held revision without applying it: the bureau rejects it, or its enterprise withdraws it."""
    with store.transaction():
        held = store.held_revision(revision_id, scope)
        decided = store.decide_held(revision_id, status=decision, by=actor, reason=reason)
        _audit(store, held, decision, actor, reason, held["batch_id"])
    return decided
