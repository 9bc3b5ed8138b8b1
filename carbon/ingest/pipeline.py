"""The ingestion pipeline: read → validate and convert → store, one transaction per batch.

A batch is one submission (a file, a JSON body, an HTTP pull). Its rows arrive in chunks so that a large file is
never held whole; all chunks are written inside one transaction, so a failure anywhere leaves the database as it
was. Natural keys make a repeated batch harmless: a row identical to the stored one is *unchanged*; a row whose
value differs becomes a new *revision* with an audit entry (who, when, source, old → new); new rows are
*accepted* and digested into the batch's single audit entry.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbon.audit import ContentDigest, chain_entries, consumption_key
from carbon.factors import FactorSet, default_factors
from carbon.ingest.chunks import (
    ConsumptionKeys,
    PreparedChunk,
    SeenKeys,
    as_new_rows,
    merge_digest,
    prepare_chunk,
    with_region,
)
from carbon.ingest.hold import DEFAULT_HOLD, HoldPolicy, RevisionContext, hold_revised, revision_view
from carbon.ingest.validate.consumption import validate_consumption
from carbon.ingest.validate.readings import validate_readings
from carbon.jsonable import plain
from carbon.jsonable import records as jsonable_records
from carbon.store import CONSUMPTION_KEY, READING_COLUMNS, Store, now_iso

__all__ = [
    "IngestSummary", "ingest_consumption", "ingest_file", "ingest_readings", "ingest_records", "read_readings_csv",
]

Progress = Callable[[int], None]
_VALUES = ("quantity", "unit", "ncv", "ncv_unit")


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
        rejections = self.rejection_frame.rename(columns={"row": index_name})
        records = jsonable_records(rejections)
        for record in records:
            record[index_name] = int(record[index_name])
        return {"batch_id": self.batch_id, "source": self.source, "kind": self.kind, "status": self.status,
                **self.counts, "rejections": records, "revisions": self.revisions, "held": self.held}


def _new_batch_id() -> str:
    return uuid.uuid4().hex


def _same(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Element-wise equality where two missing values count as equal."""
    both_missing = left.isna().to_numpy() & right.isna().to_numpy()
    return both_missing | (left.astype(object).to_numpy() == right.astype(object).to_numpy())


def _grid_regions(store: Store) -> dict[str, str | None]:
    """Enterprise → the grid region or province whose electricity factor its region uses."""
    return {row["id"]: row["grid_region"] for row in store.enterprise_grid_regions()}


