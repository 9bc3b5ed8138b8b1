"""The readings pipeline: 15-minute meter telemetry validated and stored once per meter and timestamp, one
transaction per batch (the same bookkeeping as consumption: :mod:`carbon.ingest.batch`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbon.audit import ContentDigest
from carbon.ingest.batch import IngestSummary, Progress, close_batch, new_batch_id, same
from carbon.ingest.chunks import SeenKeys
from carbon.ingest.validate.readings import validate_readings
from carbon.jsonable import plain
from carbon.store import READING_COLUMNS, Store, now_iso

__all__ = ["ingest_readings", "is_readings_csv", "read_readings_csv"]


class _ReadingKeys(SeenKeys):
    """Reading keys (meter, quarter-hour since 1970): the meter in the high 32 bits, the quarter in the low."""

    def __init__(self) -> None:
        super().__init__()
        self.meters: dict[str, int] = {}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        meter_codes, meters = pd.factorize(frame["meter_id"])
        meter_ids = np.array([self.meters.setdefault(str(m), len(self.meters)) for m in meters], dtype=np.int64)
        return (meter_ids[meter_codes] << 32) | frame["quarter"].to_numpy(dtype=np.int64)



def ingest_readings(store: Store, chunks: Iterable[pd.DataFrame], *, source: str, actor: str,
                    enterprise_id: str | None = None, progress: Progress | None = None,
                    batch_id: str | None = None) -> IngestSummary:
    """Validate and store 15-minute meter readings as one batch (key: meter × timestamp).

    A reading repeating a (meter, time) of an earlier row of the same batch is rejected, naming that row; one
    already stored is unchanged, or revised when its value differs. On PostgreSQL the months' partitions are
    made beforehand on a connection of their own, so the batch never holds a lock on the whole table.
    """
    summary = IngestSummary(batch_id=batch_id or new_batch_id(), source=source, kind="readings")
    digest = ContentDigest("readings")
    enterprises = store.enterprise_ids()
    owners = store.meter_owners()
    keys = _ReadingKeys()
    revisions: list[dict[str, Any]] = []
    stamp = now_iso()
    partitioner = Store(store.path) if store.dialect == "postgresql" else None
    try:
        with store.transaction():
            store.start_batch(summary.batch_id, kind="readings", source=source, actor=actor,
                              enterprise_scope=enterprise_id)
            for chunk in chunks:
                summary.read += len(chunk)
                checked = validate_readings(chunk, meters=owners, enterprises=enterprises,
                                            enterprise_id=enterprise_id)
                good, duplicates = _batch_duplicates(checked.good, keys)
                for frame in (checked.rejected, duplicates):
                    if len(frame):
                        store.add_rejections(summary.batch_id, frame)
                        summary.rejections.append(frame)
                        summary.rejected += len(frame)
                if not good.empty:
                    meters = good.drop_duplicates("meter_id")[["meter_id", "enterprise_id", "carrier", "unit",
                                                               "kind"]]
                    owners.update(zip(meters["meter_id"], meters["enterprise_id"], strict=True))
                    store.upsert_meters(meters.rename(columns={"meter_id": "id"}).assign(interval_minutes=15))
                    existing = store.existing_readings(sorted(good["meter_id"].unique()), good["ts"].min(),
                                                       good["ts"].max())
                    new, changed, unchanged = _classify_readings(good, existing, summary.batch_id)
                    if partitioner is not None:
                        partitioner.ensure_reading_partitions({str(ts)[:7] for ts in new["ts"].unique()})
                    store.insert_readings(new[list(READING_COLUMNS)])
                    digest.add(new)
                    summary.accepted += len(new)
                    summary.unchanged += unchanged
                    if len(changed):
                        store.revise_readings(changed)
                        summary.revised += len(changed)
                        revisions += _reading_revisions(changed, summary.batch_id, source, actor, stamp)
                if progress:
                    progress(len(chunk))
            close_batch(store, summary, digest, revisions, actor=actor, enterprise_id=enterprise_id, stamp=stamp)
    finally:
        if partitioner is not None:
            partitioner.close()
    return summary


def _batch_duplicates(good: pd.DataFrame, keys: _ReadingKeys) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Readings repeating a (meter, time) met earlier in the batch are rejected, naming the first row."""
    if good.empty:
        return good, pd.DataFrame(columns=["row", "field", "reason", "value"])
    encoded = keys.encode(good)
    earlier = keys.find(encoded)
    duplicate = earlier >= 0
    keys.add(encoded[~duplicate], good["row"].to_numpy()[~duplicate])
    rejected = pd.DataFrame({
        "row": good["row"].to_numpy()[duplicate], "field": "ts",
        "reason": [f"duplicates row {int(r)} (same meter and time)" for r in earlier[duplicate]],
        "value": good["ts"].to_numpy()[duplicate],
    })
    return good.loc[~duplicate], rejected


def _classify_readings(good: pd.DataFrame, existing: pd.DataFrame,
                       batch_id: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """New readings, changed ones (with their old value), and how many were already stored as they are."""
    merged = good.merge(existing.rename(columns={c: f"old_{c}" for c in existing.columns
                                                 if c not in ("meter_id", "ts")}),
                        on=["meter_id", "ts"], how="left", indicator=True)
    found = (merged["_merge"] == "both").to_numpy()
    unchanged = same(merged["value"], merged["old_value"]) & same(merged["unit"], merged["old_unit"])
    new = merged.loc[~found].assign(batch_id=batch_id, source_row=lambda f: f["row"])
    changed = merged.loc[found & ~unchanged].assign(batch_id=batch_id, source_row=lambda f: f["row"])
    return new, changed, int((found & unchanged).sum())


def _reading_revisions(changed: pd.DataFrame, batch_id: str, source: str, actor: str,
                       stamp: str) -> list[dict[str, Any]]:
    return [{
        "ts": stamp, "actor": actor, "action": "revise", "entity": "readings",
        "entity_key": f"{row['meter_id']}|{row['ts']}", "enterprise_id": row["enterprise_id"],
        "batch_id": batch_id, "old": {"value": plain(row["old_value"]), "unit": row["old_unit"],
                                                   "batch_id": row.get("old_batch_id")},
        "new": {"value": plain(row["value"]), "unit": row["unit"], "source": source},
        "content_count": None, "content_hash": None,
    } for row in changed.to_dict("records")]


READING_HEADERS = {"meter_id", "ts"}


def is_readings_csv(path: Path) -> bool:
    if path.suffix.lower() not in (".csv", ".txt"):
        return False
    with path.open("rb") as handle:
        head = handle.readline().decode("utf-8-sig", errors="replace")
    names = {name.strip().lower() for name in head.split(",")}
    return names >= READING_HEADERS


def read_readings_csv(path: Path, *, chunksize: int = 200_000) -> Iterator[pd.DataFrame]:
    """Meter telemetry CSV (``meter_id,enterprise_id,ts,value,unit,carrier,kind``) in chunks, with line numbers."""
    start = 2
    for chunk in pd.read_csv(path, dtype=str, chunksize=chunksize, encoding="utf-8-sig", keep_default_na=False,
                             na_values=[""]):
        chunk.columns = [c.strip().lower() for c in chunk.columns]
        chunk["row"] = np.arange(start, start + len(chunk))
        start += len(chunk)
        yield chunk
