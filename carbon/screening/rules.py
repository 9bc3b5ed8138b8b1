"""Rule data: the screening criteria of each framework and the energy-limit table, read and validated once.

The rules are data, not code: dated CSV files in ``carbon/rules`` (their columns are described in
:mod:`carbon.rules`). :class:`RuleSet` reads the newest edition of each table and checks every row (operator, unit,
threshold, status, source ...); an error names the file and line. A criterion's threshold may refer to a value of
the energy-limit table (``energy_limits:<product>:<level>``), so that table is read first.

A framework lists :class:`Activity` rows, each with its :class:`Category` and its :class:`Criterion` rows;
:mod:`carbon.screening.frameworks` evaluates them against a request. :class:`EnergyLimit` is one product of the
energy-limit table; :mod:`carbon.screening.energy_limits` grades unit-product energy against it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from carbon.editions import content_version, newest_editions
from carbon.errors import CarbonError
from carbon.screening.industries import INDUSTRY_FILE, IndustryMapping, parse_industry_mappings
from carbon.screening.metrics import OPERATORS
from carbon.screening.rule_files import (
    IDENTIFIER,
    RuleFileError,
    check_provenance,
    check_unit,
    parse_number,
    read_rows,
)
from carbon.text import fold

__all__ = [
    "LEVELS", "Activity", "Category", "Criterion", "EnergyLimit", "RuleSet", "UnknownFramework", "UnknownProduct",
    "default_rules",
]

# Levels of the energy-limit table, best first: 先进值 (grade 1), 准入值 (grade 2), 限定值 (grade 3).
LEVELS = ("advanced", "entry", "limit")
_SCREENING_FILE = re.compile(r"^screening-(?P<framework>[a-z0-9_]+)-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")
_LIMITS_FILE = re.compile(r"^energy_limits-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")
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


class UnknownFramework(CarbonError, KeyError):
    """A framework id that no rule file defines."""


class UnknownProduct(CarbonError, KeyError):
    """A product that the energy-limit table does not list."""


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


# ---------------------------------------------------------------------------------------------- reading


def _parse_limit(row: dict[str, str], file_name: str, line: int) -> EnergyLimit:
    where = f"{file_name} line {line}"
    if not IDENTIFIER.match(row["product"]):
        raise RuleFileError(f"{where}: product {row['product']!r} is not an id (a-z, 0-9, _)")
    for column in ("product_zh", "edition", "unit"):
        if not row[column]:
            raise RuleFileError(f"{where}: empty {column}")
    check_provenance(row, where)
    check_unit(row["unit"], where)
    advanced, entry, limit = (parse_number(row[level], level, where) for level in LEVELS)
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
        if level not in LEVELS:
            raise RuleFileError(f"{where}: threshold {text!r}: level must be one of {', '.join(LEVELS)}")
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
    if not IDENTIFIER.match(row["metric"]):
        raise RuleFileError(f"{where}: metric {row['metric']!r} is not a name (a-z, 0-9, _)")
    if row["operator"] not in OPERATORS:
        raise RuleFileError(f"{where}: operator {row['operator']!r} is not one of {' '.join(OPERATORS)}")
    if not row["criterion_name"]:
        raise RuleFileError(f"{where}: empty criterion_name")
    check_unit(row["unit"], where)
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
    for line, row in read_rows(text, file_name, _SCREENING_COLUMNS):
        where = f"{file_name} line {line}"
        if row["framework"] != framework:
            raise RuleFileError(f"{where}: framework {row['framework']!r} differs from the file name's {framework!r}")
        activity = row["activity"]
        if not IDENTIFIER.match(activity):
            raise RuleFileError(f"{where}: activity {activity!r} is not an id (a-z, 0-9, _)")
        check_provenance(row, where)
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


# ---------------------------------------------------------------------------------------------- the rule set


class RuleSet:
    """The screening rules and energy limits of one folder, validated at load.

    Parameters
    ----------
    folder : path-like or Traversable, optional
        Folder holding ``screening-<framework>-<date>.csv``, ``energy_limits-<date>.csv`` and
        ``industry_activities-<date>.csv`` (GB/T 4754 classes per activity, optional); the package's own
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
        industry_file = newest_editions(folder, INDUSTRY_FILE).get("")
        if industry_file is not None:
            editions["industry_activities"] = industry_file
        self.version, texts = content_version(editions)
        self.files: dict[str, str] = {name: edition[1].name for name, edition in editions.items()}
        self.limits: dict[str, EnergyLimit] = {}
        if limit_file is not None:  # read first: criteria refer to the limits
            name = limit_file[1].name
            for line, row in read_rows(texts["energy_limits"], name, _LIMIT_COLUMNS):
                limit = _parse_limit(row, name, line)
                if limit.product in self.limits:
                    raise RuleFileError(f"{name} line {line}: duplicate product {limit.product!r}")
                self.limits[limit.product] = limit
        self.industries: dict[tuple[str, str], IndustryMapping] = (
            parse_industry_mappings(texts["industry_activities"], industry_file[1].name)
            if industry_file is not None else {})
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
