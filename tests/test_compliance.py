"""Enterprise compliance rules against hand-computed values: the reporting deadline (day 15 of the following
month), missing reports, coverage of a year, quota use and projection, energy per output value, and unusual
months (ratio to the recent median AND a robust z-score, Iglewicz and Hoaglin 1993)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon.compliance import (
    REPORT_DEADLINE_DAY,
    coverage,
    energy_per_output,
    last_due_month,
    missing_reports,
    monthly_anomalies,
    quota_status,
    report_deadline,
)

MAD_SCALE = 1.4826  # the normal-consistency constant of the modified z-score


def months(year: int, *numbers: int) -> list[str]:
    return [f"{year:04d}-{number:02d}" for number in numbers]


def monthly(values: list[float], *, enterprise_id: str = "E1", start: str = "2024-01") -> pd.DataFrame:
    periods = pd.period_range(start, periods=len(values), freq="M").strftime("%Y-%m")
    return pd.DataFrame({"enterprise_id": enterprise_id, "period": list(periods), "tce": [float(v) for v in values]})


# -- deadline ---------------------------------------------------------------------------------------------------


def test_the_deadline_is_day_15_of_the_following_month() -> None:
    assert REPORT_DEADLINE_DAY == 15
    assert report_deadline("2024-01") == "2024-02-15"
    assert report_deadline("2024-11") == "2024-12-15"
    assert report_deadline("2024-12") == "2025-01-15"  # December's report is due in January of the next year
    assert report_deadline("2024-03", deadline_day=5) == "2024-04-05"


@pytest.mark.parametrize(("today", "expected"), [
    (date(2025, 7, 20), "2025-06"),  # June's report was due on 15 July
    (date(2025, 7, 16), "2025-06"),  # the first day after the deadline
    (date(2025, 7, 15), "2025-05"),  # the 15th is still on time for June
    (date(2025, 7, 1), "2025-05"),
    (date(2025, 1, 16), "2024-12"),  # December's deadline passed: the year wraps once
    (date(2025, 1, 10), "2024-11"),  # two months back from January: November of the year before
    (date(2025, 2, 15), "2024-12"),  # January is not due yet; December is
    (date(2025, 2, 16), "2025-01"),
])
def test_last_due_month_counts_back_one_or_two_months(today: date, expected: str) -> None:
    assert last_due_month(today) == expected


def test_last_due_month_follows_the_deadline_day() -> None:
    assert last_due_month(date(2025, 3, 6), deadline_day=5) == "2025-02"
    assert last_due_month(date(2025, 3, 5), deadline_day=5) == "2025-01"


# -- missing reports ----------------------------------------------------------------------------------------------


def reported(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(pairs), columns=["enterprise_id", "period"])


REGIONS = {"E1": "gz-htz", "E2": "gz-htz"}


def test_no_report_at_all_means_nothing_is_missing() -> None:
    missing = missing_reports(reported(), REGIONS, last_due="2024-06")
    assert missing.empty and list(missing.columns) == ["enterprise_id", "region", "period"]


def test_gaps_from_each_enterprises_first_report_to_the_frontier() -> None:
    # E1 reports Jan, Feb, Apr, May: March is a gap. E2 starts in April (Jan-Mar were before its first report,
    # not missing) and has April only: May is missing. The newest month anyone reported is May, so June (due,
    # but nobody has reported it yet: the round has not begun) is not flagged.
    data = reported(*[("E1", p) for p in months(2024, 1, 2, 4, 5)], ("E2", "2024-04"))
    missing = missing_reports(data, REGIONS, last_due="2024-06")
    assert missing.to_dict("records") == [
        {"enterprise_id": "E1", "region": "gz-htz", "period": "2024-03"},
        {"enterprise_id": "E2", "region": "gz-htz", "period": "2024-05"},
    ]


def test_months_past_the_last_due_month_are_not_missing() -> None:
    # Reports run to June, but on 10 June only April is due: E2's missing May is not flagged yet.
    data = reported(*[("E1", p) for p in months(2024, 1, 2, 3, 4, 5, 6)], ("E2", "2024-01"))
    missing = missing_reports(data, REGIONS, last_due="2024-04")
    assert missing["period"].tolist() == months(2024, 2, 3, 4)
    assert set(missing["enterprise_id"]) == {"E2"}


def test_missing_months_cross_the_year_and_an_unknown_region_is_none() -> None:
    data = reported(("E3", "2023-11"), ("E3", "2024-02"))
    missing = missing_reports(data, REGIONS, last_due="2024-06")
    assert missing.to_dict("records") == [
        {"enterprise_id": "E3", "region": None, "period": "2023-12"},
        {"enterprise_id": "E3", "region": None, "period": "2024-01"},
    ]


# -- coverage ----------------------------------------------------------------------------------------------------


def test_six_reported_months_estimate_the_other_six() -> None:
    # 2024: Jan, Feb, Apr-Jul reported (6 of 12, 50 %); March lies before the last report: a gap. A December 2023
    # report belongs to another year and is ignored.
    cover = coverage(["2023-12", *months(2024, 1, 2, 4, 5, 6, 7)], 2024)
    assert cover.measured == months(2024, 1, 2, 4, 5, 6, 7)
    assert cover.estimated == months(2024, 3, 8, 9, 10, 11, 12)
    assert cover.missing == []
    assert cover.gaps == ["2024-03"]
    assert cover.share_measured_pct == pytest.approx(50.0)
    assert cover.to_dict()["share_measured_pct"] == pytest.approx(50.0)
    assert cover.to_dict()["min_measured"] == 6


def test_five_reported_months_leave_the_rest_missing_never_zero() -> None:
    cover = coverage(pd.Index(months(2024, 1, 3, 5, 6, 7)), 2024)
    assert cover.estimated == []
    assert cover.missing == months(2024, 2, 4, 8, 9, 10, 11, 12)
    assert cover.gaps == months(2024, 2, 4)  # before July, the last report; August on is not yet reported
    assert cover.share_measured_pct == pytest.approx(5 / 12 * 100)  # 41.67 %


def test_min_measured_sets_when_estimation_starts() -> None:
    three = months(2024, 1, 2, 3)
    assert coverage(three, 2024, min_measured=3).estimated == months(2024, *range(4, 13))
    assert coverage(three, 2024, min_measured=4).missing == months(2024, *range(4, 13))


def test_an_empty_year_is_all_missing_with_no_gaps() -> None:
    cover = coverage([], 2024)
    assert cover.measured == [] and cover.gaps == [] and cover.estimated == []
    assert cover.missing == months(2024, *range(1, 13))
    assert cover.share_measured_pct == 0.0


def test_a_full_year_has_nothing_estimated() -> None:
    cover = coverage(months(2024, *range(1, 13)), 2024)
    assert (cover.estimated, cover.missing, cover.gaps) == ([], [], [])
    assert cover.share_measured_pct == pytest.approx(100.0)


# -- quota ------------------------------------------------------------------------------------------------------


def series(values: dict[str, float]) -> pd.Series:
    return pd.Series(values, dtype=float)


def test_quota_use_and_flat_run_rate_projection() -> None:
    # 3 of 12 months at 100 tce, quota 500: 300 / 500 = 60 % used; projected 300 + 9 x 100 = 1 200 tce = 240 %.
    status = quota_status(series(dict.fromkeys(months(2024, 1, 2, 3), 100.0)), 500, 2024)
    assert status.used_tce == pytest.approx(300.0)
    assert status.used_pct == pytest.approx(60.0)
    assert status.projected_tce == pytest.approx(1200.0)
    assert status.projected_pct == pytest.approx(240.0)
    assert status.projected_over is True
    assert status.coverage["measured"] == months(2024, 1, 2, 3)
    assert "mean of the 3 reported" in status.method
    assert status.to_dict()["quota_tce"] == 500.0


def test_quota_projection_uses_the_mean_of_reported_months_and_ignores_other_years() -> None:
    # 2024: Jan 50, Feb 70, Apr 90 (March not reported); 2023-12 at 1 000 tce is another year.
    # used 210 tce of 1 000 = 21 %; mean 70 x 9 unreported months = 630 → 840 tce = 84 %: not over.
    data = series({"2023-12": 1000.0, "2024-01": 50.0, "2024-02": 70.0, "2024-04": 90.0})
    status = quota_status(data, 1000, 2024)
    assert status.used_tce == pytest.approx(210.0)
    assert status.used_pct == pytest.approx(21.0)
    assert status.projected_tce == pytest.approx(840.0)
    assert status.projected_pct == pytest.approx(84.0)
    assert status.projected_over is False
    assert status.coverage["gaps"] == ["2024-03"]


def test_a_projection_exactly_at_the_quota_is_not_over() -> None:
    # 4 months at 100 tce, quota 1 200: projected 400 + 8 x 100 = 1 200 = 100 %, not above it.
    status = quota_status(series(dict.fromkeys(months(2024, 1, 2, 3, 4), 100.0)), 1200, 2024)
    assert status.projected_pct == pytest.approx(100.0)
    assert status.projected_over is False


def test_too_few_months_give_use_but_no_projection() -> None:
    # 2 months (fewer than the 3 needed): 250 + 350 = 600 of 400 tce = 150 % used, no projection.
    status = quota_status(series({"2024-01": 250.0, "2024-02": 350.0}), 400, 2024)
    assert status.used_pct == pytest.approx(150.0)
    assert (status.projected_tce, status.projected_pct, status.projected_over) == (None, None, None)
    assert "from 3 reported months on" in status.method
    assert quota_status(series({"2024-01": 250.0, "2024-02": 350.0}), 400, 2024, min_measured=2).projected_tce \
        == pytest.approx(3600.0)  # 600 + 10 x 300


@pytest.mark.parametrize("quota", [0, -5.0])
def test_a_quota_must_be_positive(quota: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        quota_status(series({"2024-01": 1.0}), quota, 2024)


# -- energy per output ------------------------------------------------------------------------------------------


def test_energy_per_output_value() -> None:
    assert energy_per_output(1200.0, 60_000.0) == pytest.approx(0.02)  # 1 200 tce / 60 000 万元 = 0.02 tce/万元
    assert energy_per_output(0.0, 10.0) == 0.0


@pytest.mark.parametrize("output", [0.0, -1.0])
def test_energy_per_output_needs_a_positive_output(output: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        energy_per_output(10.0, output)


# -- unusual months ---------------------------------------------------------------------------------------------

# Twelve ordinary months around 100 tce: median 100; absolute deviations 10, 10, 0, 5, 5, 0 (twice), so the MAD is
# the median of [0 0 0 0 5 5 5 5 10 10 10 10] = 5 and the robust scale 1.4826 x 5 = 7.413 tce.
ORDINARY = [90, 110, 100, 95, 105, 100] * 2


def test_a_month_far_above_the_median_is_flagged_with_its_numbers() -> None:
    # 200 tce: 2.0 x the median (> 1.5) and z = (200 - 100) / 7.413 = 13.49 (> 3.5)
    flagged = monthly_anomalies(monthly([*ORDINARY, 200]))
    assert flagged[["enterprise_id", "period"]].to_dict("records") == [{"enterprise_id": "E1", "period": "2025-01"}]
    row = flagged.iloc[0]
    assert row["tce"] == 200 and row["median_tce"] == pytest.approx(100.0)
    assert row["ratio"] == pytest.approx(2.0)
    assert row["robust_z"] == pytest.approx(100 / (MAD_SCALE * 5))


def test_both_the_ratio_and_the_robust_z_must_hold() -> None:
    # 140 tce: z = 40 / 7.413 = 5.4 is high, but 1.4 x the median is under the ratio 1.5 → not flagged
    assert monthly_anomalies(monthly([*ORDINARY, 140])).empty
    # ... unless the ratio is lowered to 1.3
    assert monthly_anomalies(monthly([*ORDINARY, 140]), ratio=1.3)["ratio"].tolist() == [pytest.approx(1.4)]
    # A volatile enterprise (50/150 alternating: median 100, MAD 50, scale 74.13): 160 tce is 1.6 x the median,
    # but z = 60 / 74.13 = 0.81 → an ordinary swing, not flagged
    assert monthly_anomalies(monthly([50, 150] * 6 + [160])).empty


def test_a_drop_far_below_the_median_is_flagged_as_a_drop() -> None:
    # a tenth of the median month: as much an anomaly as a spike (a unit slip the other way, or a lost report)
    flagged = monthly_anomalies(monthly([*ORDINARY, 10]))
    assert flagged["direction"].tolist() == ["drop"] and flagged["ratio"].tolist() == [pytest.approx(0.1)]


def test_only_the_window_of_previous_months_counts() -> None:
    # Three old months at 1 000 tce, then three at 100, then 200. With a 3-month window the median is 100 and the
    # history flat: 200 = 2 x 100 is flagged. With a 6-month window the median is (100 + 1 000) / 2 = 550: not.
    data = monthly([1000, 1000, 1000, 100, 100, 100, 200])
    flagged = monthly_anomalies(data, window=3, min_history=3)
    flagged = flagged[flagged["direction"] == "spike"]  # the falls from 1 000 to 100 are drops
    assert flagged["period"].tolist() == ["2024-07"] and flagged["median_tce"].tolist() == [100.0]
    assert monthly_anomalies(data, window=6, min_history=6).empty


def test_no_month_is_judged_before_min_history_months() -> None:
    # Five months at 100 then 300: only five months of history, fewer than min_history = 6 → not judged
    data = monthly([100] * 5 + [300])
    assert monthly_anomalies(data, window=6, min_history=6).empty
    assert monthly_anomalies(data, window=5, min_history=5)["period"].tolist() == ["2024-06"]


def test_a_month_with_min_history_months_is_judged_with_the_default_window() -> None:
    # Six months at 100 then 300 (3 x a flat history) and six ordinary months then 200 (z 13.5): both are past
    # min_history = 6 and far above the median, and should be flagged with the default window of 12.
    flat = monthly([100] * 6 + [300], enterprise_id="E1")
    volatile = monthly([90, 110, 100, 95, 105, 100, 200], enterprise_id="E2")
    flagged = monthly_anomalies(pd.concat([flat, volatile], ignore_index=True))
    assert flagged["enterprise_id"].tolist() == ["E1", "E2"]


def test_a_constant_history_flags_any_month_above_the_ratio() -> None:
    # Twelve months of exactly 100 tce: MAD 0, no z-score; the ratio alone decides.
    flagged = monthly_anomalies(monthly([100] * 12 + [151]))
    assert flagged["ratio"].tolist() == [pytest.approx(1.51)]
    assert math.isnan(flagged["robust_z"].iat[0])
    assert monthly_anomalies(monthly([100] * 12 + [150])).empty  # 150 = 1.5 x 100 is not above it
    assert monthly_anomalies(monthly([100] * 13)).empty


def test_a_history_of_zeros() -> None:
    # Twelve months at 0 tce: median 0 and MAD 0; a month of 5 tce is above 1.5 x 0 (infinite ratio); 0 stays 0.
    flagged = monthly_anomalies(monthly([0] * 12 + [5]))
    assert flagged["period"].tolist() == ["2025-01"]
    assert flagged["median_tce"].tolist() == [0.0] and math.isnan(flagged["ratio"].iat[0])  # no finite ratio to 0
    assert monthly_anomalies(monthly([0] * 13)).empty


def test_each_enterprise_is_judged_against_its_own_history() -> None:
    # E2 runs at 1 000 tce; E1's 200 is unusual for E1 only. Rows arrive shuffled: they are sorted first.
    data = pd.concat([monthly([*ORDINARY, 200], enterprise_id="E1"), monthly([1000] * 13, enterprise_id="E2")],
                     ignore_index=True).sample(frac=1, random_state=3)
    flagged = monthly_anomalies(data)
    assert flagged[["enterprise_id", "period"]].to_dict("records") == [{"enterprise_id": "E1", "period": "2025-01"}]


def _rolling_anomaly_inputs(frame: pd.DataFrame, window: int, min_history: int) -> pd.DataFrame:
    """The median, MAD and spread of each month's previous ``window`` months by pandas' rolling windows per
    enterprise: the definition the vectorised statistics must agree with."""
    history = frame.groupby("enterprise_id")["tce"].shift(1).groupby(frame["enterprise_id"])

    def rolling(how: str) -> pd.Series:
        return history.transform(lambda s: getattr(s.rolling(window, min_periods=min_history), how)())

    mad = history.transform(lambda s: s.rolling(window, min_periods=min_history).apply(
        lambda v: np.nanmedian(np.abs(v - np.nanmedian(v))), raw=True))
    return pd.DataFrame({"median": rolling("median"), "mad": mad, "spread": rolling("max") - rolling("min")})


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 30), min_size=1, max_size=4), seed=st.integers(0, 10_000),
       window=st.integers(2, 12), min_history=st.integers(1, 12))
def test_the_anomaly_statistics_equal_rolling_windows_per_enterprise(sizes: list[int], seed: int, window: int,
                                                                      min_history: int) -> None:
    from carbon.compliance import _window_statistics

    min_history = min(min_history, window)
    rng = np.random.default_rng(seed)
    frame = pd.concat([monthly(list(rng.choice([0.0, 50.0, 100.0, 100.0, 130.0, 400.0], size)), enterprise_id=f"E{n}")
                       for n, size in enumerate(sizes)], ignore_index=True)
    frame = frame.sort_values(["enterprise_id", "period"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(_window_statistics(frame, window, min_history),
                                  _rolling_anomaly_inputs(frame, window, min_history), check_dtype=False)
