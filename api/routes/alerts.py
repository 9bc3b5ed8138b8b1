"""Alerts: listed for the bureau (an enterprise sees its own), acknowledged by a bureau user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from api.deps import DbDep, Overseer, RefresherDep, Submitter
from api.schemas.operations import AlertOut
from carbon.errors import NotFound
from carbon.reports.alerts import KINDS

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


@router.get("", response_model=list[AlertOut])
def alerts(db: DbDep, principal: Submitter, refresher: RefresherDep,
           region: str | None = Query(default=None, max_length=64),
           kind: str | None = Query(default=None, max_length=32),
           include_resolved: bool = False) -> list[dict[str, Any]]:
    """Open alerts, most severe first (with ``include_resolved``, resolved ones too).

    The refresh of alerts after recent submissions is waited for first (bounded), so a reader sees what they
    changed.
    """
    if kind is not None and kind not in KINDS:
        raise HTTPException(422, f"kind must be one of {', '.join(KINDS)}")
    refresher.wait(timeout=10.0)
    return db.list_alerts(principal.scope, include_resolved=include_resolved, kind=kind, region=region)


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(alert_id: Annotated[int, Path(ge=1, le=2**62)], db: DbDep, principal: Overseer) -> dict[str, Any]:
    """Mark an alert as seen by this user; it stays open until its cause goes away."""
    try:
        return db.acknowledge_alert(alert_id, principal.actor)
    except NotFound as error:
        raise HTTPException(404, f"{error}; GET /v1/alerts lists the open alerts and their ids") from None
