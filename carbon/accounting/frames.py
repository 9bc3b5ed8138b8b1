"""A frame of activity data converted into energy, tce (both bases) and CO2, vectorised.

:func:`convert_frame` numbers the distinct (carrier, unit, year, region, NCV unit) groups of the frame, resolves
the multipliers once per group with :func:`carbon.accounting.coefficients.coefficients`, and applies them to the
rows with numpy; no row is converted on its own.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from carbon.accounting.coefficients import (
    FACTOR_COLUMNS,
    VALUE_COLUMNS,
    Coefficients,
    GridSeries,
    Method,
    check_year,
    coefficients,
    ncv_bounds,
)
from carbon.errors import CarbonError, InvalidQuantity
from carbon.factors import FactorSet, default_factors

__all__ = ["OUTPUT_COLUMNS", "convert_frame"]

# The columns convert_frame adds to its input.
OUTPUT_COLUMNS: tuple[str, ...] = (*VALUE_COLUMNS, *FACTOR_COLUMNS, "factor_fallback", "factor_version")


def _codes(values: pd.Series | None) -> tuple[np.ndarray | None, list[Hashable]]:
    """Integer codes per row and the distinct values they stand for (None for missing).

    Categorical columns give their codes for free; other columns are factorised once.
    """
    if values is None:
        return None, [None]
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques: list[Hashable] = list(values.cat.categories)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(uniques), codes)
            uniques.append(None)
        return codes, uniques
    codes, found = pd.factorize(values, use_na_sentinel=False)
    return codes, [None if pd.isna(u) else u for u in found]


def _year_codes(frame: pd.DataFrame, year: int | None) -> tuple[np.ndarray | None, list[Hashable]]:
    if "year" in frame:
        codes, uniques = _codes(frame["year"])
        return codes, [check_year(u) for u in uniques]
    if "period" in frame:
        # Parse each distinct period once ("2024-03" → 2024), not each row; the period codes serve as keys.
        codes, periods = _codes(frame["period"])
        return codes, [None if p is None else int(str(p)[:4]) for p in periods]
    return None, [year]


def _groups(keys: list[tuple[np.ndarray | None, list[Hashable]]], n: int) -> tuple[np.ndarray, list[tuple]]:
    """Number the distinct key combinations: a group code per row and the key values per group.

    Combinations whose values coincide (two periods of one year, say) share a group, so the factors are resolved
    once per distinct (carrier, unit, year, …), not once per distinct (carrier, unit, period, …).
    """
    combined: np.ndarray | None = None  # intp: what bincount and take use without converting
    size = 1
    for codes, uniques in keys:
        if codes is not None:
            if combined is None:
                combined = codes.astype(np.intp)
            else:
                combined *= len(uniques)
                combined += codes
        size *= len(uniques)
    if combined is None:
        combined = np.zeros(n, dtype=np.intp)
    if size <= 4 * n + 1024:
        # Keys are small integers: a dense table beats hashing a million values.
        present = np.flatnonzero(np.bincount(combined, minlength=size))
        merged, decoded = _merge_keys(keys, present)
        to_group = np.zeros(size, dtype=np.intp)
        to_group[present] = merged
        return to_group.take(combined), decoded
    codes, found = pd.factorize(combined)
    merged, decoded = _merge_keys(keys, found)
    return merged.take(codes), decoded


def _merge_keys(keys: list[tuple[np.ndarray | None, list[Hashable]]],
                combined: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """The group of each distinct combined key (keys with the same values share one), and each group's values."""
    parts: list[list[Hashable]] = []
    rest = combined
    for codes, uniques in reversed(keys):
        if codes is None:
            parts.append([uniques[0]] * len(combined))
        else:
            rest, code = np.divmod(rest, len(uniques))
            parts.append([uniques[c] for c in code.tolist()])
    groups: dict[tuple, int] = {}
    merged = np.array([groups.setdefault(values, len(groups)) for values in zip(*reversed(parts), strict=True)],
                      dtype=np.intp)
    return merged, list(groups)


def _describe_rows(index: pd.Index, positions: np.ndarray) -> str:
    shown = ", ".join(str(label) for label in index[positions[:3]])
    more = f" and {len(positions) - 3} more" if len(positions) > 3 else ""
    return f"row{'s' if len(positions) > 1 else ''} {shown}{more}"


