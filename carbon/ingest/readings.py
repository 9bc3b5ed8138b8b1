"""The readings pipeline: 15-minute meter telemetry validated and stored once per meter and timestamp, one
transaction per batch (the same bookkeeping as consumption: :mod:`carbon.ingest.batch`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbon.audit import ContentDigest
from carbon.ingest.batch import IngestSummary, Progress, beside_stored, close_batch, new_batch_id, same
from carbon.ingest.chunks import SeenKeys
from carbon.ingest.validate.readings import validate_readings
from carbon.jsonable import plain
from carbon.store import READING_COLUMNS, Store, now_iso

__all__ = ["Stages", "ingest_readings", "is_readings_csv", "read_readings_csv"]


class _ReadingKeys(SeenKeys):
    """Reading keys (meter, quarter-hour since 1970): the meter in the high 32 bits, the quarter in the low."""

    def __init__(self) -> None:
        super().__init__()
        self.meters: dict[str, int] = {}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        meter_codes, meters = pd.factorize(frame["meter_id"])
        meter_ids = np.array([self.meters.setdefault(str(m), len(self.meters)) for m in meters], dtype=np.int64)
        return (meter_ids[meter_codes] << 32) | frame["quarter"].to_numpy(dtype=np.int64)



@dataclass
class Stages:
    """Where a batch's time went: seconds per stage [s], summed over its chunks.

    ``copy`` runs on a thread of its own while the next chunk is read and validated, so the stages add up to
    more than the batch took; ``wait for copy`` is the part of it the batch waited for.
    """

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

    def timed(self, stage: str, chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """The chunks, the time spent getting each one counted under ``stage``."""
        iterator = iter(chunks)
        while True:
            with self.timing(stage):
                chunk = next(iterator, None)
            if chunk is None:
                return
            yield chunk


class _Writer:
    """The COPY of one chunk's new readings, on a thread of its own while the next chunk is read and validated.

    The connection is the COPY's until it finishes: :meth:`wait` before any other statement of the batch. Its
    error, if any, is raised there, inside the batch's transaction, which then rolls back.
    """

    def __init__(self, executor: ThreadPoolExecutor, stages: Stages) -> None:
        self.executor, self.stages = executor, stages
        self.pending: Future[Any] | None = None

    def submit(self, write: Callable[[pd.DataFrame], Any], frame: pd.DataFrame) -> None:
        self.wait()

        def run() -> None:
            with self.stages.timing("copy"):
                write(frame)

        self.pending = self.executor.submit(run)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            with self.stages.timing("wait for copy"):
                pending.result()


def ingest_readings(store: Store, chunks: Iterable[pd.DataFrame], *, source: str, actor: str,
                    enterprise_id: str | None = None, progress: Progress | None = None,
                    batch_id: str | None = None, stages: Stages | None = None) -> IngestSummary:
    """Validate and store 15-minute meter readings as one batch (key: meter × timestamp).

    A reading repeating a (meter, time) of an earlier row of the same batch is rejected, naming that row; one
    already stored is unchanged, or revised when its value differs. On PostgreSQL the months' partitions are
    made beforehand on a connection of their own, so the batch never holds a lock on the whole table. A chunk's
    new readings are written (COPY) while the next chunk is read and validated; ``stages`` collects where the
    time went.
    """
    stages = stages if stages is not None else Stages()
    summary = IngestSummary(batch_id=batch_id or new_batch_id(), source=source, kind="readings")
    digest = ContentDigest("readings")
    enterprises = store.enterprise_ids()
    owners = store.meter_owners()
    keys = _ReadingKeys()
    revisions: list[dict[str, Any]] = []
    stamp = now_iso()
    partitioner = Store(store.path) if store.dialect == "postgresql" else None
    try:
        # The executor is left (its COPY finished) before the transaction ends, whether it commits or not.
        with store.transaction(), ThreadPoolExecutor(1, thread_name_prefix="carbon-copy") as executor:
            writer = _Writer(executor, stages)
            store.start_batch(summary.batch_id, kind="readings", source=source, actor=actor,
                              enterprise_scope=enterprise_id)
            for chunk in stages.timed("read", chunks):
                summary.read += len(chunk)
                with stages.timing("validate"):
                    checked = validate_readings(chunk, meters=owners, enterprises=enterprises,
                                                enterprise_id=enterprise_id)
                    good, duplicates = _batch_duplicates(checked.good, keys)
                writer.wait()
                _store_rejections(store, summary, (checked.rejected, duplicates))
                if not good.empty:
                    new, changed = _store_good(store, good, summary, owners, writer, partitioner, stages)
                    with stages.timing("audit hashing"):
                        digest.add(new)  # while the COPY runs
                    if len(changed):
                        writer.wait()
                        store.revise_readings(changed)
                        revisions += _reading_revisions(changed, summary.batch_id, source, actor, stamp)
                if progress:
                    progress(len(chunk))
            writer.wait()
            with stages.timing("close batch (audit entry)"):
                close_batch(store, summary, digest, revisions, actor=actor, enterprise_id=enterprise_id,
                            stamp=stamp)
            stages.seconds.setdefault("commit", 0.0)
            commit_started = time.perf_counter()
        stages.seconds["commit"] += time.perf_counter() - commit_started
    finally:
        if partitioner is not None:
            partitioner.close()
    return summary


def _store_rejections(store: Store, summary: IngestSummary, frames: Iterable[pd.DataFrame]) -> None:
    for frame in frames:
        if len(frame):
            store.add_rejections(summary.batch_id, frame)
            summary.rejections.append(frame)
            summary.rejected += len(frame)


def _store_good(store: Store, good: pd.DataFrame, summary: IngestSummary, owners: dict[str, str], writer: _Writer,
                partitioner: Store | None, stages: Stages) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Register the chunk's meters, classify its readings against the stored ones and hand the new ones to the
    writer; the new readings and the changed ones (to revise) back."""
    with stages.timing("classify (keyed lookup of stored readings)"):
        meters = good.drop_duplicates("meter_id")[["meter_id", "enterprise_id", "carrier", "unit", "kind"]]
        owners.update(zip(meters["meter_id"], meters["enterprise_id"], strict=True))
        store.upsert_meters(meters.rename(columns={"meter_id": "id"}).assign(interval_minutes=15))
        existing = store.existing_readings(sorted(good["meter_id"].unique()), good["ts"].min(), good["ts"].max())
        new, changed, unchanged = _classify_readings(good, existing, summary.batch_id)
    if partitioner is not None:
        with stages.timing("partitions"):
            partitioner.ensure_reading_partitions({str(ts)[:7] for ts in new["ts"].unique()})
    writer.submit(store.insert_readings, new[list(READING_COLUMNS)])
    summary.accepted += len(new)
    summary.unchanged += unchanged
    summary.revised += len(changed)
    return new, changed


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
    merged = beside_stored(good, existing, ["meter_id", "ts"])
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
