"""Rows for the store's tests, built by hand so that every expected total can be added up on paper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from carbon.store import CONSUMPTION_COLUMNS, READING_COLUMNS

# Four converted monthly rows of the fixture's enterprises: (enterprise, period, carrier, purpose,
# energy [GJ], tce equivalent basis [tce], tce equal basis [tce], CO2 [t]). The tests add these up by hand.
ROWS = [
    ("GZHTZ-0001", "2024-01", "电力", "fuel", 360.0, 12.29, 30.0, 58.1),
    ("GZHTZ-0001", "2024-02", "电力", "fuel", 180.0, 6.145, 15.0, 29.05),
    ("GZHTZ-0002", "2024-01", "天然气", "fuel", 389.31, 13.3, 13.3, 21.62),
    ("GZHTZ-0002", "2025-01", "天然气", "feedstock", 100.0, 3.4, 3.4, 0.0),
]


def consumption_row(enterprise_id: str, period: str, carrier: str, purpose: str, energy_gj: float,
                    tce_equivalent: float, tce_equal: float, co2_t: float, **overrides: Any) -> dict[str, Any]:
    """A stored consumption row with every column, as the pipeline writes it (first revision, batch ``b1``)."""
    row = dict.fromkeys(CONSUMPTION_COLUMNS)
    row.update(enterprise_id=enterprise_id, period=period, carrier=carrier, purpose=purpose, quantity=1.0,
               unit="t", energy_gj=energy_gj, tce_equivalent=tce_equivalent, tce_equal=tce_equal, co2_t=co2_t,
               tce_factor="f.tce", tce_equal_factor="f.equal", co2_factor="f.co2", factor_fallback=False,
               factor_version="v1", revision=1, batch_id="b1", created_batch="b1", source_row=1,
               submitted_at="2024-03-01T00:00:00Z", updated_at="2024-03-01T00:00:00Z")
    row.update(overrides)
    return row


def consumption_frame(rows: list[tuple] | None = None, **overrides: Any) -> pd.DataFrame:
    """The rows (default :data:`ROWS`) as a frame of :data:`CONSUMPTION_COLUMNS`."""
    return pd.DataFrame([consumption_row(*row, **overrides) for row in (ROWS if rows is None else rows)],
                        columns=list(CONSUMPTION_COLUMNS))


def reading_frame(points: list[tuple[str, str, float]], enterprise_id: str = "GZHTZ-0001") -> pd.DataFrame:
    """Readings (meter, ts, value [kWh]) of one enterprise as a frame of :data:`READING_COLUMNS`."""
    return pd.DataFrame([{"meter_id": meter, "ts": ts, "enterprise_id": enterprise_id, "value": value,
                          "unit": "kWh", "carrier": "电力", "kind": "interval", "batch_id": "r1",
                          "source_row": number} for number, (meter, ts, value) in enumerate(points, start=1)],
                        columns=list(READING_COLUMNS))


@pytest.fixture
def consumption() -> Callable[..., pd.DataFrame]:
    """Build consumption frames: ``consumption()`` for :data:`ROWS`, or ``consumption(rows, **overrides)``."""
    return consumption_frame


@pytest.fixture
def readings() -> Callable[..., pd.DataFrame]:
    return reading_frame
