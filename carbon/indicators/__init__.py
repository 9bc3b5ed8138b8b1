"""Indicators: energy intensity against its target path, CO2 and its peak, decomposition of the change."""

from carbon.indicators.decomposition import lmdi_decomposition, logarithmic_mean
from carbon.indicators.intensity import (
    GdpForecast,
    IndicatorInputError,
    IntensityReport,
    IntensityTarget,
    annual_change,
    change_from_growth,
    compound_change,
    intensity_table,
    target_path,
)
from carbon.indicators.peak import PEAK_STATUSES, PeakStatus, co2_intensity, peak_status

__all__ = [
    "PEAK_STATUSES", "GdpForecast", "IndicatorInputError", "IntensityReport", "IntensityTarget", "PeakStatus",
    "annual_change", "change_from_growth", "co2_intensity", "compound_change", "intensity_table",
    "lmdi_decomposition", "logarithmic_mean", "peak_status", "target_path",
]