def _check_ncv_bounds(index: pd.Index, ncv: np.ndarray, group_codes: np.ndarray, group_keys: list[tuple],
                      factors: FactorSet) -> None:
    """Measured NCVs within NCV_BOUNDS of the standard's NCV of each group's carrier, as :func:`convert` checks."""
    for position, (carrier, unit, _, _, ncv_unit) in enumerate(group_keys):
        if ncv_unit is None:
            continue
        bounds = ncv_bounds(carrier, unit, ncv_unit, factors=factors)
        if bounds is None:
            continue
        rows = np.flatnonzero((group_codes == position) & ~((ncv >= bounds[0]) & (ncv <= bounds[1])))
        if len(rows):
            raise InvalidQuantity(f"{_describe_rows(index, rows)} ({carrier}): measured NCV outside "
                                  f"{bounds[0]:.4g}-{bounds[1]:.4g} {ncv_unit} (0.2x-5x the GB/T 2589 value)")


def _check_finite(index: pd.Index, columns: dict[str, Any]) -> None:
    for name in VALUE_COLUMNS:
        values = columns[name]
        if not np.isfinite(values).all():
            rows = np.flatnonzero(~np.isfinite(values))
            raise InvalidQuantity(f"{_describe_rows(index, rows)}: {name} is not a finite number; the quantity is "
                                  "too large")


def convert_frame(frame: pd.DataFrame, *, year: int | None = None, region: str | None = None,
                  method: Method = "cn", grid_series: GridSeries = "average",
                  factors: FactorSet | None = None) -> pd.DataFrame:
    """Convert a frame of activity data into energy, tce on both bases and CO2, vectorised.

    The factors are resolved once per distinct (carrier, unit, year, region[, NCV unit]) group, and applied
    to the rows with numpy; no row is converted on its own. Categorical ``carrier``, ``unit`` and ``period``
    columns are the fastest input (their codes are used as they are).

    Parameters
    ----------
    frame : DataFrame
        Columns ``quantity``, ``unit`` and ``carrier``; optional ``year`` or ``period`` (``YYYY-MM``),
        ``region``, and a measured net calorific value ``ncv`` with ``ncv_unit`` (rows where it is given use
        it instead of the default coefficient).
    year, region : optional
        Used when the frame has no such column.
    method, grid_series, factors
        As in :func:`coefficients`.

    Returns
    -------
    DataFrame
        The input columns, with ``carrier`` made canonical, and ``energy_gj`` [GJ], ``tce_equivalent`` [tce],
        ``tce_equal`` [tce], ``co2_t`` [tCO2], ``tce_factor``, ``tce_equal_factor``, ``co2_factor`` (factor
        ids), ``factor_fallback`` (another year's factor stood in) and ``factor_version``. The input frame
        is left as it was.

    Raises
    ------
    InvalidQuantity
        If a quantity is not a finite non-negative number (the message names the rows).
    UnknownCarrier, UnknownUnit, UnitMismatch, UnknownFactor
        For a group that cannot be converted; the message names its rows.
    """
    missing = [column for column in ("quantity", "unit", "carrier") if column not in frame]
    if missing:
        raise KeyError(f"convert_frame needs the columns quantity, unit and carrier; missing: {', '.join(missing)}")
    factors = factors or default_factors()
    quantity, ncv, ncv_unit_codes = _amounts(frame)
    group_codes, group_keys = _group_rows(frame, ncv_unit_codes, year=year, region=region)
    per_group = _resolve(frame.index, group_codes, group_keys, region=region, method=method,
                         grid_series=grid_series, factors=factors)
    if ncv is not None:
        _check_ncv_bounds(frame.index, ncv, group_codes, group_keys, factors)
    columns: dict[str, Any] = {name: frame[name] for name in frame.columns}
    columns.update(_multiply(frame.index, quantity, group_codes, per_group))
    columns.update(_labels(group_codes, per_group, factors.version))
    # Assembled without copying: the new arrays are the frame's, the input columns stay shared until written.
    return pd.DataFrame(columns, index=frame.index, copy=False)


# The stages of convert_frame, in order (bench/convert.py times them one by one).

