"""Green-finance screening and unit-product energy limits: thresholds on both sides, any-of groups, sources, units."""

from __future__ import annotations

import json
import math
import re
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from carbon.errors import CarbonError, UnitMismatch
from carbon.screening import (
    InvalidMetric,
    RuleFileError,
    RuleSet,
    UnknownFramework,
    UnknownProduct,
    compare_unit_energy,
    default_rules,
    grade_unit_energy,
    list_activities,
    list_frameworks,
    list_products,
    screen,
)
from carbon.units import parse_unit

EU = "eu_taxonomy"
CN = "cn_green_finance_2025"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return default_rules()


# ------------------------------------------------------------------------------------------ EU thresholds

# (activity, metric, threshold, operator, where it is published). Delegated Regulation (EU) 2021/2139, Annex I:
# 3.7(a) clinker "lower than 0,722", 3.7(b) cement "lower than 0,469", 3.10 hydrogen savings of 73.4 % "resulting
# in 3 tCO2e/tH2" (at most), 7.1 "at least 10 % lower than" NZEB; 4.1 / 4.3 carry the technology-neutral 100 g.
EU_THRESHOLDS = [
    ("electricity_generation_solar_pv", "lifecycle_gco2e_per_kwh", 100.0, "<", "section 4.1"),
    ("electricity_generation_wind", "lifecycle_gco2e_per_kwh", 100.0, "<", "section 4.3"),
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


@pytest.mark.parametrize(("metrics", "aligned", "group_passed"), [
    ({"direct_gco2e_per_kwh": 250}, True, True),
    ({"direct_gco2e_per_kwh": 270}, False, None),  # strict: "lower than 270"; the other two are missing
    ({"direct_gco2e_per_kwh": 300, "direct_kgco2e_per_kw_year": 550}, True, True),  # "not exceed 550": <=
    ({"direct_gco2e_per_kwh": 300, "direct_kgco2e_per_kw_year": 551}, False, None),
    ({"direct_gco2e_per_kwh": 300, "direct_kgco2e_per_kw_year": 600, "lifecycle_gco2e_per_kwh": 90}, True, True),
    ({"direct_gco2e_per_kwh": 300, "direct_kgco2e_per_kw_year": 600, "lifecycle_gco2e_per_kwh": 100}, False, False),
    ({}, False, None),
])
def test_gas_power_any_of_group(metrics: dict, aligned: bool, group_passed: bool | None) -> None:
    # Section 4.29 (inserted by 2022/1214): life-cycle < 100, or direct < 270 g/kWh, or <= 550 kg/kW/yr (20-yr avg).
    result = screen(EU, "electricity_generation_gas", metrics)
    assert result.aligned is aligned
    (group,) = result.groups
    assert (group.group, group.mode, group.passed) == ("emissions", "any", group_passed)
    assert group.criteria == ("eu.4.29.lifecycle", "eu.4.29.direct", "eu.4.29.annual")
    by_id = {criterion.id: criterion for criterion in result.criteria}
    assert "2022/1214" in by_id["eu.4.29.direct"].source and "4.29 point 1(b)(i)" in by_id["eu.4.29.direct"].source
    for criterion in result.criteria:
        assert criterion.missing is (criterion.metric not in metrics)


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
    assert "missing metrics tco2e_per_t_clinker" in result.reason


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


def test_unknown_activity_is_not_eligible_and_lists_the_activities() -> None:
    result = screen(EU, "coal_mining", {"tco2e_per_t_cement": 0.3})
    assert (result.eligible, result.aligned, result.criteria) == (False, False, ())
    assert "coal_mining" in result.reason and "cement_clinker" in result.reason and "new_buildings" in result.reason


@pytest.mark.parametrize(("name", "expected"), [
    ("Manufacture of hydrogen", "hydrogen_manufacture"), ("光伏发电", "electricity_generation_solar_pv"),
    ("  Construction of new buildings ", "new_buildings"),
])
def test_activity_by_chinese_or_english_name(name: str, expected: str) -> None:
    assert screen(EU, name, {}).activity == expected


def test_result_is_json_ready() -> None:
    result = screen(EU, "electricity_generation_gas", {"direct_gco2e_per_kwh": "250 g/kWh"})
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["aligned"] is True and data["category"]["level2"] == {"code": "4.29", "name": result.name_en}
    assert data["criteria"][1]["value"] == 250.0 and data["criteria"][0]["passed"] is None
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
        "lifecycle_gco2e_per_kwh", "direct_gco2e_per_kwh", "direct_kgco2e_per_kw_year"]
    assert len(list_activities()) == len(eu) + len(list_activities(CN))
    assert list_frameworks() == [CN, EU]


