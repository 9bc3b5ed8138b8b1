"""Carbon-peak (碳达峰) status of a CO2 series, and CO2 intensity of GDP.

No official quantitative rule declares that emissions have peaked (FACTS §5; 发改环资〔2023〕1409号 even says a
pilot is not judged simply by how early or how high its peak is). :func:`peak_status` therefore applies a rule of
this project, stated in full in its docstring and returned with every result (``PeakStatus.rule``), so that a
reader can see why a region is classed as it is.

References
----------
.. [1] 国务院 国发〔2021〕23号 2030年前碳达峰行动方案: national CO2 peak before 2030.
.. [2] The classic Mann-Kendall test and Sen's slope (Mann 1945; Hirsch et al. 1982; Gilbert 1987; Sen 1968):
       see :mod:`carbon.indicators.trend`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from carbon.indicators._common import IndicatorInputError, as_year, check_not_negative, yearly_series
from carbon.indicators.trend import mann_kendall, sen_slope
from carbon.jsonable import jsonable

__all__ = [
    "MAX_PROJECTION_YEARS", "MIN_YEARS", "PEAK_STATUSES", "PeakStatus", "co2_intensity", "peak_rule", "peak_status",
]

PeakStatusName = Literal["insufficient_data", "pre_peak", "plateau", "peaked_provisional", "peaked_confirmed"]
PEAK_STATUSES: tuple[str, ...] = ("insufficient_data", "pre_peak", "plateau", "peaked_provisional",
                                  "peaked_confirmed")
# Fewer than about 5-8 points say little about a trend (FACTS §5): below 5 years the result is "too few years",
# not a status. With 5 values the classic Mann-Kendall test can just reach p < 0.05 (S = 10: Z = 2.20, p = 0.028).
MIN_YEARS = 5
# A projected peak further than this beyond the last year is an extrapolation, not a forecast (FACTS §5).
MAX_PROJECTION_YEARS = 10
# Growth rates a linear fit of the slowing growth needs; two would always fit exactly.
_MIN_GROWTH_RATES = 3


def peak_rule(band_pct: float, confirm_years: int, trend_years: int, alpha: float) -> str:
    """The classification rule of :func:`peak_status`, in words, with its parameters filled in."""
    return (
        f"Peak candidate = the year of the maximum (the latest such year on a tie); band = {band_pct:g} % below it. "
        f"Trend = the classic Mann-Kendall test (S, Var(S) corrected for ties, Z with continuity correction, "
        f"two-sided p from the normal distribution) and Sen's slope over the last {trend_years} years; "
        f"'rising' = S > 0 with p < {alpha:g}. "
        f"insufficient_data: fewer than {MIN_YEARS} years (too few years to say anything). "
        "If the last year is the maximum: pre_peak when every earlier year lies below the band, or the trend is "
        "rising, or Sen's slope climbs more than the band across the trend window; plateau otherwise (the window "
        "stays within the band). "
        "If the last year is after the maximum and within the band: pre_peak when the trend is rising, plateau "
        "otherwise. "
        "If the last year is below the band: peaked_provisional; peaked_confirmed when the last "
        f"{confirm_years} or more years all lie below the band and Sen's slope of the years after the peak is not "
        "positive. "
        "projected_peak_year (pre_peak only): a linear fit of the annual growth rates of the trend years, the last "
        "year whose fitted growth is still positive (never before the last year); none when that year lies more than "
        f"{MAX_PROJECTION_YEARS} years beyond the data (an extrapolation, not a forecast). "
        "meets_aim: the projected peak year (pre_peak) or the peak candidate (other statuses) is not after the aim "
        "year."
    )


@dataclass(frozen=True)
class PeakStatus:
    """Where a CO2 series stands with respect to its peak.

    Attributes
    ----------
    status : str
        One of ``PEAK_STATUSES``.
    peak_year, peak_value
        Year and value [t CO2] of the maximum.
    last_year, last_value
        Latest year and value [t CO2].
    years_since_peak : int or None
        last_year - peak_year.
    years_below_band : int
        How many of the latest years run below the band in a row.
    band_pct, confirm_years, trend_years, alpha
        The parameters of the rule.
    trend_from, trend_to : int or None
        First and last year of the trend window.
    sen_slope : float or None
        Sen's slope over the trend window [t CO2/yr]; ``sen_slope_pct`` as % of the window's mean [%/yr].
    mann_kendall_s, mann_kendall_var_s, mann_kendall_z : int, float, float or None
        The classic Mann-Kendall S, Var(S) corrected for ties and Z with continuity correction over the window.
    mann_kendall_tau, mann_kendall_p : float or None
        Kendall's tau-a (S over the number of pairs) and the two-sided p-value from the normal distribution
        (None for a constant window).
    post_peak_sen_slope : float or None
        Sen's slope of the years after the peak [t CO2/yr] (two years at least).
    projected_peak_year : int or None, projection_note : str or None
        For ``pre_peak``: the projected peak year, or None and the reason.
    aim_year : int or None, meets_aim : bool or None
        The peak aim and whether the status meets it (None when unknown).
    rule : str
        The rule applied, in words.
    """

    status: PeakStatusName
    peak_year: int | None
    peak_value: float | None
    last_year: int | None
    last_value: float | None
    years_since_peak: int | None
    years_below_band: int
    band_pct: float
    confirm_years: int
    trend_years: int
    alpha: float
    trend_from: int | None
    trend_to: int | None
    sen_slope: float | None
    sen_slope_pct: float | None
    mann_kendall_s: int | None
    mann_kendall_var_s: float | None
    mann_kendall_z: float | None
    mann_kendall_tau: float | None
    mann_kendall_p: float | None
    post_peak_sen_slope: float | None
    projected_peak_year: int | None
    projection_note: str | None
    aim_year: int | None
    meets_aim: bool | None
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (NaN as None)."""
        return jsonable({item.name: getattr(self, item.name) for item in fields(self)})


