"""Which revisions of stored months are held for confirmation instead of applied, and how they are described.

A revision is never silent: every applied one is listed old → new, and one that changes a month's energy by more
than a share of the stored value (either way), or touches a month whose reporting deadline has passed, is held
until it is confirmed with a reason or approved by the bureau.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from carbon.compliance import REPORT_DEADLINE_DAY, report_deadline
from carbon.jsonable import plain
from carbon.store import CONSUMPTION_KEY, Store

__all__ = ["DEFAULT_HOLD", "HoldPolicy", "RevisionContext", "held_record", "hold_revised", "revision_view"]

# The submitted fields of a record: enough to submit it again when a held revision is applied.
RECORD_FIELDS = ("period", "carrier", "purpose", "quantity", "unit", "ncv", "ncv_unit", "renewable")


@dataclass(frozen=True)
class HoldPolicy:
    """When a revision waits for confirmation.

    Parameters
    ----------
    max_change_share : float
        Largest change of a month's energy a revision may make unconfirmed, as a share of the stored value
        (0.5: more than +50 % or −50 % is held).
    deadline_day : int
        Day of the following month after which a month's report is closed (:func:`report_deadline`).
    """

    max_change_share: float = 0.5
    deadline_day: int = REPORT_DEADLINE_DAY

    def reasons(self, revised: pd.DataFrame, today: date) -> list[list[str]]:
        """Per revised row (new values beside ``old_*``), why it is held: ``change`` and/or ``deadline``."""
        share = change_share(revised)
        closed = [report_deadline(str(p), deadline_day=self.deadline_day) < today.isoformat()
                  for p in revised["period"]]
        return [[name for name, hit in (("change", big), ("deadline", late)) if hit]
                for big, late in zip(share > self.max_change_share, closed, strict=True)]


DEFAULT_HOLD = HoldPolicy()


def change_share(revised: pd.DataFrame) -> np.ndarray:
    """|new − old| / old of each revised row's energy [GJ] (unit-independent); a change from zero is infinite."""
    new = revised["energy_gj"].astype(float).to_numpy()
    old = revised["old_energy_gj"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.abs(new - old) / np.abs(old)
    return np.where(np.isnan(share), 0.0, share)


def revision_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """One revision as the submitter sees it: the row's key, old → new (quantity, unit, tce) and the change [%]."""
    def side(prefix: str) -> dict[str, Any]:
        return {"quantity": plain(row[f"{prefix}quantity"]), "unit": plain(row[f"{prefix}unit"]),
                "tce": plain(row[f"{prefix}tce_equivalent"])}

    old, new = side("old_"), side("")
    change = None
    if old["tce"]:
        change = round((float(new["tce"]) - float(old["tce"])) / float(old["tce"]) * 100, 2)
    return {"enterprise_id": str(row["enterprise_id"]), "period": str(row["period"]), "carrier": str(row["carrier"]),
            "purpose": str(row["purpose"]), "old": old, "new": new, "change_pct": change}


def held_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted fields of a revised row, as a record :func:`carbon.ingest.pipeline.ingest_records` takes."""
    record = {}
    for name in RECORD_FIELDS:
        value = plain(row.get(name))
        if value is not None:
            record[name] = value
    return record


@dataclass(frozen=True)
class RevisionContext:
    """A batch's revisions as the hold needs them: which batch, who, when, and the policy (None: apply all)."""

    batch_id: str
    source: str
    actor: str
    stamp: str
    today: date
    hold: HoldPolicy | None


def hold_revised(store: Store, revised: pd.DataFrame,
                 context: RevisionContext) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Store the revisions the policy holds as held revisions; return the others and the held ones' views.

    Call inside the batch's transaction.
    """
    if context.hold is None:
        return revised, []
    reasons = context.hold.reasons(revised, context.today)
    held = np.array([bool(r) for r in reasons], dtype=bool)
    if not held.any():
        return revised, []
    rows = []
    for row, why in zip(revised.loc[held].to_dict("records"), [r for r in reasons if r], strict=True):
        view = revision_view(row)
        rows.append({**view, "reasons": why, "record": held_record(row), "batch_id": context.batch_id,
                     "source": context.source, "submitted_by": context.actor, "submitted_at": context.stamp})
    ids = store.hold_revisions(rows)
    views = [{"id": held_id, **{k: row[k] for k in (*CONSUMPTION_KEY, "old", "new", "change_pct", "reasons")}}
             for held_id, row in zip(ids, rows, strict=True)]
    return revised.loc[~held], views
