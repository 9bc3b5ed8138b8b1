"""Chunks of a batch made ready before the write lock, and the keys a batch has met.

Everything about a validated chunk that does not depend on what is stored — its packed natural keys, its
(enterprise, month) pairs, its rows stamped as new rows of the batch with their region, their monthly sums and
content digest — is made here, outside the write transaction; the pipeline then only classifies the chunk
against the database and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbon.audit import ContentDigest
from carbon.carriers import carrier_ids
from carbon.store.sql import FEW_ROWS, plain_columns
from carbon.store.totals import MonthlySums, monthly_sums

__all__ = [
    "ConsumptionKeys", "PreparedChunk", "SeenKeys", "as_new_rows", "merge_digest", "month_pairs",
    "new_row_columns", "prepare_chunk", "with_region",
]


class SeenKeys:
    """Exact natural keys a batch has handled so far, packed into int64, with the source row of each.

    Each chunk's keys are kept sorted; a lookup is a binary search per chunk, so a million keys cost little.
    """

    def __init__(self) -> None:
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []

    def find(self, keys: np.ndarray) -> np.ndarray:
        """The source row of each key's earlier occurrence in this batch, or -1."""
        found = np.full(len(keys), -1, dtype=np.int64)
        for sorted_keys, rows in self.chunks:
            if not len(sorted_keys):
                continue
            position = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
            hit = (sorted_keys[position] == keys) & (found < 0)
            found[hit] = rows[position[hit]]
        return found

    def add(self, keys: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self.chunks.append((keys[order], rows[order]))


class ConsumptionKeys(SeenKeys):
    """Consumption keys (enterprise, month, carrier, purpose); only rows whose (enterprise, month) was met
    before are looked up."""

    def __init__(self) -> None:
        super().__init__()
        self.enterprises: dict[str, int] = {}
        self.carriers = {carrier: i for i, carrier in enumerate(carrier_ids())}

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        def per_category(series: pd.Series, index: Callable[[Any], int]) -> np.ndarray:
            categorical = _categorical(series)
            mapped = np.array([index(c) for c in categorical.categories.tolist()], dtype=np.int64)
            return mapped[categorical.codes]

        enterprise = per_category(frame["enterprise_id"],
                                  lambda e: self.enterprises.setdefault(str(e), len(self.enterprises)))
        month = per_category(frame["period"], lambda p: int(p[:4]) * 12 + int(p[5:7]) - 1)
        carrier = per_category(frame["carrier"], lambda c: self.carriers[str(c)])
        purpose = per_category(frame["purpose"], lambda u: int(u == "feedstock"))
        # 16 bits of month (year 5461 at most), 7 of carrier, 1 of purpose; enterprises get the other 39.
        return ((enterprise << 24) | (month << 8) | (carrier << 1) | purpose).astype(np.int64)


def month_pairs(frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Per row, the code of its (enterprise, period) pair; and the distinct pairs."""
    enterprise, period = _categorical(frame["enterprise_id"]), _categorical(frame["period"])
    combined = enterprise.codes.astype(np.int64) * len(period.categories) + period.codes
    codes, uniques = pd.factorize(combined)
    # Python lists: indexing a pandas Index once per pair costs more than all the rest together.
    e_cats = [str(e) for e in enterprise.categories.tolist()]
    p_cats = [str(p) for p in period.categories.tolist()]
    width = len(p_cats)
    pairs = [(e_cats[u // width], p_cats[u % width]) for u in uniques.tolist()]
    return codes, pairs


@dataclass
class PreparedChunk:
    """A validated and converted chunk, with what it writes if all its rows are new (the usual case)."""

    read: int
    checked: Any  # the validation's result: ``good`` (converted) and ``rejected`` rows
    keys: np.ndarray  # the natural key of each good row, packed (see ConsumptionKeys)
    pair_codes: np.ndarray  # each good row's (enterprise, month) as an index into ``pairs``
    pairs: list[tuple[str, str]]
    region_years: set[tuple[str | None, int]]  # the (region, year) of each pair: what the chunk changes
    sums: MonthlySums  # what the good rows add to the monthly totals as new rows
    digest: ContentDigest  # the content digest of the good rows
    # The good rows as new rows of the batch with their enterprise's region, made ready to store
    # (ConsumptionRows) when the store could do it beforehand, else as a frame.
    rows: Any


def prepare_chunk(read: int, checked: Any, batch_keys: ConsumptionKeys, home: Mapping[str, str], batch_id: str,
                  stamp: str, ready: Callable[[Any], Any] | None = None) -> PreparedChunk:
    """Everything about a validated chunk that does not depend on what is stored (made outside the lock);
    ``ready`` makes the new rows ready to store (:meth:`carbon.store.Store.rows_ready`)."""
    good = checked.good
    digest = ContentDigest("consumption")
    if good.empty:
        empty = np.array([], dtype=np.int64)
        return PreparedChunk(read, checked, empty, empty, [], set(), MonthlySums([], []), digest, good)
    pair_codes, pairs = month_pairs(good)
    region_years = {(home.get(enterprise), int(period[:4])) for enterprise, period in pairs}
    keys = batch_keys.encode(good)
    if ready is not None and len(good) <= FEW_ROWS:  # a request's: from plain lists, not pandas columns
        columns = new_row_columns(plain_columns(good), batch_id, stamp, home)
        digest.add(good, columns)
        return PreparedChunk(read, checked, keys, pair_codes, pairs, region_years, monthly_sums(columns), digest,
                             ready(columns))
    new = as_new_rows(good, batch_id, stamp, home=home)
    digest.add(new)
    return PreparedChunk(read, checked, keys, pair_codes, pairs, region_years, monthly_sums(new), digest,
                         ready(new) if ready is not None else new)


def new_row_columns(columns: Mapping[str, list[Any]], batch_id: str, stamp: str,
                    home: Mapping[str, str]) -> dict[str, list[Any]]:
    """:func:`as_new_rows` (with ``home``) of a few rows given as lists per column."""
    n = len(columns["row"])
    return {**columns, "revision": [1] * n, "batch_id": [batch_id] * n, "created_batch": [batch_id] * n,
            "source_row": list(columns["row"]), "updated_at": [stamp] * n,
            "submitted_at": [stamp if pd.isna(given) else given for given in columns["submitted_at"]],
            "region": [home.get(enterprise) for enterprise in columns["enterprise_id"]]}


def as_new_rows(rows: pd.DataFrame, batch_id: str, stamp: str, *, home: Mapping[str, str] | None = None
                ) -> pd.DataFrame:
    """Rows as the first revision of their keys, stored by this batch; with their enterprise's region if
    ``home`` is given (as :func:`with_region`, in the same step).

    The batch id and the stamps are the same on every row: single-category columns, not a million strings.
    """
    region = {} if home is None else {"region": _regions(rows["enterprise_id"], home)}
    submitted = rows["submitted_at"]
    if submitted.isna().all():
        submitted = _constant(stamp, len(rows))
    else:
        submitted = submitted.astype(object).where(submitted.notna(), stamp)
    batch = _constant(batch_id, len(rows))
    return rows.assign(revision=1, batch_id=batch, created_batch=batch, source_row=rows["row"], submitted_at=submitted,
                       updated_at=_constant(stamp, len(rows)), **region)


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value], validate=False)


def merge_digest(digest: ContentDigest, part: ContentDigest) -> None:
    """Fold the digest of some rows into the batch's (the digest is a count, a wrapping sum and a xor)."""
    digest.count += part.count
    digest.total = (digest.total + part.total) % 2**64
    digest.xor ^= part.xor


def with_region(rows: pd.DataFrame, home: Mapping[str, str]) -> pd.DataFrame:
    """Rows with their enterprise's region, looked up once per enterprise (a categorical of the regions)."""
    return rows.assign(region=_regions(rows["enterprise_id"], home))


def _regions(enterprise_ids: pd.Series, home: Mapping[str, str]) -> pd.Categorical:
    enterprise = _categorical(enterprise_ids)
    codes, regions = pd.factorize(pd.Series([home.get(e) for e in enterprise.categories.tolist()], dtype=object))
    per_row = np.append(codes, -1)[enterprise.codes]  # code -1 (no enterprise) stays missing
    return pd.Categorical.from_codes(per_row, categories=regions, validate=False)


def _categorical(series: pd.Series) -> pd.Categorical:
    """A column as a Categorical (itself when it is one: its codes without a Series around them)."""
    return series.array if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category").array
