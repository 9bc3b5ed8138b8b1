"""Indicators: energy intensity against its target path, CO2 and its peak, decomposition of the change."""

from carbon.indicators._common import IndicatorInputError
from carbon.indicators.decomposition import lmdi_decomposition, logarithmic_mean
from carbon.indicators.intensity import GdpForecast, IntensityReport, intensity_table
from carbon.indicators.peak import PEAK_STATUSES, PeakStatus, co2_intensity, peak_status
from carbon.indicators.targets import IntensityTarget, annual_change, change_from_growth, compound_change, target_path
from carbon.indicators.trend import MannKendall, mann_kendall, sen_slope

__all__ = [
    "PEAK_STATUSES", "GdpForecast", "IndicatorInputError", "IntensityReport", "IntensityTarget", "MannKendall",
    "PeakStatus", "annual_change", "change_from_growth", "co2_intensity", "compound_change", "intensity_table",
    "lmdi_decomposition", "logarithmic_mean", "mann_kendall", "peak_status", "sen_slope", "target_path",
]
