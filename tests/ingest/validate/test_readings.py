"""Meter readings: the 15-minute grid, the clock tolerance, Beijing time, rejections."""

from __future__ import annotations

import pandas as pd

from carbon.ingest.validate.readings import validate_readings

KNOWN = {"GZHTZ-0001", "GZHTZ-0002"}


def readings(values: list[float], *, start: str = "2025-06-01T00:00:00+08:00", kind: str = "cumulative",
             meter: str = "M1") -> pd.DataFrame:
    stamps = pd.date_range(start, periods=len(values), freq="15min")
    return pd.DataFrame({"row": range(2, 2 + len(values)), "meter_id": meter, "enterprise_id": "GZHTZ-0001",
                         "ts": [s.isoformat() for s in stamps], "value": values, "unit": "kWh",
                         "carrier": "电力", "kind": kind})


def test_readings_grid_alignment_and_clock_tolerance() -> None:
    data = readings([100, 110, 120])
    data.loc[1, "ts"] = "2025-06-01T00:15:40+08:00"  # 40 s late: snapped onto :15
    data.loc[2, "ts"] = "2025-06-01T00:37:00+08:00"  # not on the grid
    checked = validate_readings(data, enterprises=KNOWN, now=pd.Timestamp("2025-07-01", tz="UTC"))
    assert checked.good["ts"].tolist() == ["2025-05-31T16:00:00Z", "2025-05-31T16:15:00Z"]
    assert checked.rejected[["row", "field"]].values.tolist() == [[4, "ts"]]


def test_readings_rejections() -> None:
    data = readings([100, -1, 120, 130])
    data.loc[2, "unit"] = "m3"
    data.loc[3, "ts"] = "2030-01-01T00:00:00+08:00"
    checked = validate_readings(data, enterprises=KNOWN, meters={"M1": "GZHTZ-0001"},
                                now=pd.Timestamp("2025-07-01", tz="UTC"))
    assert checked.rejected["field"].tolist() == ["value", "unit", "ts"]
    other = validate_readings(readings([1.0]), enterprises=KNOWN, meters={"M1": "GZHTZ-0002"},
                              now=pd.Timestamp("2025-07-01", tz="UTC"))
    assert "another enterprise" in other.rejected["reason"].iat[0]


def test_naive_timestamps_are_beijing_time() -> None:
    data = readings([1.0])
    data["ts"] = ["2025-06-01 08:00:00"]
    checked = validate_readings(data, now=pd.Timestamp("2025-07-01", tz="UTC"))
    assert checked.good["ts"].tolist() == ["2025-06-01T00:00:00Z"]
