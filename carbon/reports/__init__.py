"""Reports: store queries combined with the pure indicators, ready for the API, the CLI and the dashboard.

Each function reads what it needs through the store (scoped by the caller) and returns plain dictionaries
whose numbers come from :mod:`carbon.indicators`; no arithmetic lives in the HTTP or CLI layers.
"""

from carbon.reports.emissions import region_carbon
from carbon.reports.enterprise import enterprise_compliance, enterprise_energy, enterprise_metrics, enterprise_telemetry
from carbon.reports.overview import region_overview, report_completeness
from carbon.reports.region import MissingTarget, bottom_up_years, intensity_target, region_comparison, region_intensity

__all__ = [
    "MissingTarget", "bottom_up_years", "enterprise_compliance", "enterprise_energy", "enterprise_metrics",
    "enterprise_telemetry", "intensity_target", "region_carbon", "region_comparison", "region_intensity",
    "region_overview", "report_completeness",
]
