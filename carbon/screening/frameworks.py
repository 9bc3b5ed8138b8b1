"""Screening an activity against a framework's criteria: each criterion, then the groups, then the verdict.

A bank names a framework, an activity and its metrics; :func:`screen` answers whether the framework covers the
activity (``eligible``) and whether it meets every criterion (``aligned``), criterion by criterion, with sources.
Each criterion is evaluated on its own (:func:`evaluate_criterion`), the verdicts are combined into groups
(:func:`combine_groups`), and the top-level groups combine with AND. The rule file's ``group`` column says how:

- empty: the criterion is a group of its own;
- ``name``: criteria sharing the name pass when any of them passes (an any-of group);
- ``alternative=route`` and ``alternative=route/name``: routes of one alternative, of which one must pass
  (any-of); a route passes when all of its members pass (all-of), a member being a criterion or an any-of
  group ``name`` inside the route. EU 4.29 is ``route=1a`` OR all of ``route=1b`` (with ``route=1b/i``:
  direct < 270 g/kWh OR <= 550 kg/kW/yr).

A criterion whose metric the request lacks is ``passed=None, missing=True``: not assessed, never a pass, and the
verdict is not aligned unless another route passes. An activity the rule file does not list is not covered by
this service (``covered=False``, ``eligible=None``): that says nothing on whether it is eligible. Values are read,
bounded and compared by :mod:`carbon.screening.metrics`.

Frameworks
----------
``eu_taxonomy``
    EU Taxonomy climate-mitigation criteria: Delegated Regulation (EU) 2021/2139, Annex I, as amended by
    Delegated Regulations (EU) 2022/1214 and 2023/2485.
``cn_green_finance_2025``
    绿色金融支持项目目录(2025年版), in force 2025-10-01: an activity mapping (eligible = mapped) with quantitative
    checks where a national standard gives a number.

References
----------
.. [1] Commission Delegated Regulation (EU) 2021/2139, Annex I (technical screening criteria, climate change
   mitigation); Delegated Regulation (EU) 2022/1214 (section 4.29).
.. [2] 中国人民银行 金融监管总局 中国证监会, 绿色金融支持项目目录(2025年版).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from carbon.screening.industries import IndustryCheck, check_industry
from carbon.screening.metrics import as_bool, as_number, check_physical, compare
from carbon.screening.rules import Activity, Category, Criterion, RuleSet, default_rules

__all__ = [
    "CriterionResult", "GroupResult", "ScreeningResult", "aligned_by", "combine_groups", "evaluate_criterion",
    "list_activities", "list_frameworks", "screen",
]


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
    """Criteria combined: ``all`` (a single criterion, or a route's members), ``any`` (an any-of group, or an
    alternative's routes). ``parent`` names the route or alternative a nested group belongs to; the verdict
    combines the groups without a parent."""

    group: str
    mode: str
    criteria: tuple[str, ...]
    passed: bool | None
    parent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "mode": self.mode, "criteria": list(self.criteria), "passed": self.passed,
                "parent": self.parent}


@dataclass(frozen=True)
class ScreeningResult:
    """The answer to a screening request.

    Attributes
    ----------
    eligible : bool or None
        The framework lists the activity; None when this service does not cover it (no answer either way).
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
    eligible: bool | None
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
    covered: bool = True
    industry: IndustryCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the answer."""
        return {
            "framework": self.framework, "activity": self.activity, "name_zh": self.name_zh, "name_en": self.name_en,
            "category": self.category.to_dict() if self.category else None, "covered": self.covered,
            "eligible": self.eligible,
            "aligned": self.aligned, "reason": self.reason, "criteria": [item.to_dict() for item in self.criteria],
            "groups": [group.to_dict() for group in self.groups], "missing": list(self.missing),
            "ignored_metrics": list(self.ignored_metrics), "source": self.source, "status": self.status,
            "rules_version": self.rules_version,
            "industry": self.industry.to_dict() if self.industry is not None else None,
        }


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
            value = as_bool(criterion.metric, raw)
        elif isinstance(criterion.threshold, str):
            value = str(raw)
        else:
            value = check_physical(criterion.metric, as_number(criterion.metric, raw, criterion.unit), criterion.unit)
        passed, missing = compare(value, criterion.operator, criterion.threshold), False
    return CriterionResult(
        id=criterion.id, name=criterion.name, metric=criterion.metric, value=value, threshold=criterion.threshold,
        operator=criterion.operator, unit=criterion.unit, group=criterion.group, passed=passed, missing=missing,
        source=criterion.source, status=criterion.status, valid_from=criterion.valid_from, note=criterion.note,
    )


def _split_group(group: str) -> tuple[str, str, str]:
    """``"route=1b/i"`` -> ``("route", "1b", "i")``; ``"name"`` -> ``("", "", "name")``."""
    if "=" not in group:
        return "", "", group
    alternative, _, rest = group.partition("=")
    route, _, name = rest.partition("/")
    return alternative, route, name


def combine_groups(results: Iterable[CriterionResult]) -> tuple[GroupResult, ...]:
    """Combine criterion verdicts into groups, routes and alternatives (see the module docstring).

    An any-of group passes (True) when one member passes, fails (False) when every member failed, and is
    undecided (None) otherwise; an all-of route fails on one failure and is undecided when a member is not
    assessed. Nested groups come first, each with its ``parent``; the verdict combines those without one.
    """
    groups: list[GroupResult] = []
    members: dict[tuple[str, str, str], list[CriterionResult]] = {}
    for result in results:
        if not result.group:
            groups.append(GroupResult(group=result.id, mode="all", criteria=(result.id,), passed=result.passed))
        else:
            members.setdefault(_split_group(result.group), []).append(result)
    routes: dict[tuple[str, str], list[tuple[str, bool | None]]] = {}
    for (alternative, route, name), items in members.items():
        ids, verdicts = tuple(item.id for item in items), [item.passed for item in items]
        if not route:
            groups.append(GroupResult(group=name, mode="any", criteria=ids, passed=_group_verdict("any", verdicts)))
        elif name:
            full, passed = f"{alternative}={route}/{name}", _group_verdict("any", verdicts)
            groups.append(GroupResult(group=full, mode="any", criteria=ids, passed=passed,
                                      parent=f"{alternative}={route}"))
            routes.setdefault((alternative, route), []).append((full, passed))
        else:
            routes.setdefault((alternative, route), []).extend(zip(ids, verdicts, strict=True))
    alternatives: dict[str, list[tuple[str, bool | None]]] = {}
    for (alternative, route), parts in routes.items():
        full = f"{alternative}={route}"
        passed = _group_verdict("all", [verdict for _, verdict in parts])
        groups.append(GroupResult(group=full, mode="all", criteria=tuple(name for name, _ in parts), passed=passed,
                                  parent=alternative))
        alternatives.setdefault(alternative, []).append((full, passed))
    for alternative, options in alternatives.items():
        groups.append(GroupResult(group=alternative, mode="any", criteria=tuple(name for name, _ in options),
                                  passed=_group_verdict("any", [verdict for _, verdict in options])))
    return tuple(groups)


def aligned_by(groups: Iterable[GroupResult]) -> bool:
    """Whether every top-level group passes (nested groups count through their parent)."""
    return all(group.passed is True for group in groups if group.parent is None)


def _group_verdict(mode: str, verdicts: list[bool | None]) -> bool | None:
    """The members' verdicts combined by ``"any"`` (any-of) or ``"all"`` (all-of), in three values.

    One pass settles an any-of group and one failure an all-of group; otherwise a missing verdict (None) leaves the
    group undecided.
    """
    settling = mode == "any"
    if settling in verdicts:
        return settling
    return None if None in verdicts else not settling


def _reason(activity: Activity, groups: tuple[GroupResult, ...], results: tuple[CriterionResult, ...],
            missing: tuple[str, ...]) -> str:
    if not activity.criteria:
        return ("eligible and aligned: the framework lists the activity and sets no quantitative criterion for it; "
                "alignment follows from the activity mapping")
    if aligned_by(groups):
        return "eligible and aligned: every criterion group passes"
    failed = [result.id for result in results if result.passed is False]
    parts = []
    if failed:
        parts.append(f"failed {', '.join(failed)}")
    if missing:
        parts.append(f"not assessed: {', '.join(missing)} not stated (an unstated condition never passes)")
    return "eligible, not aligned: " + "; ".join(parts)


def screen(framework: str, activity: str, metrics: Mapping[str, float | str | bool],
           *, rules: RuleSet | None = None, industry: str | None = None) -> ScreeningResult:
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
    industry : str, optional
        The GB/T 4754 class of the enterprise screened (``"C3011"``), when screening an enterprise: an industry
        that does not match the activity's makes it not eligible as screened, and the answer says why.

    Returns
    -------
    ScreeningResult
        ``eligible`` (the framework covers the activity) and ``aligned`` (eligible and every group passes), with
        the verdict, source and status of each criterion. An activity the rule file does not list gives
        ``covered=False, eligible=None`` ("not covered by this service", never "not eligible") with the
        activities it does cover.

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
            framework=framework, activity=activity, covered=False, eligible=None, aligned=False,
            rules_version=rules.version, ignored_metrics=tuple(metrics),
            reason=f"not covered by this service: {activity!r} is not among the {framework} activities its rules "
                   f"cover, which says nothing on whether it is eligible; covered: {listed}",
        )
    results = tuple(evaluate_criterion(criterion, metrics) for criterion in found.criteria)
    groups = combine_groups(results)
    missing = tuple(dict.fromkeys(result.metric for result in results if result.missing))
    used = set(found.metrics)
    reason, fits = _reason(found, groups, results, missing), True
    check = None
    if industry is not None:
        check = check_industry(rules.industries.get((framework, found.id)), industry)
        if check.matches is False:
            reason, fits = (f"not eligible as screened: the enterprise's {check.note}; the criteria alone would "
                            f"give: {reason}"), False
    return ScreeningResult(
        framework=framework, activity=found.id, name_zh=found.name_zh, name_en=found.name_en,
        category=found.category, eligible=fits, aligned=fits and aligned_by(groups), reason=reason,
        rules_version=rules.version, criteria=results, groups=groups, missing=missing,
        ignored_metrics=tuple(name for name in metrics if name not in used), source=found.source,
        status=found.status, industry=check,
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
