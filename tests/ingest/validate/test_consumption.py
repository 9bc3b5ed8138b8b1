"""Monthly consumption rows: every bad row rejected with its row, field and reason; good rows kept, converted."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from carbon.accounting import OUTPUT_COLUMNS, convert_frame
from carbon.ingest.validate.consumption import normalize_period, validate_consumption

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


def test_good_rows_come_out_converted_as_convert_frame_converts_them() -> None:
    data = frame(GOOD, ("GZHTZ-0001", "2024-04", "天然气", "3.5", "万立方米"),
                 ("GZHTZ-0002", "2023-12", "电力", "1200", "kWh"), ("GZHTZ-0002", "2024-01", "原煤", "10", "吨"),
                 ("GZHTZ-0002", "2024-02", "电力", "5", "MWh"))
    data["ncv"] = ["", "", "", "21000", ""]
    data["ncv_unit"] = ["", "", "", "kJ/kg", ""]
    data["renewable"] = ["", "", "", "", "是"]
    grid = {"GZHTZ-0001": "guangdong", "GZHTZ-0002": None}
    good = validate_consumption(data, enterprises=KNOWN, today=TODAY, grid_regions=grid).good
    assert good["row"].tolist() == [2, 3, 4, 5, 6]
    inputs = good.drop(columns=list(OUTPUT_COLUMNS))
    expected = convert_frame(inputs.assign(region=inputs["enterprise_id"].map(grid).astype(object)))
    for name in OUTPUT_COLUMNS:  # the same values, to the last bit
        assert good[name].astype(object).tolist() == expected[name].astype(object).tolist(), name
    # the grid factor of the enterprise's grid region; the national average where it has none
    factors = dict(zip(good["row"], good["co2_factor"].astype(str), strict=True))
    assert ":guangdong:" in factors[2] and ":national:" in factors[4]


def test_a_group_that_cannot_be_converted_is_rejected_on_its_unit() -> None:
    data = frame(GOOD, ("GZHTZ-0001", "2024-03", "天然气", "3.5", "万立方米"))
    checked = validate_consumption(data, enterprises=KNOWN, today=TODAY, grid_regions={"GZHTZ-0001": "atlantis"})
    assert checked.good["row"].tolist() == [3]  # natural gas needs no grid factor
    assert checked.rejected[["row", "field"]].values.tolist() == [[2, "unit"]]
    assert "no grid_co2 factor for region 'atlantis'" in checked.rejected["reason"].iat[0]


def test_without_an_enterprise_column_every_row_is_rejected() -> None:
    checked = validate_consumption(frame(GOOD).drop(columns="enterprise_id"), enterprises=KNOWN, today=TODAY)
    assert checked.good.empty
    assert checked.rejected[["row", "field"]].values.tolist() == [[2, "enterprise_id"]]
    assert "enterprise_id column is missing" in checked.rejected["reason"].iat[0]


def test_an_empty_frame_has_the_good_columns() -> None:
    checked = validate_consumption(frame(GOOD).iloc[:0], enterprises=KNOWN, today=TODAY)
    assert checked.good.empty and checked.rejected.empty
    assert {"row", "period", "carrier", "quantity", *OUTPUT_COLUMNS} <= set(checked.good.columns)
