"""Indicators: energy intensity against its target path, CO2 and its peak, decomposition of the change."""

from carbon.indicators._common import IndicatorInputError
from carbon.indicators.decomposition import lmdi_decomposition, logarithmic_mean
from carbon.indicators.intensity import GdpForecast, IntensityReport, intensity_table
from carbon.indicators.peak import PEAK_STATUSES, PeakStatus, co2_intensity, peak_status
from carbon.indicators.targets import IntensityTarget, annual_change, change_from_growth, compound_change, target_path

__all__ = [
    "PEAK_STATUSES", "GdpForecast", "IndicatorInputError", "IntensityReport", "IntensityTarget", "PeakStatus",
    "annual_change", "change_from_growth", "co2_intensity", "compound_change", "intensity_table",
    "lmdi_decomposition", "logarithmic_mean", "peak_status", "target_path",
]
