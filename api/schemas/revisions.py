"""Models of revisions: applied ones listed old → new in every submission's reply, held ones and their review."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.consumption import ConsumptionIn, IngestOut


class RevisionSide(BaseModel):
    quantity: float | None = None
    unit: str | None = None
    tce: float | None = Field(default=None, description="energy [tce, equivalent basis]")


class RevisionOut(BaseModel):
    """One revision of a stored month: the row's key, old → new, and the change [%]."""

    enterprise_id: str
    period: str
    carrier: str
    purpose: str
    old: RevisionSide
    new: RevisionSide
    change_pct: float | None = Field(default=None, description="(new − old) / old of the energy [%]")


class HeldOut(RevisionOut):
    id: int
    reasons: list[str] = Field(description="change: more than the allowed share; deadline: the month is closed")


class SubmissionOut(IngestOut):
    """A batch's counts and rejections, every applied revision, and the revisions held for confirmation."""

    revisions: list[RevisionOut] = Field(default_factory=list)
    held: list[HeldOut] = Field(default_factory=list)


class ConfirmedConsumptionIn(ConsumptionIn):
    """Records, and optionally the confirmation of revisions that would otherwise be held."""

    confirm: bool = Field(default=False, description="apply revisions that would be held; give a reason")
    reason: str | None = Field(default=None, min_length=3, max_length=500, description="why the month changes")

    @model_validator(mode="after")
    def _reason_with_confirm(self) -> ConfirmedConsumptionIn:
        if self.confirm and not (self.reason or "").strip():
            raise ValueError("a confirmation needs a reason: say why the stored month changes")
        return self


class HeldRevisionOut(HeldOut):
    record: dict[str, Any] = Field(description="the submitted record: send it again with confirm to apply it")
    status: Literal["held", "applied", "rejected", "withdrawn", "superseded"]
    batch_id: str | None = None
    source: str | None = None
    submitted_by: str | None = None
    submitted_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    applied_batch: str | None = None


class RevisionDecisionIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500, description="why (kept in the audit trail)")


class CarrierOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    kind: str
    unit: str = Field(description="the unit of the carrier's published coefficient")
    units: list[str] = Field(description="units a form may use, the form's own first")
