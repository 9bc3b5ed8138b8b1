"""A batch's bookkeeping, shared by the consumption and the readings pipelines: its summary, its id, and its
closing (the audit entries chained, the counts recorded)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from carbon.audit import ContentDigest, chain_entries
from carbon.jsonable import records as jsonable_records
from carbon.store import Store

__all__ = ["IngestSummary", "Progress", "beside_stored", "close_batch", "new_batch_id", "same"]

Progress = Callable[[int], None]


@dataclass
class IngestSummary:
    """What a batch did: counts, and every rejected row with its reason."""

    batch_id: str
    source: str
    kind: str
    read: int = 0
    accepted: int = 0
    unchanged: int = 0
    revised: int = 0
    rejected: int = 0
    rejections: list[pd.DataFrame] = field(default_factory=list, repr=False)
    status: str = "ok"
    revisions: list[dict[str, Any]] = field(default_factory=list, repr=False)  # applied, old → new
    held: list[dict[str, Any]] = field(default_factory=list, repr=False)  # waiting for confirmation or review

    @property
    def rejection_frame(self) -> pd.DataFrame:
        if not self.rejections:
            return pd.DataFrame(columns=["row", "field", "reason", "value"])
        return pd.concat(self.rejections, ignore_index=True)

    @property
    def counts(self) -> dict[str, int]:
        return {"read": self.read, "accepted": self.accepted, "unchanged": self.unchanged, "revised": self.revised,
                "rejected": self.rejected}

    def to_dict(self, *, index_name: str = "row") -> dict[str, Any]:
        """JSON-ready: the counts, and the rejections as ``{row, field, reason, value}``."""
        records = []
        if self.rejections:  # most batches have none: no frame to build then
            records = jsonable_records(self.rejection_frame.rename(columns={"row": index_name}))
            for record in records:
                record[index_name] = int(record[index_name])
        return {"batch_id": self.batch_id, "source": self.source, "kind": self.kind, "status": self.status,
                **self.counts, "rejections": records, "revisions": self.revisions, "held": self.held}


def new_batch_id() -> str:
    return uuid.uuid4().hex


def same(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Element-wise equality where two missing values count as equal."""
    both_missing = left.isna().to_numpy() & right.isna().to_numpy()
    return both_missing | (left.astype(object).to_numpy() == right.astype(object).to_numpy())


def beside_stored(rows: pd.DataFrame, stored: pd.DataFrame, keys: Sequence[str], *,
                  how: Literal["left", "inner"] = "left") -> pd.DataFrame:
    """``rows`` merged on ``keys`` with the stored rows of those keys, whose other columns become ``old_*``
    (with ``how="left"``, ``_merge`` says which rows had a stored one)."""
    old = stored.rename(columns={c: f"old_{c}" for c in stored.columns if c not in keys})
    return rows.merge(old, on=list(keys), how=how, indicator=how == "left")


def close_batch(store: Store, summary: IngestSummary, digest: ContentDigest, revisions: list[dict[str, Any]], *,
                 actor: str, enterprise_id: str | None, stamp: str) -> None:
    """Chain the batch's audit entries (one for its new rows, one per revision) and record its counts."""
    entries = list(revisions)
    if digest.count:
        entries.insert(0, {
            "ts": stamp, "actor": actor, "action": "batch", "entity": digest.entity, "entity_key": None,
            "enterprise_id": enterprise_id, "batch_id": summary.batch_id, "old": None,
            "new": {"source": summary.source, "accepted": digest.count}, "content_count": digest.count,
            "content_hash": digest.hexdigest,
        })
    store.append_audit(chain_entries(entries, store.last_audit()))
    store.finish_batch(summary.batch_id, status="ok", counts=summary.counts, content_count=digest.count,
                       content_hash=digest.hexdigest if digest.count else None)
