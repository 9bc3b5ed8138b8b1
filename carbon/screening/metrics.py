"""Metric values of a screening request: read as numbers in a criterion's unit or as yes/no, and compared.

A value may be a number in the criterion's unit, a string or pint quantity with a unit (``"350 gCO2e/kWh"``,
converted with the program's registry), or true/false (also ``是``/``否``). Comparisons count a value within round-off
of its threshold as equal to it, so that a unit conversion cannot flip a strict comparison. Both the criteria of
:mod:`carbon.screening.frameworks` and the grades of :mod:`carbon.screening.energy_limits` read and compare here.
"""

from __future__ import annotations

import math

import numpy as np
import pint

from carbon.errors import CarbonError, UnitMismatch, UnknownUnit
from carbon.text import fold
from carbon.units import parse_quantity, parse_unit

__all__ = [
    "ABS_TOL", "OPERATORS", "REL_TOL", "InvalidMetric", "as_bool", "as_number", "at_most", "check_physical", "compare",
]

OPERATORS = ("<", "<=", ">", ">=", "==")
# Relative tolerance under which a value counts as equal to its threshold, so that the round-off of a unit
# conversion (722 kg/t -> 0.7220000000000001 t/t) cannot flip a strict comparison.
REL_TOL = 1e-9
ABS_TOL = 1e-12
_TRUE = frozenset({"true", "yes", "y", "1", "是", "符合", "达标"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "不符合", "不达标"})
_QUANTITY_ERRORS = (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError,
                    ValueError, SyntaxError, AssertionError, UnknownUnit)


class InvalidMetric(CarbonError, ValueError):
    """A metric value that cannot be compared with its criterion."""


def as_bool(metric: str, raw: object) -> bool:
    """A yes/no metric value: a bool, or a word for one (``"yes"``, ``"是"``, ``"不达标"`` ...).

    Raises
    ------
    InvalidMetric
        If the value is neither; the message names the metric.
    """
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


def as_number(metric: str, raw: object, unit: str) -> float:
    """A metric value as a number in ``unit``: a bare number is taken to be in that unit.

    Parameters
    ----------
    metric : str
        Name of the metric, for the messages.
    raw : number, str or pint.Quantity
        The value as the request gives it (``250``, ``"250"``, ``"0.25 kg/kWh"``).
    unit : str
        Unit to express it in; empty for a plain number.

    Raises
    ------
    InvalidMetric
        If the value is not a finite number nor a quantity with a unit.
    UnitMismatch
        If its unit cannot be converted into ``unit``.
    """
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


def check_physical(metric: str, value: float, unit: str) -> float:
    """A metric value within its physical bounds, or :class:`InvalidMetric` with the reason.

    Amounts (emissions, energy, capacity, anything with a unit other than %) cannot be negative; a reduction or a
    margin below a reference (a metric named ``*_reduction_*`` or ``*_below_*`` in %) cannot exceed 100 %.
    """
    if unit != "%" and value < 0:
        raise InvalidMetric(f"metric {metric!r}: {value:g} {unit or ''} is negative, which no physical amount of "
                            "this kind can be".replace("  ", " "))
    if unit == "%" and ("_reduction_" in f"_{metric}_" or "_below_" in f"_{metric}_") and value > 100:
        raise InvalidMetric(f"metric {metric!r}: a reduction of {value:g} % is more than everything (100 %)")
    return value


def compare(value: float | bool | str, operator: str, threshold: float | bool | str) -> bool:
    """Whether ``value <operator> threshold`` holds; a number within round-off of the threshold equals it.

    Text compares folded (case, width and spaces ignored) and yes/no by identity, both with ``==`` only.
    """
    if isinstance(threshold, bool | str):
        return fold(str(value)) == fold(str(threshold)) if isinstance(threshold, str) else value == threshold
    equal = math.isclose(value, threshold, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if operator == "==":
        return equal
    if operator == "<":
        return value < threshold and not equal
    if operator == "<=":
        return value < threshold or equal
    if operator == ">":
        return value > threshold and not equal
    return value > threshold or equal


def at_most(values: np.ndarray, bound: float | None) -> np.ndarray:
    """Element-wise ``values <= bound`` within round-off; all False when there is no bound (None)."""
    if bound is None:
        return np.zeros(values.shape, dtype=bool)
    return (values <= bound) | np.isclose(values, bound, rtol=REL_TOL, atol=ABS_TOL)