def ingest_consumption(store: Store, chunks: Iterable[pd.DataFrame], *, source: str, actor: str,
                       enterprise_id: str | None = None, today: date | None = None,
                       factors: FactorSet | None = None, progress: Progress | None = None,
                       batch_id: str | None = None, confirm: bool = False, reason: str | None = None,
                       hold: HoldPolicy | None = DEFAULT_HOLD) -> IngestSummary:
    """Validate, convert and store monthly consumption rows as one batch.

    A revision of a stored month that ``hold`` holds (a large change, a closed month) is kept as a held revision
    instead of applied, unless ``confirm`` (with a ``reason``): then every revision of the batch is applied and the
    held revisions of those rows are settled as applied. ``hold=None`` applies every revision.

    Parameters
    ----------
    store : Store
    chunks : iterable of DataFrame
        Canonical frames from a reader (``row``, ``enterprise_id``, ``period``, ``carrier``, ``quantity``,
        ``unit`` …), consumed one at a time.
    source : str
        Where the batch came from (file name, ``api``, ``http:<name>``), kept with the batch and its audit entry.
    actor : str
        Who submitted it (a token id or ``cli``).
    enterprise_id : str, optional
        The enterprise the submission is for: rows naming another are rejected.
    today : date, optional
        Reference for the future-period check.
    progress : callable, optional
        Called with the number of rows of each chunk when it is done.
    confirm, reason : bool, str
        Apply revisions that would be held, saying why (kept in their audit entries).
    hold : HoldPolicy, optional
        Which revisions wait for confirmation (:data:`carbon.ingest.hold.DEFAULT_HOLD`).

    Returns
    -------
    IngestSummary
    """
    factors = factors or default_factors()
    summary = IngestSummary(batch_id=batch_id or _new_batch_id(), source=source, kind="consumption")
    digest = ContentDigest("consumption")
    enterprises = store.enterprise_ids()
    grid = _grid_regions(store)
    home = store.enterprise_regions()
    revisions: list[dict[str, Any]] = []
    stamp = now_iso()
    context = RevisionContext(summary.batch_id, source, actor, stamp, today or date.today(),
                              None if confirm else hold)
    batch_keys = ConsumptionKeys()
    prepared = (prepare_chunk(len(chunk), validate_consumption(chunk, enterprises=enterprises,
                                                               enterprise_id=enterprise_id, today=today,
                                                               factors=factors, grid_regions=grid),
                              batch_keys, home, summary.batch_id, stamp)
                for chunk in chunks)
    # The first chunk (a whole request) is read, validated, converted and summed before the write lock is
    # taken; the later chunks of a large file stream through the transaction.
    first = next(prepared, None)

    with store.transaction():
        store.start_batch(summary.batch_id, kind="consumption", source=source, actor=actor,
                          enterprise_scope=enterprise_id)
        store.changes_only_regions(())  # a batch changes the regions of its rows' enterprises only
        pairs: dict[tuple[str, str], bool] = {}  # (enterprise, month) met in this batch → stored before it
        for chunk in itertools.chain([first] if first is not None else [], prepared):
            summary.read += chunk.read
            rejected = [chunk.checked.rejected]
            if not chunk.checked.good.empty:
                store.changes_only_regions({home.get(e) for e in chunk.new["enterprise_id"].unique()})
                rejected.append(_store_chunk(store, chunk, summary, digest, revisions, batch_keys, pairs,
                                             home=home, context=context, confirm=confirm, reason=reason))
            for frame in rejected:
                if len(frame):
                    store.add_rejections(summary.batch_id, frame)
                    summary.rejections.append(frame)
                    summary.rejected += len(frame)
            if progress:
                progress(chunk.read)

        _close_batch(store, summary, digest, revisions, actor=actor, enterprise_id=enterprise_id, stamp=stamp)
    return summary


def _store_chunk(store: Store, chunk: PreparedChunk, summary: IngestSummary, digest: ContentDigest,
                 revisions: list[dict[str, Any]], batch_keys: ConsumptionKeys, pairs: dict[tuple[str, str], bool], *,
                 home: Mapping[str, str], context: RevisionContext, confirm: bool,
                 reason: str | None) -> pd.DataFrame:
    """Classify a chunk's good rows against the batch and the database and write them (revisions that the hold
    policy holds are kept aside); its duplicates back."""
    actor, stamp = context.actor, context.stamp
    new, revised, duplicates, unchanged = _classify(store, chunk, batch_keys, pairs)
    summary.unchanged += unchanged
    if new is chunk.new:  # every row new: write what was prepared outside the lock
        store.insert_consumption(new)
        store.add_monthly_sums(chunk.sums)
        merge_digest(digest, chunk.digest)
    elif len(new):
        new = with_region(as_new_rows(new, summary.batch_id, stamp), home)
        store.insert_consumption(new)
        store.add_to_monthly_totals(new)
        digest.add(new)
    summary.accepted += len(new)
    if len(revised):
        revised, held = hold_revised(store, revised, context)
        summary.held += held
    if len(revised):
        store.revise_consumption(revised.assign(batch_id=summary.batch_id, updated_at=stamp))
        store.add_to_monthly_totals(with_region(revised, home))
        store.add_to_monthly_totals(with_region(_old_values(revised), home), sign=-1.0)
        revisions += _revision_entries(revised, summary.batch_id, summary.source, actor, stamp, reason)
        summary.revisions += [revision_view(row) for row in revised.to_dict("records")]
        store.settle_held(revised[list(CONSUMPTION_KEY)].to_dict("records"),
                          status="applied" if confirm else "superseded", batch_id=summary.batch_id, by=actor,
                          reason=reason)
        summary.revised += len(revised)
    return duplicates


