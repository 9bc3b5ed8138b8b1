"""Screening against the frameworks: thresholds on both sides, any-of groups, missing metrics, units, sources."""

from __future__ import annotations

import json
import math

import pytest

from carbon.errors import CarbonError, UnitMismatch
from carbon.screening.frameworks import list_activities, list_frameworks, screen
from carbon.screening.metrics import InvalidMetric
from carbon.screening.rules import RuleSet, UnknownFramework, default_rules

EU = "eu_taxonomy"
CN = "cn_green_finance_2025"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return default_rules()


# ------------------------------------------------------------------------------------------ EU thresholds

# (activity, metric, threshold, operator, where it is published). Delegated Regulation (EU) 2021/2139, Annex I:
# 3.7(a) clinker "lower than 0,722", 3.7(b) cement "lower than 0,469", 3.10 hydrogen savings of 73.4 % "resulting
# in 3 tCO2e/tH2" (at most), 7.1 "at least 10 % lower than" NZEB. 4.1 / 4.3 have no number (see below).
EU_THRESHOLDS = [
    ("hydrogen_manufacture", "lifecycle_tco2e_per_t_h2", 3.0, "<=", "section 3.10"),
    ("cement_clinker", "tco2e_per_t_clinker", 0.722, "<", "section 3.7 point (a)"),
    ("cement", "tco2e_per_t_cement", 0.469, "<", "section 3.7 point (b)"),
    ("new_buildings", "primary_energy_below_nzeb_pct", 10.0, ">=", "section 7.1"),
]
_EXPECTED = {  # passes for (just below, at, just above) the threshold
    "<": (True, False, False),
    "<=": (True, True, False),
    ">=": (False, True, True),
}
EU_CASES = [
    pytest.param(activity, metric, value, expected, source, id=f"{activity}-{side}")
    for activity, metric, threshold, operator, source in EU_THRESHOLDS
    for side, value, expected in zip(
        ("below", "at", "above"), (threshold * 0.99, threshold, threshold * 1.01), _EXPECTED[operator], strict=True)
]


@pytest.mark.parametrize(("activity", "metric", "value", "expected", "source"), EU_CASES)
def test_eu_threshold_both_sides_and_at(activity: str, metric: str, value: float, expected: bool,
                                         source: str) -> None:
    result = screen(EU, activity, {metric: value})
    assert result.eligible
    assert result.aligned is expected
    (criterion,) = result.criteria
    assert (criterion.metric, criterion.passed, criterion.missing) == (metric, expected, False)
    assert "2021/2139" in criterion.source and source in criterion.source
    assert criterion.status in ("verified", "unverified")


# Section 4.29 (inserted by 2022/1214; FACTS §7): route 1(a) life-cycle < 100 gCO2e/kWh, OR route 1(b), which
# needs ALL of: permit by 2030, (i) direct < 270 g/kWh OR <= 550 kg/kW/yr, (ii) ... (vii).
ROUTE_1B = {"construction_permit_by_2030": True, "no_renewable_alternative": True,
            "replaces_solid_liquid_fossil": True, "capacity_vs_replaced_pct": 110, "switch_to_low_carbon_gas_by_2035":
            True, "ghg_reduction_vs_replaced_pct": 60, "coal_phase_out_commitment": True}


def gas(metrics: dict) -> tuple[bool, dict[str, bool | None]]:
    result = screen(EU, "electricity_generation_gas", metrics)
    return result.aligned, {group.group: group.passed for group in result.groups}


@pytest.mark.parametrize(("metrics", "aligned", "route_1a"), [
    ({"lifecycle_gco2e_per_kwh": 99}, True, True),
    ({"lifecycle_gco2e_per_kwh": 100}, False, False),  # "below 100": strict
    ({"lifecycle_gco2e_per_kwh": "0.09 kg/kWh"}, True, True),
])
def test_gas_route_1a_alone(metrics: dict, aligned: bool, route_1a: bool) -> None:
    got, groups = gas(metrics)
    assert got is aligned and groups["route=1a"] is route_1a
    assert groups["route=1b"] is None  # nothing of route 1(b) stated: not assessed, never a pass


