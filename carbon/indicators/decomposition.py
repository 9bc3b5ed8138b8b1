"""Additive LMDI-I decomposition of the change in CO2 into activity, energy intensity and carbon intensity.

Kaya-type identity: C = G x (E / G) x (C / E), with C the CO2 emissions [t], E the energy consumption [tce] and G
the GDP at constant prices [万元]. For a change from year t-1 to t the additive LMDI-I effect of a factor x is

    ΔC_x = L(C_t, C_{t-1}) x ln(x_t / x_{t-1}),   L(a, b) = (a - b) / (ln a - ln b),   L(a, a) = a,

and the three effects sum to C_t - C_{t-1} with no residual (up to floating-point rounding).

Zero and missing values are handled explicitly, never by a silent NaN:

- a year pair with a missing value, or zero GDP or energy (E/G or C/E undefined), is *skipped*: its row keeps
  ``status == "skipped"``, a ``reason``, and NaN in every number including ``delta_co2``, so that column sums of
  the change and of the effects still agree;
- zero CO2 in both years (energy and GDP positive) gives zero effects;
- zero CO2 in one year only (carbon intensity zero: all energy carbon-free) takes the analytical limit of the
  LMDI terms (Ang and Liu 2007): the whole change goes to the carbon-intensity effect, the others are zero.

Negative values cannot enter a logarithmic decomposition and raise an error.

References
----------
.. [1] B.W. Ang, "Decomposition analysis for policymaking in energy: which is the preferred method?",
       Energy Policy 32 (2004) 1131-1139.
.. [2] B.W. Ang, "The LMDI approach to decomposition analysis: a practical guide", Energy Policy 33 (2005)
       867-871.
.. [3] B.W. Ang, N. Liu, "Handling zero values in the logarithmic mean Divisia index decomposition approach",
       Energy Policy 35 (2007) 238-246.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carbon.indicators._common import IndicatorInputError, as_year, check_not_negative, yearly_frame

__all__ = ["EFFECTS", "FRAME_COLUMNS", "lmdi_decomposition", "logarithmic_mean"]

FRAME_COLUMNS: tuple[str, ...] = ("co2_t", "energy_tce", "gdp_constant")
EFFECTS: tuple[str, ...] = ("gdp_effect", "energy_intensity_effect", "carbon_intensity_effect")
_NUMBERS: tuple[str, ...] = ("delta_co2", *EFFECTS)
# Names of the same quantities in the store's region statistics.
FRAME_ALIASES = {"co2_total_t": "co2_t", "energy_total_tce": "energy_tce"}
_LABELS = {"co2_t": "CO2", "energy_tce": "energy", "gdp_constant": "GDP"}


def logarithmic_mean(a: Any, b: Any) -> Any:
    """Logarithmic mean L(a, b) = (a - b) / (ln a - ln b), with L(a, a) = a and L(a, 0) = L(0, b) = 0.

    Parameters
    ----------
    a, b : float or array
        Positive (or zero) values.

    Returns
    -------
    float or array
        The logarithmic mean, between the geometric and the arithmetic mean of a and b.

    Notes
    -----
    ln(a/b) is taken as log1p((a - b) / b) when a and b are within a factor 1.5 of each other, which stays
    accurate when they are close, and as ln(a/b) otherwise.
    """
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a_arr / b_arr
        # log1p is accurate near a = b; far from it, its argument near -1 would lose digits and ln(a/b) is better.
        log_ratio = np.where(np.abs(ratio - 1) < 0.5, np.log1p((a_arr - b_arr) / b_arr), np.log(ratio))
        mean = np.where(a_arr == b_arr, a_arr, (a_arr - b_arr) / log_ratio)
    mean = np.where((a_arr == 0) | (b_arr == 0), 0.0, mean)
    return float(mean) if mean.ndim == 0 else mean


def _yearly_effects(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per year after the first: change from the previous calendar year and its three effects."""
    years = frame.index[1:]
    now = frame.loc[years]
    before = frame.reindex(years - 1)
    co2_1, energy_1, gdp_1 = (now[name].to_numpy() for name in FRAME_COLUMNS)
    co2_0, energy_0, gdp_0 = (before[name].to_numpy() for name in FRAME_COLUMNS)

    # Reasons, the first that applies wins: a missing year, a missing value, then a zero that breaks E/G or C/E.
    reason = np.full(len(years), None, dtype=object)
    absent = ~(years - 1).isin(frame.index)
    reason[absent] = [f"no data for {year - 1}" for year in years[absent]]
    for name in FRAME_COLUMNS:
        for label_year, values in ((years - 1, before[name].to_numpy()), (years, now[name].to_numpy())):
            hit = pd.isna(reason) & np.isnan(values)
            reason[hit] = [f"{_LABELS[name]} missing in {year}" for year in label_year[hit]]
    for name in ("gdp_constant", "energy_tce"):
        for label_year, values in ((years - 1, before[name].to_numpy()), (years, now[name].to_numpy())):
            hit = pd.isna(reason) & (values == 0)
            reason[hit] = [f"{_LABELS[name]} is zero in {year}: E/G or C/E is undefined" for year in label_year[hit]]
    skipped = pd.notna(reason)

    with np.errstate(divide="ignore", invalid="ignore"):
        weight = logarithmic_mean(co2_1, co2_0)
        gdp_effect = weight * np.log(gdp_1 / gdp_0)
        energy_intensity_effect = weight * np.log((energy_1 / gdp_1) / (energy_0 / gdp_0))
        carbon_intensity_effect = weight * np.log((co2_1 / energy_1) / (co2_0 / energy_0))
    # Zero CO2 in one or both years: the analytical limit of the LMDI terms (Ang and Liu 2007). L -> 0 makes the
    # activity and energy-intensity terms vanish; the carbon-intensity term tends to the whole change.
    zero = ~skipped & ((co2_0 == 0) | (co2_1 == 0))
    gdp_effect = np.where(zero, 0.0, gdp_effect)
    energy_intensity_effect = np.where(zero, 0.0, energy_intensity_effect)
    carbon_intensity_effect = np.where(zero, co2_1 - co2_0, carbon_intensity_effect)

    out = pd.DataFrame({
        "year": years.to_numpy(dtype="int64"),
        "from_year": (years - 1).to_numpy(dtype="int64"),
        "delta_co2": co2_1 - co2_0,
        "gdp_effect": gdp_effect,
        "energy_intensity_effect": energy_intensity_effect,
        "carbon_intensity_effect": carbon_intensity_effect,
        "status": np.where(skipped, "skipped", "ok"),
        "reason": pd.Series(reason, dtype=object),
    })
    out.loc[skipped, list(_NUMBERS)] = np.nan
    return out


