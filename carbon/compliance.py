"""Enterprise compliance: the monthly reporting deadline, energy-use quota (用能权) use and projection, energy per
output value, and months far from an enterprise's recent pattern. Pure functions over frames and series.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "REPORT_DEADLINE_DAY", "Coverage", "QuotaStatus", "coverage", "energy_per_output", "last_due_month",
    "missing_reports", "monthly_anomalies", "quota_status", "report_deadline",
]

# Monthly reports are due by this day of the following month (statistical practice: early in the month).
REPORT_DEADLINE_DAY = 15


def report_deadline(period: str, *, deadline_day: int = REPORT_DEADLINE_DAY) -> str:
    """The last day a month's report is on time (``YYYY-MM-DD``).

    Examples
    --------
    >>> report_deadline("2024-12")
    '2025-01-15'
    """
    year, month = int(period[:4]), int(period[5:7]) + 1
    if month > 12:
        year, month = year + 1, 1
    return f"{year:04d}-{month:02d}-{deadline_day:02d}"


def last_due_month(today: date, *, deadline_day: int = REPORT_DEADLINE_DAY) -> str:
    """The newest month whose report is past due on ``today`` (``YYYY-MM``).

    Examples
    --------
    >>> last_due_month(date(2025, 7, 20)), last_due_month(date(2025, 7, 10))
    ('2025-06', '2025-05')
    """
    months_back = 1 if today.day > deadline_day else 2
    year, month = today.year, today.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def missing_reports(reported: pd.DataFrame, regions: Mapping[str, str], *, last_due: str,
                    newest: str | None = None) -> pd.DataFrame:
    """Enterprise-months without any report, from each enterprise's first report to the last due month.

    Parameters
    ----------
    reported : DataFrame
        ``enterprise_id`` and ``period`` of every month reported.
    regions : mapping
        Enterprise → its region.
    last_due : str
        The newest month past its deadline (:func:`last_due_month`).
    newest : str, optional
        The newest month anyone reported, when ``reported`` holds some enterprises only (default: its newest).

    Months after the newest month anyone reported are not flagged: that collection round has not begun.
    """
    if reported.empty:
        return pd.DataFrame(columns=["enterprise_id", "region", "period"])
    frontier = min(last_due, newest if newest is not None else str(reported["period"].max()))
    have = set(zip(reported["enterprise_id"].tolist(), reported["period"].astype(str).tolist(), strict=True))
    first: dict[str, str] = {}
    for enterprise_id, period in sorted(have):
        first.setdefault(enterprise_id, period)
    rows = [(enterprise_id, regions.get(enterprise_id), period) for enterprise_id, start in first.items()
            for period in _month_range(start, frontier) if (enterprise_id, period) not in have]
    return pd.DataFrame(rows, columns=["enterprise_id", "region", "period"])


def _month_range(start: str, end: str) -> list[str]:
    """The months from ``start`` to ``end`` (``"YYYY-MM"``, both included; none when ``end`` comes first)."""
    first, last = (int(month[:4]) * 12 + int(month[5:7]) - 1 for month in (start, end))
    return [f"{index // 12:04d}-{index % 12 + 1:02d}" for index in range(first, last + 1)]


def _months(year: int) -> list[str]:
    return [f"{year:04d}-{month:02d}" for month in range(1, 13)]


@dataclass(frozen=True)
class Coverage:
    """Which months of a year are measured (reported), estimated, or missing — never silently zero.

    Missing months before the last reported month are gaps; months after it are not yet due or not yet reported.
    Estimation fills every unreported month with the mean of the reported ones, and only when at least
    ``min_measured`` months are reported.
    """

    year: int
    measured: list[str]
    estimated: list[str]
    missing: list[str]
    gaps: list[str]
    min_measured: int

    @property
    def share_measured_pct(self) -> float:
        return len(self.measured) / 12 * 100

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "share_measured_pct": self.share_measured_pct}


def coverage(periods: pd.Index | list[str], year: int, *, min_measured: int = 6) -> Coverage:
    """The coverage of a year by the months that have data."""
    reported = sorted({str(p) for p in periods if str(p).startswith(f"{year:04d}-")})
    unreported = [m for m in _months(year) if m not in reported]
    last = reported[-1] if reported else None
    gaps = [m for m in unreported if last is not None and m < last]
    if len(reported) >= min_measured:
        return Coverage(year, reported, unreported, [], gaps, min_measured)
    return Coverage(year, reported, [], unreported, gaps, min_measured)


@dataclass(frozen=True)
class QuotaStatus:
    """Use of an energy-use quota: used so far, projected year-end use and whether it will be exceeded."""

    year: int
    quota_tce: float
    used_tce: float
    used_pct: float
    projected_tce: float | None
    projected_pct: float | None
    projected_over: bool | None
    coverage: dict[str, Any] = field(default_factory=dict)
    method: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def quota_status(monthly_tce: pd.Series, quota_tce: float, year: int, *, min_measured: int = 3) -> QuotaStatus:
    """Quota use to date and the projected year-end use.

    Parameters
    ----------
    monthly_tce : Series
        Energy consumption [tce] indexed by period ``YYYY-MM`` (other years are ignored).
    quota_tce : float
        The year's quota [tce].
    year : int
    min_measured : int
        Months that must be reported before a projection is made.

    Returns
    -------
    QuotaStatus
        The projection adds, for each month not yet reported, the mean of the reported months (a flat run
        rate; seasonality is not modelled) — stated in ``method``.
    """
    if quota_tce <= 0:
        raise ValueError("a quota must be a positive amount of tce")
    months = monthly_tce[[str(p).startswith(f"{year:04d}-") for p in monthly_tce.index]]
    used = float(months.sum())
    cover = coverage(months.index, year, min_measured=min_measured)
    projected = None
    if len(cover.measured) >= min_measured:
        projected = used + float(months.mean()) * (12 - len(cover.measured))
    return QuotaStatus(
        year=year, quota_tce=float(quota_tce), used_tce=used, used_pct=used / quota_tce * 100,
        projected_tce=projected, projected_pct=None if projected is None else projected / quota_tce * 100,
        projected_over=None if projected is None else projected > quota_tce, coverage=cover.to_dict(),
        method=f"reported months summed; each unreported month at the mean of the {len(cover.measured)} reported "
               f"(projection from {min_measured} reported months on)")


def energy_per_output(energy_tce: float, output_value: float) -> float:
    """Energy consumption per output value [tce/万元], the enterprise counterpart of the region's intensity."""
    if output_value <= 0:
        raise ValueError("output value must be positive [万元]")
    return energy_tce / output_value


