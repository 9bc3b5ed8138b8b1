"""Telemetry quality: intervals from register readings (rollovers, resets, gaps), daily completeness and daily
sums against the monthly report (GB/T 38692-2020: 96 quarter-hours a day, complete at 90 %, within 5 %)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carbon.indicators.telemetry import compare_with_monthly, daily_quality, interval_consumption


def readings(values: list[float], *, start: str = "2025-06-01T00:00:00+08:00") -> pd.DataFrame:
    stamps = pd.date_range(start, periods=len(values), freq="15min")
    return pd.DataFrame({"meter_id": "M1", "ts": pd.to_datetime([s.isoformat() for s in stamps], utc=True),
                         "value": values, "unit": "kWh", "kind": "cumulative"})


def test_interval_consumption_handles_rollover_and_reset() -> None:
    data = readings([99_990, 99_995, 5, 10, 3])
    intervals = interval_consumption(data)
    assert intervals["event"].tolist() == ["", "", "rollover", "", "reset"]
    # 99 995 → 5 on a 100 000 register: 5 + 5 = 10 kWh; 10 → 3 is a reset: the 3 kWh counted since zero
    np.testing.assert_array_equal(intervals["amount"].to_numpy(), [np.nan, 5, 10, 5, 3])


def test_interval_consumption_marks_gaps() -> None:
    data = readings([0, 10, 20, 30, 40]).drop(index=2)
    intervals = interval_consumption(data)
    assert intervals["event"].tolist() == ["", "", "gap", ""]
    assert intervals["steps"].tolist() == [1, 1, 2, 1]
    assert intervals["amount"].tolist()[2] == 20  # the amount covers both intervals of the gap


def test_daily_completeness_and_monthly_deviation() -> None:
    values = list(np.arange(96 * 2) * 10.0)
    data = readings(values)
    data = data.drop(index=range(100, 120))  # day 2 loses 20 intervals: 76/96 = 79 % complete
    daily = daily_quality(interval_consumption(data))
    assert daily["complete"].tolist() == [True, False]
    assert daily["intervals"].tolist()[0] == 95  # the first register reading opens the series
    monthly = pd.DataFrame({"enterprise_id": ["GZHTZ-0001"], "period": ["2025-06"], "reported": [1910.0 * 1.10]})
    compared = compare_with_monthly(daily.assign(enterprise_id="GZHTZ-0001"), monthly)
    assert not compared["within_tolerance"].iat[0] and compared["deviation_pct"].iat[0] == pytest.approx(-9.09, 0.01)
