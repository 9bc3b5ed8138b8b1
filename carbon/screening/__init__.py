"""Green-finance screening rules and unit-product energy limits.

A bank names a framework, an activity and its metrics; :func:`screen` answers whether the activity is covered by
the framework (``eligible``) and meets every criterion (``aligned``), criterion by criterion, with sources. The
rules are data, not code: dated CSV files in ``carbon/rules`` (see :mod:`carbon.rules`), read and validated once
by :class:`RuleSet`. :func:`compare_unit_energy` grades an enterprise's unit-product energy consumption against
the limit, entry and advanced values of the national 能耗限额 standards.

Frameworks
----------
``eu_taxonomy``
    EU Taxonomy climate-mitigation criteria: Delegated Regulation (EU) 2021/2139, Annex I, as amended by
    Delegated Regulations (EU) 2022/1214 and 2023/2485.
``cn_green_finance_2025``
    绿色金融支持项目目录(2025年版), in force 2025-10-01: an activity mapping (eligible = mapped) with quantitative
    checks where a national standard gives a number.

A criterion whose metric the request lacks is ``passed=None, missing=True`` and the verdict is not aligned: a
missing metric never passes. Values may be numbers in the criterion's unit or strings with a unit
(``"350 gCO2e/kWh"``), converted with the program's pint registry.

References
----------
.. [1] Commission Delegated Regulation (EU) 2021/2139, Annex I (technical screening criteria, climate change
   mitigation); Delegated Regulation (EU) 2022/1214 (section 4.29).
.. [2] 中国人民银行 金融监管总局 中国证监会, 绿色金融支持项目目录(2025年版).
.. [3] GB 16780-2021 水泥单位产品能源消耗限额; GB 21256-2025 粗钢生产主要工序单位产品能源消耗限额;
   GB 21258-2024 常规燃煤发电机组单位产品能源消耗限额.

Examples
--------
>>> result = screen("eu_taxonomy", "electricity_generation_gas", {"direct_gco2e_per_kwh": "250 g/kWh"})
>>> result.eligible, result.aligned
(True, True)
>>> compare_unit_energy("cement_clinker", 10_500, 100_000, "t").grade
'entry'
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint

from carbon.editions import content_version, newest_editions
from carbon.errors import CarbonError, UnitMismatch, UnknownUnit
from carbon.text import fold
from carbon.units import Q_, parse_quantity, parse_unit

__all__ = [
    "OPERATORS", "Activity", "Category", "Criterion", "CriterionResult", "EnergyLimit", "GroupResult",
    "InvalidMetric", "RuleFileError", "RuleSet", "ScreeningResult", "UnitEnergyResult", "UnknownFramework",
    "UnknownProduct", "combine_groups", "compare_unit_energy", "default_rules", "evaluate_criterion",
    "grade_unit_energy", "list_activities", "list_frameworks", "list_products", "screen",
]

OPERATORS = ("<", "<=", ">", ">=", "==")
_STATUSES = ("verified", "unverified")
_LEVELS = ("advanced", "entry", "limit")
_SCREENING_FILE = re.compile(r"^screening-(?P<framework>[a-z0-9_]+)-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")
_LIMITS_FILE = re.compile(r"^energy_limits-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")
_IDENTIFIER = re.compile(r"^[a-z0-9_]+$")
_REFERENCE = re.compile(r"^energy_limits:(?P<product>[a-z0-9_]+):(?P<level>[a-z]+)$")
_SCREENING_COLUMNS = (
    "framework", "activity", "activity_zh", "activity_en", "l1_code", "l1_name", "l2_code", "l2_name", "l3_code",
    "l3_name", "criterion", "criterion_name", "metric", "operator", "threshold", "unit", "group", "source",
    "valid_from", "status", "note",
)
_ACTIVITY_COLUMNS = ("activity_zh", "activity_en", "l1_code", "l1_name", "l2_code", "l2_name", "l3_code", "l3_name")
_LIMIT_COLUMNS = (
    "product", "product_zh", "product_en", "indicator_zh", "edition", "table", "unit", "published_unit", "advanced",
    "entry", "limit", "valid_from", "source", "status", "note",
)
_TRUE = frozenset({"true", "yes", "y", "1", "是", "符合", "达标"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "不符合", "不达标"})
# Relative tolerance under which a value counts as equal to its threshold, so that the round-off of a unit
# conversion (722 kg/t -> 0.7220000000000001 t/t) cannot flip a strict comparison.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12
_QUANTITY_ERRORS = (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError,
                    ValueError, SyntaxError, AssertionError, UnknownUnit)


class UnknownFramework(CarbonError, KeyError):
    """A framework id that no rule file defines."""


class UnknownProduct(CarbonError, KeyError):
    """A product that the energy-limit table does not list."""


class InvalidMetric(CarbonError, ValueError):
    """A metric value that cannot be compared with its criterion."""


class RuleFileError(CarbonError, ValueError):
    """A rule or limit file, or one of its rows, that does not validate."""


# ---------------------------------------------------------------------------------------------- rule data


@dataclass(frozen=True)
class Category:
    """Where an activity sits in its framework: up to three levels of code and name."""

    l1_code: str = ""
    l1_name: str = ""
    l2_code: str = ""
    l2_name: str = ""
    l3_code: str = ""
    l3_name: str = ""

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The levels that are known, as ``{"level1": {"code": ..., "name": ...}, ...}``."""
        levels = (("level1", self.l1_code, self.l1_name), ("level2", self.l2_code, self.l2_name),
                  ("level3", self.l3_code, self.l3_name))
        return {key: {"code": code, "name": name} for key, code, name in levels if code or name}


