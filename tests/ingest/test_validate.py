"""Row-by-row validation: every bad row rejected with its row, field and reason; good rows kept."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from carbon.ingest.validate import (
    normalize_period,
    validate_consumption,
    validate_readings,
)

TODAY = date(2025, 7, 20)
KNOWN = {"GZHTZ-0001", "GZHTZ-0002"}


def frame(*rows: tuple) -> pd.DataFrame:
    columns = ["enterprise_id", "period", "carrier", "quantity", "unit"]
    out = pd.DataFrame(list(rows), columns=columns[: len(rows[0])])
    out.insert(0, "row", range(2, 2 + len(out)))
    return out


GOOD = ("GZHTZ-0001", "2024-03", "电力", "12.5", "万千瓦时")


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (("GZHTZ-0001", "2024-03", "电力", "abc", "万千瓦时"), "quantity", "not a number"),
        (("GZHTZ-0001", "2024-03", "电力", "-5", "万千瓦时"), "quantity", "negative"),
        (("GZHTZ-0001", "2024-03", "电力", "5", "万千瓦"), "unit", "unknown unit"),
        (("GZHTZ-0001", "2024-03", "电力", "5", "m3"), "unit", "volume"),
        (("GZHTZ-0001", "2099-01", "电力", "5", "kWh"), "period", "future"),
        (("GZHTZ-0001", "2024-13", "电力", "5", "kWh"), "period", "not a month"),
        (("GZHTZ-0001", "March", "电力", "5", "kWh"), "period", "not a month"),
        (("GZHTZ-0001", "2024-03", "电力", "1e15", "kWh"), "quantity", "implausible"),
        (("GZHTZ-0009", "2024-03", "电力", "5", "kWh"), "enterprise_id", "unknown enterprise"),
        (("GZHTZ-0001", "2024-03", "水", "5", "t"), "carrier", "unknown energy carrier"),
        (("GZHTZ-0001", "2024-03", "电力", "", "kWh"), "quantity", "empty"),
        (("GZHTZ-0001", None, "电力", "5", "kWh"), "period", "empty"),
        (("GZHTZ-0001", "2024-03", "电力", "5", None), "unit", "empty"),
    ],
)
def test_each_bad_row_is_rejected_and_the_good_row_kept(bad: tuple, field: str, reason: str) -> None:
    checked = validate_consumption(frame(GOOD, bad), enterprises=KNOWN, today=TODAY)
    assert checked.good["row"].tolist() == [2]
    assert checked.rejected[["row", "field"]].values.tolist() == [[3, field]]
    assert reason in checked.rejected["reason"].iat[0]


def test_duplicates_within_a_file_name_the_first_row() -> None:
    checked = validate_consumption(frame(GOOD, GOOD, ("GZHTZ-0001", "2024/3", "electricity", "1", "kWh")),
                                   enterprises=KNOWN, today=TODAY)
    assert checked.good["row"].tolist() == [2]
    assert checked.rejected["row"].tolist() == [3, 4]
    assert all("duplicates row 2" in reason for reason in checked.rejected["reason"])


def test_canonical_form() -> None:
    checked = validate_consumption(frame(
        ("GZHTZ-0001", "2024年3月", "天然气", "3.5", "万立方米"),
        ("GZHTZ-0002", "202402", "Electricity", 1200, "kWh"),
    ), enterprises=KNOWN, today=TODAY)
    good = checked.good
    assert good["period"].tolist() == ["2024-03", "2024-02"]
    assert good["carrier"].tolist() == ["natural_gas", "electricity"]
    assert good["purpose"].tolist() == ["fuel", "fuel"]
    assert good["quantity"].tolist() == [3.5, 1200.0]


def test_purpose_and_renewable_flag() -> None:
    data = frame(GOOD, ("GZHTZ-0001", "2024-03", "天然气", "1", "万立方米"),
                 ("GZHTZ-0001", "2024-03", "天然气", "2", "万立方米"),
                 ("GZHTZ-0002", "2024-03", "电力", "3", "万千瓦时"), ("GZHTZ-0002", "2024-04", "电力", "3", "万千瓦时"))
    data["purpose"] = ["", "fuel", "原料用能", "燃料", "smoke"]
    data["renewable"] = ["", "", "", "是", ""]
    checked = validate_consumption(data, enterprises=KNOWN, today=TODAY)
    assert checked.good["purpose"].tolist() == ["fuel", "fuel", "feedstock", "fuel"]
    assert checked.good["carrier"].tolist() == ["electricity", "natural_gas", "natural_gas", "electricity_renewable"]
    assert checked.rejected[["row", "field"]].values.tolist() == [[6, "purpose"]]


def test_submission_for_one_enterprise() -> None:
    data = frame(GOOD, ("GZHTZ-0002", "2024-03", "电力", "1", "kWh"))
    checked = validate_consumption(data, enterprises=KNOWN, enterprise_id="GZHTZ-0001", today=TODAY)
    assert checked.good["row"].tolist() == [2]
    assert "for enterprise GZHTZ-0001" in checked.rejected["reason"].iat[0]
    no_column = frame(("x", "2024-03", "电力", "1", "kWh")).drop(columns="enterprise_id")
    filled = validate_consumption(no_column, enterprises=KNOWN, enterprise_id="GZHTZ-0002", today=TODAY)
    assert filled.good["enterprise_id"].tolist() == ["GZHTZ-0002"]


def test_a_missing_column_rejects_every_row_with_what_to_do() -> None:
    checked = validate_consumption(frame(GOOD).drop(columns="unit"), enterprises=KNOWN, today=TODAY)
    assert checked.good.empty
    assert "unit column is missing" in checked.rejected["reason"].iat[0]


def test_measured_ncv() -> None:
    data = frame(("GZHTZ-0001", "2024-03", "原煤", "10", "吨"), ("GZHTZ-0001", "2024-04", "原煤", "10", "吨"),
                 ("GZHTZ-0001", "2024-05", "原煤", "10", "吨"))
    data["ncv"] = ["21000", "-3", "21000"]
    data["ncv_unit"] = ["kJ/kg", "kJ/kg", None]
    checked = validate_consumption(data, enterprises=KNOWN, today=TODAY)
    assert checked.good["row"].tolist() == [2]
    assert checked.rejected["field"].tolist() == ["ncv", "ncv_unit"]


def test_large_frame_is_vectorised() -> None:
    n = 200_000
    rng = np.random.default_rng(1)
    data = pd.DataFrame({
        "row": np.arange(2, n + 2),
        "enterprise_id": pd.Categorical(rng.choice(sorted(KNOWN), n)),
        "period": pd.Categorical(rng.choice([f"2023-{m:02d}" for m in range(1, 13)], n)),
        "carrier": pd.Categorical(rng.choice(["电力", "天然气", "柴油"], n)),
        "quantity": rng.random(n) * 100,
        "unit": pd.Categorical(rng.choice(["万千瓦时"], n)),
    })
    data.loc[data["carrier"] == "天然气", "unit"] = "万千瓦时"
    checked = validate_consumption(data, enterprises=KNOWN, today=TODAY)
    assert len(checked.good) + len(checked.rejected) == n
    assert (checked.rejected["field"].isin(["unit", "period"])).all()


@pytest.mark.parametrize(("text", "expected"), [("2024-03", "2024-03"), ("2024/3", "2024-03"), ("202403", "2024-03"),
                                                ("2024年3月", "2024-03"), ("2024.03", "2024-03"), ("2024-00", None),
                                                ("24-03", None), ("2024-03-15", None)])
def test_normalize_period(text: str, expected: str | None) -> None:
    assert normalize_period(text) == expected


# -- telemetry ----------------------------------------------------------------------------------------------

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