def _projected_peak_year(years: np.ndarray, values: np.ndarray, last_year: int) -> tuple[int | None, str]:
    """Last year of positive growth on a linear fit of the annual growth rates (consecutive years only)."""
    consecutive = np.diff(years) == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = values[1:] / values[:-1] - 1
    usable = consecutive & np.isfinite(growth)
    if usable.sum() < _MIN_GROWTH_RATES:
        return None, (f"a projection needs at least {_MIN_GROWTH_RATES} annual growth rates of consecutive years "
                      f"in the trend window, {int(usable.sum())} available")
    # Years counted from the last one keep the fit well conditioned.
    slope, intercept = np.polyfit(years[1:][usable] - last_year, growth[usable], 1)
    if slope >= 0:
        return None, f"annual growth is not slowing (fitted change of growth {slope * 100:+.3g} points/yr)"
    zero_at = last_year - intercept / slope
    # The last year with positive fitted growth; rounding first keeps an exact integer crossing stable.
    year = math.ceil(round(zero_at, 6)) - 1
    if year <= last_year:
        return last_year, (f"projected peak {last_year}: fitted growth reaches zero at {zero_at:.1f}, so the last "
                           "year may be the peak if growth keeps slowing")
    if year > last_year + MAX_PROJECTION_YEARS:
        return None, (f"no projection: fitted growth reaches zero at {zero_at:.1f}, more than "
                      f"{MAX_PROJECTION_YEARS} years beyond the data ({last_year}), an extrapolation rather than a "
                      "forecast")
    return year, (f"projected peak {year}: the last year of positive fitted annual growth (fitted growth reaches "
                  f"zero at {zero_at:.1f})")


