"""Oversight: alerts, scheduled jobs and their runs, the audit trail and its verification."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas.common import JsonObject

__all__ = ["AlertOut", "AuditEntryOut", "JobOut", "JobRunOut", "JobRunRecord", "VerifyOut"]


class AlertOut(BaseModel):
    """Something the bureau should hear about: open until its cause goes away, acknowledged by a person."""

    id: int
    fingerprint: str = Field(description="kind|subject|period: the same finding keeps its alert")
    kind: str = Field(description="region_off_track, quota_exceeded, missing_report, consumption_anomaly or "
                                  "telemetry_incomplete")
    severity: str = Field(description="critical or warning")
    region: str | None
    enterprise_id: str | None
    period: str | None
    message: str
    details: Annotated[dict[str, Any], JsonObject] = Field(description="the figures behind it; keys by kind")
    created_at: str
    updated_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    resolved_at: str | None


class AuditEntryOut(BaseModel):
    seq: int
    ts: str
    actor: str
    action: str
    entity: str
    entity_key: str | None = None
    enterprise_id: str | None = None
    batch_id: str | None = None
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    content_count: int | None = None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    batches_checked: int
    first_broken_seq: int | None
    problems: list[str]


class JobRunRecord(BaseModel):
    """A stored run of a job."""

    id: int
    job: str
    started_at: str
    finished_at: str | None
    status: str = Field(description="running, ok, skipped or failed")
    counts: dict[str, Any] = Field(description="what the run did; keys by job")
    error: str | None


class JobOut(BaseModel):
    name: str
    description: str
    schedule: str
    next_run: str | None = None
    last_run: JobRunRecord | None = None


class JobRunOut(BaseModel):
    job: str
    run_id: int
    status: str
    counts: dict[str, Any]
    error: str | None = None