def test_gas_direct_250_alone_is_not_aligned() -> None:
    # issue 14: 250 g/kWh satisfies (i) but the other conditions of route 1(b) are not assessed.
    result = screen(EU, "electricity_generation_gas", {"direct_gco2e_per_kwh": 250})
    assert result.aligned is False
    groups = {group.group: group for group in result.groups}
    assert groups["route=1b/i"].passed is True and groups["route=1b"].passed is None
    assert groups["route"].passed is None and groups["route"].parent is None
    assert "not assessed" in result.reason and "construction_permit_by_2030" in result.reason


@pytest.mark.parametrize(("extra", "aligned"), [
    ({"direct_gco2e_per_kwh": 269}, True),
    ({"direct_gco2e_per_kwh": 270}, False),  # "lower than 270"
    ({"direct_gco2e_per_kwh": 350, "direct_kgco2e_per_kw_year": 550}, True),  # 350 g fails, <= 550 kg passes
    ({"direct_gco2e_per_kwh": 350, "direct_kgco2e_per_kw_year": 551}, False),
    ({"direct_kgco2e_per_kw_year": 549}, True),
])
def test_gas_route_1b_both_sides_of_each_number(extra: dict, aligned: bool) -> None:
    assert gas({**ROUTE_1B, **extra})[0] is aligned


@pytest.mark.parametrize(("change", "route_1b"), [
    ({"capacity_vs_replaced_pct": 115}, True),  # (iv) "<= 115 %"
    ({"capacity_vs_replaced_pct": 116}, False),
    ({"ghg_reduction_vs_replaced_pct": 55}, True),  # (vi) ">= 55 %"
    ({"ghg_reduction_vs_replaced_pct": 54.9}, False),
    ({"switch_to_low_carbon_gas_by_2035": False}, False),
    ({"no_renewable_alternative": None}, None),  # not stated: not assessed
])
def test_gas_route_1b_needs_all_its_conditions(change: dict, route_1b: bool | None) -> None:
    aligned, groups = gas({**ROUTE_1B, "direct_gco2e_per_kwh": 250, **change})
    assert groups["route=1b"] is route_1b and aligned is (route_1b is True)


def test_gas_either_route_suffices() -> None:
    assert gas({**ROUTE_1B, "direct_gco2e_per_kwh": 400, "lifecycle_gco2e_per_kwh": 90})[0] is True
    assert gas({"lifecycle_gco2e_per_kwh": 150, "direct_gco2e_per_kwh": 400})[0] is False


@pytest.mark.parametrize("activity", ["electricity_generation_solar_pv", "electricity_generation_wind"])
def test_pv_and_wind_qualify_by_activity_type(activity: str) -> None:
    # Sections 4.1 and 4.3 set no numeric threshold (FACTS §7); DNSH is a stated condition.
    result = screen(EU, activity, {"lifecycle_gco2e_per_kwh": 500})
    assert result.eligible and [c.metric for c in result.criteria] == ["dnsh_compliant"]
    assert result.ignored_metrics == ("lifecycle_gco2e_per_kwh",)
    assert result.aligned is False and "not assessed" in result.reason  # DNSH not stated
    assert screen(EU, activity, {"dnsh_compliant": True}).aligned is True
    assert screen(EU, activity, {"dnsh_compliant": False}).aligned is False


@pytest.mark.parametrize(("activity", "metric", "value"), [
    ("cement_clinker", "tco2e_per_t_clinker", -1),  # issue 14: -1 t/t was aligned
    ("electricity_generation_gas", "direct_gco2e_per_kwh", "-5 g/kWh"),
    ("building_renovation", "primary_energy_reduction_pct", 130),
])
def test_metrics_out_of_physical_bounds_are_refused(activity: str, metric: str, value: object) -> None:
    with pytest.raises(InvalidMetric, match=metric) as caught:
        screen(EU, activity, {metric: value})
    assert "negative" in str(caught.value) or "100 %" in str(caught.value)


