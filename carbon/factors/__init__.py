"""Factor tables: dated CSV files shipped with the package, and the one loader that reads them.

Each file is named ``<table>-<YYYY-MM-DD>.csv``, the date being the edition of its newest source; when two
editions of a table lie side by side, the newer one is used. Every row carries ``id``, ``value``, ``unit``,
``source``, ``status`` (``verified`` or ``unverified``) and ``note``, and a ``year`` (the data year it belongs to)
or a ``valid_from`` date.

Tables
------
coal_equivalent
    GB/T 2589-2020 standard-coal coefficients per carrier, both bases, with published ranges and NCVs.
electricity_equal_value
    Coal consumption per kWh of power supplied, per year: the 等价值 coefficient of electricity.
grid_co2
    MEE/NBS electricity CO2 factors per data year: national (three series), regional grids, provinces.
grid_co2_market
    The carbon-market reporting factor, a series kept apart from the statistics.
fuel_co2_cn, fuel_co2_ipcc2006
    Fuel CO2 by the Chinese method (NCV x carbon content x oxidation x 44/12) and by IPCC 2006 defaults.
secondary_co2
    Bought-in heat and steam; on-site renewable electricity.
density
    Densities of liquid fuels reported by volume.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pint

from carbon.editions import content_version, newest_editions
from carbon.errors import UnknownFactor
from carbon.text import fold
from carbon.units import Q_, parse_unit

__all__ = ["Factor", "FactorSet", "default_factors"]

_FILE_NAME = re.compile(r"^(?P<table>[a-z0-9_]+)-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")
_REQUIRED = ("id", "value", "unit", "source", "status", "note")
_STATUSES = ("verified", "unverified")
_NUMERIC = ("value", "value_min", "value_max", "ncv", "ncv_min", "ncv_max", "carbon_content", "oxidation")


@dataclass(frozen=True)
class Factor:
    """One factor row as used for a result.

    Attributes
    ----------
    id : str
        Stable id of the row (``"mee-nbs:2022:national:average"``); recorded with every converted value.
    table : str
        The table it comes from.
    value : float
        The published value, in :attr:`unit`.
    unit : str
        Unit of the value (``"kgce/kg"``, ``"tCO2/MWh"``).
    source, status, note : str
        Where the value was published, whether a second source confirmed it, and remarks.
    year : int or None
        Data year of the row, for year-dependent tables.
    requested_year : int or None
        The year the caller asked for.
    fallback : bool
        True when the row's year is not the requested one (no factor published for it yet).
    extra : mapping
        The table's other columns (``ncv``, ``carbon_content``, ``oxidation``, ranges ...).
    """

    id: str
    table: str
    value: float
    unit: str
    source: str
    status: str
    note: str = ""
    year: int | None = None
    valid_from: str | None = None
    requested_year: int | None = None
    fallback: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def quantity(self) -> pint.Quantity:
        """The value with its unit, in the program's registry."""
        return Q_(self.value, parse_unit(self.unit))

    @property
    def fallback_note(self) -> str | None:
        """A sentence saying which year stood in for the requested one, or None."""
        if not self.fallback:
            return None
        if self.requested_year is not None and self.year is not None and self.year > self.requested_year:
            return (f"{self.id}: no {self.table} factor for {self.requested_year}; "
                    f"used {self.year}, the earliest published")
        return (f"{self.id}: no {self.table} factor for {self.requested_year} yet; "
                f"used {self.year}, the newest earlier year")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the factor."""
        return {
            "id": self.id, "table": self.table, "value": self.value, "unit": self.unit, "source": self.source,
            "status": self.status, "note": self.note, "year": self.year, "valid_from": self.valid_from,
            "requested_year": self.requested_year, "fallback": self.fallback,
        }


def _parse_row(table: str, raw: dict[str, str], file_name: str, line: int) -> dict[str, Any]:
    row: dict[str, Any] = {key: (value.strip() if isinstance(value, str) else value) for key, value in raw.items()}
    where = f"{file_name} line {line}"
    missing = [name for name in _REQUIRED if not row.get(name) and name != "note"]
    if missing:
        raise ValueError(f"{where}: empty {', '.join(missing)}")
    if row["status"] not in _STATUSES:
        raise ValueError(f"{where}: status {row['status']!r} is not one of {_STATUSES}")
    for name in _NUMERIC:
        if row.get(name):
            row[name] = float(row[name])
        elif name in row:
            row[name] = None
    if row.get("year"):
        row["year"] = int(row["year"])
    if not row.get("year") and not row.get("valid_from"):
        raise ValueError(f"{where}: a factor needs a year or a valid_from date")
    for unit_column in ("unit", "ncv_unit"):
        if row.get(unit_column):
            parse_unit(row[unit_column])  # a unit that does not parse is a table error, found at load
    return row


class FactorSet:
    """The factor tables of one folder, with one lookup.

    Parameters
    ----------
    folder : path-like or Traversable, optional
        Folder holding the dated CSV files; the package's own tables by default.

    Examples
    --------
    >>> factors = default_factors()
    >>> factors.lookup("grid_co2", year=2022, region="national", series="average").value
    0.5366
    """

    def __init__(self, folder: Path | Traversable | None = None) -> None:
        folder = folder if folder is not None else resources.files("carbon.factors")
        chosen = newest_editions(folder, _FILE_NAME, "table")
        if not chosen:
            raise FileNotFoundError(f"no factor tables (<table>-<YYYY-MM-DD>.csv) in {folder}")
        self.version, texts = content_version(chosen)
        self.files: dict[str, str] = {}
        self._rows: dict[str, list[dict[str, Any]]] = {}
        for table in sorted(chosen):
            entry = chosen[table][1]
            reader = csv.DictReader(texts[table].splitlines())
            self._rows[table] = [_parse_row(table, raw, entry.name, line)
                                 for line, raw in enumerate(reader, start=2)]
            ids = [row["id"] for row in self._rows[table]]
            if len(ids) != len(set(ids)):
                raise ValueError(f"{entry.name}: duplicate ids")
            self.files[table] = entry.name
        self._cache: dict[tuple[Any, ...], Factor] = {}

    def __repr__(self) -> str:
        return f"FactorSet(version={self.version!r}, tables={sorted(self.files)})"

    @property
    def tables(self) -> list[str]:
        """Names of the tables loaded."""
        return sorted(self._rows)

    def rows(self, table: str) -> list[dict[str, Any]]:
        """All rows of a table, as dictionaries (copies)."""
        return [dict(row) for row in self._table(table)]

    def _table(self, table: str) -> list[dict[str, Any]]:
        try:
            return self._rows[table]
        except KeyError:
            raise UnknownFactor(f"no factor table {table!r}; tables: {', '.join(self.tables)}") from None

    def lookup(self, table: str, *, year: int | None = None, **keys: str) -> Factor:
        """Find the one factor of a table that matches the keys and the year.

        Parameters
        ----------
        table : str
            Table name, e.g. ``"coal_equivalent"``, ``"grid_co2"``.
        year : int, optional
            Data year. For year-dependent tables the row of that year is used; when none is published the
            newest earlier year stands in, or the earliest year when the request precedes them all, and the
            returned factor says so (``fallback=True``). Without a year the newest row is used.
        **keys : str
            Column values to match exactly, e.g. ``carrier="diesel"``, ``region="south"``.

        Returns
        -------
        Factor

        Raises
        ------
        UnknownFactor
            If the table or a key value has no row; the message lists the valid values.
        """
        cache_key = (table, year, tuple(sorted(keys.items())))
        if cache_key in self._cache:
            return self._cache[cache_key]
        candidates = self._table(table)
        for column, wanted in keys.items():
            matching = [row for row in candidates if row.get(column) == wanted]
            if not matching:
                valid = sorted({str(row.get(column)) for row in candidates})
                raise UnknownFactor(f"no {table} factor for {column}={wanted!r}"
                                    + (f" (with {_describe(keys, column)})" if len(keys) > 1 else "")
                                    + f"; valid {column} values: {', '.join(valid)}")
            candidates = matching
        fallback = False
        years = sorted({row["year"] for row in candidates if row.get("year") is not None})
        if years:
            if year is None:
                chosen_year = years[-1]
            elif year in years:
                chosen_year = year
            else:
                earlier = [y for y in years if y < year]
                chosen_year = earlier[-1] if earlier else years[0]
                fallback = True
            candidates = [row for row in candidates if row.get("year") == chosen_year]
        if len(candidates) != 1:
            raise UnknownFactor(f"{len(candidates)} {table} factors match {keys} for year {year}; "
                                "name the series, region or basis")
        row = candidates[0]
        core = {"id", "value", "unit", "source", "status", "note", "year", "valid_from"}
        factor = Factor(
            id=row["id"], table=table, value=row["value"], unit=row["unit"], source=row["source"],
            status=row["status"], note=row.get("note") or "", year=row.get("year"),
            valid_from=row.get("valid_from") or None, requested_year=year, fallback=fallback,
            extra={key: value for key, value in row.items() if key not in core},
        )
        self._cache[cache_key] = factor
        return factor

    def region_id(self, name: str, table: str = "grid_co2") -> str:
        """Resolve a grid region or province name (``"南方"``, ``"广东省"``, ``"south"``) to its id.

        Raises
        ------
        UnknownFactor
            If no row of the table has that region; the message lists the regions with their Chinese names.
        """
        wanted = fold(name)
        suffixes = ("电网", "区域电网", "省", "市", "自治区", "grid", "province")
        regions = {(row["region"], row.get("region_zh") or "") for row in self._table(table)}
        for region, region_zh in sorted(regions):
            names = {fold(region), fold(region_zh)}
            names |= {n + fold(s) for n in list(names) for s in suffixes}
            if wanted in names:
                return region
        valid = ", ".join(f"{region} ({zh})" for region, zh in sorted(regions))
        raise UnknownFactor(f"no {table} factor for region {name!r}; regions: {valid}")


def _describe(keys: Mapping[str, str], skip: str) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in keys.items() if key != skip)


@cache
def default_factors() -> FactorSet:
    """The factor tables shipped with the package, loaded once."""
    return FactorSet()