def _close_batch(store: Store, summary: IngestSummary, digest: ContentDigest, revisions: list[dict[str, Any]], *,
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


def _old_values(revised: pd.DataFrame) -> pd.DataFrame:
    """Revised rows with their converted values as they were before the revision (to take off the totals)."""
    values = ["energy_gj", "tce_equivalent", "tce_equal", "co2_t"]
    return revised.assign(**{name: revised[f"old_{name}"].astype(float) for name in values})


def _classify(store: Store, chunk: PreparedChunk, batch_keys: ConsumptionKeys,
              pairs: dict[tuple[str, str], bool]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Split a chunk's converted rows into new, revised (with their old values), duplicates of this batch and
    the number unchanged. When every row is new, ``new`` is the prepared ``chunk.new`` itself.

    ``pairs`` holds the (enterprise, month) pairs met earlier in the batch, each with whether it had stored rows
    before the batch; the database is asked only about the pairs met for the first time. Only rows whose pair
    met stored rows, or rows of earlier chunks, are looked up by key; the rest are new.
    """
    converted, keys = chunk.checked.good, chunk.keys
    in_batch = np.array([pair in pairs for pair in chunk.pairs], dtype=bool)[chunk.pair_codes]
    first_met = [pair for pair in chunk.pairs if pair not in pairs]
    stored = store.stored_pairs(first_met)
    pairs.update((pair, pair in stored) for pair in first_met)
    in_store = np.array([pairs[pair] for pair in chunk.pairs], dtype=bool)[chunk.pair_codes]
    no_rejections = pd.DataFrame(columns=["row", "field", "reason", "value"])
    if not in_batch.any() and not in_store.any():
        batch_keys.add(keys, converted["row"].to_numpy())
        return chunk.new, converted.iloc[:0], no_rejections, 0

    earlier = np.full(len(converted), -1, dtype=np.int64)
    if in_batch.any():
        earlier[in_batch] = batch_keys.find(keys[in_batch])
    duplicate = earlier >= 0
    duplicates = pd.DataFrame({
        "row": converted["row"].to_numpy()[duplicate], "field": "period",
        "reason": [f"duplicates row {int(r)} (same enterprise, period, carrier and purpose); send one row per key"
                   for r in earlier[duplicate]],
        "value": converted["period"].astype(str).to_numpy()[duplicate],
    })
    batch_keys.add(keys[~duplicate], converted["row"].to_numpy()[~duplicate])

    lookup = in_store & ~duplicate
    empty = converted.iloc[:0]
    if not lookup.any():
        return converted.loc[~duplicate], empty, duplicates, 0
    candidates = converted.loc[lookup]
    existing = store.existing_consumption(candidates[list(CONSUMPTION_KEY)])
    key_columns = list(CONSUMPTION_KEY)
    left = candidates.assign(**{k: candidates[k].astype(str) for k in key_columns})
    merged = left.merge(existing.rename(columns={c: f"old_{c}" for c in existing.columns if c not in key_columns}),
                        on=key_columns, how="left", indicator=True)
    found = (merged["_merge"] == "both").to_numpy()
    same = np.ones(len(merged), dtype=bool)
    for name in _VALUES:
        same &= _same(merged[name], merged[f"old_{name}"])
    changed = found & ~same
    revised = merged.loc[changed].copy()
    revised["revision"] = revised["old_revision"].astype(int) + 1
    revised["source_row"] = revised["row"]
    revised["created_batch"] = revised["old_created_batch"]
    revised["submitted_at"] = revised["submitted_at"].fillna(now_iso())
    new = pd.concat([converted.loc[~duplicate & ~lookup], merged.loc[~found, converted.columns]],
                    ignore_index=True) if (~found).any() else converted.loc[~duplicate & ~lookup]
    return new, revised, duplicates, int((found & same).sum())


def _revision_entries(revised: pd.DataFrame, batch_id: str, source: str, actor: str,
                      stamp: str, reason: str | None = None) -> list[dict[str, Any]]:
    entries = []
    for row in revised.to_dict("records"):
        old = {name: plain(row[f"old_{name}"]) for name in _VALUES}
        old.update(revision=int(row["old_revision"]), batch_id=row["old_batch_id"])
        new = {name: plain(row[name]) for name in _VALUES}
        new.update(revision=int(row["revision"]), batch_id=batch_id, source=source, row=int(row["row"]))
        if reason:
            new["reason"] = reason
        entries.append({"ts": stamp, "actor": actor, "action": "revise", "entity": "consumption",
                        "entity_key": consumption_key(row), "enterprise_id": str(row["enterprise_id"]),
                        "batch_id": batch_id, "old": old, "new": new, "content_count": None, "content_hash": None})
    return entries


def ingest_records(store: Store, records: Sequence[Mapping[str, Any]], *, enterprise_id: str | None, actor: str,
                   source: str = "api", today: date | None = None, confirm: bool = False,
                   reason: str | None = None) -> IngestSummary:
    """Ingest JSON records (``period``, ``carrier``, ``quantity``, ``unit`` …); rejections name the index."""
    frame = pd.DataFrame.from_records(list(records)) if records else pd.DataFrame()
    frame["row"] = np.arange(len(frame))
    return ingest_consumption(store, [frame], source=source, actor=actor, enterprise_id=enterprise_id,
                              today=today, confirm=confirm, reason=reason)


# -- telemetry ----------------------------------------------------------------------------------------------

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
    summary = IngestSummary(batch_id=batch_id or _new_batch_id(), source=source, kind="readings")
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
            _close_batch(store, summary, digest, revisions, actor=actor, enterprise_id=enterprise_id, stamp=stamp)
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
    same = _same(merged["value"], merged["old_value"]) & _same(merged["unit"], merged["old_unit"])
    new = merged.loc[~found].assign(batch_id=batch_id, source_row=lambda f: f["row"])
    changed = merged.loc[found & ~same].assign(batch_id=batch_id, source_row=lambda f: f["row"])
    return new, changed, int((found & same).sum())


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


# -- files --------------------------------------------------------------------------------------------------

READING_HEADERS = {"meter_id", "ts"}


def _is_readings_csv(path: Path) -> bool:
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


def ingest_file(store: Store, path: str | Path, *, format: str = "auto", enterprise_id: str | None = None,
                actor: str = "cli", today: date | None = None, progress: Progress | None = None,
                chunksize: int = 100_000, source: str | None = None, confirm: bool = False,
                reason: str | None = None) -> IngestSummary:
    """Read a file (CSV, XLSX, JSON, form 205-1, or meter telemetry CSV) and ingest it as one batch.

    ``source`` names the batch (the file name by default).

    Raises
    ------
    carbon.ingest.readers.UnreadableFile
        When the file cannot be read at all (nothing is stored then).
    """
    from carbon.ingest.readers import read_file  # the readers pull in openpyxl; import on use
    from carbon.ingest.readers.limits import bounded, check_file, reading_guard

    path = Path(path)
    source = source or path.name
    check_file(path, source)  # bombs, endless lines and deep nesting are refused before a reader starts
    with reading_guard(source):
        if format in ("auto", "readings") and _is_readings_csv(path):
            return ingest_readings(store, _parsed(bounded(read_readings_csv(path, chunksize=chunksize), source),
                                                  path), source=source, actor=actor, enterprise_id=enterprise_id,
                                   progress=progress)
        chunks = read_file(path, format=format, enterprise_id=enterprise_id, chunksize=chunksize)
    return ingest_consumption(store, _parsed(bounded(chunks, source), path), source=source, actor=actor,
                              enterprise_id=enterprise_id, today=today, progress=progress, confirm=confirm,
                              reason=reason)


PARSE_FIRST_BYTES = 32 * 1024 * 1024
"""Files up to this size are parsed whole before the write transaction opens, so that parsing an upload never
holds the database's write lock; larger files (bulk loads from the command line) stream through it [bytes]."""


def _parsed(chunks: Iterator[pd.DataFrame], path: Path) -> Iterable[pd.DataFrame]:
    return list(chunks) if path.stat().st_size <= PARSE_FIRST_BYTES else chunks