@pytest.mark.parametrize(("metrics", "aligned"), [
    ({"primary_energy_reduction_pct": 30}, True),
    ({"primary_energy_reduction_pct": 29.9}, False),
    ({"major_renovation_compliant": True}, True),
    ({"major_renovation_compliant": "是", "primary_energy_reduction_pct": 10}, True),
    ({"major_renovation_compliant": False, "primary_energy_reduction_pct": 29.9}, False),
])
def test_renovation_is_major_renovation_or_thirty_percent(metrics: dict, aligned: bool) -> None:
    # Section 7.2: (a) major-renovation requirements met, or (b) primary energy demand reduced by at least 30 %.
    result = screen(EU, "building_renovation", metrics)
    assert result.aligned is aligned
    assert [group.mode for group in result.groups] == ["any"]


def test_two_ungrouped_criteria_combine_with_and() -> None:
    result = screen(CN, "energy_efficient_equipment", {"energy_efficiency_grade": 1})
    assert result.aligned and [group.mode for group in result.groups] == ["all"]


# ------------------------------------------------------------------------------------------ missing, units, errors


@pytest.mark.parametrize("metrics", [{}, {"tco2e_per_t_clinker": None}, {"tco2e_per_t_cement": 0.4}])
def test_a_missing_metric_never_passes(metrics: dict) -> None:
    result = screen(EU, "cement_clinker", metrics)
    assert result.eligible and not result.aligned
    (criterion,) = result.criteria
    assert (criterion.passed, criterion.missing, criterion.value) == (None, True, None)
    assert result.missing == ("tco2e_per_t_clinker",)
    assert "not assessed: tco2e_per_t_clinker" in result.reason


def test_a_misspelt_metric_is_reported_as_ignored() -> None:
    result = screen(EU, "cement", {"tco2e_per_t_cemnt": 0.4})
    assert result.ignored_metrics == ("tco2e_per_t_cemnt",) and not result.aligned


@pytest.mark.parametrize(("activity", "metric", "given", "value", "passed"), [
    ("cement_clinker", "tco2e_per_t_clinker", "700 kgCO2e/t", 0.7, True),
    ("cement_clinker", "tco2e_per_t_clinker", "722 kg/t", 0.722, False),  # at the threshold after conversion
    ("cement_clinker", "tco2e_per_t_clinker", "0.7", 0.7, True),  # a bare number string is in the rule's unit
    ("electricity_generation_gas", "direct_gco2e_per_kwh", "0.269 kgCO2e/kWh", 269.0, True),
    ("electricity_generation_gas", "direct_gco2e_per_kwh", "0.27 kg/kWh", 270.0, False),
    ("electricity_generation_gas", "direct_kgco2e_per_kw_year", "0.55 tCO2e/kW/year", 550.0, True),
    ("new_buildings", "primary_energy_below_nzeb_pct", "12 %", 12.0, True),
    ("new_buildings", "primary_energy_below_nzeb_pct", "0.1", 0.1, False),  # 0.1 %, not 10 %
    ("hydrogen_manufacture", "lifecycle_tco2e_per_t_h2", "3000 kgCO2e/t", 3.0, True),
])
def test_string_metrics_with_units(activity: str, metric: str, given: str, value: float, passed: bool) -> None:
    result = screen(EU, activity, {metric: given})
    criterion = next(item for item in result.criteria if item.metric == metric)
    assert criterion.value == pytest.approx(value)  # reported in the criterion's unit
    assert criterion.passed is passed


def test_a_unit_of_the_wrong_dimension_names_the_metric() -> None:
    with pytest.raises(UnitMismatch, match="direct_gco2e_per_kwh"):
        screen(EU, "electricity_generation_gas", {"direct_gco2e_per_kwh": "350 kg"})


@pytest.mark.parametrize("value", ["abc", "", True, [1, 2], math.nan, "inf"])
def test_a_non_numeric_metric_names_the_metric(value: object) -> None:
    with pytest.raises(InvalidMetric, match="tco2e_per_t_cement") as caught:
        screen(EU, "cement", {"tco2e_per_t_cement": value})
    assert isinstance(caught.value, CarbonError) and isinstance(caught.value, ValueError)


def test_a_yes_no_criterion_refuses_other_words() -> None:
    with pytest.raises(InvalidMetric, match="nzeb_compliant"):
        screen(CN, "near_zero_energy_building", {"nzeb_compliant": "maybe"})