# ------------------------------------------------------------------------------------------ rule files


def test_every_rule_is_traceable(rules: RuleSet) -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.[0-9a-f]{8}", rules.version)
    for activities in rules.frameworks.values():
        for activity in activities.values():
            assert activity.source and activity.valid_from
            for criterion in activity.criteria:
                assert criterion.source and criterion.status in ("verified", "unverified"), criterion.id
                assert criterion.note or criterion.status == "verified", criterion.id
                if criterion.unit:
                    parse_unit(criterion.unit)


def _copy_rules(tmp_path: Path) -> Path:
    for entry in resources.files("carbon.rules").iterdir():
        if entry.name.endswith(".csv"):
            (tmp_path / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def _break(folder: Path, prefix: str, old: str, new: str) -> int:
    """Replace the first ``old`` in the file starting with ``prefix``; return the line it is on."""
    path = next(folder.glob(f"{prefix}*.csv"))
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


@pytest.mark.parametrize(("prefix", "old", "new", "message"), [
    ("screening-eu", ",<,0.722,", ",=<,0.722,", "operator '=<' is not one of"),
    ("screening-eu", ",0.469,tCO2e/t,", ",0.469,tCO2e/tonnes_of_nothing,", "unknown unit"),
    ("screening-eu", ",2022-01-01,verified,\"'lower than 0,722", ",2022-01-01,maybe,\"'lower than 0,722", "status"),
    ("screening-eu", ",<,0.722,", ",<,zero point seven,", "is not a number"),
    ("screening-eu", "2022-01-01,verified,\"'at least 10 %", "2022-13-01,verified,\"'at least 10 %", "not a date"),
    ("screening-eu", "eu_taxonomy,cement,水泥制造", "eu_taxonomie,cement,水泥制造", "differs from the file name"),
    ("screening-eu", "eu.3.7.cement,", "eu.3.7.clinker,", "duplicate criterion id"),
    ("screening-cn", "energy_limits:cement_clinker:advanced", "energy_limits:cement_kiln:advanced",
     "names no product"),
    ("energy_limits", ",100,107,117,", ",100,127,117,", "advanced <= entry <= limit"),
    ("energy_limits", "kgce/t,kgce/t,100", "kgce/tt,kgce/t,100", "unknown unit"),
])
def test_a_broken_row_fails_at_load_with_its_line(tmp_path: Path, prefix: str, old: str, new: str,
                                                  message: str) -> None:
    folder = _copy_rules(tmp_path)
    line = _break(folder, prefix, old, new)
    with pytest.raises(RuleFileError, match=rf"{prefix}.*line {line}: .*{re.escape(message)}"):
        RuleSet(folder)


def test_an_unverified_rule_must_say_why(tmp_path: Path) -> None:
    folder = _copy_rules(tmp_path)
    path = next(folder.glob("screening-eu*.csv"))
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, text in enumerate(lines) if ",eu.7.2.major_renovation," in text)
    lines[index] = lines[index][: lines[index].index(",unverified,") + len(",unverified,")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=rf"line {index + 1}: an unverified row says why"):
        RuleSet(folder)


def test_version_is_content_addressed_and_the_newest_edition_wins(tmp_path: Path, rules: RuleSet) -> None:
    folder = _copy_rules(tmp_path)
    assert RuleSet(folder).version == rules.version
    newer = folder / "screening-eu_taxonomy-2099-01-01.csv"
    shutil.copy(next(folder.glob("screening-eu_taxonomy-2023*.csv")), newer)
    newer.write_text(newer.read_text(encoding="utf-8").replace(",<,0.722,", ",<,0.7,"), encoding="utf-8")
    edited = RuleSet(folder)
    assert edited.files["screening-eu_taxonomy"] == newer.name and edited.version.startswith("2099-01-01.")
    assert not screen(EU, "cement_clinker", {"tco2e_per_t_clinker": 0.71}, rules=edited).aligned
    assert screen(EU, "cement_clinker", {"tco2e_per_t_clinker": 0.71}).aligned


# ------------------------------------------------------------------------------------------ energy limits

