"""Conversion of checked consumption rows, once, for the checks and for the store.

Two checks need a conversion: whether a row's unit fits its carrier (a unit of another dimension, an unknown
unit, a measured NCV where none applies) and whether its tce is plausible for one month. The store keeps the
same converted values. So the rows are converted here, once: the factors are resolved per (carrier, unit, year,
grid region, NCV unit) group with :func:`carbon.accounting.coefficients` — one pint conversion per group — and
applied to the rows with numpy, giving the columns :func:`carbon.accounting.convert_frame` gives
(:data:`carbon.accounting.OUTPUT_COLUMNS`). A group that cannot be converted keeps its error instead, for the
validator to reject its rows with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbon.accounting import VALUE_COLUMNS, Coefficients, coefficients
from carbon.errors import CarbonError
from carbon.factors import FactorSet
from carbon.ingest.validate.rows import Coded, categorical

__all__ = ["RowConversion", "convert_rows"]

_MULTIPLIERS = VALUE_COLUMNS
_FACTOR_IDS = ("tce_factor", "tce_equal_factor", "co2_factor")
_DENSE_LIMIT = 1 << 40  # combined key sizes above this are renumbered first (no int64 overflow)


@dataclass
class RowConversion:
    """The converted values of the rows of a frame, by group.

    Attributes
    ----------
    group : ndarray of intp
        Per row of the frame, its group; -1 for the rows not converted.
    per_group : list of Coefficients or None
        The multipliers of each group; None where the group could not be converted.
    errors : ndarray of object
        Per group, why it could not be converted ("" when it was).
    amount : ndarray of float
        Per row, what the multipliers apply to: the quantity, times the measured NCV where one is given.
    version : str
        Version of the factor tables used.
    """

    group: np.ndarray
    per_group: list[Coefficients | None]
    errors: np.ndarray
    amount: np.ndarray
    version: str

    def failed(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row: whether its group could not be converted, and why."""
        errors = np.append(self.errors, "")[self.group]  # the rows not converted (-1) take the last, empty one
        return errors != "", errors

    def tce_equivalent(self) -> np.ndarray:
        """Per row: standard coal equivalent [tce] on the 当量值 basis; NaN where not converted."""
        return self._multiplier("tce_equivalent")[self.group] * self.amount

    def columns(self, rows: np.ndarray) -> dict[str, Any]:
        """The converted columns of some converted rows (a boolean mask or positions), as ``convert_frame``
        gives them: ``energy_gj`` [GJ], ``tce_equivalent`` and ``tce_equal`` [tce], ``co2_t`` [tCO2], the
        factor ids, ``factor_fallback`` and ``factor_version``."""
        group = self.group[rows]
        amount = self.amount[rows]
        columns: dict[str, Any] = {}
        for name in _MULTIPLIERS:
            values = self._multiplier(name).take(group)
            values *= amount  # in place: as convert_frame multiplies, to the same floats
            columns[name] = values
        for name in _FACTOR_IDS:
            columns[name] = _categorical([None if c is None else getattr(c, name).id for c in self.per_group], group)
        columns["factor_fallback"] = np.array([c is not None and c.fallback for c in self.per_group],
                                              dtype=bool)[group]
        columns["factor_version"] = categorical(np.zeros(len(group), dtype=np.int8), [self.version])
        return columns

    def _multiplier(self, name: str) -> np.ndarray:
        """Per group; NaN for a group not converted, and one more NaN for the rows not converted (-1)."""
        return np.array([np.nan if c is None else getattr(c, name) for c in self.per_group] + [np.nan], dtype=float)


def convert_rows(rows: np.ndarray, *, carrier: Coded, unit: Coded, year: Coded, region: Coded, ncv_unit: Coded,
                 quantity: np.ndarray, ncv: np.ndarray, factors: FactorSet) -> RowConversion:
    """Convert the given rows of a frame, resolving the factors once per group.

    Parameters
    ----------
    rows : ndarray of int
        Positions of the rows to convert (those still valid); the others keep group -1.
    carrier, unit, year, region, ncv_unit : Coded
        Per row: canonical carrier id, unit as written, data year, grid region or province of the enterprise
        (none: national), unit of a measured NCV (none where no NCV is given).
    quantity : ndarray of float
        Per row, the amount [unit].
    ncv : ndarray of float
        Per row, a measured net calorific value [ncv_unit]; NaN where none is given.
    factors : FactorSet

    Returns
    -------
    RowConversion
    """
    keys = (carrier, unit, year, region, ncv_unit)
    group_of_rows, first = _groups([key.codes[rows] for key in keys], [len(key.values) for key in keys])
    per_group: list[Coefficients | None] = []
    errors = np.full(len(first), "", dtype=object)
    for position, row in enumerate(rows[first]):
        carrier_id, unit_text, group_year, group_region, group_ncv_unit = (_value(key, row) for key in keys)
        try:
            per_group.append(coefficients(carrier_id, unit_text, year=group_year, region=group_region,
                                          ncv_unit=group_ncv_unit, factors=factors))
        except CarbonError as error:
            per_group.append(None)
            errors[position] = str(error)
    group = np.full(len(quantity), -1, dtype=np.intp)
    group[rows] = group_of_rows
    amount = np.where(np.isnan(ncv), quantity, quantity * ncv)
    return RowConversion(group=group, per_group=per_group, errors=errors, amount=amount, version=factors.version)


def _value(key: Coded, row: int) -> Any:
    code = key.codes[row]
    return None if code < 0 else key.values[code]


def _groups(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct combinations of some per-row codes (-1 allowed): the group of each row, and the
    position of each group's first row."""
    combined = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
    size = 1
    for key_codes, key_size in zip(codes, sizes, strict=True):
        combined = combined * (key_size + 1) + (key_codes + 1)
        size *= key_size + 1
        if size > _DENSE_LIMIT:
            uniques, combined = np.unique(combined, return_inverse=True)
            size = len(uniques)
    _, first, group = np.unique(combined, return_index=True, return_inverse=True)
    return group.astype(np.intp).reshape(-1), first


def _categorical(values: Sequence[str | None], group: np.ndarray) -> pd.Categorical:
    """Per-row strings from per-group strings (None: missing), built on codes."""
    categories = sorted({v for v in values if v is not None})
    lookup = {value: code for code, value in enumerate(categories)}
    codes = np.array([-1 if v is None else lookup[v] for v in values], dtype=np.int32)
    return categorical(codes[group] if len(codes) else codes[:0], categories)
