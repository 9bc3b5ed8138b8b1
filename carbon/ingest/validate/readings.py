"""Checks of 15-minute meter readings (telemetry), as vectorised masks.

References
----------
.. [1] GB/T 38692-2020 用能单位能耗在线监测技术要求: 15-minute sampling, clock deviation of real-time data within
       one minute (FACTS.md §6).
"""

from __future__ import annotations

import re
from collections.abc import Container, Hashable, Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from carbon.carriers import get_carrier
from carbon.errors import CarbonError
from carbon.identifiers import is_identifier
from carbon.ingest.free_text import MAX_READING_VALUE, implausible_readings
from carbon.ingest.validate.rows import Checked, Rejections, blank_mask, carrier_id, per_value, per_value_array
from carbon.units import parse_unit, ureg

__all__ = ["CLOCK_TOLERANCE", "KINDS", "READING_REQUIRED", "validate_readings"]

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
            frame[name] = frame[name].astype(object).where(~blank_mask(frame[name]), value)
    out = Rejections(frame)
    for name in (*READING_REQUIRED, "enterprise_id"):
        if name not in frame:
            out.reject(np.ones(n, dtype=bool), name, f"the {name} column is missing")
        else:
            out.reject(blank_mask(frame[name]), name, f"{name} is empty")
    if n == 0 or not out.alive.any():
        return Checked(good=_empty_readings(), rejected=out.result())

    enterprise = frame["enterprise_id"].astype(str)
    if enterprise_id is not None:
        out.reject(enterprise.to_numpy() != enterprise_id, "enterprise_id",
                   f"this submission is for enterprise {enterprise_id}")
    if enterprises is not None:
        codes, known = per_value(enterprise, lambda v: v in enterprises)
        out.reject(~np.asarray(known, dtype=bool)[codes], "enterprise_id",
                   "unknown enterprise; register it first")
    if meters:
        owner = frame["meter_id"].astype(str).map(meters)
        out.reject((owner.notna() & (owner != enterprise)).to_numpy(), "meter_id",
                   "this meter belongs to another enterprise")

    if "meter_id" in frame:
        out.reject(~frame["meter_id"].map(is_identifier).to_numpy(dtype=bool) & ~blank_mask(frame["meter_id"]),
                   "meter_id", "is not an identifier: ASCII letters and digits joined by single . _ or -")
    # Imported here: the indicators package pulls in scipy (a second of start-up), which the consumption
    # ingest that imports this module never needs.
    from carbon.indicators.telemetry import CST, INTERVAL

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

    kind = per_value_array(frame["kind"], lambda k: str(k).strip().lower())
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
        "carrier": per_value_array(frame["carrier"].astype(str), carrier_id)[keep],
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
