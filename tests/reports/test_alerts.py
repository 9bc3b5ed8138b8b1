"""Alert finders on small constructed stores: fingerprints, severities and the numbers in their messages; and the
synchronisation of a refresh (a repeated finding updates its alert, a finding that went away resolves it).

Factors behind the numbers: GB/T 2589-2020 Table A.2, electricity 0.1229 kgce/kWh (当量值) → 1 万kWh = 1.229 tce;
CEC supply coal rate 2022, 0.3007 kgce/kWh (等价值, ``carbon/factors/electricity_equal_value-*.csv``, used for 2024
as the newest earlier year) → 1 万kWh = 3.007 tce.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from carbon.reports.alerts import (
    KINDS,
    anomaly_alerts,
    flag_missing_reports,
    quota_alerts,
    refresh_alerts,
    region_alerts,
    telemetry_alerts,
)
from carbon.store import Scope, Store
from tests.reports.conftest import electricity, months

# The seed region's plan (tests/conftest.py): 0.15 tce/万元 in 2020 → 0.13 in 2025, (0.13 / 0.15)^(1/5) - 1 =
# -2.82 %/yr. Feedstock is deducted by default, so statistics state feedstock 0 to make the adjusted intensity
# equal the raw one. GDP 100 000 万元 every year: intensity = energy / 100 000.
GDP = 100_000.0



def en(message: str) -> str:
    """The English half of an alert message (they read "中文 / English")."""
    return message.split(" / ", 1)[1]

def statistics(store: Store, energy_by_year: dict[int, float]) -> None:
    for year, energy in energy_by_year.items():
        store.put_statistics("gz-htz", year, gdp_constant=GDP, energy_total_tce=energy, feedstock_tce=0.0)


def alerts(store: Store, kind: str, *, include_resolved: bool = False) -> list[dict]:
    return store.list_alerts(Scope.everything(), kind=kind, include_resolved=include_resolved)


# -- region off track -------------------------------------------------------------------------------------------


def test_a_region_projected_to_miss_its_target_is_critical(fresh_store: Store) -> None:
    # 2020: 15 000 tce → 0.150; 2021: 16 500 tce → 0.165, +10 % against the path's -2.82 %: behind.
    # Trend +10 %/yr compounded 4 years: 0.165 x 1.1^4 = 0.24158 tce/万元 in 2025 > 0.13 → projected miss.
    # Required now: (0.13 / 0.165)^(1/4) - 1 = -5.79 %/yr.
    statistics(fresh_store, {2020: 15_000, 2021: 16_500})
    [alert] = region_alerts(fresh_store)
    assert alert["fingerprint"] == "region_off_track|gz-htz|2025"
    assert alert["severity"] == "critical" and alert["region"] == "gz-htz"
    assert en(alert["message"]) == ("gz-htz: energy intensity projected 0.2416 tce/万元 in 2025 against the target "
                                    "0.13; behind its path in 2021; -5.79 %/yr now required (plan -2.82 %/yr)")
    assert alert["details"]["projected_target_value"] == pytest.approx(0.2415765)
    assert alert["details"]["required_annual_change_pct"] == pytest.approx(-5.786128)
    assert alert["details"]["trend_annual_change_pct"] == pytest.approx(10.0)
    assert alert["details"]["latest_year"] == 2021


def test_a_region_behind_its_path_but_projected_to_make_it_is_a_warning(fresh_store: Store) -> None:
    # 0.150, 0.200, 0.190, 0.170, 0.142: in 2024 -5.33 % since 2020 against the path's -10.82 % → behind.
    # Trend over the last 3 changes: (0.142 / 0.200)^(1/3) - 1 = -10.79 %/yr → 0.142 x 0.8921 = 0.1267 ≤ 0.13.
    # Required: 0.13 / 0.142 - 1 = -8.45 % in the one year left.
    statistics(fresh_store, {2020: 15_000, 2021: 20_000, 2022: 19_000, 2023: 17_000, 2024: 14_200})
    [alert] = region_alerts(fresh_store)
    assert alert["severity"] == "warning"
    assert en(alert["message"]) == ("gz-htz: energy intensity behind its path in 2024; -8.45 %/yr now required "
                                "(plan -2.82 %/yr)")
    assert alert["details"]["trend_annual_change_pct"] == pytest.approx(-10.788786)


def test_a_region_on_track_or_without_targets_gives_no_alert(fresh_store: Store) -> None:
    # 0.150 → 0.140 (-6.7 %, ahead of the path's -2.8 %); trend → 0.140 x 0.9333^4 = 0.106 in 2025: on track.
    statistics(fresh_store, {2020: 15_000, 2021: 14_000})
    fresh_store.upsert_region("no-plan", name="无目标园区")  # no intensity target: nothing to judge
    assert region_alerts(fresh_store) == []


def test_a_region_without_statistics_gives_no_alert(fresh_store: Store) -> None:
    assert region_alerts(fresh_store) == []


# -- quotas -----------------------------------------------------------------------------------------------------


def test_a_quota_projected_to_be_exceeded_is_a_warning(fresh_store: Store, submit) -> None:
    # Jan-Mar 2024 at 100 万kWh = 122.9 tce each: used 368.7 of 1 000 tce = 36.9 %;
    # projected 368.7 + 9 x 122.9 = 1 474.8 tce = 147.5 %.
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 3), 100))
    fresh_store.put_quota("GZHTZ-0001", 2024, 1000)
    [alert] = quota_alerts(fresh_store)
    assert alert["fingerprint"] == "quota_exceeded|GZHTZ-0001|2024"
    assert alert["severity"] == "warning"
    assert (alert["enterprise_id"], alert["region"], alert["period"]) == ("GZHTZ-0001", "gz-htz", "2024")
    assert en(alert["message"]) == "GZHTZ-0001: 37 % of its 2024 energy-use quota used, 147 % projected by year-end"
    assert alert["details"]["used_tce"] == pytest.approx(368.7)
    assert alert["details"]["projected_tce"] == pytest.approx(1474.8)
    assert alert["details"]["projected_over"] is True


def test_a_quota_already_exceeded_is_critical(fresh_store: Store, submit) -> None:
    # 368.7 tce used of 300: 122.9 % now; 1 474.8 / 300 = 491.6 % projected
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 3), 100))
    fresh_store.put_quota("GZHTZ-0001", 2024, 300)
    [alert] = quota_alerts(fresh_store)
    assert alert["severity"] == "critical"
    assert en(alert["message"]) == "GZHTZ-0001: 123 % of its 2024 energy-use quota used, 492 % projected by year-end"


def test_a_quota_exceeded_before_a_projection_is_possible(fresh_store: Store, submit) -> None:
    # Two months (under the 3 a projection needs) of 100 万kWh: 245.8 tce used of 200 = 122.9 %, no projection.
    submit("GZHTZ-0001", electricity(months(2024, 1, 2), 100))
    fresh_store.put_quota("GZHTZ-0001", 2024, 200)
    [alert] = quota_alerts(fresh_store)
    assert alert["severity"] == "critical"
    assert en(alert["message"]) == "GZHTZ-0001: 123 % of its 2024 energy-use quota used"
    assert alert["details"]["projected_tce"] is None


def test_a_quota_on_the_equal_value_basis_counts_tce_equal(fresh_store: Store, submit) -> None:
    # The same 3 x 100 万kWh at 3.007 tce/万kWh (等价值): 902.1 tce used of 2 000 = 45.1 %, projected
    # 12 x 300.7 = 3 608.4 tce = 180.4 %; on the equivalent basis (1 474.8 tce projected) it would stay under.
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 3), 100))
    fresh_store.put_quota("GZHTZ-0001", 2024, 2000, basis="equal")
    [alert] = quota_alerts(fresh_store)
    assert en(alert["message"]) == "GZHTZ-0001: 45 % of its 2024 energy-use quota used, 180 % projected by year-end"
    assert alert["details"]["projected_tce"] == pytest.approx(3608.4)
    fresh_store.put_quota("GZHTZ-0001", 2024, 2000, basis="equivalent")
    assert quota_alerts(fresh_store) == []


def test_no_quota_alert_under_the_quota_or_without_one(fresh_store: Store, submit) -> None:
    assert quota_alerts(fresh_store) == []  # no data at all
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 3), 100))
    submit("GZHTZ-0002", electricity(months(2024, 1, 2, 3), 100))
    fresh_store.put_quota("GZHTZ-0001", 2024, 1500)  # projected 1 474.8 tce = 98.3 %
    fresh_store.put_quota("GZHTZ-0002", 2023, 10)  # a quota of a year without data
    assert quota_alerts(fresh_store) == []


# -- unusual months ---------------------------------------------------------------------------------------------

# Twelve ordinary months of GZHTZ-0002 in 万kWh (median 100 = 122.9 tce), 2024-01 to 2024-12.
ORDINARY = [90, 110, 100, 95, 105, 100] * 2
YEAR = months(2024, *range(1, 13))


def test_a_month_far_above_the_median_alerts_with_its_numbers(fresh_store: Store, submit) -> None:
    # January 2025: 200 万kWh = 245.8 tce, 2.0 x the median month of 122.9 tce
    submit("GZHTZ-0002", electricity([*YEAR, "2025-01"], [*ORDINARY, 200]))
    [alert] = anomaly_alerts(fresh_store)
    assert alert["fingerprint"] == "consumption_anomaly|GZHTZ-0002|2025-01"
    assert (alert["severity"], alert["enterprise_id"], alert["region"], alert["period"]) == (
        "warning", "GZHTZ-0002", "gz-htz", "2025-01")
    assert en(alert["message"]) == ("GZHTZ-0002: 245.8 tce in 2025-01, 2.0x its median month (122.9 tce); check the "
                                "report (unit?) or ask what changed")
    # MAD of the history: 5 万kWh = 6.145 tce; z = (245.8 - 122.9) / (1.4826 x 6.145) = 13.49
    assert alert["details"]["robust_z"] == pytest.approx(122.9 / (1.4826 * 6.145))
    assert alert["details"]["ratio"] == pytest.approx(2.0)


def test_only_the_three_newest_months_alert(fresh_store: Store, submit) -> None:
    # The unusual January 2025 is followed by three ordinary months (of another enterprise): it is history now.
    submit("GZHTZ-0002", electricity([*YEAR, "2025-01"], [*ORDINARY, 200]))
    submit("GZHTZ-0001", electricity(months(2025, 2, 3, 4), 10))
    assert anomaly_alerts(fresh_store) == []


def test_a_constant_history_alerts_with_no_z_score(fresh_store: Store, submit) -> None:
    # Twelve months at exactly 10 万kWh (12.29 tce): MAD 0; 16 万kWh is 1.6 x the median
    submit("GZHTZ-0003", electricity([*YEAR, "2025-01"], [10] * 12 + [16]))
    [alert] = anomaly_alerts(fresh_store)
    assert en(alert["message"]).startswith("GZHTZ-0003: 19.7 tce in 2025-01, 1.6x its median month (12.3 tce)")
    assert alert["details"]["robust_z"] is None


def test_a_month_after_a_history_of_zeros_alerts_in_plain_numbers(fresh_store: Store, submit) -> None:
    # An idle year (twelve reports of 0) and a restart at 5 万kWh = 6.145 tce: worth an alert (the flat-history
    # rule flags it), but there is no finite ratio to a median of 0 tce to state.
    submit("GZHTZ-0003", electricity([*YEAR, "2025-01"], [0] * 12 + [5]))
    [alert] = anomaly_alerts(fresh_store)
    assert en(alert["message"]).startswith("GZHTZ-0003: 6.1 tce in 2025-01")
    assert "inf" not in en(alert["message"])
    json.dumps(alert["details"], allow_nan=False)  # what the store keeps must be JSON


def test_no_anomaly_alert_without_data(fresh_store: Store) -> None:
    assert anomaly_alerts(fresh_store) == []


# -- telemetry --------------------------------------------------------------------------------------------------


def test_days_under_90_percent_complete_alert_per_meter_and_month(fresh_store: Store, record_readings) -> None:
    # 1 June: 48 of 96 quarter-hours (50 %); 2 June: 87 (90.6 %, complete); 1 July: 80 (83.3 %); 2 July: 96.
    record_readings("M1", "GZHTZ-0003", "2025-06-01T00:00:00", 48)
    record_readings("M1", "GZHTZ-0003", "2025-06-02T00:00:00", 87)
    record_readings("M1", "GZHTZ-0003", "2025-07-01T00:00:00", 80)
    record_readings("M1", "GZHTZ-0003", "2025-07-02T00:00:00", 96)
    found = {alert["fingerprint"]: alert for alert in telemetry_alerts(fresh_store)}
    assert set(found) == {"telemetry_incomplete|M1|2025-06", "telemetry_incomplete|M1|2025-07"}
    june = found["telemetry_incomplete|M1|2025-06"]
    assert (june["severity"], june["enterprise_id"], june["region"], june["period"]) == (
        "warning", "GZHTZ-0003", "gz-htz", "2025-06")
    assert en(june["message"]) == ("meter M1 (GZHTZ-0003): 1 day(s) under 90 % complete in 2025-06 (lowest 50 %); "
                               "check the meter's link")
    assert june["details"] == {"days": ["2025-06-01"], "lowest_completeness": 0.5}
    july = found["telemetry_incomplete|M1|2025-07"]
    assert july["details"]["lowest_completeness"] == pytest.approx(80 / 96)
    assert "(lowest 83 %)" in en(july["message"])


def test_complete_telemetry_gives_no_alert(fresh_store: Store, record_readings) -> None:
    assert telemetry_alerts(fresh_store) == []
    record_readings("M2", "GZHTZ-0001", "2025-06-01T00:00:00", 96 * 2)
    assert telemetry_alerts(fresh_store) == []


# -- missing reports --------------------------------------------------------------------------------------------


def test_missing_reports_open_and_resolve(fresh_store: Store, submit) -> None:
    # GZHTZ-0001 reports Jan, Feb, Apr-Jun 2024 (March missing); GZHTZ-0002 starts in April and skips June;
    # GZHTZ-0003 never reported (not expected yet). On 20 July 2024 June is the last month past its deadline.
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 4, 5, 6), 1))
    submit("GZHTZ-0002", electricity(months(2024, 4, 5), 1))
    result = flag_missing_reports(fresh_store, today=date(2024, 7, 20))
    assert result == {"missing": 2, "opened": 2, "updated": 0, "resolved": 0}
    found = {alert["fingerprint"]: alert for alert in alerts(fresh_store, "missing_report")}
    assert set(found) == {"missing_report|GZHTZ-0001|2024-03", "missing_report|GZHTZ-0002|2024-06"}
    alert = found["missing_report|GZHTZ-0001|2024-03"]
    assert (alert["severity"], alert["enterprise_id"], alert["region"], alert["period"]) == (
        "warning", "GZHTZ-0001", "gz-htz", "2024-03")
    assert en(alert["message"]) == ("GZHTZ-0001: no energy report for 2024-03 (due by day 15 of the following month); "
                                "ask the enterprise to submit it")
    assert alert["details"] == {"deadline_day": 15}

    # The same day again: updated, not duplicated
    assert flag_missing_reports(fresh_store, today=date(2024, 7, 20)) == {
        "missing": 2, "opened": 0, "updated": 2, "resolved": 0}
    assert {a["id"] for a in alerts(fresh_store, "missing_report")} == {a["id"] for a in found.values()}

    # March arrives: its alert is resolved, June's stays open
    submit("GZHTZ-0001", electricity(["2024-03"], 1))
    assert flag_missing_reports(fresh_store, today=date(2024, 7, 20)) == {
        "missing": 1, "opened": 0, "updated": 1, "resolved": 1}
    assert [a["period"] for a in alerts(fresh_store, "missing_report")] == ["2024-06"]
    resolved = [a for a in alerts(fresh_store, "missing_report", include_resolved=True) if a["resolved_at"]]
    assert [a["fingerprint"] for a in resolved] == ["missing_report|GZHTZ-0001|2024-03"]


def test_a_month_not_yet_past_its_deadline_is_not_missing(fresh_store: Store, submit) -> None:
    # On 10 July 2024 June's report is still on time (due 15 July): only months to May count.
    submit("GZHTZ-0001", electricity(months(2024, 4, 5, 6), 1))
    submit("GZHTZ-0002", electricity(["2024-05"], 1))
    assert flag_missing_reports(fresh_store, today=date(2024, 7, 10))["missing"] == 0
    assert flag_missing_reports(fresh_store, today=date(2024, 7, 16))["missing"] == 1  # GZHTZ-0002's June


# -- refresh ----------------------------------------------------------------------------------------------------


def test_refresh_updates_alerts_keeps_acknowledgements_and_resolves_what_went_away(fresh_store: Store, submit,
                                                                                   record_readings) -> None:
    statistics(fresh_store, {2020: 15_000, 2021: 16_500})  # off track (critical, see above)
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 3), 100))
    fresh_store.put_quota("GZHTZ-0001", 2024, 1000)  # projected 147 % (warning)
    submit("GZHTZ-0002", electricity([*YEAR, "2025-01"], [*ORDINARY, 200]))  # unusual January 2025
    record_readings("M1", "GZHTZ-0003", "2025-06-01T00:00:00", 48)  # a day at 50 %

    first = refresh_alerts(fresh_store)
    assert set(first) == set(KINDS) - {"missing_report"}  # missing reports have a job of their own
    assert all(counts == {"opened": 1, "updated": 0, "resolved": 0} for counts in first.values())
    opened = {a["fingerprint"]: a for a in fresh_store.list_alerts(Scope.everything())}
    assert set(opened) == {"region_off_track|gz-htz|2025", "quota_exceeded|GZHTZ-0001|2024",
                           "consumption_anomaly|GZHTZ-0002|2025-01", "telemetry_incomplete|M1|2025-06"}
    assert fresh_store.list_alerts(Scope.everything())[0]["severity"] == "critical"  # most severe first
    quota = opened["quota_exceeded|GZHTZ-0001|2024"]
    fresh_store.acknowledge_alert(quota["id"], "bureau:test")

    # A fourth month at 100 万kWh: used 491.6 tce = 49 %; the same finding, updated in place, still acknowledged
    submit("GZHTZ-0001", electricity(["2024-04"], 100))
    second = refresh_alerts(fresh_store)
    assert all(counts == {"opened": 0, "updated": 1, "resolved": 0} for counts in second.values()), second
    now = {a["fingerprint"]: a for a in fresh_store.list_alerts(Scope.everything())}
    assert {fp: a["id"] for fp, a in now.items()} == {fp: a["id"] for fp, a in opened.items()}
    assert now["quota_exceeded|GZHTZ-0001|2024"]["acknowledged_by"] == "bureau:test"
    assert en(now["quota_exceeded|GZHTZ-0001|2024"]["message"]).startswith("GZHTZ-0001: 49 % of its 2024")

    # The causes go away: the January figure is corrected to an ordinary 100 万kWh, the quota is raised, the region
    # reports an on-track 2021; the meter's day stays incomplete.
    submit("GZHTZ-0002", electricity(["2025-01"], 100))
    fresh_store.put_quota("GZHTZ-0001", 2024, 5000)
    statistics(fresh_store, {2021: 14_000})
    third = refresh_alerts(fresh_store)
    assert third["region_off_track"] == third["quota_exceeded"] == third["consumption_anomaly"] == {
        "opened": 0, "updated": 0, "resolved": 1}
    assert third["telemetry_incomplete"] == {"opened": 0, "updated": 1, "resolved": 0}
    assert [a["fingerprint"] for a in fresh_store.list_alerts(Scope.everything())] == [
        "telemetry_incomplete|M1|2025-06"]
    everything = fresh_store.list_alerts(Scope.everything(), include_resolved=True)
    assert len(everything) == 4
    assert sum(a["resolved_at"] is not None for a in everything) == 3
