"""The seed region's demo dataset: deterministic, the published figures exact, and the story it is built to tell.

The files under data/demo are committed; most tests read them. One test regenerates them twice (in this process
and in a fresh interpreter with another hash seed) and compares every byte with the committed files.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from carbon import convert_frame

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "data" / "generate_demo.py"
DEMO = ROOT / "data" / "demo"
NOT_GENERATED = {"README.md", "published.csv"}  # written by hand, read by the generator
CONSUMPTION_COLUMNS = ["enterprise_id", "period", "carrier", "quantity", "unit", "purpose", "submitted_at"]
KEY = ["enterprise_id", "period", "carrier", "unit", "purpose"]
YEARS = (2020, 2021, 2022, 2023, 2024)


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


@pytest.fixture(scope="module")
def region() -> dict:
    return json.loads((DEMO / "region.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stats(region: dict) -> pd.DataFrame:
    return pd.DataFrame(region["statistics"]).set_index("year")


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    """The consumption files as reported first (quantities as read, text kept for exact comparisons)."""
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in sorted(DEMO.glob("consumption/*.csv"))]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def corrections() -> pd.DataFrame:
    return pd.read_csv(DEMO / "corrections-2024.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def converted(reports: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """Every report after the corrections, converted by the project's accounting on the Guangdong grid factors."""
    rows = reports.set_index(KEY)
    fixes = corrections.set_index(KEY)
    rows.loc[fixes.index, "quantity"] = fixes["quantity"]
    rows = rows.reset_index()
    rows["quantity"] = rows["quantity"].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = convert_frame(rows, region="guangdong")
    out["year"] = out["period"].str[:4].astype(int)
    return out


@pytest.fixture(scope="module")
def yearly(converted: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    totals = converted.groupby("year")[["tce_equivalent", "co2_t"]].sum().loc[list(YEARS)]
    totals["official"] = stats.loc[list(YEARS), "energy_total_tce"]
    return totals


@pytest.fixture(scope="module")
def readings() -> pd.DataFrame:
    return pd.read_csv(DEMO / "readings" / "2025-06.csv", dtype={"value": float})


# -- determinism ----------------------------------------------------------------------------------------------------

def test_generator_is_deterministic_and_matches_the_committed_files(tmp_path: Path) -> None:
    generator = _load_generator()
    generator.generate(tmp_path / "a")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / "b")], check=True, env=env,
                   capture_output=True, cwd=tmp_path)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    committed = {name: data for name, data in _files(DEMO).items() if name not in NOT_GENERATED}
    assert committed.keys() == first.keys(), "data/demo holds files the generator does not write, or misses some"
    stale = [name for name in first if first[name] != committed[name]]
    assert stale == [], f"committed demo files differ from the generator's output: {stale}; rerun it"


# -- published figures ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("year", "field", "expected"),
    [
        # Zone 14th five-year plan, Table 2-1: GDP 1 413.7 亿元 (2015) and 3 972.3 亿元 (2020); 1 亿元 = 10 000 万元
        (2015, "gdp_current", 14_137_000),
        (2020, "gdp_current", 39_723_000),
        # 2020 is the price base year: constant = current
        (2020, "gdp_constant", 39_723_000),
        # 0.15 tce/万元 x 39 723 000 万元 = 5 958 450 tce
        (2020, "energy_total_tce", 5_958_450),
    ],
)
def test_published_statistics_appear_exactly(stats: pd.DataFrame, year: int, field: str, expected: int) -> None:
    assert stats.at[year, field] == expected
    assert stats.at[year, "sources"][field].startswith(("published:", "derived:"))


def test_targets_and_region(region: dict) -> None:
    assert region["targets"] == {
        "intensity_base_year": 2020, "intensity_base_value": 0.15, "intensity_target_year": 2025,
        "intensity_target_value": 0.13, "peak_aim_year": 2025, "deduct_feedstock": True,
        "deduct_new_renewables": True, "gdp_target_year": 2025,
        "gdp_target_current": 50_000_000,  # 5 000 亿元
    }
    assert (region["code"], region["parent"], region["grid_region"]) == ("gz-htz", None, "guangdong")
    assert region["as_of"] == "2025-07-20"
    assert [row["year"] for row in region["statistics"]] == [2015, 2020, 2021, 2022, 2023, 2024]
    assert "synthetic" in region["synthetic"]