def test_unknown_framework_lists_the_frameworks() -> None:
    with pytest.raises(UnknownFramework, match="frameworks: cn_green_finance_2025, eu_taxonomy") as caught:
        screen("green_bonds_2015", "cement", {})
    assert isinstance(caught.value, KeyError)
    with pytest.raises(UnknownFramework):
        list_activities("green_bonds_2015")


@pytest.mark.parametrize("activity", ["manufacture_of_aluminium", "Manufacture of iron and steel", "hydropower",
                                      "passenger_cars", "coal_mining"])
def test_an_activity_outside_the_rule_file_is_not_covered_never_not_eligible(activity: str) -> None:
    # Real EU Taxonomy activities (3.8 aluminium, 3.9 iron and steel, 4.5 hydropower, 6.5 cars) this service
    # has no rules for: the answer is "not covered by this service", not a verdict on their eligibility.
    result = screen(EU, activity, {"tco2e_per_t_cement": 0.3})
    assert (result.covered, result.eligible, result.aligned, result.criteria) == (False, None, False, ())
    assert "not covered by this service" in result.reason and "not eligible" not in result.reason
    assert "cement_clinker" in result.reason and "new_buildings" in result.reason
    assert result.to_dict()["covered"] is False


@pytest.mark.parametrize(("name", "expected"), [
    ("Manufacture of hydrogen", "hydrogen_manufacture"), ("光伏发电", "electricity_generation_solar_pv"),
    ("  Construction of new buildings ", "new_buildings"),
])
def test_activity_by_chinese_or_english_name(name: str, expected: str) -> None:
    assert screen(EU, name, {}).activity == expected


def test_result_is_json_ready() -> None:
    result = screen(EU, "electricity_generation_gas", {"lifecycle_gco2e_per_kwh": "90 g/kWh"})
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["aligned"] is True and data["category"]["level2"] == {"code": "4.29", "name": result.name_en}
    assert data["criteria"][0]["value"] == 90.0 and data["criteria"][1]["passed"] is None
    assert data["covered"] is True and {group["parent"] for group in data["groups"]} == {None, "route", "route=1b"}
    assert data["rules_version"] == default_rules().version


# ------------------------------------------------------------------------------------------ Chinese catalogue

# 绿色金融支持项目目录(2025年版): nine level-1 categories (FACTS §7).
LEVEL1 = {"节能降碳产业", "环境保护产业", "资源循环利用产业", "能源绿色低碳转型", "生态保护修复和利用",
          "基础设施绿色升级", "绿色服务", "绿色贸易", "绿色消费"}


def test_catalogue_covers_its_nine_level1_categories() -> None:
    activities = list_activities(CN)
    assert {activity["category"]["level1"]["name"] for activity in activities} == LEVEL1
    assert all(activity["source"].startswith("中国人民银行") for activity in activities)


@pytest.mark.parametrize(("activity", "level1"), [
    ("solar_power", "能源绿色低碳转型"), ("wind_power", "能源绿色低碳转型"), ("green_building", "基础设施绿色升级"),
    ("energy_efficient_equipment", "节能降碳产业"), ("wastewater_treatment", "环境保护产业"),
    ("industrial_solid_waste_utilisation", "资源循环利用产业"), ("ecological_restoration", "生态保护修复和利用"),
    ("energy_performance_contracting", "绿色服务"), ("green_trade", "绿色贸易"),
    ("new_energy_vehicle_consumption", "绿色消费"),
])
def test_catalogue_mapping(activity: str, level1: str) -> None:
    result = screen(CN, activity, {})
    assert result.eligible and result.category is not None and result.category.l1_name == level1
    assert result.status == "unverified"  # the item list and notes were not retrieved: said, not hidden


def test_a_mapping_only_activity_is_aligned_by_its_mapping() -> None:
    result = screen(CN, "太阳能发电设施建设和运营", {})
    assert (result.activity, result.eligible, result.aligned, result.criteria) == ("solar_power", True, True, ())
    assert "no quantitative criterion" in result.reason


