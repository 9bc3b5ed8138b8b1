"""The audit trail: an append-only log whose entries are chained by SHA-256, and its verification.

Audit happens at the grain that keeps it cheap and complete:

- a batch of new rows gets one entry whose ``content_hash`` digests all of them (order-independent, so chunks of
  a streamed file can be folded in as they are stored); the rows themselves carry ``created_batch``, so the batch
  stays reproducible from the database;
- a revision of a stored value gets an entry of its own, with who, when, source, old → new.

Each entry's ``hash`` covers its fields and the previous entry's hash, so editing, deleting or reordering any
entry breaks the chain from there on; re-computing every batch's content from the stored rows finds a row edited
behind the service's back.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.core.util.hashing import combine_hash_arrays  # how hash_pandas_object combines a frame's columns

from carbon.audit_coverage import verify_coverage

if TYPE_CHECKING:
    from carbon.store import Store

__all__ = ["GENESIS", "ContentDigest", "Verification", "chain_entries", "entry_hash", "verify"]

GENESIS = "0" * 64

# What a consumption row's content is, for the batch digest: its natural key and the values as submitted.
CONSUMPTION_CONTENT: tuple[str, ...] = (
    "enterprise_id", "period", "carrier", "purpose", "quantity", "unit", "ncv", "ncv_unit",
)
READING_CONTENT: tuple[str, ...] = ("meter_id", "ts", "value", "unit", "kind")
CONTENT = {"consumption": CONSUMPTION_CONTENT, "readings": READING_CONTENT}
_NUMERIC = {"quantity", "ncv", "value"}

HASHED_FIELDS: tuple[str, ...] = (
    "seq", "ts", "actor", "action", "entity", "entity_key", "enterprise_id", "batch_id", "old", "new",
    "content_count", "content_hash",
)


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's fields, in a canonical JSON form."""
    payload = json.dumps({name: entry.get(name) for name in HASHED_FIELDS}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def chain_entries(entries: Sequence[Mapping[str, Any]], last: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Number and chain new entries after ``last`` (the newest stored entry, or None for an empty log)."""
    seq = int(last["seq"]) if last else 0
    prev = str(last["hash"]) if last else GENESIS
    chained = []
    for entry in entries:
        seq += 1
        row = {**entry, "seq": seq, "prev_hash": prev}
        for name in ("old", "new"):
            if isinstance(row.get(name), Mapping):
                row[name] = json.dumps(row[name], sort_keys=True, ensure_ascii=False, default=str)
        row["hash"] = entry_hash(prev, row)
        prev = row["hash"]
        chained.append(row)
    return chained


def _normalised(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The content columns in one representation whatever their dtype (category, str, object from SQL).

    Hashes of categorical, string and object columns agree value for value, so columns without missing
    values are hashed as they are; missing values become "" (text) or -1 (numbers, which are never negative).
    """
    out = {}
    for name in columns:
        series = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        if name in _NUMERIC:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            out[name] = np.where(np.isnan(values), -1.0, values)
        elif not series.isna().any():
            out[name] = series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype(str)
        else:
            values = series.astype(object).to_numpy()
            out[name] = np.where(pd.isna(values), "", values).astype(str).astype(object)
    return pd.DataFrame(out, index=frame.index)


def _row_hashes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """``hash_pandas_object(_normalised(frame, columns), index=False)``, without building the frame.

    Each column is hashed from its few distinct values (categoricals) or its array, and the columns are
    combined as pandas combines them, so the hashes are the same; a request's few rows then cost microseconds
    instead of milliseconds. Columns of other types (timestamps) take the general path.
    """
    hashed = [_column_hash(frame.get(name), name, len(frame)) for name in columns]
    if any(h is None for h in hashed):
        return pd.util.hash_pandas_object(_normalised(frame, columns), index=False).to_numpy()
    return combine_hash_arrays(iter(hashed), len(hashed))


def _column_hash(series: pd.Series | None, name: str, n: int) -> np.ndarray | None:
    """The hashes of one content column as :func:`_normalised` represents it; None for a type not handled."""
    if name in _NUMERIC:
        if series is None:
            return pd.util.hash_array(np.full(n, -1.0))
        values = (series.to_numpy() if series.dtype == np.float64 else
                  pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        return pd.util.hash_array(np.where(np.isnan(values), -1.0, values))
    if series is None:
        return pd.util.hash_array(np.full(n, "", dtype=object))
    if isinstance(series.dtype, pd.CategoricalDtype):
        categorical = series.array  # the Categorical itself: its codes without a Series around them
        categories = categorical.categories.to_numpy(dtype=object)
        if not all(isinstance(value, str) for value in categories):
            return None
        codes = categorical.codes
        # as pandas hashes a categorical (its categories, taken by code); a missing value hashes as ""
        hashed = pd.util.hash_array(np.append(categories, np.array([""], dtype=object)), categorize=False)
        return hashed.take(np.where(codes < 0, len(categories), codes))
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        values = series.to_numpy(dtype=object)
        missing = pd.isna(values)
        if all(isinstance(value, str) for value in values[~missing]):
            return pd.util.hash_array(np.where(missing, "", values).astype(object) if missing.any() else values)
    return None


def _list_hashes(columns: Mapping[str, list[Any]], names: Sequence[str]) -> np.ndarray | None:
    """:func:`_row_hashes` of a few rows given as lists per column (None when a text column holds other values).

    A value's hash does not depend on its neighbours, so the numeric columns are hashed in one call and the text
    columns in another, instead of one call per column.
    """
    n = len(next(iter(columns.values())))
    numeric = [name for name in names if name in _NUMERIC]
    text = [name for name in names if name not in _NUMERIC]
    words = [value if isinstance(value, str) else "" if pd.isna(value) else None
             for name in text for value in columns.get(name, [None] * n)]
    try:
        values = np.array([columns.get(name, [None] * n) for name in numeric], dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return None
    if any(word is None for word in words):
        return None
    hashed = {**dict(zip(numeric, pd.util.hash_array(np.where(np.isnan(values), -1.0, values)).reshape(-1, n),
                         strict=True)),
              **dict(zip(text, pd.util.hash_array(np.array(words, dtype=object)).reshape(-1, n), strict=True))}
    return combine_hash_arrays(iter(hashed[name] for name in names), len(names))


@dataclass
class ContentDigest:
    """An order-independent digest of a multiset of rows: count, wrapping sum and xor of 64-bit row hashes."""

    entity: str
    count: int = 0
    total: int = 0
    xor: int = 0

    def add(self, frame: pd.DataFrame, columns: Mapping[str, list[Any]] | None = None) -> None:
        """Fold rows into the digest (chunks may come in any order); ``columns``, the same rows as lists per
        column (:func:`carbon.store.sql.plain_columns`), spare a request's few rows pandas' per-column work."""
        if frame.empty:
            return
        hashes = _list_hashes(columns, CONTENT[self.entity]) if columns is not None else None
        if hashes is None:
            hashes = _row_hashes(frame, CONTENT[self.entity])
        self.count += len(hashes)
        with np.errstate(over="ignore"):
            self.total = (self.total + int(hashes.sum(dtype=np.uint64))) % 2**64
        self.xor ^= int(np.bitwise_xor.reduce(hashes))

    @property
    def hexdigest(self) -> str:
        return hashlib.sha256(f"{self.entity}:{self.count}:{self.total}:{self.xor}".encode()).hexdigest()


def consumption_key(row: Mapping[str, Any]) -> str:
    """The natural key of a consumption row as one string (the audit entries' ``entity_key``)."""
    return "|".join(str(row[name]) for name in ("enterprise_id", "period", "carrier", "purpose"))


@dataclass
class Verification:
    """What :func:`verify` found."""

    ok: bool = True
    entries: int = 0
    batches_checked: int = 0
    first_broken_seq: int | None = None
    problems: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, message: str) -> None:
        self.ok = False
        if seq is not None and (self.first_broken_seq is None or seq < self.first_broken_seq):
            self.first_broken_seq = seq
        if len(self.problems) < 100:
            self.problems.append(message)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "batches_checked": self.batches_checked,
                "first_broken_seq": self.first_broken_seq, "problems": self.problems}


def _verify_chain(entries: Iterable[Mapping[str, Any]], result: Verification) -> list[Mapping[str, Any]]:
    prev = GENESIS
    expected_seq = 1
    kept = []
    for entry in entries:
        result.entries += 1
        seq = int(entry["seq"])
        if seq != expected_seq:
            result.fail(seq, f"entry {seq}: expected sequence number {expected_seq} (an entry was removed)")
        if entry["prev_hash"] != prev:
            result.fail(seq, f"entry {seq}: does not follow entry {seq - 1} (its prev_hash differs)")
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            result.fail(seq, f"entry {seq}: its fields were changed after it was written (hash mismatch)")
        prev = entry["hash"]
        expected_seq = seq + 1
        if entry["action"] in ("batch", "revise", "token"):
            kept.append(entry)
    return kept


def verify(store: Store) -> Verification:
    """Check the hash chain, then re-compute every batch's content and every revision from the stored rows.

    Then :func:`carbon.audit_coverage.verify_coverage` recomputes derived values and monthly totals from the rows,
    re-digests each batch of meter readings and compares each token row with its entry.

    Returns
    -------
    Verification
        ``ok`` and, when not, the first broken entry and what is wrong (an edited entry, a removed entry, a row
        edited outside the service, a revision that does not match the row, an edited derived value or total, an
        edited or deleted reading, an edited token).
    """
    result = Verification()
    entries = _verify_chain(store.iter_audit(), result)

    revisions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry["action"] == "revise" and entry["entity"] == "consumption":
            revisions[entry["entity_key"]].append({"seq": entry["seq"], "old": json.loads(entry["old"]),
                                                   "new": json.loads(entry["new"])})

    by_batch = store.consumption_by_batch()  # one pass over the rows, not one query per batch
    no_rows = pd.DataFrame(columns=[*CONSUMPTION_CONTENT, "revision", "source_row"])
    for entry in entries:
        if entry["action"] != "batch" or entry["entity"] != "consumption" or not entry.get("content_count"):
            continue
        result.batches_checked += 1
        rows = by_batch.get(entry["batch_id"], no_rows)
        if len(rows) and (rows["revision"] > 1).any():
            rows = _undo_revisions(rows, revisions)
        digest = ContentDigest("consumption")
        digest.add(rows)
        if (digest.count, digest.hexdigest) != (entry["content_count"], entry["content_hash"]):
            result.fail(entry["seq"], f"batch {entry['batch_id']} (entry {entry['seq']}): its rows no longer "
                                      f"match what was stored ({digest.count} rows now, {entry['content_count']} "
                                      "then) — a row was edited or deleted outside the service")

    current = store.consumption_with_revisions()
    for row in current.to_dict("records"):
        history = revisions.get(consumption_key(row), [])
        if len(history) != int(row["revision"]) - 1:
            result.fail(history[-1]["seq"] if history else None,
                        f"{consumption_key(row)}: revision {row['revision']} but {len(history)} revision entries")
            continue
        latest = history[-1]["new"]
        if not _same_values(latest, row):
            result.fail(history[-1]["seq"], f"{consumption_key(row)}: stored values differ from its latest "
                                            f"revision entry {history[-1]['seq']} (edited outside the service)")
    verify_coverage(store, result, entries)  # derived values, totals, readings, tokens
    return result


def _same_values(values: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    for name in ("quantity", "unit", "ncv", "ncv_unit"):
        a, b = values.get(name), row.get(name)
        if isinstance(a, float) or isinstance(b, float):
            a = None if a is None or a != a else float(a)
            b = None if b is None or b != b else float(b)
        if a != b:
            return False
    return True


def _undo_revisions(rows: pd.DataFrame, revisions: Mapping[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Rows as their batch first stored them: revised rows take the ``old`` values of their first revision."""
    rows = rows.copy()
    for position in np.flatnonzero(rows["revision"].to_numpy() > 1):
        key = consumption_key(rows.iloc[position])
        history = revisions.get(key)
        if history:
            for name in ("quantity", "unit", "ncv", "ncv_unit"):
                rows.iat[position, rows.columns.get_loc(name)] = history[0]["old"].get(name)
    return rows