def test_every_figure_says_where_it_comes_from(stats: pd.DataFrame) -> None:
    for year, row in stats.iterrows():
        given = {field for field in ("gdp_current", "gdp_constant", "energy_total_tce", "feedstock_tce",
                                     "renewable_tce") if pd.notna(row[field])}
        assert given == set(row["sources"]), year
        assert all(text.split(":")[0] in ("published", "derived", "synthetic") for text in row["sources"].values())
    assert stats.loc[2015, ["energy_total_tce", "feedstock_tce", "renewable_tce"]].isna().all()


# -- the intensity story ----------------------------------------------------------------------------------------

def test_real_gdp_grows_six_to_eight_percent(stats: pd.DataFrame) -> None:
    growth = stats.loc[list(YEARS), "gdp_constant"].pct_change().dropna()
    assert growth.between(0.06, 0.08).all(), growth.to_dict()


def test_intensity_is_015_in_2020_and_falls_but_stays_above_the_path(stats: pd.DataFrame, region: dict) -> None:
    targets = region["targets"]
    intensity = (stats["energy_total_tce"] / stats["gdp_constant"]).loc[list(YEARS)]
    assert intensity[2020] == pytest.approx(0.15, abs=1e-12)
    assert (intensity.diff().dropna() < 0).all()
    # Constant-rate path 0.15 x (0.13 / 0.15)^((y - 2020) / 5); 2024: ln(0.13 / 0.15) = -0.14310,
    # x 4/5 = -0.11448, e^-0.11448 = 0.89183, x 0.15 = 0.13377
    path_2024 = 0.15 * (0.13 / 0.15) ** (4 / 5)
    assert path_2024 == pytest.approx(0.13377, abs=1e-5)
    assert intensity[2024] > path_2024

    renewables_added = (stats["renewable_tce"] - stats.at[2020, "renewable_tce"]).clip(lower=0)
    adjusted = ((stats["energy_total_tce"] - stats["feedstock_tce"] - renewables_added)
                / stats["gdp_constant"]).loc[list(YEARS)]
    assert (adjusted.diff().dropna() < 0).all()
    assert adjusted[2024] == pytest.approx(0.1365, abs=5e-4)
    assert adjusted[2024] > path_2024
    # Behind the plan on its own base too (the relative test): 2025 needs a steeper cut than -2.82 %/yr.
    plan_rate = (targets["intensity_target_value"] / targets["intensity_base_value"]) ** (1 / 5) - 1
    assert plan_rate == pytest.approx(-0.0282, abs=1e-4)
    needed_2025 = adjusted[2020] * 0.13 / 0.15 / adjusted[2024] - 1
    assert needed_2025 < plan_rate
    assert 0.13 / adjusted[2024] - 1 < plan_rate


# -- bottom-up against official ---------------------------------------------------------------------------------

def test_every_consumption_row_converts(converted: pd.DataFrame, reports: pd.DataFrame) -> None:
    assert list(reports.columns) == CONSUMPTION_COLUMNS
    assert len(converted) == len(reports)
    assert np.isfinite(converted["tce_equivalent"]).all() and (converted["tce_equivalent"] > 0).all()
    assert np.isfinite(converted["co2_t"]).all()
    assert set(converted["carrier"].astype(str)) == {
        "electricity", "electricity_renewable", "natural_gas", "steam", "heat", "raw_coal", "diesel", "gasoline",
        "lpg"}


@pytest.mark.parametrize("year", YEARS)
def test_bottom_up_covers_65_to_75_percent_of_the_official_total(yearly: pd.DataFrame, year: int) -> None:
    coverage = yearly.at[year, "tce_equivalent"] / yearly.at[year, "official"]
    assert 0.65 <= coverage <= 0.75


def test_bottom_up_follows_the_official_trend(yearly: pd.DataFrame) -> None:
    assert (yearly["tce_equivalent"].diff().dropna() > 0).all()
    assert (yearly["official"].diff().dropna() > 0).all()


def test_co2_rises_until_2023_then_plateaus(yearly: pd.DataFrame, converted: pd.DataFrame) -> None:
    co2 = yearly["co2_t"]
    assert (co2.loc[2020:2023].diff().dropna() > 0).all()
    assert co2[2023] > 1.1 * co2[2020]
    assert co2.idxmax() in (2023, 2024)
    assert abs(co2[2024] / co2[2023] - 1) < 0.02
    by_carrier = converted[converted["year"] == 2024].groupby("carrier", observed=True)["co2_t"].sum()
    assert by_carrier["electricity"] / by_carrier.sum() > 0.7  # electricity dominates