def _chained(yearly: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Cumulative effects from ``base_year``: the chained sum of the yearly ones, broken by a skipped pair."""
    later = yearly[yearly["year"] > base_year].reset_index(drop=True)
    skipped = later["status"] == "skipped"
    broken = skipped.cummax()
    numbers = later[list(_NUMBERS)].cumsum().mask(broken)
    reason = pd.Series([None] * len(later), index=later.index, dtype=object)
    if skipped.any():
        first = later[skipped].iloc[0]
        reason[broken] = f"chain broken at {first['year']}: {first['reason']}"
    base = pd.DataFrame({"year": [base_year], "from_year": [base_year], **{name: [0.0] for name in _NUMBERS},
                         "status": ["ok"], "reason": pd.Series([None], dtype=object)})
    chained = pd.DataFrame({"year": later["year"], "from_year": base_year, **numbers,
                            "status": np.where(broken, "skipped", "ok"), "reason": reason})
    return pd.concat([base, chained], ignore_index=True).astype({"year": "int64", "from_year": "int64"})


def lmdi_decomposition(frame: pd.DataFrame, *, cumulative: bool = False, base_year: int | None = None
                       ) -> pd.DataFrame:
    """Additive LMDI-I decomposition of CO2 changes into GDP, energy-intensity and carbon-intensity effects.

    Parameters
    ----------
    frame : DataFrame
        Indexed by year (or with a ``year`` column): ``co2_t`` CO2 [t], ``energy_tce`` energy consumption [tce],
        ``gdp_constant`` GDP at constant prices [万元] (``co2_total_t`` and ``energy_total_tce``, the store's
        names, are accepted too). NaN where unknown; no negative value.
    cumulative : bool
        False: one row per year, the change from the previous calendar year. True: one row per year from
        ``base_year`` on, the chained sum of the yearly effects since ``base_year`` (its own row is zero).
    base_year : int, optional
        Start of the chain (default: the first year of ``frame``); only with ``cumulative``.

    Returns
    -------
    DataFrame
        Columns ``year``, ``from_year``, ``delta_co2``, ``gdp_effect``, ``energy_intensity_effect``,
        ``carbon_intensity_effect`` [t CO2], ``status`` (``ok`` or ``skipped``) and ``reason``. In an ``ok`` row
        the three effects sum to ``delta_co2`` = C_year - C_from_year. A skipped row has NaN numbers and says why;
        in the cumulative form every row after a skipped pair is skipped too (the chain is broken).

    Raises
    ------
    IndicatorInputError
        A missing column, a non-year index, a negative value, or a base year that is not in the frame.

    References
    ----------
    Ang (2004), Ang (2005), Ang and Liu (2007) — see the module docstring.
    """
    data = yearly_frame(frame, "the decomposition frame", FRAME_COLUMNS, aliases=FRAME_ALIASES)
    for name in FRAME_COLUMNS:
        check_not_negative(data[name].dropna(), f"{name} (a logarithmic decomposition takes no negative value)")
    yearly = _yearly_effects(data)
    if not cumulative:
        if base_year is not None:
            raise IndicatorInputError("base_year applies to the cumulative decomposition only (cumulative=True)")
        return yearly
    if data.empty:
        raise IndicatorInputError("the decomposition frame has no year")
    base = int(data.index[0]) if base_year is None else as_year(base_year, "base_year")
    if base not in data.index:
        raise IndicatorInputError(f"base year {base} is not in the frame (years {list(data.index)})")
    return _chained(yearly, base)
