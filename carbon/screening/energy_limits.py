"""Unit-product energy consumption graded against the national 能耗限额 standards.

Each product of the energy-limit table (:class:`carbon.screening.rules.EnergyLimit`) has a limit (限定值, grade 3,
for existing plants), usually an entry value (准入值, grade 2, for new plants) and often an advanced value (先进值,
grade 1), all upper bounds in the standard's unit: lower is better. :func:`compare_unit_energy` grades one
enterprise's figure, :func:`grade_unit_energy` many at once.

References
----------
.. [1] GB 16780-2021 水泥单位产品能源消耗限额; GB 21256-2025 粗钢生产主要工序单位产品能源消耗限额;
   GB 21258-2024 常规燃煤发电机组单位产品能源消耗限额.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pint

from carbon.errors import UnitMismatch
from carbon.screening.metrics import InvalidMetric, as_number, at_most
from carbon.screening.rules import EnergyLimit, RuleSet, default_rules
from carbon.units import Q_, parse_unit

__all__ = ["UnitEnergyResult", "compare_unit_energy", "grade_unit_energy", "list_products"]

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


def _grades(values: np.ndarray, limit: EnergyLimit) -> np.ndarray:
    # Lower is better and each level is an upper bound ("≤" in the standards): the first bound met is the grade.
    grades = np.select(
        [at_most(values, limit.advanced), at_most(values, limit.entry), at_most(values, limit.limit)],
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
        energy = Q_(as_number("energy_tce", energy_tce, "tce"), "tce")
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