def test_fuel_switch_coal_out_solar_up(converted: pd.DataFrame) -> None:
    by = converted.groupby(["year", "carrier"], observed=True)["tce_equivalent"].sum().unstack(fill_value=0)
    coal, solar = by["raw_coal"], by["electricity_renewable"]
    assert coal[2020] > coal[2021] > coal[2022] > coal[2023] > 0
    assert coal[2024] == 0 and coal[2025] == 0
    assert (solar.loc[2020:2024].diff().dropna() > 0).all()


# -- reporting behaviour ----------------------------------------------------------------------------------------

def test_feedstock_solar_and_english_rows(reports: pd.DataFrame) -> None:
    feedstock = reports[reports["purpose"] == "feedstock"]
    assert set(feedstock["carrier"]) == {"天然气", "液化石油气"}
    assert set(reports["purpose"]) == {"fuel", "feedstock"}
    assert (reports["carrier"] == "光伏发电").sum() > 100
    english = reports[reports["carrier"].isin(["electricity", "natural gas"])]
    assert set(zip(english["carrier"], english["unit"], strict=True)) == {("electricity", "kWh"),
                                                                          ("natural gas", "m3")}


def test_reports_arrive_mostly_by_the_10th_some_late(reports: pd.DataFrame) -> None:
    months = reports.drop_duplicates(["enterprise_id", "period"])
    due = pd.PeriodIndex(months["period"], freq="M").end_time.normalize() + pd.Timedelta(days=1)
    days_after = (pd.to_datetime(months["submitted_at"]).to_numpy() - due.to_numpy()) / np.timedelta64(1, "D")
    assert (days_after >= 0).all()
    assert (days_after <= 9).mean() > 0.85  # by the 10th of the next month
    late = days_after >= 15  # after the 15th
    assert 0.01 < late.mean() < 0.15
    assert reports["submitted_at"].max() <= "2025-07-20"


def test_one_report_per_enterprise_month(reports: pd.DataFrame) -> None:
    assert not reports.duplicated(KEY).any()
    assert (reports.groupby(["enterprise_id", "period"])["submitted_at"].nunique() == 1).all()


def test_missing_months_entrants_and_a_stop_in_2025(reports: pd.DataFrame) -> None:
    periods = pd.period_range("2020-01", "2025-06", freq="M").strftime("%Y-%m")
    grid = (reports.drop_duplicates(["enterprise_id", "period"]).assign(seen=True)
            .pivot(index="enterprise_id", columns="period", values="seen").reindex(columns=periods)
            .notna().to_numpy())
    first = grid.argmax(axis=1)
    last = len(periods) - 1 - grid[:, ::-1].argmax(axis=1)
    holes = np.array([(~grid[i, first[i]:last[i] + 1]).sum() for i in range(len(grid))])
    assert 5 <= (holes > 0).sum() <= 20 and holes.max() <= 3  # a few enterprises skip one to three months
    assert (first > 0).sum() >= 10  # enterprises joining after January 2020
    # One enterprise stops reporting in 2025 (its last report before April; a missing June report may merely
    # not have arrived by the as-of date).
    january_2025 = len(periods) - 6
    assert ((last >= january_2025) & (last <= january_2025 + 2) & (first == 0)).sum() >= 1


def test_seasonal_summer_peak_in_electricity(converted: pd.DataFrame) -> None:
    power = converted[converted["carrier"] == "electricity"]
    monthly = power.groupby("period")["tce_equivalent"].sum()
    days = pd.PeriodIndex(monthly.index, freq="M").days_in_month
    per_day = pd.Series(monthly.to_numpy() / days, index=monthly.index)
    for year in YEARS[1:]:
        assert per_day[f"{year}-08"] > per_day[f"{year}-03"]


# -- enterprises ------------------------------------------------------------------------------------------------

