"""Checks of monthly consumption rows, each a small function over the whole frame; the good rows come out
converted.

The checks run in a fixed order and a row is rejected by the first one it fails (:class:`Rejections`): the
submitting enterprise, missing columns and empty cells, unknown enterprises, the period, the carrier, the
purpose, the quantity, a measured NCV, the conversion (unit fits carrier; plausible tce) and last duplicates
within the submission.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from carbon.errors import CarbonError
from carbon.factors import FactorSet, default_factors
from carbon.ingest.free_text import bad_submitted_at
from carbon.ingest.validate.conversion import RowConversion, convert_rows
from carbon.ingest.validate.rows import Checked, Coded, Columns, Rejections, blank_mask, carrier_id, per_value
from carbon.units import Q_, ureg

__all__ = ["MAX_TCE_PER_MONTHLY_ROW", "REQUIRED", "normalize_period", "validate_consumption"]

REQUIRED: tuple[str, ...] = ("enterprise_id", "period", "carrier", "quantity", "unit")

# Plausibility bound of one monthly row: the largest single industrial sites use about 10 Mtce a year, under
# 1 Mtce a month; a row above this is a unit slip (千瓦时 for 万千瓦时) or a typo, never a real month.
MAX_TCE_PER_MONTHLY_ROW = Q_(2_000_000, "tce")
_TCE = ureg.Unit("tce")  # the bound's unit as it is written, to skip converting it on every call

_PURPOSES = {
    "fuel": "fuel", "燃料": "fuel", "能源": "fuel", "燃料用": "fuel", "energy": "fuel", "燃料用能": "fuel",
    "feedstock": "feedstock", "原料": "feedstock", "原材料": "feedstock", "原料用能": "feedstock",
    "用作原材料": "feedstock", "rawmaterial": "feedstock", "material": "feedstock",
}
_TRUE = {"1", "true", "yes", "y", "是", "t"}

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


@dataclass
class _Rows:
    """The canonical values of a frame's rows, as the checks find them."""

    enterprise: Coded  # as text
    period: Coded  # YYYY-MM
    carrier: Coded  # canonical id
    purpose: Coded  # fuel or feedstock
    unit: Coded  # as text
    quantity: np.ndarray  # [unit]
    ncv: np.ndarray  # measured NCV [ncv_unit]; NaN where none is given
    ncv_unit: np.ndarray  # object; None where no NCV is given


def validate_consumption(frame: pd.DataFrame, *, enterprises: Container[str] | None = None,
                         enterprise_id: str | None = None, today: date | None = None,
                         factors: FactorSet | None = None,
                         grid_regions: Mapping[str, str | None] | None = None) -> Checked:
    """Check monthly consumption rows; bring the good ones into canonical form, converted.

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
        Factor tables for the conversion.
    grid_regions : mapping, optional
        Enterprise id → the grid region or province whose electricity CO2 factor applies (None, or an
        enterprise not in the mapping: the national average).

    Returns
    -------
    Checked
        ``good``: ``row``, ``enterprise_id``, ``period`` (``YYYY-MM``), ``carrier`` (canonical id), ``purpose``
        (``fuel``/``feedstock``), ``quantity`` [float, in ``unit``], ``unit``, ``ncv``, ``ncv_unit``,
        ``submitted_at``, and the columns of :func:`carbon.accounting.convert_frame`: ``energy_gj`` [GJ],
        ``tce_equivalent``, ``tce_equal`` [tce], ``co2_t`` [tCO2], ``tce_factor``, ``tce_equal_factor``,
        ``co2_factor``, ``factor_fallback``, ``factor_version``; ``rejected``: ``row``, ``field``, ``reason``,
        ``value``. A row whose (carrier, unit) group cannot be converted is rejected on ``unit``; one above
        :data:`MAX_TCE_PER_MONTHLY_ROW` on ``quantity``.
    """
    frame = _for_enterprise(_numbered(frame), enterprise_id)  # the columns, read once each
    out = Rejections(frame)
    _check_submitter(frame, out, enterprise_id)
    _check_required(frame, out)
    rows = _Rows(
        enterprise=_check_enterprises(frame, out, enterprises),
        period=_check_periods(frame, out, today or date.today()),
        carrier=_check_carriers(frame, out),
        purpose=_check_purposes(frame, out),
        unit=Coded.text(frame["unit"]) if "unit" in frame else _none(len(frame)),
        quantity=_check_quantities(frame, out),
        **_check_ncv(frame, out),
    )
    conversion = _check_conversion(out, rows, grid_regions or {}, factors or default_factors())
    _check_duplicates(frame, out, rows)
    return Checked(good=_good_rows(frame, out.alive, rows, conversion), rejected=out.result())


def _numbered(frame: pd.DataFrame) -> Columns:
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        frame = frame.reset_index(drop=True)
    columns = Columns(frame)
    if "row" not in frame:
        columns["row"] = pd.Series(np.arange(len(frame)), index=frame.index)
    return columns


