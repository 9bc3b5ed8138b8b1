"""Green-finance screening rules and unit-product energy limits.

A bank names a framework, an activity and its metrics; :func:`screen` answers whether the activity is covered by
the framework (``eligible``) and meets every criterion (``aligned``), criterion by criterion, with sources. The
rules are data, not code: dated CSV files in ``carbon/rules`` (see :mod:`carbon.rules`), read and validated once
by :class:`RuleSet`. :func:`compare_unit_energy` grades an enterprise's unit-product energy consumption against
the limit, entry and advanced values of the national 能耗限额 standards.

Modules
-------
:mod:`~carbon.screening.rules`
    The rule data (activities, criteria, energy limits) and :class:`RuleSet`, which reads and validates the files
    (row by row with :mod:`~carbon.screening.rule_files`).
:mod:`~carbon.screening.metrics`
    A request's metric values: read in a criterion's unit or as yes/no, and compared with a threshold.
:mod:`~carbon.screening.frameworks`
    Screening: criteria evaluated, combined into groups, the verdict.
:mod:`~carbon.screening.energy_limits`
    Unit-product energy graded against the energy-limit table.

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

from carbon.screening.energy_limits import UnitEnergyResult, compare_unit_energy, grade_unit_energy, list_products
from carbon.screening.frameworks import (
    CriterionResult,
    GroupResult,
    ScreeningResult,
    aligned_by,
    combine_groups,
    evaluate_criterion,
    list_activities,
    list_frameworks,
    screen,
)
from carbon.screening.industries import IndustryCheck, IndustryMapping, check_industry
from carbon.screening.metrics import OPERATORS, InvalidMetric
from carbon.screening.rule_files import RuleFileError
from carbon.screening.rules import (
    Activity,
    Category,
    Criterion,
    EnergyLimit,
    RuleSet,
    UnknownFramework,
    UnknownProduct,
    default_rules,
)

__all__ = [
    "OPERATORS", "Activity", "Category", "Criterion", "CriterionResult", "EnergyLimit", "GroupResult", "IndustryCheck",
    "IndustryMapping", "InvalidMetric", "RuleFileError", "RuleSet", "ScreeningResult", "UnitEnergyResult",
    "UnknownFramework", "UnknownProduct", "aligned_by", "check_industry", "combine_groups", "compare_unit_energy",
    "default_rules", "evaluate_criterion", "grade_unit_energy", "list_activities", "list_frameworks", "list_products",
    "screen",
]