def test_enterprises_are_plausible_and_visibly_synthetic(converted: pd.DataFrame) -> None:
    enterprises = pd.read_csv(DEMO / "enterprises.csv", dtype=str)
    assert list(enterprises.columns) == ["id", "name", "region", "industry", "credit_code", "synthetic"]
    assert 250 <= len(enterprises) <= 400
    assert list(enterprises["id"]) == [f"GZHTZ-{i:04d}" for i in range(1, len(enterprises) + 1)]
    assert enterprises["name"].is_unique and enterprises["name"].str.contains("示范").all()
    assert (enterprises["region"] == "gz-htz").all() and (enterprises["synthetic"] == "true").all()
    assert enterprises["industry"].str.fullmatch(r"[A-T]\d{4}").all()
    assert {"C3974", "C3973", "C2720", "C3612", "C2614", "I6513"} <= set(enterprises["industry"])
    assert enterprises["credit_code"].str.fullmatch(r"91440101DEMO\d{6}").all()
    assert enterprises["credit_code"].is_unique
    assert set(converted["enterprise_id"]) <= set(enterprises["id"])
    # A few large users dominate: the top ten use over 40 % of the reported energy.
    energy = converted[converted["year"] == 2024].groupby("enterprise_id")["tce_equivalent"].sum()
    assert energy.nlargest(10).sum() / energy.sum() > 0.4
    assert energy.median() < 0.01 * energy.max()


# -- corrections ------------------------------------------------------------------------------------------------

def test_corrections_revise_2024_reports(reports: pd.DataFrame, corrections: pd.DataFrame) -> None:
    assert list(corrections.columns) == CONSUMPTION_COLUMNS
    assert 3 <= len(corrections) <= 10
    assert corrections["period"].str.startswith("2024-").all()
    first = reports.set_index(KEY).loc[corrections.set_index(KEY).index]
    assert (first["quantity"].astype(float).to_numpy() != corrections["quantity"].astype(float).to_numpy()).all()
    assert (corrections["submitted_at"].to_numpy() > first["submitted_at"].to_numpy()).all()


# -- meter telemetry --------------------------------------------------------------------------------------------

def test_readings_cover_june_2025_every_15_minutes_but_one_gap(readings: pd.DataFrame) -> None:
    assert list(readings.columns) == ["meter_id", "enterprise_id", "ts", "value", "unit", "carrier", "kind"]
    assert readings["meter_id"].nunique() == 3 and readings["enterprise_id"].nunique() == 2
    assert sorted(readings.drop_duplicates("meter_id")["kind"]) == ["cumulative", "cumulative", "interval"]
    assert readings["ts"].str.endswith("+08:00").all() and (readings["unit"] == "kWh").all()
    expected = pd.date_range("2025-06-01T00:00:00+08:00", "2025-06-30T23:45:00+08:00", freq="15min")
    missing_steps = {}
    for meter, group in readings.groupby("meter_id"):
        stamps = pd.DatetimeIndex(pd.to_datetime(group["ts"]))
        assert stamps.is_monotonic_increasing and stamps.is_unique
        assert set(stamps) <= set(expected)
        missing_steps[meter] = expected.difference(stamps)
    gaps = {meter: missing for meter, missing in missing_steps.items() if len(missing)}
    assert len(gaps) == 1
    (missing,) = gaps.values()
    # One contiguous gap of a few hours: 4 to 32 quarter-hours.
    assert 4 <= len(missing) <= 32
    assert (missing[-1] - missing[0]) == pd.Timedelta(minutes=15) * (len(missing) - 1)


def _energy_kwh(group: pd.DataFrame) -> float:
    values = group["value"].to_numpy()
    if group["kind"].iloc[0] == "interval":
        return float(values.sum())
    steps = np.diff(values)
    # A register that falls back restarted from zero: what it shows after the reset is the energy since.
    return float(np.where(steps < 0, values[1:], steps).sum())


def test_cumulative_registers_rise_except_one_reset(readings: pd.DataFrame) -> None:
    resets = 0
    for _meter, group in readings[readings["kind"] == "cumulative"].groupby("meter_id"):
        steps = np.diff(group["value"].to_numpy())
        resets += int((steps < 0).sum())
        fallback = np.flatnonzero(steps < 0)
        if len(fallback):
            after = group["value"].to_numpy()[fallback + 1]
            assert (after < 0.001 * group["value"].to_numpy()[fallback]).all()  # back to about zero
    assert resets == 1


def test_meter_sums_match_the_june_report(readings: pd.DataFrame, reports: pd.DataFrame) -> None:
    for enterprise, group in readings.groupby("enterprise_id"):
        metered = sum(_energy_kwh(meter) for _m, meter in group.groupby("meter_id"))
        row = reports[(reports["enterprise_id"] == enterprise) & (reports["period"] == "2025-06")
                      & (reports["carrier"] == "电力")]
        assert len(row) == 1 and row["unit"].iloc[0] == "万千瓦时"
        reported_kwh = float(row["quantity"].iloc[0]) * 10_000  # 1 万千瓦时 = 10 000 kWh
        assert metered == pytest.approx(reported_kwh, rel=0.03)