@dataclass(frozen=True)
class Criterion:
    """One criterion of an activity, as the rule file states it.

    Attributes
    ----------
    id, name : str
        Stable id (``"eu.4.29.direct"``) and a sentence saying what is required.
    metric : str
        Name of the request's metric the criterion reads (``"direct_gco2e_per_kwh"``).
    operator : {"<", "<=", ">", ">=", "=="}
        The value passes when ``value <operator> threshold``.
    threshold : float, bool or str
        The published threshold, in :attr:`unit`.
    unit : str
        Unit of the threshold and of a bare number given for the metric; empty for counts, grades and yes/no.
    group : str
        Criteria sharing a non-empty group pass when any of them passes; empty: a group of its own.
    source, valid_from, status, note : str
        Where the threshold is published (act, annex, section; standard, table), from when it applies, whether it
        was verified, and remarks.
    threshold_ref : str or None
        ``energy_limits:<product>:<level>`` when the threshold is read from the energy-limit table.
    """

    id: str
    name: str
    metric: str
    operator: str
    threshold: float | bool | str
    unit: str
    group: str
    source: str
    valid_from: str
    status: str
    note: str = ""
    threshold_ref: str | None = None


@dataclass(frozen=True)
class Activity:
    """An activity a framework covers, with its category and criteria."""

    framework: str
    id: str
    name_zh: str
    name_en: str
    category: Category
    criteria: tuple[Criterion, ...]
    source: str
    valid_from: str
    status: str
    note: str = ""

    @property
    def metrics(self) -> list[str]:
        """Names of the metrics the criteria read, in rule order, without repeats."""
        return list(dict.fromkeys(criterion.metric for criterion in self.criteria))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, for a form or a dropdown."""
        return {
            "framework": self.framework, "activity": self.id, "name_zh": self.name_zh, "name_en": self.name_en,
            "category": self.category.to_dict(), "metrics": self.metrics, "criteria": len(self.criteria),
            "metric_details": self.metric_details, "source": self.source, "status": self.status,
        }

    @property
    def metric_details(self) -> list[dict[str, str]]:
        """Each metric with the unit a bare number is read in and the criterion that reads it (for forms)."""
        seen: dict[str, dict[str, str]] = {}
        for criterion in self.criteria:
            seen.setdefault(criterion.metric, {"metric": criterion.metric, "unit": criterion.unit,
                                               "label": criterion.name})
        return list(seen.values())


@dataclass(frozen=True)
class EnergyLimit:
    """Limit, entry and advanced values of one product's unit energy consumption under a 能耗限额 standard.

    Lower is better: ``advanced`` (先进值, grade 1) <= ``entry`` (准入值 for new plants, grade 2) <= ``limit``
    (限定值 for existing plants, grade 3), all in :attr:`unit`.
    """

    product: str
    name_zh: str
    name_en: str
    indicator: str
    edition: str
    table: str
    unit: str
    published_unit: str
    advanced: float | None
    entry: float | None
    limit: float
    valid_from: str
    source: str
    status: str
    note: str = ""

    def value(self, level: str) -> float | None:
        """The value of a level: ``"advanced"``, ``"entry"`` or ``"limit"``."""
        return {"advanced": self.advanced, "entry": self.entry, "limit": self.limit}[level]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the product's values and their source."""
        return {
            "product": self.product, "name_zh": self.name_zh, "name_en": self.name_en, "indicator": self.indicator,
            "edition": self.edition, "table": self.table, "unit": self.unit, "published_unit": self.published_unit,
            "advanced": self.advanced, "entry": self.entry, "limit": self.limit, "valid_from": self.valid_from or None,
            "source": self.source, "status": self.status, "note": self.note,
        }


def _read_rows(text: str, file_name: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in required if name not in (reader.fieldnames or ())]
    if missing:
        raise RuleFileError(f"{file_name}: missing columns {', '.join(missing)}")
    rows = []
    for raw in reader:
        if None in raw:  # more cells than the header names: a stray comma in an unquoted field
            raise RuleFileError(f"{file_name} line {reader.line_num}: more cells than columns; quote text with commas")
        rows.append((reader.line_num, {key: (value or "").strip() for key, value in raw.items()}))
    return rows


