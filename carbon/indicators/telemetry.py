"""Quality of 15-minute meter telemetry: energy per interval, daily completeness, and daily sums against the
monthly report.

References
----------
.. [1] GB/T 38692-2020 用能单位能耗在线监测技术要求: 15-minute sampling, completeness ≥ 90 %, daily sums within
       5 % of the monthly figure (FACTS.md §6).
"""

from __future__ import annotations

from datetime import timedelta, timezone

import numpy as np
import pandas as pd

__all__ = ["CST", "INTERVAL", "compare_with_monthly", "daily_quality", "interval_consumption"]

INTERVAL = pd.Timedelta(minutes=15)
# China Standard Time: meters that send local time without an offset mean Beijing time; days are Beijing days.
CST = timezone(timedelta(hours=8))


def interval_consumption(readings: pd.DataFrame, *, rollover_fraction: float = 0.9) -> pd.DataFrame:
    """Energy per 15-minute interval from register readings or interval amounts, with resets and rollovers.

    Parameters
    ----------
    readings : DataFrame
        ``meter_id``, ``ts`` (sortable), ``value``, ``kind`` (and optional ``unit``), e.g. from the store.
    rollover_fraction : float
        A register that falls from at least this share of its digit capacity (99 999 → 0) rolled over; any
        other fall is a reset (the register restarted from zero).

    Returns
    -------
    DataFrame
        ``meter_id``, ``ts``, ``amount`` (in the meter's unit), ``steps`` (intervals the amount covers: more
        than 1 after a gap), ``event`` (``""``, ``"reset"``, ``"rollover"``, ``"gap"``).
    """
    frame = readings.sort_values(["meter_id", "ts"], kind="stable").reset_index(drop=True)
    stamps = pd.to_datetime(frame["ts"], utc=True)
    same_meter = frame["meter_id"].eq(frame["meter_id"].shift())
    steps = ((stamps - stamps.shift()) / INTERVAL).where(same_meter).to_numpy(dtype=float)
    value = frame["value"].to_numpy(dtype=float)
    cumulative = (frame["kind"] == "cumulative").to_numpy()
    previous = np.roll(value, 1)
    fall = cumulative & same_meter.to_numpy() & (value < previous)
    capacity = 10.0 ** (np.floor(np.log10(np.maximum(previous, 1.0))) + 1)  # 99 995 → 100 000, 10 → 100
    rollover = fall & (previous >= rollover_fraction * capacity)
    reset = fall & ~rollover
    amount = np.where(cumulative, value - previous, value)
    amount = np.where(rollover, capacity - previous + value, amount)
    amount = np.where(reset, value, amount)
    first = ~same_meter.to_numpy()
    amount = np.where(first & cumulative, np.nan, amount)  # a register's first reading has no interval
    event = np.select([reset, rollover, steps > 1], ["reset", "rollover", "gap"], "")
    return pd.DataFrame({"meter_id": frame["meter_id"], "ts": stamps, "amount": amount,
                         "steps": np.where(np.isnan(steps), 1, steps), "event": event})


def daily_quality(intervals: pd.DataFrame, *, completeness_threshold: float = 0.9) -> pd.DataFrame:
    """Per meter and day (Beijing time): intervals present, completeness and the day's amount.

    Returns
    -------
    DataFrame
        ``meter_id``, ``day``, ``intervals`` (of 96), ``completeness`` [0-1], ``amount``, ``complete`` (at or above
        the threshold, 90 % by GB/T 38692-2020), ``resets``, ``gaps``.
    """
    local = intervals.assign(day=intervals["ts"].dt.tz_convert(CST).dt.date)
    grouped = local.groupby(["meter_id", "day"], sort=True)
    result = grouped.agg(intervals=("amount", "count"), amount=("amount", "sum"),
                         resets=("event", lambda e: int((e == "reset").sum())),
                         gaps=("event", lambda e: int((e == "gap").sum()))).reset_index()
    per_day = int(pd.Timedelta(days=1) / INTERVAL)
    result["completeness"] = result["intervals"] / per_day
    result["complete"] = result["completeness"] >= completeness_threshold
    return result


def compare_with_monthly(daily: pd.DataFrame, monthly: pd.DataFrame, *, tolerance_pct: float = 5.0) -> pd.DataFrame:
    """Sum of daily telemetry per enterprise and month against the monthly report.

    Parameters
    ----------
    daily : DataFrame
        ``enterprise_id``, ``day``, ``amount`` (same unit as ``monthly``).
    monthly : DataFrame
        ``enterprise_id``, ``period`` (YYYY-MM), ``reported``.
    tolerance_pct : float
        Allowed deviation, 5 % by GB/T 38692-2020 practice.

    Returns
    -------
    DataFrame
        ``enterprise_id``, ``period``, ``telemetry``, ``reported``, ``deviation_pct``, ``within_tolerance``.
    """
    days = daily.assign(period=pd.to_datetime(daily["day"]).dt.strftime("%Y-%m"))
    telemetry = days.groupby(["enterprise_id", "period"], as_index=False)["amount"].sum()
    merged = telemetry.rename(columns={"amount": "telemetry"}).merge(monthly, on=["enterprise_id", "period"],
                                                                     how="inner")
    merged["deviation_pct"] = (merged["telemetry"] / merged["reported"] - 1.0) * 100.0
    merged["within_tolerance"] = merged["deviation_pct"].abs() <= tolerance_pct
    return merged
