"""Rule files: every rule traceable, a broken row refused at load with its file and line, content versions."""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

import carbon.screening
from carbon.screening.frameworks import screen
from carbon.screening.rule_files import RuleFileError
from carbon.screening.rules import RuleSet, default_rules
from carbon.units import parse_unit

EU = "eu_taxonomy"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return default_rules()


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


def test_the_package_keeps_every_public_name() -> None:
    # Callers import these from carbon.screening; splitting it into modules keeps each one where it was.
    names = {
        "OPERATORS", "Activity", "Category", "Criterion", "CriterionResult", "EnergyLimit", "GroupResult",
        "InvalidMetric", "RuleFileError", "RuleSet", "ScreeningResult", "UnitEnergyResult", "UnknownFramework",
        "UnknownProduct", "combine_groups", "compare_unit_energy", "default_rules", "evaluate_criterion",
        "grade_unit_energy", "list_activities", "list_frameworks", "list_products", "screen",
        # added with the industry check and the nested groups (issue 14)
        "IndustryCheck", "IndustryMapping", "aligned_by", "check_industry",
    }
    assert set(carbon.screening.__all__) == names
    assert all(hasattr(carbon.screening, name) for name in names)
    assert carbon.screening.default_rules is default_rules and carbon.screening.RuleFileError is RuleFileError