def _amounts(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None,
                                           tuple[np.ndarray | None, list[Hashable]]]:
    """The amount each row's multipliers apply to (the quantity, times a measured NCV where one is given), the
    NCVs, and the codes of their units; checked."""
    n = len(frame)
    quantity = pd.to_numeric(frame["quantity"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if n and not (np.isfinite(quantity).all() and quantity.min() >= 0):
        bad = np.flatnonzero(~(quantity >= 0) | np.isinf(quantity))
        raise InvalidQuantity(f"{_describe_rows(frame.index, bad)}: quantity is not a finite non-negative number")
    ncv_unit_codes: tuple[np.ndarray | None, list[Hashable]] = (None, [None])
    ncv = None
    if "ncv" in frame and "ncv_unit" in frame:
        ncv = pd.to_numeric(frame["ncv"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        measured = ~np.isnan(ncv)
        if measured.any():
            if (ncv[measured] <= 0).any() or np.isinf(ncv).any():
                rows = np.flatnonzero(measured & ((ncv <= 0) | np.isinf(ncv)))
                raise InvalidQuantity(f"{_describe_rows(frame.index, rows)}: a measured NCV must be a positive number")
            quantity = np.where(measured, quantity * ncv, quantity)
            ncv_unit_codes = _codes(frame["ncv_unit"].where(measured, None))
    return quantity, ncv, ncv_unit_codes


def _group_rows(frame: pd.DataFrame, ncv_unit_codes: tuple[np.ndarray | None, list[Hashable]], *,
                year: int | None, region: str | None) -> tuple[np.ndarray, list[tuple]]:
    """Each row's (carrier, unit, year, region, NCV unit) group, and the values of each group."""
    keys = [
        _codes(frame["carrier"]),
        _codes(frame["unit"]),
        _year_codes(frame, year),
        _codes(frame["region"]) if "region" in frame else (None, [region]),
        ncv_unit_codes,
    ]
    return _groups(keys, len(frame))


def _resolve(index: pd.Index, group_codes: np.ndarray, group_keys: list[tuple], *, region: str | None,
             method: Method, grid_series: GridSeries, factors: FactorSet) -> list[Coefficients]:
    """The multipliers of each group: one pint conversion per group; an error names the group's rows."""
    per_group: list[Coefficients] = []
    for carrier, unit, group_year, group_region, ncv_unit in group_keys:
        try:
            per_group.append(coefficients(
                carrier, unit, year=group_year, region=group_region if group_region is not None else region,
                method=method, grid_series=grid_series, ncv_unit=ncv_unit, factors=factors))
        except CarbonError as error:
            rows = np.flatnonzero(group_codes == len(per_group))
            raise type(error)(f"{_describe_rows(index, rows)} ({carrier}, {unit}): {error}") from error
    return per_group


def _multiply(index: pd.Index, quantity: np.ndarray, group_codes: np.ndarray,
              per_group: Sequence[Coefficients]) -> dict[str, np.ndarray]:
    """The converted values: each row's amount times its group's multipliers [GJ, tce, tce, tCO2]."""
    multipliers = np.array([[getattr(c, name) for name in VALUE_COLUMNS] for c in per_group],
                           dtype=float).reshape(len(per_group), len(VALUE_COLUMNS))
    columns: dict[str, np.ndarray] = {}
    with np.errstate(over="ignore"):  # an overflow is reported by _check_finite, with its rows
        for position, name in enumerate(VALUE_COLUMNS):
            values = multipliers[:, position].take(group_codes)
            values *= quantity  # in place: one pass, no temporary
            columns[name] = values
        bound = quantity.max() * np.abs(multipliers).max() if len(quantity) else 0.0
    if not np.isfinite(bound):
        _check_finite(index, columns)  # only when the largest product could overflow
    return columns


def _labels(group_codes: np.ndarray, per_group: Sequence[Coefficients], version: str) -> dict[str, Any]:
    """What each row was converted with: canonical carrier, factor ids, fallback flag and factor version.

    The per-group codes of the four categoricals and the flag sit in one small table, gathered onto the rows in
    one pass (one ``take``, not five).
    """
    names = ("carrier", *FACTOR_COLUMNS)
    per_name = [[c.carrier for c in per_group], *([getattr(c, name).id for c in per_group] for name in FACTOR_COLUMNS)]
    categories, table = [], []
    for values in per_name:
        found, codes = np.unique(np.asarray(values, dtype=object), return_inverse=True)
        categories.append(found)
        table.append(codes.reshape(-1))
    table.append(np.array([c.fallback for c in per_group], dtype=np.int64))
    small = np.int8 if len(per_group) and max(len(c) for c in categories) < np.iinfo(np.int8).max else np.int32
    per_row = np.array(table, dtype=small).reshape(len(table), len(per_group)).take(group_codes, axis=1)
    columns: dict[str, Any] = {name: pd.Categorical.from_codes(per_row[i], categories=categories[i], validate=False)
                               for i, name in enumerate(names)}
    columns["factor_fallback"] = per_row[-1].astype(bool)
    columns["factor_version"] = pd.Categorical.from_codes(np.zeros(len(group_codes), dtype=np.int8),
                                                          categories=[version])
    return columns
