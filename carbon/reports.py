"""Reports: store queries combined with the pure indicators, ready for the API, the CLI and the dashboard.

Each function reads what it needs through the store (scoped by the caller) and returns plain dictionaries
whose numbers come from :mod:`carbon.indicators`; no arithmetic lives in the HTTP or CLI layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carbon.store import Scope, Store

__all__ = ["enterprise_energy"]

_BY = {"month": ["period"], "year": ["year"], "carrier": ["carrier"]}
_SUMS = ("energy_gj", "tce_equivalent", "tce_equal", "co2_t")


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as JSON-ready dictionaries (NaN → None, numpy scalars → Python)."""
    return [{key: _clean(value) for key, value in row.items()} for row in frame.to_dict("records")]


def enterprise_energy(store: Store, scope: Scope, enterprise_id: str, *, by: str = "month",
                      start: str | None = None, end: str | None = None) -> dict[str, Any]:
    """Energy [GJ], tce on both bases and CO2 [t] of one enterprise, grouped by month, year or carrier."""
    if by not in _BY:
        raise ValueError(f"by must be one of {', '.join(_BY)}")
    totals = store.consumption_totals(scope, by=_BY[by], enterprise_id=enterprise_id, start=start, end=end)
    rows = [{"key": {name: _clean(row[name]) for name in _BY[by]},
             **{name: float(row[name] or 0.0) for name in _SUMS}, "rows": int(row["rows"])}
            for row in totals.to_dict("records")]
    total = None
    if rows:
        total = {"key": {}, **{name: float(totals[name].sum()) for name in _SUMS}, "rows": int(totals["rows"].sum())}
    return {"enterprise_id": enterprise_id, "by": by, "start": start, "end": end, "rows": rows, "total": total}