# Published values (kgce/t; coal power in gce/kWh = kgce/MWh): GB 16780-2021 Table 2 clinker 100/107/117;
# GB 21256-2025 Table 4 converter -30/-28/-12; GB 21258-2024 Table 1 ultra-supercritical 1000 MW 268/276/283.
# Each case gives the unit energy v; energy and output are built so that energy / output = v after conversion.
LIMIT_CASES = [
    ("cement_clinker", [(99.9, "advanced"), (100, "advanced"), (100.1, "entry"), (107, "entry"), (107.1, "limit"),
                        (117, "limit"), (117.1, "over_limit")]),
    ("steel_converter", [(-30.1, "advanced"), (-30, "advanced"), (-29.9, "entry"), (-28, "entry"), (-27.9, "limit"),
                         (-12, "limit"), (-11.9, "over_limit")]),
    ("coal_power_usc_1000mw", [(267.9, "advanced"), (268, "advanced"), (268.1, "entry"), (276, "entry"),
                               (276.1, "limit"), (283, "limit"), (283.1, "over_limit")]),
]
# v kgce/t over 1 万吨 (10 000 t) is 10 v tce; v kgce/MWh over 10 000 万千瓦时 (100 000 MWh) is 100 v tce.
OUTPUT = {"cement_clinker": (1, "万吨", 10), "steel_converter": (1, "万吨", 10),
          "coal_power_usc_1000mw": (10_000, "万千瓦时", 100)}


@pytest.mark.parametrize(("product", "unit_energy", "grade"), [
    pytest.param(product, value, grade, id=f"{product}-{value}")
    for product, cases in LIMIT_CASES for value, grade in cases
])
def test_unit_energy_grades_both_sides_of_each_value(product: str, unit_energy: float, grade: str) -> None:
    output, output_unit, tce_per_unit = OUTPUT[product]
    result = compare_unit_energy(product, unit_energy * tce_per_unit, output, output_unit)
    assert result.value == pytest.approx(unit_energy)
    assert result.grade == grade
    assert result.passed_limit is (grade != "over_limit")
    assert result.edition.startswith("GB ") and result.table and result.source.startswith(result.edition)


def test_unit_energy_converts_energy_and_output_units() -> None:
    # 10 000 tce = 293 070 GJ (1 tce = 29.307 GJ, GB/T 2589-2020); over 100 000 t of clinker: 100 kgce/t.
    result = compare_unit_energy("水泥熟料", "293070 GJ", 10, "万吨")
    assert result.value == pytest.approx(100.0)
    assert (result.grade, result.unit, result.edition, result.table) == ("advanced", "kgce/t", "GB 16780-2021", "表2")
    assert "先进值" in result.grade_label and result.to_dict()["unit_energy"] == pytest.approx(100.0)
    assert json.loads(json.dumps(result.to_dict(), ensure_ascii=False))["grade"] == "advanced"


def test_unit_energy_errors_say_what_to_fix() -> None:
    with pytest.raises(UnknownProduct, match="products: cement_clinker"):
        compare_unit_energy("semiconductor_wafer", 1, 1, "t")
    with pytest.raises(UnitMismatch, match="kgce/MWh"):
        compare_unit_energy("coal_power_usc_1000mw", 100, 1000, "t")
    with pytest.raises(InvalidMetric, match="output"):
        compare_unit_energy("cement_clinker", 100, 0, "t")
    with pytest.raises(InvalidMetric, match="energy_tce"):
        compare_unit_energy("cement_clinker", "lots", 10, "t")


def test_grade_unit_energy_is_vectorised_and_keeps_the_index() -> None:
    values = pd.Series([95.0, 104.0, 110.0, 130.0, float("nan")], index=list("abcde"))
    grades = grade_unit_energy("cement_clinker", values)
    assert grades.tolist() == ["advanced", "entry", "limit", "over_limit", None]
    assert list(grades.index) == list("abcde")


def test_every_energy_limit_is_traceable_and_ordered() -> None:
    products = list_products()
    assert {"cement_clinker", "steel_blast_furnace", "coal_power_usc_1000mw"} <= {p["product"] for p in products}
    for product in products:
        parse_unit(product["unit"])
        present = [product[level] for level in ("advanced", "entry", "limit") if product[level] is not None]
        assert present == sorted(present), product["product"]
        assert product["edition"] and product["source"] and product["status"] in ("verified", "unverified")
        assert product["note"] or product["status"] == "verified"