def _check_common(row: dict[str, str], where: str) -> None:
    if not row["source"]:
        raise RuleFileError(f"{where}: empty source")
    if row["status"] not in _STATUSES:
        raise RuleFileError(f"{where}: status {row['status']!r} is not one of {', '.join(_STATUSES)}")
    if row["status"] == "unverified" and not row["note"]:
        raise RuleFileError(f"{where}: an unverified row says why in its note")
    if row["valid_from"]:
        try:
            date.fromisoformat(row["valid_from"])
        except ValueError:
            raise RuleFileError(f"{where}: valid_from {row['valid_from']!r} is not a date (YYYY-MM-DD)") from None


def _check_unit(unit: str, where: str) -> None:
    if unit:
        try:
            parse_unit(unit)
        except CarbonError as error:
            raise RuleFileError(f"{where}: {error}") from None


def _number(text: str, column: str, where: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RuleFileError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise RuleFileError(f"{where}: {column} {text!r} is not a finite number")
    return value


def _parse_limit(row: dict[str, str], file_name: str, line: int) -> EnergyLimit:
    where = f"{file_name} line {line}"
    if not _IDENTIFIER.match(row["product"]):
        raise RuleFileError(f"{where}: product {row['product']!r} is not an id (a-z, 0-9, _)")
    for column in ("product_zh", "edition", "unit"):
        if not row[column]:
            raise RuleFileError(f"{where}: empty {column}")
    _check_common(row, where)
    _check_unit(row["unit"], where)
    advanced, entry, limit = (_number(row[level], level, where) for level in _LEVELS)
    if limit is None:
        raise RuleFileError(f"{where}: empty limit; every product needs its limit value (限定值)")
    present = [value for value in (advanced, entry, limit) if value is not None]
    if present != sorted(present):
        raise RuleFileError(f"{where}: values must satisfy advanced <= entry <= limit (lower is better), "
                            f"got {advanced}, {entry}, {limit}")
    return EnergyLimit(
        product=row["product"], name_zh=row["product_zh"], name_en=row["product_en"], indicator=row["indicator_zh"],
        edition=row["edition"], table=row["table"], unit=row["unit"], published_unit=row["published_unit"],
        advanced=advanced, entry=entry, limit=limit, valid_from=row["valid_from"], source=row["source"],
        status=row["status"], note=row["note"],
    )


def _parse_threshold(row: dict[str, str], limits: Mapping[str, EnergyLimit], where: str,
                     ) -> tuple[float | bool | str, str, str | None, str]:
    """The threshold, its unit, its table reference and the source to cite for it."""
    text, unit, source = row["threshold"], row["unit"], row["source"]
    if not text:
        raise RuleFileError(f"{where}: empty threshold")
    reference = _REFERENCE.match(text)
    if reference:
        product, level = reference["product"], reference["level"]
        if product not in limits:
            raise RuleFileError(f"{where}: threshold {text!r} names no product of the energy-limit table; "
                                f"products: {', '.join(sorted(limits))}")
        if level not in _LEVELS:
            raise RuleFileError(f"{where}: threshold {text!r}: level must be one of {', '.join(_LEVELS)}")
        limit = limits[product]
        value = limit.value(level)
        if value is None:
            raise RuleFileError(f"{where}: threshold {text!r}: the energy-limit table has no {level} value")
        if unit and unit != limit.unit:
            raise RuleFileError(f"{where}: unit {unit!r} differs from the energy-limit table's {limit.unit!r}")
        cited = f"{source}; threshold: {' '.join(filter(None, (limit.edition, limit.table)))} {level} value"
        return value, limit.unit, text, cited
    if text.casefold() in ("true", "false"):
        if row["operator"] != "==":
            raise RuleFileError(f"{where}: a true/false threshold needs the operator ==")
        return text.casefold() == "true", unit, None, source
    try:
        value = float(text)
    except ValueError:
        if row["operator"] != "==":
            raise RuleFileError(f"{where}: threshold {text!r} is not a number; text compares only with ==") from None
        return text, unit, None, source
    if not math.isfinite(value):
        raise RuleFileError(f"{where}: threshold {text!r} is not a finite number")
    return value, unit, None, source


def _parse_criterion(row: dict[str, str], limits: Mapping[str, EnergyLimit], where: str) -> Criterion:
    if not _IDENTIFIER.match(row["metric"]):
        raise RuleFileError(f"{where}: metric {row['metric']!r} is not a name (a-z, 0-9, _)")
    if row["operator"] not in OPERATORS:
        raise RuleFileError(f"{where}: operator {row['operator']!r} is not one of {' '.join(OPERATORS)}")
    if not row["criterion_name"]:
        raise RuleFileError(f"{where}: empty criterion_name")
    _check_unit(row["unit"], where)
    threshold, unit, reference, source = _parse_threshold(row, limits, where)
    return Criterion(
        id=row["criterion"], name=row["criterion_name"], metric=row["metric"], operator=row["operator"],
        threshold=threshold, unit=unit, group=row["group"], source=source, valid_from=row["valid_from"],
        status=row["status"], note=row["note"], threshold_ref=reference,
    )


def _parse_screening(framework: str, text: str, file_name: str,
                     limits: Mapping[str, EnergyLimit]) -> dict[str, Activity]:
    mappings: dict[str, dict[str, str]] = {}
    criteria: dict[str, list[Criterion]] = {}
    declared: dict[str, tuple[str, ...]] = {}
    criterion_ids: set[str] = set()
    for line, row in _read_rows(text, file_name, _SCREENING_COLUMNS):
        where = f"{file_name} line {line}"
        if row["framework"] != framework:
            raise RuleFileError(f"{where}: framework {row['framework']!r} differs from the file name's {framework!r}")
        activity = row["activity"]
        if not _IDENTIFIER.match(activity):
            raise RuleFileError(f"{where}: activity {activity!r} is not an id (a-z, 0-9, _)")
        _check_common(row, where)
        if not row["valid_from"]:
            raise RuleFileError(f"{where}: empty valid_from")
        # Activity columns may be left empty on criterion rows; when filled they must agree with the others.
        filled = tuple(row[column] for column in _ACTIVITY_COLUMNS)
        if any(filled):
            if activity in declared and declared[activity] != filled:
                raise RuleFileError(f"{where}: names or category of {activity!r} differ from an earlier row")
            declared.setdefault(activity, filled)
        if not row["criterion"]:
            if row["metric"] or row["operator"] or row["threshold"]:
                raise RuleFileError(f"{where}: a criterion row needs a criterion id")
            if activity in mappings:
                raise RuleFileError(f"{where}: a second mapping row for {activity!r}")
            mappings[activity] = row
            continue
        if row["criterion"] in criterion_ids:
            raise RuleFileError(f"{where}: duplicate criterion id {row['criterion']!r}")
        criterion_ids.add(row["criterion"])
        criteria.setdefault(activity, []).append(_parse_criterion(row, limits, where))
    orphans = sorted(set(criteria) - set(mappings))
    if orphans:
        raise RuleFileError(f"{file_name}: criteria without a mapping row (criterion empty) for {', '.join(orphans)}")
    activities = {}
    for activity, mapping in mappings.items():
        names = dict(zip(_ACTIVITY_COLUMNS, declared.get(activity, ("",) * len(_ACTIVITY_COLUMNS)), strict=True))
        if not names["activity_zh"] or not names["activity_en"]:
            raise RuleFileError(f"{file_name}: activity {activity!r} needs activity_zh and activity_en")
        activities[activity] = Activity(
            framework=framework, id=activity, name_zh=names["activity_zh"], name_en=names["activity_en"],
            category=Category(*(names[column] for column in _ACTIVITY_COLUMNS[2:])),
            criteria=tuple(criteria.get(activity, ())), source=mapping["source"], valid_from=mapping["valid_from"],
            status=mapping["status"], note=mapping["note"],
        )
    if not activities:
        raise RuleFileError(f"{file_name}: no activities")
    return activities


class RuleSet:
    """The screening rules and energy limits of one folder, validated at load.

    Parameters
    ----------
    folder : path-like or Traversable, optional
        Folder holding ``screening-<framework>-<date>.csv`` and ``energy_limits-<date>.csv``; the package's own
        ``carbon/rules`` by default. For each table the newest edition is used.

    Attributes
    ----------
    version : str
        ``<newest file date>.<8 hex digits of the content hash>``: changes whenever a rule changes.
    files : dict
        File used for each table.

    Raises
    ------
    RuleFileError
        If a file or a row does not validate (operator, unit, threshold, status, source ...); the message names the
        file and the line.
    """

    def __init__(self, folder: Path | Traversable | None = None) -> None:
        folder = folder if folder is not None else resources.files("carbon.rules")
        screening = newest_editions(folder, _SCREENING_FILE, "framework")
        if not screening:
            raise FileNotFoundError(f"no screening rules (screening-<framework>-<YYYY-MM-DD>.csv) in {folder}")
        editions = {f"screening-{name}": edition for name, edition in screening.items()}
        limit_file = newest_editions(folder, _LIMITS_FILE).get("")
        if limit_file is not None:
            editions["energy_limits"] = limit_file
        self.version, texts = content_version(editions)
        self.files: dict[str, str] = {name: edition[1].name for name, edition in editions.items()}
        self.limits: dict[str, EnergyLimit] = {}
        if limit_file is not None:  # read first: criteria refer to the limits
            name = limit_file[1].name
            for line, row in _read_rows(texts["energy_limits"], name, _LIMIT_COLUMNS):
                limit = _parse_limit(row, name, line)
                if limit.product in self.limits:
                    raise RuleFileError(f"{name} line {line}: duplicate product {limit.product!r}")
                self.limits[limit.product] = limit
        self.frameworks: dict[str, dict[str, Activity]] = {
            framework: _parse_screening(framework, texts[key], self.files[key], self.limits)
            for framework, key in ((name, f"screening-{name}") for name in sorted(screening))}

    def __repr__(self) -> str:
        return f"RuleSet(version={self.version!r}, frameworks={sorted(self.frameworks)})"

    def framework(self, framework: str) -> dict[str, Activity]:
        """The activities of a framework, by id.

        Raises
        ------
        UnknownFramework
            If no rule file defines it; the message lists the frameworks.
        """
        try:
            return self.frameworks[framework]
        except KeyError:
            raise UnknownFramework(f"unknown framework {framework!r}; frameworks: "
                                   f"{', '.join(sorted(self.frameworks))}") from None

    def find_activity(self, framework: str, activity: str) -> Activity | None:
        """The activity named by its id, Chinese or English name (case, width and spaces ignored), or None."""
        activities = self.framework(framework)
        if activity in activities:
            return activities[activity]
        wanted = fold(activity)
        for candidate in activities.values():
            if wanted in (fold(candidate.id), fold(candidate.name_zh), fold(candidate.name_en)):
                return candidate
        return None

    def limit(self, product: str) -> EnergyLimit:
        """The energy-limit row of a product, by id or Chinese name.

        Raises
        ------
        UnknownProduct
            If the table does not list it; the message lists the products.
        """
        if product in self.limits:
            return self.limits[product]
        wanted = fold(product)
        for limit in self.limits.values():
            if wanted in (fold(limit.product), fold(limit.name_zh), fold(limit.name_en)):
                return limit
        listed = ", ".join(f"{limit.product} ({limit.name_zh})" for limit in self.limits.values()) or "none"
        raise UnknownProduct(f"no energy limit for product {product!r}; products: {listed}")


@cache
def default_rules() -> RuleSet:
    """The rules shipped with the package, loaded once."""
    return RuleSet()


# ---------------------------------------------------------------------------------------------- screening


@dataclass(frozen=True)
class CriterionResult:
    """The verdict on one criterion: the value compared, the threshold and where it is published."""

    id: str
    name: str
    metric: str
    value: float | bool | str | None
    threshold: float | bool | str
    operator: str
    unit: str
    group: str
    passed: bool | None
    missing: bool
    source: str
    status: str
    valid_from: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the verdict."""
        return {
            "id": self.id, "name": self.name, "metric": self.metric, "value": self.value,
            "threshold": self.threshold, "operator": self.operator, "unit": self.unit, "group": self.group or None,
            "passed": self.passed, "missing": self.missing, "source": self.source, "status": self.status,
            "valid_from": self.valid_from, "note": self.note,
        }


@dataclass(frozen=True)
class GroupResult:
    """Criteria combined: ``all`` for a single criterion, ``any`` for an any-of group."""

    group: str
    mode: str
    criteria: tuple[str, ...]
    passed: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "mode": self.mode, "criteria": list(self.criteria), "passed": self.passed}


@dataclass(frozen=True)
class ScreeningResult:
    """The answer to a screening request.

    Attributes
    ----------
    eligible : bool
        The framework covers the activity.
    aligned : bool
        Eligible, and every group of criteria passes.
    criteria, groups : tuple
        Verdict per criterion, and per group (any-of groups pass when one member passes; groups combine with AND).
    missing : tuple of str
        Metrics some criterion needs and the request lacks.
    ignored_metrics : tuple of str
        Metrics of the request that no criterion reads (a misspelt name shows here).
    reason : str
        One sentence a person can act on.
    """

    framework: str
    activity: str
    eligible: bool
    aligned: bool
    reason: str
    rules_version: str
    name_zh: str | None = None
    name_en: str | None = None
    category: Category | None = None
    criteria: tuple[CriterionResult, ...] = ()
    groups: tuple[GroupResult, ...] = ()
    missing: tuple[str, ...] = ()
    ignored_metrics: tuple[str, ...] = ()
    source: str | None = None
    status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the answer."""
        return {
            "framework": self.framework, "activity": self.activity, "name_zh": self.name_zh, "name_en": self.name_en,
            "category": self.category.to_dict() if self.category else None, "eligible": self.eligible,
            "aligned": self.aligned, "reason": self.reason, "criteria": [item.to_dict() for item in self.criteria],
            "groups": [group.to_dict() for group in self.groups], "missing": list(self.missing),
            "ignored_metrics": list(self.ignored_metrics), "source": self.source, "status": self.status,
            "rules_version": self.rules_version,
        }


def _as_bool(metric: str, raw: object) -> bool:
    if isinstance(raw, bool | np.bool_):
        return bool(raw)
    if isinstance(raw, str) and fold(raw) in _TRUE | _FALSE:
        return fold(raw) in _TRUE
    raise InvalidMetric(f"metric {metric!r}: expected true or false, got {raw!r}")


def _quantity_to(metric: str, quantity: pint.Quantity, unit: str) -> float:
    target = parse_unit(unit) if unit else parse_unit("dimensionless")
    try:
        return float(quantity.to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitMismatch(f"metric {metric!r}: {quantity:~P} cannot be expressed in {unit or 'a plain number'}"
                           ) from None


def _as_number(metric: str, raw: object, unit: str) -> float:
    """A metric value in the criterion's unit: a bare number is taken to be in that unit."""
    if isinstance(raw, bool | np.bool_):
        raise InvalidMetric(f"metric {metric!r}: expected a number in {unit or 'no unit'}, got {raw!r}")
    if isinstance(raw, int | float | np.number):
        value = float(raw)
    elif isinstance(raw, pint.Quantity):
        value = _quantity_to(metric, raw, unit)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            try:
                quantity = parse_quantity(raw)
            except _QUANTITY_ERRORS:
                example = f"12.5 {unit}" if unit else "12.5"
                raise InvalidMetric(f"metric {metric!r}: {raw!r} is not a number nor a quantity with a unit "
                                    f"(e.g. {example!r})") from None
            value = _quantity_to(metric, quantity, unit)
    else:
        raise InvalidMetric(f"metric {metric!r}: expected a number in {unit or 'no unit'}, got {raw!r}")
    if not math.isfinite(value):
        raise InvalidMetric(f"metric {metric!r}: {raw!r} is not a finite number")
    return value


def _compare(value: float | bool | str, operator: str, threshold: float | bool | str) -> bool:
    if isinstance(threshold, bool | str):
        return fold(str(value)) == fold(str(threshold)) if isinstance(threshold, str) else value == threshold
    equal = math.isclose(value, threshold, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)
    if operator == "==":
        return equal
    if operator == "<":
        return value < threshold and not equal
    if operator == "<=":
        return value < threshold or equal
    if operator == ">":
        return value > threshold and not equal
    return value > threshold or equal


def evaluate_criterion(criterion: Criterion, metrics: Mapping[str, object]) -> CriterionResult:
    """Compare one metric of a request with its criterion.

    Parameters
    ----------
    criterion : Criterion
    metrics : mapping
        The request's metrics by name: numbers in the criterion's unit, strings with a unit, or true/false.

    Returns
    -------
    CriterionResult
        ``passed=None, missing=True`` when the metric is absent (or None): never a pass by default.

    Raises
    ------
    InvalidMetric
        If the value is not a number (or a yes/no where one is needed); the message names the metric.
    UnitMismatch
        If its unit cannot be converted into the criterion's.
    """
    raw = metrics.get(criterion.metric)
    value: float | bool | str | None = None
    if raw is None:
        passed, missing = None, True
    else:
        if isinstance(criterion.threshold, bool):
            value = _as_bool(criterion.metric, raw)
        elif isinstance(criterion.threshold, str):
            value = str(raw)
        else:
            value = _as_number(criterion.metric, raw, criterion.unit)
        passed, missing = _compare(value, criterion.operator, criterion.threshold), False
    return CriterionResult(
        id=criterion.id, name=criterion.name, metric=criterion.metric, value=value, threshold=criterion.threshold,
        operator=criterion.operator, unit=criterion.unit, group=criterion.group, passed=passed, missing=missing,
        source=criterion.source, status=criterion.status, valid_from=criterion.valid_from, note=criterion.note,
    )


def combine_groups(results: Iterable[CriterionResult]) -> tuple[GroupResult, ...]:
    """Combine criterion verdicts: any-of within a named group, each ungrouped criterion a group of its own.

    A group passes (True) when one member passes, fails (False) when every member failed, and is undecided (None)
    when none passed and a member's metric is missing.
    """
    members: dict[tuple[str, str], list[CriterionResult]] = {}
    for result in results:
        key = ("any", result.group) if result.group else ("all", result.id)
        members.setdefault(key, []).append(result)
    groups = []
    for (mode, name), items in members.items():
        verdicts = [item.passed for item in items]
        passed = True if True in verdicts else (None if None in verdicts else False)
        groups.append(GroupResult(group=name, mode=mode, criteria=tuple(item.id for item in items), passed=passed))
    return tuple(groups)


def _reason(activity: Activity, groups: tuple[GroupResult, ...], results: tuple[CriterionResult, ...],
            missing: tuple[str, ...]) -> str:
    if not activity.criteria:
        return ("eligible and aligned: the framework lists the activity and sets no quantitative criterion for it; "
                "alignment follows from the activity mapping")
    if all(group.passed is True for group in groups):
        return "eligible and aligned: every criterion group passes"
    failed = [result.id for result in results if result.passed is False]
    parts = []
    if failed:
        parts.append(f"failed {', '.join(failed)}")
    if missing:
        parts.append(f"missing metrics {', '.join(missing)} (a missing metric never passes)")
    return "eligible, not aligned: " + "; ".join(parts)


def screen(framework: str, activity: str, metrics: Mapping[str, float | str | bool],
           *, rules: RuleSet | None = None) -> ScreeningResult:
    """Screen an activity against a framework's criteria.

    Parameters
    ----------
    framework : str
        ``"eu_taxonomy"`` or ``"cn_green_finance_2025"`` (see :func:`list_frameworks`).
    activity : str
        The activity id, or its Chinese or English name (see :func:`list_activities`).
    metrics : mapping
        Metric values by name: a number in the criterion's unit (``{"direct_gco2e_per_kwh": 250}``), a string with
        a unit (``"0.25 kg/kWh"``), or true/false for yes/no criteria.
    rules : RuleSet, optional
        Rules to use; the package's by default.

    Returns
    -------
    ScreeningResult
        ``eligible`` (the framework covers the activity) and ``aligned`` (eligible and every group passes), with
        the verdict, source and status of each criterion. An activity the framework does not list gives
        ``eligible=False`` with a reason listing the framework's activities.

    Raises
    ------
    UnknownFramework
        If the framework is unknown; the message lists the frameworks.
    InvalidMetric, UnitMismatch
        If a metric value is not a number or has a unit of the wrong dimension; the message names the metric.

    References
    ----------
    .. [1] Delegated Regulation (EU) 2021/2139, Annex I, as amended by (EU) 2022/1214 and (EU) 2023/2485.
    .. [2] 绿色金融支持项目目录(2025年版).
    """
    rules = rules if rules is not None else default_rules()
    found = rules.find_activity(framework, activity)
    if found is None:
        listed = ", ".join(sorted(rules.framework(framework)))
        return ScreeningResult(
            framework=framework, activity=activity, eligible=False, aligned=False, rules_version=rules.version,
            reason=f"not eligible: {activity!r} is not an activity of {framework}; its activities: {listed}",
            ignored_metrics=tuple(metrics),
        )
    results = tuple(evaluate_criterion(criterion, metrics) for criterion in found.criteria)
    groups = combine_groups(results)
    missing = tuple(dict.fromkeys(result.metric for result in results if result.missing))
    used = set(found.metrics)
    return ScreeningResult(
        framework=framework, activity=found.id, name_zh=found.name_zh, name_en=found.name_en,
        category=found.category, eligible=True, aligned=all(group.passed is True for group in groups),
        reason=_reason(found, groups, results, missing), rules_version=rules.version, criteria=results,
        groups=groups, missing=missing, ignored_metrics=tuple(name for name in metrics if name not in used),
        source=found.source, status=found.status,
    )


def list_frameworks(*, rules: RuleSet | None = None) -> list[str]:
    """Ids of the frameworks the rule files define."""
    rules = rules if rules is not None else default_rules()
    return sorted(rules.frameworks)


def list_activities(framework: str | None = None, *, rules: RuleSet | None = None) -> list[dict[str, Any]]:
    """The activities of one framework (or of all), for a form or a dropdown.

    Returns
    -------
    list of dict
        Per activity: ``framework, activity, name_zh, name_en, category, metrics`` (the metric names its criteria
        read), ``criteria`` (how many), ``source, status``.

    Raises
    ------
    UnknownFramework
        If the framework is unknown.
    """
    rules = rules if rules is not None else default_rules()
    frameworks = [framework] if framework is not None else sorted(rules.frameworks)
    return [activity.to_dict() for name in frameworks for activity in rules.framework(name).values()]


# ---------------------------------------------------------------------------------------------- energy limits

_GRADE_LABELS = {
    "advanced": "at or better than the advanced value (先进值, grade 1)",
    "entry": "between the advanced value and the entry value (meets 准入值, grade 2)",
    "limit": "between the entry value and the limit (meets only 限定值, grade 3)",
    "over_limit": "over the limit (超过限定值): not compliant",
}


@dataclass(frozen=True)
class UnitEnergyResult:
    """An enterprise's unit-product energy consumption graded against a 能耗限额 standard.

    Attributes
    ----------
    unit_energy : pint.Quantity
        Energy per unit of output, in the standard's unit (``kgce/t``, ``kgce/MWh``).
    grade : {"advanced", "entry", "limit", "over_limit"}
        The best level met; :attr:`grade_label` says it in words.
    passed_limit : bool
        At or below the limit value (限定值).
    """

    product: str
    name_zh: str
    name_en: str
    indicator: str
    unit_energy: pint.Quantity
    unit: str
    limit: float
    entry: float | None
    advanced: float | None
    grade: str
    grade_label: str
    passed_limit: bool
    edition: str
    table: str
    source: str
    status: str
    note: str = ""

    @property
    def value(self) -> float:
        """The unit energy as a number in :attr:`unit`."""
        return float(self.unit_energy.magnitude)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the comparison."""
        return {
            "product": self.product, "name_zh": self.name_zh, "name_en": self.name_en, "indicator": self.indicator,
            "unit_energy": self.value, "unit": self.unit, "limit": self.limit, "entry": self.entry,
            "advanced": self.advanced, "grade": self.grade, "grade_label": self.grade_label,
            "passed_limit": self.passed_limit, "edition": self.edition, "table": self.table, "source": self.source,
            "status": self.status, "note": self.note,
        }


def _at_most(values: np.ndarray, bound: float | None) -> np.ndarray:
    if bound is None:
        return np.zeros(values.shape, dtype=bool)
    return (values <= bound) | np.isclose(values, bound, rtol=_REL_TOL, atol=_ABS_TOL)


def _grades(values: np.ndarray, limit: EnergyLimit) -> np.ndarray:
    # Lower is better and each level is an upper bound ("≤" in the standards): the first bound met is the grade.
    grades = np.select(
        [_at_most(values, limit.advanced), _at_most(values, limit.entry), _at_most(values, limit.limit)],
        ["advanced", "entry", "limit"], default="over_limit",
    ).astype(object)
    grades[np.isnan(values)] = None
    return grades


def _grade_label(grade: str, limit: EnergyLimit) -> str:
    if grade == "entry" and limit.advanced is None:
        return "at or better than the entry value (准入值, grade 2); the standard gives no advanced value"
    if grade == "limit" and limit.entry is None:
        return "between the advanced value and the limit (meets only 限定值, grade 3)"
    return _GRADE_LABELS[grade]


def grade_unit_energy(product: str, values: pd.Series | Iterable[float], *,
                      rules: RuleSet | None = None) -> pd.Series:
    """Grade many unit-energy values of one product at once.

    Parameters
    ----------
    product : str
        Product id of the energy-limit table (see :func:`list_products`).
    values : Series or array-like
        Unit energy consumption in the product's unit (``EnergyLimit.unit``, e.g. kgce/t); NaN stays ungraded.

    Returns
    -------
    Series
        ``"advanced"``, ``"entry"``, ``"limit"`` or ``"over_limit"`` per value (None for NaN), same index.
    """
    rules = rules if rules is not None else default_rules()
    limit = rules.limit(product)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=float)
    grades = _grades(series.to_numpy(dtype=float), limit)
    return pd.Series(grades, index=series.index, dtype=object, name="grade")


def compare_unit_energy(product: str, energy_tce: float | str | pint.Quantity, output: float,
                        output_unit: str, *, rules: RuleSet | None = None) -> UnitEnergyResult:
    """Compare a product's unit energy consumption with its 能耗限额 standard.

    Parameters
    ----------
    product : str
        Product id or Chinese name of the energy-limit table (see :func:`list_products`).
    energy_tce : float, str or Quantity
        Comprehensive energy consumption for the output [tce], on the equivalent basis (当量值) unless the standard
        says otherwise; a string or quantity with another energy unit (``"2.9e8 MJ"``) is converted.
    output : float
        Product output over the same period, in ``output_unit``; must be positive.
    output_unit : str
        Unit of the output: ``"t"``, ``"万吨"``, ``"kWh"``, ``"万千瓦时"`` ...

    Returns
    -------
    UnitEnergyResult
        Unit energy in the standard's unit, the limit, entry and advanced values, the grade, ``passed_limit`` and
        the source (edition, table, status).

    Raises
    ------
    UnknownProduct
        If the table does not list the product; the message lists the products.
    UnitMismatch
        If the output unit does not fit the standard's unit (tonnes for a power plant).
    InvalidMetric
        If the energy or output is not a finite number, or the output is not positive.

    References
    ----------
    .. [1] GB 16780-2021 水泥单位产品能源消耗限额, Table 2; GB 21256-2025 粗钢生产主要工序单位产品能源消耗限额,
       Tables 1, 3, 4; GB 21258-2024 常规燃煤发电机组单位产品能源消耗限额, Table 1.

    Examples
    --------
    >>> compare_unit_energy("cement_clinker", 10_500, 100_000, "t").unit_energy  # 105 kgce/t: grade 2
    <Quantity(105.0, 'kilogram_coal_equivalent / metric_ton')>
    """
    rules = rules if rules is not None else default_rules()
    limit = rules.limit(product)
    if isinstance(energy_tce, bool) or isinstance(output, bool):
        raise InvalidMetric("energy and output must be numbers, not true/false")
    if isinstance(energy_tce, int | float | np.number):
        energy = Q_(float(energy_tce), "tce")
    else:
        energy = Q_(_as_number("energy_tce", energy_tce, "tce"), "tce")
    if not math.isfinite(energy.magnitude):
        raise InvalidMetric(f"energy_tce: {energy_tce!r} is not a finite number")
    if not isinstance(output, int | float | np.number) or not math.isfinite(output) or output <= 0:
        raise InvalidMetric(f"output: {output!r} is not a positive number")
    per_unit = energy / Q_(float(output), parse_unit(output_unit))
    try:
        unit_energy = per_unit.to(parse_unit(limit.unit))
    except pint.errors.DimensionalityError:
        raise UnitMismatch(f"output unit {output_unit!r} does not fit {limit.product}: its values are in "
                           f"{limit.unit}") from None
    grade = str(_grades(np.array([unit_energy.magnitude], dtype=float), limit)[0])
    return UnitEnergyResult(
        product=limit.product, name_zh=limit.name_zh, name_en=limit.name_en, indicator=limit.indicator,
        unit_energy=unit_energy, unit=limit.unit, limit=limit.limit, entry=limit.entry, advanced=limit.advanced,
        grade=grade, grade_label=_grade_label(grade, limit), passed_limit=grade != "over_limit",
        edition=limit.edition, table=limit.table, source=limit.source, status=limit.status, note=limit.note,
    )


def list_products(*, rules: RuleSet | None = None) -> list[dict[str, Any]]:
    """The products of the energy-limit table with their values, edition, table, unit, source and status."""
    rules = rules if rules is not None else default_rules()
    return [limit.to_dict() for limit in rules.limits.values()]