@pytest.mark.parametrize(("activity", "metric", "value", "passed"), [
    ("energy_efficient_equipment", "energy_efficiency_grade", 1, True),
    ("energy_efficient_equipment", "energy_efficiency_grade", 2, False),
    ("data_center", "energy_efficiency_grade", 1, True),
    ("data_center", "energy_efficiency_grade", 3, False),
    ("green_building", "green_building_star", 1, False),
    ("green_building", "green_building_star", 2, True),  # at the threshold: ">= 2 stars"
    ("green_building", "green_building_star", 3, True),
    ("near_zero_energy_building", "nzeb_compliant", True, True),
    ("near_zero_energy_building", "nzeb_compliant", "否", False),
    # GB 16780-2021 Table 2 advanced value (grade 1) 100 kgce/t, read from the energy-limit table.
    ("cement_clinker_energy_retrofit", "unit_energy_kgce_per_t_clinker", 99.5, True),
    ("cement_clinker_energy_retrofit", "unit_energy_kgce_per_t_clinker", 100, True),
    ("cement_clinker_energy_retrofit", "unit_energy_kgce_per_t_clinker", 100.5, False),
    ("cement_clinker_energy_retrofit", "unit_energy_kgce_per_t_clinker", "0.1 tce/t", True),
])
def test_catalogue_quantitative_checks(activity: str, metric: str, value: object, passed: bool) -> None:
    result = screen(CN, activity, {metric: value})
    (criterion,) = result.criteria
    assert (criterion.passed, result.aligned) == (passed, passed)
    assert "绿色金融支持项目目录(2025年版)" in criterion.source


def test_catalogue_threshold_comes_from_the_energy_limit_table(rules: RuleSet) -> None:
    (criterion,) = rules.find_activity(CN, "cement_clinker_energy_retrofit").criteria
    assert criterion.threshold == rules.limit("cement_clinker").advanced == 100.0
    assert criterion.threshold_ref == "energy_limits:cement_clinker:advanced"
    assert "GB 16780-2021 表2 advanced value" in criterion.source and criterion.unit == "kgce/t"


def test_list_activities_for_a_form() -> None:
    eu = {activity["activity"]: activity for activity in list_activities(EU)}
    assert set(eu) == {"electricity_generation_solar_pv", "electricity_generation_wind", "electricity_generation_gas",
                       "hydrogen_manufacture", "cement_clinker", "cement", "new_buildings", "building_renovation"}
    assert eu["electricity_generation_gas"]["metrics"] == [
        "lifecycle_gco2e_per_kwh", "construction_permit_by_2030", "direct_gco2e_per_kwh", "direct_kgco2e_per_kw_year",
        "no_renewable_alternative", "replaces_solid_liquid_fossil", "capacity_vs_replaced_pct",
        "switch_to_low_carbon_gas_by_2035", "ghg_reduction_vs_replaced_pct", "coal_phase_out_commitment"]
    assert len(list_activities()) == len(eu) + len(list_activities(CN))
    assert list_frameworks() == [CN, EU]


# ------------------------------------------------------------------------------------------ industry (GB/T 4754)


@pytest.mark.parametrize(("industry", "matches", "eligible"), [
    ("C3011", True, True),  # 水泥制造
    ("C3974", False, False),  # display panels (issue 14): not a clinker maker
    ("", None, True),  # no industry registered: not checked, and the answer says so
])
def test_industry_must_match_the_activity(industry: str, matches: bool | None, eligible: bool) -> None:
    result = screen(EU, "cement_clinker", {"tco2e_per_t_clinker": 0.7}, industry=industry)
    assert result.industry is not None and result.industry.matches is matches
    assert result.eligible is eligible and result.aligned is eligible
    if matches is False:
        assert "does not match" in result.reason and "C3011" in result.reason
    if matches is None:
        assert "not checked" in result.industry.note


def test_an_activity_without_a_mapping_is_not_checked() -> None:
    result = screen(CN, "ecological_restoration", {}, industry="C3974")
    assert result.industry is not None and result.industry.matches is None
    assert "no industry mapping" in result.industry.note


def test_industry_mapping_rows_cite_their_source(rules: RuleSet) -> None:
    assert rules.industries
    for (framework, activity), mapping in rules.industries.items():
        assert activity in rules.framework(framework), (framework, activity)
        assert mapping.source and (mapping.any_industry or mapping.prefixes)