def _none(n: int) -> Coded:
    return Coded(np.full(n, -1, dtype=np.intp), [])


def _for_enterprise(frame: Columns, enterprise_id: str | None) -> Columns:
    """The columns with the submission's enterprise filled in where a row names none."""
    if enterprise_id is None:
        return frame
    if "enterprise_id" not in frame:
        frame["enterprise_id"] = pd.Series(enterprise_id, index=frame.frame.index)
        return frame
    given = frame["enterprise_id"].astype(object).where(~blank_mask(frame["enterprise_id"]), enterprise_id)
    frame["enterprise_id"] = given.astype(str)
    return frame


def _check_submitter(frame: Columns, out: Rejections, enterprise_id: str | None) -> None:
    if enterprise_id is not None:
        out.reject(frame["enterprise_id"].to_numpy() != enterprise_id, "enterprise_id",
                   f"this submission is for enterprise {enterprise_id}; submit other enterprises' data "
                   "under their own account")


def _check_required(frame: Columns, out: Rejections) -> None:
    for name in REQUIRED:
        if name not in frame:
            out.reject(np.ones(len(frame), dtype=bool), name,
                       f"the {name} column is missing; expected columns: enterprise_id, period, carrier, "
                       "quantity, unit (or 企业编号, 统计期, 能源品种, 消费量, 计量单位)")
        else:
            out.reject(blank_mask(frame[name]), name, f"{name} is empty")


def _check_enterprises(frame: Columns, out: Rejections, enterprises: Container[str] | None) -> Coded:
    if "enterprise_id" not in frame:
        return _none(len(frame))
    enterprise = Coded.text(frame["enterprise_id"])
    if enterprises is not None:
        messages = np.array([
            "" if value in enterprises else
            f"unknown enterprise {value!r}; register it first (carbon enterprise add, or POST /v1/enterprises)"
            for value in enterprise.values] + [""], dtype=object)[enterprise.codes]
        out.reject(messages != "", "enterprise_id", messages)
    return enterprise


def _check_periods(frame: Columns, out: Rejections, today: date) -> Coded:
    if "period" not in frame:
        return _none(len(frame))
    period = Coded.of(*per_value(frame["period"], normalize_period))
    out.reject(period.codes < 0, "period",
               "not a month; write it as YYYY-MM, e.g. 2024-03 (2024/3, 202403 and 2024年3月 are read too)")
    this_month = f"{today.year:04d}-{today.month:02d}"
    future = np.array([value > this_month for value in period.values] + [False], dtype=bool)
    out.reject(future[period.codes], "period", f"is in the future (after {this_month}); check the year")
    out.reject(bad_submitted_at(frame.frame), "submitted_at", "is not a date; write it as YYYY-MM-DD (or ISO 8601)")
    return period


def _check_carriers(frame: Columns, out: Rejections) -> Coded:
    """Carriers as canonical ids; electricity flagged renewable becomes ``electricity_renewable``."""
    if "carrier" not in frame:
        return _none(len(frame))
    codes, found = per_value(frame["carrier"], carrier_id)
    messages = np.array([str(c) if isinstance(c, CarbonError) else "" for c in found], dtype=object)[codes]
    out.reject(messages != "", "carrier", messages)
    carrier = Coded.of(codes, [None if isinstance(c, CarbonError) else c for c in found])
    if "renewable" not in frame or "electricity" not in carrier.values:
        return carrier
    renewable = frame["renewable"].astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()
    values = carrier.values + [v for v in ["electricity_renewable"] if v not in carrier.values]
    switched = renewable & (carrier.codes == values.index("electricity"))
    return Coded(np.where(switched, values.index("electricity_renewable"), carrier.codes), values)


def _check_purposes(frame: Columns, out: Rejections) -> Coded:
    if "purpose" not in frame:
        return Coded(np.zeros(len(frame), dtype=np.intp), ["fuel"])
    codes, purposes = per_value(frame["purpose"], _purpose)
    out.reject(np.array([p is None for p in purposes], dtype=bool)[codes], "purpose",
               "purpose must be fuel or feedstock (燃料 or 原料用能)")
    return Coded.of(codes, ["fuel" if p is None else p for p in purposes])


def _purpose(value: Any) -> str | None:
    if value is None:
        return "fuel"
    return _PURPOSES.get("".join(str(value).split()).casefold())


def _check_quantities(frame: Columns, out: Rejections) -> np.ndarray:
    """The quantities as floats [unit]."""
    raw = frame["quantity"] if "quantity" in frame else pd.Series([None] * len(frame))
    quantity = _numbers(raw)
    out.reject(np.isnan(quantity), "quantity", "is not a number; write the amount alone (e.g. 1250.5) and "
               "the unit in the unit column")
    out.reject(np.isinf(quantity), "quantity", "is not a finite number")
    out.reject(quantity < 0, "quantity", "is negative; report consumption as a non-negative amount (a "
               "correction is a new submission of the right value)")
    return quantity


