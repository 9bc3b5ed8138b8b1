"""Helpers of the report tests: put rows into ``fresh_store`` through the ingestion pipeline, as a client would."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import pytest

from carbon.ingest.pipeline import ingest_readings, ingest_records
from carbon.store import Store

# A fixed "today" for the pipeline's future-period check, after every month the tests report.
TODAY = date(2025, 7, 20)


def months(year: int, *numbers: int) -> list[str]:
    """``YYYY-MM`` of the given months of a year."""
    return [f"{year:04d}-{number:02d}" for number in numbers]


def electricity(periods: Sequence[str], amounts: float | Sequence[float], **extra: Any) -> list[dict[str, Any]]:
    """Monthly grid electricity rows [万kWh]."""
    amounts = [amounts] * len(periods) if isinstance(amounts, int | float) else list(amounts)
    return [{"period": period, "carrier": "电力", "quantity": amount, "unit": "万千瓦时", **extra}
            for period, amount in zip(periods, amounts, strict=True)]


@pytest.fixture
def submit(fresh_store: Store) -> Callable[..., Any]:
    """Submit an enterprise's monthly records (JSON-like dicts) and check that none was rejected; corrections are
    confirmed (these tests are about what a stored figure raises, not about holding revisions)."""

    def submit(enterprise_id: str, records: Sequence[Mapping[str, Any]]) -> Any:
        summary = ingest_records(fresh_store, records, enterprise_id=enterprise_id, actor="test", today=TODAY,
                                 confirm=True, reason="a confirmed correction")
        assert summary.rejected == 0, summary.rejection_frame.to_dict("records")
        return summary

    return submit


@pytest.fixture
def record_readings(fresh_store: Store) -> Callable[..., Any]:
    """Store ``count`` quarter-hourly interval readings of a meter from a Beijing-time start (1 kWh each)."""

    def record(meter_id: str, enterprise_id: str, start: str, count: int) -> Any:
        stamps = pd.date_range(f"{start}+08:00", periods=count, freq="15min")
        frame = pd.DataFrame({"row": range(2, count + 2), "meter_id": meter_id, "enterprise_id": enterprise_id,
                              "ts": [stamp.isoformat() for stamp in stamps], "value": 1.0, "unit": "kWh",
                              "kind": "interval"})
        summary = ingest_readings(fresh_store, [frame], source="meter.csv", actor="test")
        assert summary.rejected == 0, summary.rejection_frame.to_dict("records")
        return summary

    return record
