"""Row-by-row validation of submitted data, as vectorised masks.

Every check runs over the whole frame at once; checks that need a lookup (an enterprise, a carrier, a unit, a
period) are decided once per distinct value and mapped back to the rows through integer codes. A row that fails
is rejected with its row number, the field and a reason a person can act on; the other rows go on.

References
----------
.. [1] GB/T 38692-2020 用能单位能耗在线监测技术要求: 15-minute sampling, completeness ≥ 90 %, daily sums within
       5 % of the monthly figure (FACTS.md §6).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from carbon.accounting import coefficients
from carbon.carriers import get_carrier
from carbon.errors import CarbonError
from carbon.factors import FactorSet, default_factors
from carbon.identifiers import is_identifier
from carbon.indicators.telemetry import CST, INTERVAL
from carbon.ingest.free_text import MAX_READING_VALUE, bad_submitted_at, implausible_readings
from carbon.units import Q_, parse_unit, ureg

__all__ = [
    "MAX_TCE_PER_MONTHLY_ROW", "Checked", "normalize_period", "validate_consumption", "validate_readings",
]

REQUIRED: tuple[str, ...] = ("enterprise_id", "period", "carrier", "quantity", "unit")

# Plausibility bound of one monthly row: the largest single industrial sites use about 10 Mtce a year, under
# 1 Mtce a month; a row above this is a unit slip (千瓦时 for 万千瓦时) or a typo, never a real month.
MAX_TCE_PER_MONTHLY_ROW = Q_(2_000_000, "tce")

_PURPOSES = {
    "fuel": "fuel", "燃料": "fuel", "能源": "fuel", "燃料用": "fuel", "energy": "fuel", "燃料用能": "fuel",
    "feedstock": "feedstock", "原料": "feedstock", "原材料": "feedstock", "原料用能": "feedstock",
    "用作原材料": "feedstock", "rawmaterial": "feedstock", "material": "feedstock",
}
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_NONE = "<none>"  # stands for a missing value in group keys (pandas drops NaN from keys)



@dataclass
class Checked:
    """The rows that passed, in canonical form, and the rows rejected with their reasons."""

    good: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        return {"good": len(self.good), "rejected": len(self.rejected)}


class _Rejections:
    """Collects (row, field, reason, value) for rows as checks fail them; each row is rejected once."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.alive = np.ones(len(frame), dtype=bool)
        self.parts: list[pd.DataFrame] = []

    def reject(self, mask: np.ndarray, field: str, reasons: str | np.ndarray | pd.Series,
               values: pd.Series | np.ndarray | None = None) -> None:
        mask = np.asarray(mask, dtype=bool) & self.alive
        if not mask.any():
            return
        if isinstance(reasons, pd.Series):
            reasons = reasons.to_numpy()
        reason = reasons[mask] if isinstance(reasons, np.ndarray) else reasons
        if values is None:
            values = self.frame[field] if field in self.frame else pd.Series([None] * len(self.frame))
        values = np.asarray(values.astype(object) if isinstance(values, pd.Series) else values, dtype=object)
        self.parts.append(pd.DataFrame({
            "row": self.frame["row"].to_numpy()[mask], "field": field, "reason": reason,
            "value": [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values[mask]],
        }))
        self.alive &= ~mask

    def result(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"row": pd.Series(dtype=int), "field": pd.Series(dtype=object),
                                 "reason": pd.Series(dtype=object), "value": pd.Series(dtype=object)})
        return pd.concat(self.parts, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def _per_value(series: pd.Series, decide: Callable[[Any], Any]) -> tuple[np.ndarray, list[Any]]:
    """Decide once per distinct value; return the per-row codes and the per-value decisions."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.intp)
        values: list[Any] = list(series.cat.categories)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(values), codes)
            values.append(None)
    else:
        codes, found = pd.factorize(series, use_na_sentinel=False)
        values = [None if _blank(v) else v for v in found]
    return codes, [decide(v) for v in values]


def _per_value_array(series: pd.Series, decide: Callable[[Any], Any]) -> np.ndarray:
    """Per-row results of a per-distinct-value decision, as an object array."""
    codes, decided = _per_value(series, decide)
    return np.array(decided, dtype=object)[codes]


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _blank_mask(series: pd.Series) -> np.ndarray:
    """Missing or only white space: per category for categoricals, vectorised for text."""
    mask = series.isna().to_numpy().copy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, blank = _per_value(series, _blank)
        mask |= np.asarray(blank, dtype=bool)[codes]
    elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        # Compared in C, not stripped in Python: a value of spaces alone fails its own parse with its reason.
        values = series.to_numpy(dtype=object, na_value=None)
        mask |= values == ""
    return mask


_PERIOD_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})-(\d{2})-01(?:[T ]00:00(?::00)?)?$"),
)


def normalize_period(value: Any) -> str | None:
    """A month as ``YYYY-MM`` from the ways reports write it, or None when it is not a month.

    Examples
    --------
    >>> [normalize_period(v) for v in ("2024-03", "2024/3", "202403", "2024年3月", "2024-03-01", "2024-13")]
    ['2024-03', '2024-03', '2024-03', '2024-03', '2024-03', None]
    """
    if isinstance(value, datetime | date | pd.Timestamp):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    for pattern in _PERIOD_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month = int(match[1]), int(match[2])
            return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and 1900 <= year <= 2999 else None
    return None


def _category(values: list[Any], codes: np.ndarray) -> pd.Categorical:
    """Per-row values from per-distinct-value results, as a categorical (None → missing)."""
    categories = sorted({v for v in values if v is not None})
    lookup = {v: i for i, v in enumerate(categories)}
    mapped = np.array([lookup.get(v, -1) if v is not None else -1 for v in values], dtype=np.int32)
    return pd.Categorical.from_codes(mapped[codes] if len(codes) else mapped[:0], categories=categories,
                                     validate=False)


def validate_consumption(frame: pd.DataFrame, *, enterprises: Container[str] | None = None,
                         enterprise_id: str | None = None, today: date | None = None,
                         factors: FactorSet | None = None) -> Checked:
    """Check monthly consumption rows and bring the good ones into canonical form.

    Parameters
    ----------
    frame : DataFrame
        A reader's canonical frame: ``row`` and some of ``enterprise_id``, ``period``, ``carrier``, ``quantity``,
        ``unit``, ``purpose``, ``ncv``, ``ncv_unit``, ``renewable``, ``submitted_at``, values as written.
    enterprises : container of str, optional
        Registered enterprise ids; rows naming another are rejected. None skips the check.
    enterprise_id : str, optional
        The enterprise this submission is for: fills rows without one and rejects rows naming another.
    today : date, optional
        Periods after this month are rejected (default: today).
    factors : FactorSet, optional
        Factor tables for the unit and plausibility checks.

    Returns
    -------
    Checked
        ``good``: ``row``, ``enterprise_id``, ``period`` (``YYYY-MM``), ``carrier`` (canonical id), ``purpose``
        (``fuel``/``feedstock``), ``quantity`` [float, in ``unit``], ``unit``, ``ncv``, ``ncv_unit``,
        ``submitted_at``; ``rejected``: ``row``, ``field``, ``reason``, ``value``.
    """
    factors = factors or default_factors()
    today = today or date.today()
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if "row" not in frame:
        frame = frame.assign(row=np.arange(n))
    out = _Rejections(frame)

    if enterprise_id is not None:
        if "enterprise_id" not in frame:
            frame = frame.assign(enterprise_id=enterprise_id)
            out.frame = frame
        else:
            given = frame["enterprise_id"].astype(object).where(~_blank_mask(frame["enterprise_id"]), enterprise_id)
            frame = frame.assign(enterprise_id=given.astype(str))
            out.frame = frame
            out.reject(frame["enterprise_id"].to_numpy() != enterprise_id, "enterprise_id",
                       f"this submission is for enterprise {enterprise_id}; submit other enterprises' data "
                       "under their own account")

    for name in REQUIRED:
        if name not in frame:
            out.reject(np.ones(n, dtype=bool), name,
                       f"the {name} column is missing; expected columns: enterprise_id, period, carrier, "
                       "quantity, unit (or 企业编号, 统计期, 能源品种, 消费量, 计量单位)")
        else:
            out.reject(_blank_mask(frame[name]), name, f"{name} is empty")

    if enterprises is not None and "enterprise_id" in frame:
        codes, unknown = _per_value(frame["enterprise_id"], lambda v: None if v is None or str(v) in enterprises
                                    else f"unknown enterprise {str(v)!r}; register it first (carbon enterprise add, "
                                         "or POST /v1/enterprises)")
        messages = np.array([m or "" for m in unknown], dtype=object)
        out.reject(messages[codes] != "", "enterprise_id", messages[codes])

    this_month = f"{today.year:04d}-{today.month:02d}"
    period_codes, periods = _per_value(frame["period"], normalize_period) if "period" in frame else \
        (np.zeros(n, dtype=np.intp), [None])
    period_ok = np.array([p is not None for p in periods], dtype=bool)
    out.reject(~period_ok[period_codes], "period",
               "not a month; write it as YYYY-MM, e.g. 2024-03 (2024/3, 202403 and 2024年3月 are read too)")
    future = np.array([p is not None and p > this_month for p in periods], dtype=bool)
    out.reject(future[period_codes], "period", f"is in the future (after {this_month}); check the year")
    out.reject(bad_submitted_at(frame), "submitted_at", "is not a date; write it as YYYY-MM-DD (or ISO 8601)")

    carrier_codes, carriers = _per_value(frame["carrier"], _carrier_id) if "carrier" in frame else \
        (np.zeros(n, dtype=np.intp), [None])
    carrier_bad = np.array([isinstance(c, CarbonError) for c in carriers], dtype=bool)
    messages = np.array([str(c) if isinstance(c, CarbonError) else "" for c in carriers], dtype=object)
    out.reject(carrier_bad[carrier_codes], "carrier", messages[carrier_codes])
    carrier_ids = [None if isinstance(c, CarbonError) else c for c in carriers]
    carrier = _category(carrier_ids, carrier_codes).astype(object)
    if "renewable" in frame:
        renewable = frame["renewable"].astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()
        carrier = np.where(renewable & (carrier == "electricity"), "electricity_renewable", carrier)

    if "purpose" in frame:
        purpose_codes, purposes = _per_value(frame["purpose"], _purpose)
        purpose_bad = np.array([p is None for p in purposes], dtype=bool)
        out.reject(purpose_bad[purpose_codes], "purpose", "purpose must be fuel or feedstock (燃料 or 原料用能)")
        purpose = np.array(["fuel" if p is None else p for p in purposes], dtype=object)[purpose_codes]
    else:
        purpose = np.full(n, "fuel", dtype=object)

    quantity_raw = frame["quantity"] if "quantity" in frame else pd.Series([None] * n)
    quantity = pd.to_numeric(quantity_raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out.reject(np.isnan(quantity), "quantity", "is not a number; write the amount alone (e.g. 1250.5) and "
               "the unit in the unit column")
    out.reject(np.isinf(quantity), "quantity", "is not a finite number")
    out.reject(quantity < 0, "quantity", "is negative; report consumption as a non-negative amount (a "
               "correction is a new submission of the right value)")

    ncv = np.full(n, np.nan)
    ncv_unit = pd.Series([None] * n, dtype=object)
    if "ncv" in frame:
        ncv_given = ~_blank_mask(frame["ncv"])
        ncv = pd.to_numeric(frame["ncv"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        out.reject(ncv_given & ~(ncv > 0), "ncv", "a measured net calorific value must be a positive number")
        ncv_unit = frame["ncv_unit"].astype(object) if "ncv_unit" in frame else ncv_unit
        out.reject(ncv_given & _blank_mask(ncv_unit), "ncv_unit",
                   "give the unit of the measured net calorific value, e.g. kJ/kg or MJ/m3")
        ncv = np.where(ncv_given, ncv, np.nan)

    # Unit fits carrier, and the amount is plausible: decided per (carrier, unit, ncv unit) group.
    unit_text = frame["unit"].astype(object) if "unit" in frame else pd.Series([None] * n, dtype=object)
    group = pd.DataFrame({"carrier": carrier, "unit": unit_text,
                          "ncv_unit": np.where(np.isnan(ncv), None, ncv_unit.to_numpy(dtype=object))})
    group_codes, group_keys = pd.factorize(pd.MultiIndex.from_frame(group.fillna(_NONE)))
    tce_per_unit = np.full(len(group_keys), np.nan)
    group_error = np.full(len(group_keys), "", dtype=object)
    for position, (group_carrier, group_unit, group_ncv_unit) in enumerate(group_keys):
        if group_carrier == _NONE or group_unit == _NONE:
            continue
        try:
            tce_per_unit[position] = coefficients(
                group_carrier, group_unit, ncv_unit=None if group_ncv_unit == _NONE else group_ncv_unit,
                factors=factors).tce_equivalent
        except CarbonError as error:
            group_error[position] = str(error)
    failed = group_error != ""
    out.reject(failed[group_codes], "unit", group_error[group_codes])
    tce = quantity * np.where(np.isnan(ncv), 1.0, ncv) * tce_per_unit[group_codes]
    limit = MAX_TCE_PER_MONTHLY_ROW.to("tce").magnitude
    implausible = tce > limit
    if implausible.any():
        reasons = np.full(n, "", dtype=object)
        reasons[implausible] = [f"implausible: {t:.3g} tce in one month, more than any single site uses "
                                f"({limit:.0e} tce); check the amount and the unit (万千瓦时 or 千瓦时?)"
                                for t in tce[implausible]]
        out.reject(implausible, "quantity", reasons)

    # Duplicates inside the submission: the first occurrence stands, later ones are rejected.
    period = _category(periods, period_codes)
    key = pd.DataFrame({"e": frame.get("enterprise_id", pd.Series([""] * n)).astype(str).to_numpy(),
                        "p": period.codes, "c": carrier, "u": purpose})
    alive_rows = np.flatnonzero(out.alive)
    if len(alive_rows):
        keys_alive = key.iloc[alive_rows]
        duplicated = keys_alive.duplicated(keep="first").to_numpy()
        if duplicated.any():
            first_row = frame["row"].to_numpy()[alive_rows]
            first = pd.Series(first_row).groupby([keys_alive[c].to_numpy() for c in keys_alive]).transform("first")
            mask = np.zeros(n, dtype=bool)
            mask[alive_rows[duplicated]] = True
            reasons = np.full(n, "", dtype=object)
            reasons[alive_rows[duplicated]] = [
                f"duplicates row {r} (same enterprise, period, carrier and purpose); send one row per key, "
                "or correct the value in a later submission" for r in first.to_numpy()[duplicated]]
            out.reject(mask, "period", reasons, values=frame["period"])

    keep = out.alive
    good = pd.DataFrame({
        "row": frame["row"].to_numpy()[keep],
        "enterprise_id": pd.Categorical(frame["enterprise_id"].astype(str).to_numpy()[keep]) if n else [],
        "period": period[keep],
        "carrier": pd.Categorical(carrier[keep]),
        "purpose": pd.Categorical(purpose[keep]),
        "quantity": quantity[keep],
        "unit": pd.Categorical(unit_text.astype(str).to_numpy()[keep]),
        "ncv": ncv[keep],
        "ncv_unit": ncv_unit.where(~np.isnan(ncv), None).to_numpy(dtype=object)[keep],
        "submitted_at": (frame["submitted_at"].astype(object).where(~_blank_mask(frame["submitted_at"]), None)
                         .to_numpy(dtype=object)[keep] if "submitted_at" in frame else None),
    })
    return Checked(good=good, rejected=out.result())


def _carrier_id(value: Any) -> str | CarbonError | None:
    if value is None:
        return None
    try:
        return get_carrier(str(value)).id
    except CarbonError as error:
        return error


def _purpose(value: Any) -> str | None:
    if value is None:
        return "fuel"
    return _PURPOSES.get("".join(str(value).split()).casefold())


# -- telemetry ----------------------------------------------------------------------------------------------

READING_REQUIRED: tuple[str, ...] = ("meter_id", "ts", "value")
KINDS = ("cumulative", "interval")
# GB/T 38692-2020 allows a clock deviation of one minute for real-time data: such stamps are put on the grid.
CLOCK_TOLERANCE = pd.Timedelta(minutes=1)


def validate_readings(frame: pd.DataFrame, *, meters: Mapping[str, str] | None = None,
                      enterprises: Container[str] | None = None, enterprise_id: str | None = None,
                      now: datetime | None = None) -> Checked:
    """Check 15-minute meter readings and bring the good ones into canonical form.

    Parameters
    ----------
    frame : DataFrame
        ``row`` and ``meter_id``, ``ts``, ``value`` with optional ``enterprise_id``, ``unit`` (default kWh),
        ``carrier`` (default electricity) and ``kind`` (``cumulative`` register or ``interval`` amount;
        default cumulative).
    meters : mapping, optional
        Known meters and their enterprise; a reading for another enterprise's meter is rejected.
    enterprises, enterprise_id
        As in :func:`validate_consumption`.
    now : datetime, optional
        Readings after this moment (plus the clock tolerance) are rejected.

    Returns
    -------
    Checked
        ``good`` with ``row``, ``meter_id``, ``enterprise_id``, ``ts`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``, on the
        15-minute grid), ``value`` [float, in ``unit``], ``unit``, ``carrier``, ``kind``.
    """
    frame = frame.reset_index(drop=True)
    n = len(frame)
    if "row" not in frame:
        frame = frame.assign(row=np.arange(n))
    if enterprise_id is not None and "enterprise_id" not in frame:
        frame = frame.assign(enterprise_id=enterprise_id)
    defaults = {"unit": "kWh", "carrier": "electricity", "kind": "cumulative"}
    for name, value in defaults.items():
        if name not in frame:
            frame = frame.assign(**{name: value})
        else:
            frame[name] = frame[name].astype(object).where(~_blank_mask(frame[name]), value)
    out = _Rejections(frame)
    for name in (*READING_REQUIRED, "enterprise_id"):
        if name not in frame:
            out.reject(np.ones(n, dtype=bool), name, f"the {name} column is missing")
        else:
            out.reject(_blank_mask(frame[name]), name, f"{name} is empty")
    if n == 0 or not out.alive.any():
        return Checked(good=_empty_readings(), rejected=out.result())

    enterprise = frame["enterprise_id"].astype(str)
    if enterprise_id is not None:
        out.reject(enterprise.to_numpy() != enterprise_id, "enterprise_id",
                   f"this submission is for enterprise {enterprise_id}")
    if enterprises is not None:
        codes, known = _per_value(enterprise, lambda v: v in enterprises)
        out.reject(~np.asarray(known, dtype=bool)[codes], "enterprise_id",
                   "unknown enterprise; register it first")
    if meters:
        owner = frame["meter_id"].astype(str).map(meters)
        out.reject((owner.notna() & (owner != enterprise)).to_numpy(), "meter_id",
                   "this meter belongs to another enterprise")

    if "meter_id" in frame:
        out.reject(~frame["meter_id"].map(is_identifier).to_numpy(dtype=bool) & ~_blank_mask(frame["meter_id"]),
                   "meter_id", "is not an identifier: ASCII letters and digits joined by single . _ or -")
    stamps = _parse_stamps(frame["ts"])
    out.reject(stamps.isna().to_numpy(), "ts", "is not a timestamp; use ISO 8601, e.g. 2025-06-01T00:15:00+08:00")
    snapped = stamps.dt.round(INTERVAL)
    off_grid = ((stamps - snapped).abs() > CLOCK_TOLERANCE).to_numpy()
    out.reject(off_grid, "ts", "is not on the 15-minute grid (:00, :15, :30, :45 within one minute)")
    limit = pd.Timestamp(now) if now is not None else pd.Timestamp.now(tz="UTC")
    limit = (limit.tz_localize(CST) if limit.tzinfo is None else limit).tz_convert("UTC")
    out.reject((snapped > limit + CLOCK_TOLERANCE).to_numpy(), "ts", "is in the future; check the meter clock")

    value = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out.reject(~np.isfinite(value), "value", "is not a number")
    out.reject(value < 0, "value", "is negative; meter readings and interval amounts are never below zero")
    early, large = implausible_readings(stamps, value)
    out.reject(early, "ts", "is before 2000; check the meter clock")
    out.reject(large, "value", f"is larger than {MAX_READING_VALUE:g}; check the unit and the decimal point")

    kind = _per_value_array(frame["kind"], lambda k: str(k).strip().lower())
    out.reject(~np.isin(kind, KINDS), "kind", "kind must be cumulative (register reading) or interval")

    carrier_codes, carriers = pd.factorize(frame["carrier"])
    unit_codes, units = pd.factorize(frame["unit"])
    pair_codes, pairs = pd.factorize(carrier_codes.astype(np.int64) * max(len(units), 1) + unit_codes)
    errors = np.array([_reading_unit_error(f"{carriers[p // max(len(units), 1)]}|{units[p % max(len(units), 1)]}")
                       or "" for p in pairs], dtype=object)
    out.reject(errors[pair_codes] != "", "unit", errors[pair_codes])

    instants = snapped.dt.tz_localize(None).to_numpy()  # datetime64 in UTC: fast to compare and format
    key = pd.DataFrame({"m": frame["meter_id"].astype(str).to_numpy(), "t": instants})
    alive_rows = np.flatnonzero(out.alive)
    duplicated = key.iloc[alive_rows].duplicated(keep="first").to_numpy()
    mask = np.zeros(n, dtype=bool)
    mask[alive_rows[duplicated]] = True
    out.reject(mask, "ts", "duplicates an earlier reading of the same meter at the same time")

    keep = out.alive
    good = pd.DataFrame({
        "row": frame["row"].to_numpy()[keep],
        "meter_id": frame["meter_id"].astype(str).to_numpy()[keep],
        "enterprise_id": enterprise.to_numpy()[keep],
        "ts": np.char.add(np.datetime_as_string(instants[keep], unit="s"), "Z").astype(object),
        "value": value[keep],
        "unit": frame["unit"].astype(str).to_numpy()[keep],
        "carrier": _per_value_array(frame["carrier"].astype(str), _carrier_id)[keep],
        "kind": kind[keep],
        # the quarter-hour since 1970 as an integer: an exact, cheap key for the batch's duplicate check
        "quarter": ((instants[keep] - np.datetime64(0, "s")) // np.timedelta64(15, "m")).astype(np.int64),
    })
    return Checked(good=good, rejected=out.result())


def _empty_readings() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in
                         ("row", "meter_id", "enterprise_id", "ts", "value", "unit", "carrier", "kind", "quarter")})


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _parse_stamps(values: pd.Series) -> pd.Series:
    """ISO 8601 stamps to UTC, vectorised; stamps without an offset are Beijing time (meters' local clock)."""
    text = values.astype(str)
    stamps = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    # Whether a stamp carries an offset shows in its last six characters: decide once per distinct ending.
    codes, endings = pd.factorize(text.str[-6:])
    naive = ~np.array([bool(_OFFSET.search(str(e))) for e in endings], dtype=bool)[codes]
    if naive.any():
        stamps = stamps.where(~naive, stamps - pd.Timedelta(hours=8))  # read as UTC, they were UTC+8
    return stamps


def _reading_unit_error(pair: Hashable) -> str | None:
    carrier, unit = str(pair).split("|", 1)
    try:
        found = get_carrier(carrier)
        parsed = parse_unit(unit)
    except CarbonError as error:
        return str(error)
    if ureg.get_dimensionality(parsed) != found.dimensionality:
        return f"{unit} does not measure {found.id} ({found.name_zh}); meters report e.g. kWh"
    return None