def _numbers(column: pd.Series) -> np.ndarray:
    """The values as floats; NaN where not a number."""
    if column.dtype == np.float64:  # floats already, which pd.to_numeric would return as they are
        return column.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _check_ncv(frame: Columns, out: Rejections) -> dict[str, np.ndarray]:
    """A measured net calorific value: ``ncv`` (NaN where none is given) and ``ncv_unit`` (None there)."""
    n = len(frame)
    if "ncv" not in frame:
        return {"ncv": np.full(n, np.nan), "ncv_unit": np.full(n, None, dtype=object)}
    given = ~blank_mask(frame["ncv"])
    ncv = _numbers(frame["ncv"])
    out.reject(given & ~(ncv > 0), "ncv", "a measured net calorific value must be a positive number")
    unit = frame["ncv_unit"].astype(object) if "ncv_unit" in frame else pd.Series([None] * n, dtype=object)
    out.reject(given & blank_mask(unit), "ncv_unit", "give the unit of the measured net calorific value, e.g. "
               "kJ/kg or MJ/m3")
    ncv = np.where(given, ncv, np.nan)
    return {"ncv": ncv, "ncv_unit": np.where(np.isnan(ncv), None, unit.to_numpy(dtype=object))}


def _check_conversion(out: Rejections, rows: _Rows, grid_regions: Mapping[str, str | None],
                      factors: FactorSet) -> RowConversion:
    """Convert the rows still valid, once per group; reject those whose unit does not fit, and amounts above
    :data:`MAX_TCE_PER_MONTHLY_ROW` (a unit slip or a typo)."""
    ncv_unit = (Coded.text(pd.Series(rows.ncv_unit, dtype=object)) if not np.isnan(rows.ncv).all()
                else _none(len(rows.ncv)))
    conversion = convert_rows(
        np.flatnonzero(out.alive), carrier=rows.carrier, unit=rows.unit, ncv_unit=ncv_unit,
        year=rows.period.map(lambda period: int(period[:4])), region=rows.enterprise.map(grid_regions.get),
        quantity=rows.quantity, ncv=rows.ncv, factors=factors)
    failed, errors = conversion.failed()
    out.reject(failed, "unit", errors)
    tce = conversion.tce_equivalent()
    # A pint conversion costs more than the rest of this check for a few rows: none when already in tce.
    limit = (MAX_TCE_PER_MONTHLY_ROW.magnitude if MAX_TCE_PER_MONTHLY_ROW.units == _TCE
             else MAX_TCE_PER_MONTHLY_ROW.to("tce").magnitude)
    implausible = out.alive & (tce > limit)
    if implausible.any():
        reasons = np.full(len(tce), "", dtype=object)
        reasons[implausible] = [f"implausible: {t:.3g} tce in one month, more than any single site uses "
                                f"({limit:.0e} tce); check the amount and the unit (万千瓦时 or 千瓦时?)"
                                for t in tce[implausible]]
        out.reject(implausible, "quantity", reasons)
    return conversion


def _check_duplicates(frame: Columns, out: Rejections, rows: _Rows) -> None:
    """Duplicates inside the submission: the first occurrence stands, later ones are rejected naming it."""
    alive = np.flatnonzero(out.alive)
    key = np.zeros(len(alive), dtype=np.int64)
    for coded in (rows.enterprise, rows.period, rows.carrier, rows.purpose):
        key = key * (len(coded.values) + 1) + (coded.codes[alive] + 1)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    first_of_row = first[inverse.reshape(-1)]
    duplicated = first_of_row != np.arange(len(alive))
    if not duplicated.any():
        return
    mask = np.zeros(len(frame), dtype=bool)
    mask[alive[duplicated]] = True
    reasons = np.full(len(frame), "", dtype=object)
    reasons[alive[duplicated]] = [
        f"duplicates row {r} (same enterprise, period, carrier and purpose); send one row per key, "
        "or correct the value in a later submission" for r in frame["row"].to_numpy()[alive[first_of_row[duplicated]]]]
    out.reject(mask, "period", reasons, values=frame["period"])


def _good_rows(frame: Columns, keep: np.ndarray, rows: _Rows, conversion: RowConversion) -> pd.DataFrame:
    """The rows that passed every check, canonical and converted."""
    submitted = (frame["submitted_at"].astype(object).where(~blank_mask(frame["submitted_at"]), None)
                 .to_numpy(dtype=object)[keep] if "submitted_at" in frame else None)
    return pd.DataFrame({
        "row": frame["row"].to_numpy()[keep],
        "enterprise_id": rows.enterprise.categorical(keep),
        "period": rows.period.categorical(keep),
        "carrier": rows.carrier.categorical(keep),
        "purpose": rows.purpose.categorical(keep),
        "quantity": rows.quantity[keep],
        "unit": rows.unit.categorical(keep),
        "ncv": rows.ncv[keep],
        "ncv_unit": rows.ncv_unit[keep],
        "submitted_at": submitted,
        **conversion.columns(keep),
    })