def _insufficient(years: np.ndarray, values: np.ndarray, common: dict[str, Any]) -> PeakStatus:
    """The result for a series too short to classify: what is known of it, no trend."""
    known: dict[str, Any] = {"peak_year": None, "peak_value": None, "last_year": None, "last_value": None,
                             "years_since_peak": None}
    if len(values):
        peak_at = len(values) - 1 - int(np.argmax(values[::-1]))
        known = {"peak_year": int(years[peak_at]), "peak_value": float(values[peak_at]),
                 "last_year": int(years[-1]), "last_value": float(values[-1]),
                 "years_since_peak": int(years[-1] - years[peak_at])}
    return PeakStatus(status="insufficient_data", years_below_band=0, trend_from=None, trend_to=None,
                      sen_slope=None, sen_slope_pct=None, mann_kendall_s=None, mann_kendall_var_s=None,
                      mann_kendall_z=None, mann_kendall_tau=None, mann_kendall_p=None, post_peak_sen_slope=None,
                      projected_peak_year=None,
                      projection_note=f"too few years: {len(values)} with a value, at least {MIN_YEARS} needed "
                                      "for a status", meets_aim=None, **known, **common)


def peak_status(emissions: pd.Series, *, band_pct: float = 2.0, confirm_years: int = 3,
                aim_year: int | None = None, trend_years: int = 5, alpha: float = 0.05) -> PeakStatus:
    """Classify a CO2 series as pre-peak, plateau, provisionally or confirmed peaked.

    The rule (a design choice of this project, no official one exists):

    - ``insufficient_data`` ("too few years"): fewer than ``MIN_YEARS`` (5) years with a value; fewer than about
      5-8 points say little about a trend (FACTS §5).
    - The peak candidate is the year of the maximum (the latest such year on a tie); the band lies ``band_pct``
      below the maximum. The trend is the classic Mann-Kendall test (:func:`carbon.indicators.trend.mann_kendall`:
      S, Var(S) with ties, Z with continuity correction, two-sided normal p) and Sen's slope over the last
      ``trend_years`` years; the trend is *rising* when S > 0 and p < ``alpha``.
    - The last year is the maximum: ``pre_peak`` when every earlier year lies below the band (a clear new high),
      the trend is rising, or Sen's slope rises by more than the band across the trend window (a steady climb
      that one dip keeps below significance); otherwise ``plateau`` (the window stays within the band).
    - The last year is after the maximum but within the band: ``pre_peak`` when the trend is rising, otherwise
      ``plateau``.
    - The last year is below the band: ``peaked_provisional``; ``peaked_confirmed`` when the latest
      ``confirm_years`` years or more all lie below the band and Sen's slope of the years after the peak is not
      positive (emissions below the band but climbing back stay provisional).

    With 5 years the Mann-Kendall test reaches p < 0.05 only for a strictly monotonic window, so short series lean
    on the band test; that is intended (a peak is not declared on noise). A projected peak year more than
    ``MAX_PROJECTION_YEARS`` (10) beyond the data is not given (None, with the reason in ``projection_note``).

    Parameters
    ----------
    emissions : Series
        CO2 emissions by year [t]; NaN years are left out.
    band_pct : float
        Width of the plateau band below the maximum [%].
    confirm_years : int
        Years below the band needed to confirm a peak.
    aim_year : int, optional
        The peak aim (2030 nationally; a region aiming to peak early sets its own).
    trend_years : int
        Length of the trend window [years], at least 3.
    alpha : float
        Significance level of the Mann-Kendall test.

    Returns
    -------
    PeakStatus
        Status, peak and last year, trend statistics, projection and the rule text.

    References
    ----------
    Mann (1945); Kendall (1975); Sen (1968); 国发〔2021〕23号 — see the module docstring.
    """
    if not (math.isfinite(band_pct) and 0 <= band_pct < 100):
        raise IndicatorInputError(f"band_pct must be between 0 and 100 [%], got {band_pct!r}")
    confirm_years, trend_years = as_year(confirm_years, "confirm_years"), as_year(trend_years, "trend_years")
    if confirm_years < 1 or trend_years < MIN_YEARS:
        raise IndicatorInputError(f"confirm_years must be 1 or more and trend_years {MIN_YEARS} or more, got "
                                  f"{confirm_years} and {trend_years}")
    if not 0 < alpha < 1:
        raise IndicatorInputError(f"alpha must lie between 0 and 1, got {alpha!r}")
    aim_year = None if aim_year is None else as_year(aim_year, "aim_year")
    series = yearly_series(emissions, "emissions").dropna()
    check_not_negative(series, "emissions [t CO2]")
    rule = peak_rule(band_pct, confirm_years, trend_years, alpha)
    years, values = series.index.to_numpy(dtype="int64"), series.to_numpy(dtype="float64")

    common: dict[str, Any] = {"band_pct": float(band_pct), "confirm_years": confirm_years,
                              "trend_years": trend_years, "alpha": float(alpha), "aim_year": aim_year, "rule": rule}
    if len(values) < MIN_YEARS:
        return _insufficient(years, values, common)

    peak_at = len(values) - 1 - int(np.argmax(values[::-1]))  # the latest year of the maximum
    peak_year, peak_value = int(years[peak_at]), float(values[peak_at])
    last_year, last_value = int(years[-1]), float(values[-1])
    threshold = peak_value * (1 - band_pct / 100)

    window_years, window_values = years[-trend_years:], values[-trend_years:]
    trend = mann_kendall(window_values)
    sen = sen_slope(window_years, window_values)
    mean = float(window_values.mean())
    sen_pct = sen / mean * 100 if sen is not None and mean > 0 else None
    rising = trend.p is not None and trend.s > 0 and trend.p < alpha
    # Sen's line climbs across the window by more than the band: the window does not stay within it.
    climbing = sen is not None and sen * float(window_years[-1] - window_years[0]) > peak_value - threshold

    below = values < threshold
    # Length of the run of below-band years at the end of the series.
    run = len(below) - int(np.flatnonzero(~below)[-1]) - 1 if not below.all() else len(below)
    post_slope = sen_slope(years[peak_at + 1:], values[peak_at + 1:])

    status: PeakStatusName
    if peak_at == len(values) - 1:
        status = "pre_peak" if rising or climbing or bool(below[:-1].all()) else "plateau"
    elif last_value >= threshold:
        status = "pre_peak" if rising else "plateau"
    elif run >= confirm_years and (post_slope is None or post_slope <= 0):
        status = "peaked_confirmed"
    else:
        status = "peaked_provisional"

    projected: int | None = None
    if status == "pre_peak":
        projected, note = _projected_peak_year(window_years, window_values, last_year)
    else:
        note = f"status {status}: the peak candidate is {peak_year}; no projection"
    expected = projected if status == "pre_peak" else peak_year
    meets_aim = None if aim_year is None or expected is None else expected <= aim_year

    return PeakStatus(
        status=status, peak_year=peak_year, peak_value=peak_value, last_year=last_year, last_value=last_value,
        years_since_peak=last_year - peak_year, years_below_band=run, trend_from=int(window_years[0]),
        trend_to=int(window_years[-1]), sen_slope=sen, sen_slope_pct=sen_pct, mann_kendall_s=trend.s,
        mann_kendall_var_s=trend.var_s, mann_kendall_z=trend.z, mann_kendall_tau=trend.tau if trend.p is not None
        else None, mann_kendall_p=trend.p, post_peak_sen_slope=post_slope, projected_peak_year=projected,
        projection_note=note, meets_aim=meets_aim, **common,
    )


def co2_intensity(emissions: pd.Series, gdp_constant: pd.Series) -> pd.Series:
    """CO2 per 10 000 yuan of GDP at constant prices.

    Parameters
    ----------
    emissions : Series
        CO2 by year [t].
    gdp_constant : Series
        GDP at constant prices by year [万元], positive.

    Returns
    -------
    Series
        ``co2_intensity`` by year [t CO2/万元], over the union of both series' years; NaN where either is missing.
    """
    co2 = yearly_series(emissions, "emissions")
    gdp = yearly_series(gdp_constant, "gdp_constant")
    check_not_negative(co2.dropna(), "emissions [t CO2]")
    check_not_negative(gdp.dropna(), "gdp_constant [万元]", strictly=True)
    years = co2.index.union(gdp.index).rename("year")
    return (co2.reindex(years) / gdp.reindex(years)).rename("co2_intensity")
