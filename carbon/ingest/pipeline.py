"""The ingestion pipeline: read → validate and convert → store, one transaction per batch.

A batch is one submission (a file, a JSON body, an HTTP pull). Its rows arrive in chunks so that a large file is
never held whole; all chunks are written inside one transaction, so a failure anywhere leaves the database as it
was. Natural keys make a repeated batch harmless: a row identical to the stored one is *unchanged*; a row whose
value differs becomes a new *revision* with an audit entry (who, when, source, old → new); new rows are
*accepted* and digested into the batch's single audit entry.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbon.accounting import VALUE_COLUMNS
from carbon.audit import ContentDigest, consumption_key
from carbon.factors import FactorSet, default_factors
from carbon.ingest.ahead import read_ahead
from carbon.ingest.batch import IngestSummary, Progress, beside_stored, close_batch, new_batch_id, same
from carbon.ingest.chunks import (
    ConsumptionKeys,
    PreparedChunk,
    as_new_rows,
    merge_digest,
    prepare_chunk,
    with_region,
)
from carbon.ingest.hold import DEFAULT_HOLD, HoldPolicy, RevisionContext, hold_revised, revision_view
from carbon.ingest.readings import ingest_readings, is_readings_csv, read_readings_csv
from carbon.ingest.validate.consumption import validate_consumption
from carbon.jsonable import plain
from carbon.store import CONSUMPTION_KEY, Store, now_iso

__all__ = [
    "IngestSummary", "ingest_consumption", "ingest_file", "ingest_readings", "ingest_records", "read_readings_csv",
]

_VALUES = ("quantity", "unit", "ncv", "ncv_unit")


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
    summary = IngestSummary(batch_id=batch_id or new_batch_id(), source=source, kind="consumption")
    digest = ContentDigest("consumption")
    # A submission for one enterprise needs that enterprise's places only (rows naming another are rejected).
    places = store.enterprise_places(enterprise_id)
    enterprises = set(places)
    grid = {enterprise: grid_region for enterprise, (_, grid_region) in places.items()}
    home = {enterprise: region for enterprise, (region, _) in places.items()}
    revisions: list[dict[str, Any]] = []
    stamp = now_iso()
    context = RevisionContext(summary.batch_id, source, actor, stamp, today or date.today(),
                              None if confirm else hold)
    batch_keys = ConsumptionKeys()
    prepared: Generator[PreparedChunk, None, None] = (
        prepare_chunk(len(chunk), validate_consumption(chunk, enterprises=enterprises, enterprise_id=enterprise_id,
                                                       today=today, factors=factors, grid_regions=grid),
                      batch_keys, home, summary.batch_id, stamp, store.rows_ready)
        for chunk in chunks)
    if not isinstance(chunks, Sequence) or len(chunks) > 1:
        prepared = read_ahead(prepared)  # the next chunk is made while this one is written
    # The first chunk (a whole request) is read, validated, converted and summed before the write lock is
    # taken; the later chunks of a large file stream through the transaction, one made ahead.
    with closing(prepared):  # a failed batch stops the chunk being made ahead
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
                    store.changes_only_region_years(chunk.region_years)
                    rejected.append(_store_chunk(store, chunk, summary, digest, revisions, batch_keys, pairs,
                                                 home=home, context=context, confirm=confirm, reason=reason))
                for frame in rejected:
                    if len(frame):
                        store.add_rejections(summary.batch_id, frame)
                        summary.rejections.append(frame)
                        summary.rejected += len(frame)
                if progress:
                    progress(chunk.read)

            close_batch(store, summary, digest, revisions, actor=actor, enterprise_id=enterprise_id, stamp=stamp)
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
    if new is None:  # every row new: write what was prepared outside the lock
        new = chunk.checked.good
        store.insert_consumption(chunk.rows)
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


def _old_values(revised: pd.DataFrame) -> pd.DataFrame:
    """Revised rows with their converted values as they were before the revision (to take off the totals)."""
    values = list(VALUE_COLUMNS)
    return revised.assign(**{name: revised[f"old_{name}"].astype(float) for name in values})


_NO_DUPLICATES = pd.DataFrame(columns=["row", "field", "reason", "value"])  # copied: building one costs more


def _classify(store: Store, chunk: PreparedChunk, batch_keys: ConsumptionKeys,
              pairs: dict[tuple[str, str], bool]) -> tuple[pd.DataFrame | None, pd.DataFrame, pd.DataFrame, int]:
    """Split a chunk's converted rows into new, revised (with their old values), duplicates of this batch and
    the number unchanged. When every row is new, ``new`` is None: the chunk's rows go in as prepared.

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
    if not in_batch.any() and not in_store.any():
        batch_keys.add(keys, converted["row"].to_numpy())
        return None, converted.iloc[:0], _NO_DUPLICATES.copy(), 0

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
    merged = _compared(store, candidates, [pair for pair in chunk.pairs if pairs[pair]])
    found = (merged["_merge"] == "both").to_numpy()
    unchanged = np.ones(len(merged), dtype=bool)
    for name in _VALUES:
        unchanged &= same(merged[name], merged[f"old_{name}"])
    changed = found & ~unchanged
    revised = _revised(store, merged.loc[changed, converted.columns]) if changed.any() else empty
    new = pd.concat([converted.loc[~duplicate & ~lookup], merged.loc[~found, converted.columns]],
                    ignore_index=True) if (~found).any() else converted.loc[~duplicate & ~lookup]
    return new, revised, duplicates, int((found & unchanged).sum())


def _compared(store: Store, candidates: pd.DataFrame, stored_pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """The candidates (key columns as text) beside the submitted values of the stored rows with their keys
    (``old_*``, missing where none; ``_merge`` says which).

    The stored values are read by (enterprise, month) — the primary key's prefix — for the pairs that had stored
    rows, not by each row's key: a repeated file of a million rows asks about a hundred thousand pairs.
    """
    keys = list(CONSUMPTION_KEY)
    stored = store.values_in_pairs(stored_pairs)
    left = candidates.assign(**{k: candidates[k].astype(str) for k in keys})
    return beside_stored(left, stored, keys)


def _revised(store: Store, changed: pd.DataFrame) -> pd.DataFrame:
    """Changed rows as revisions of the stored rows, beside everything stored of them (``old_*``)."""
    keys = list(CONSUMPTION_KEY)
    existing = store.existing_consumption(changed[keys])
    revised = beside_stored(changed, existing, keys, how="inner")
    revised["revision"] = revised["old_revision"].astype(int) + 1
    revised["source_row"] = revised["row"]
    revised["created_batch"] = revised["old_created_batch"]
    revised["submitted_at"] = revised["submitted_at"].fillna(now_iso())
    return revised


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
        if format in ("auto", "readings") and is_readings_csv(path):
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