def _previous_months(frame: pd.DataFrame, window: int, min_history: int) -> np.ndarray:
    """Per row of ``frame`` (sorted by enterprise and period), the ``tce`` of the enterprise's ``window`` previous
    months as one row of a matrix, NaN where it has fewer; rows with under ``min_history`` of them all NaN.

    One matrix for all enterprises instead of a rolling window per enterprise: the statistics of every month are
    then a few numpy reductions along its row.
    """
    values = frame["tce"].to_numpy(dtype=float)
    position = frame.groupby("enterprise_id", sort=False).cumcount().to_numpy()  # months before it, same enterprise
    padded = np.concatenate([np.full(window, np.nan), values])
    previous = np.lib.stride_tricks.sliding_window_view(padded, window)[: len(values)]  # row i: values[i-window:i]
    own = np.arange(window)[None, :] >= (window - position)[:, None]  # not another enterprise's months
    history = np.where(own, previous, np.nan)
    history[(~np.isnan(history)).sum(axis=1) < min_history] = np.nan
    return history


def _window_statistics(frame: pd.DataFrame, window: int, min_history: int) -> pd.DataFrame:
    """Per row of ``frame`` (sorted by enterprise and period): the ``median``, median absolute deviation
    (``mad``) and ``spread`` (max - min) of the enterprise's previous ``window`` months [tce]; NaN with fewer than
    ``min_history`` of them."""
    history = _previous_months(frame, window, min_history)
    # Rows without enough history are all NaN: their statistics stay NaN without asking numpy (which warns, and
    # silencing it with warnings.catch_warnings is not safe while other threads run).
    known = ~np.isnan(history).all(axis=1)
    rows = history[known]
    statistics = {name: np.full(len(history), np.nan) for name in ("median", "mad", "spread")}
    if len(rows):
        median = np.nanmedian(rows, axis=1)
        statistics["median"][known] = median
        # a young history's window holds fewer months: the deviation is of the months it has
        statistics["mad"][known] = np.nanmedian(np.abs(rows - median[:, None]), axis=1)
        statistics["spread"][known] = np.nanmax(rows, axis=1) - np.nanmin(rows, axis=1)
    return pd.DataFrame(statistics)


def monthly_anomalies(monthly: pd.DataFrame, *, window: int = 12, min_history: int = 6, ratio: float = 1.5,
                      robust_z: float = 3.5) -> pd.DataFrame:
    """Months far above or far below the enterprise's recent pattern (a spike, or a drop).

    A month is flagged when it exceeds ``ratio`` times the median of the enterprise's previous ``window`` months,
    or falls under that median divided by ``ratio``, AND its robust z-score (distance from that median in units
    of 1.4826 x the median absolute deviation) is beyond ``robust_z`` the same way — both, so that a volatile
    enterprise or a small one is not flagged for ordinary swings.

    Parameters
    ----------
    monthly : DataFrame
        ``enterprise_id``, ``period`` (YYYY-MM) and ``tce`` [tce].

    Returns
    -------
    DataFrame
        The flagged rows with ``median_tce``, ``ratio`` (month / median), ``robust_z`` and ``direction``
        (``spike`` or ``drop``).

    References
    ----------
    .. [1] B. Iglewicz and D. Hoaglin, "How to Detect and Handle Outliers", ASQC, 1993 (modified z-score, 3.5).
    """
    frame = monthly.sort_values(["enterprise_id", "period"]).reset_index(drop=True)
    statistics = _window_statistics(frame, window, min_history)
    median, spread = statistics["median"], statistics["spread"]
    scale = 1.4826 * statistics["mad"]
    z = (frame["tce"] - median) / scale.where(scale > 0)
    # A flat history (every month the same) flags any month beyond the ratio; otherwise both tests must hold (a
    # history whose MAD is 0 without being flat, e.g. alternating months, has no z-score and flags nothing).
    flat = spread.eq(0) & median.notna()
    spike = (frame["tce"] > ratio * median) & (z.gt(robust_z) | flat)
    drop = (frame["tce"] < median / ratio) & (z.lt(-robust_z) | flat)
    flagged = spike | drop
    # no finite ratio to a median of zero (an idle history): the ratio is then missing, not infinite
    ratio_to_median = (frame["tce"] / median.where(median > 0))
    out = frame.loc[flagged].assign(median_tce=median[flagged], ratio=ratio_to_median[flagged],
                                    robust_z=z[flagged], direction=np.where(spike[flagged], "spike", "drop"))
    return out.reset_index(drop=True)
