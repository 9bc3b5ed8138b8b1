"""Reading a rule file: CSV rows with the columns every table shares, checked cell by cell.

Every table of ``carbon/rules`` (see :mod:`carbon.rules`) names for each row its ``source``, ``valid_from``,
``status`` (verified or unverified, with a ``note`` saying why when unverified) and ``note``; ids are lower-case
names. The helpers here read the rows and check those cells; :mod:`carbon.screening.rules` builds the rule data from
them. Every error names the file and line.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date

from carbon.errors import CarbonError
from carbon.units import parse_unit

__all__ = ["IDENTIFIER", "STATUSES", "RuleFileError", "check_provenance", "check_unit", "parse_number", "read_rows"]

STATUSES = ("verified", "unverified")
# Ids of frameworks, activities, metrics and products: what a URL, a form field and a CSV cell carry unchanged.
IDENTIFIER = re.compile(r"^[a-z0-9_]+$")


class RuleFileError(CarbonError, ValueError):
    """A rule or limit file, or one of its rows, that does not validate."""


def read_rows(text: str, file_name: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a rule file as (line number, cells stripped of spaces), after checking its header.

    Raises
    ------
    RuleFileError
        If a required column is missing or a row has more cells than the header names.
    """
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


def check_provenance(row: dict[str, str], where: str) -> None:
    """Check the cells every table shares: a source, a known status, a note when unverified, a date if any.

    Raises
    ------
    RuleFileError
        Naming ``where`` (file and line) and the cell.
    """
    if not row["source"]:
        raise RuleFileError(f"{where}: empty source")
    if row["status"] not in STATUSES:
        raise RuleFileError(f"{where}: status {row['status']!r} is not one of {', '.join(STATUSES)}")
    if row["status"] == "unverified" and not row["note"]:
        raise RuleFileError(f"{where}: an unverified row says why in its note")
    if row["valid_from"]:
        try:
            date.fromisoformat(row["valid_from"])
        except ValueError:
            raise RuleFileError(f"{where}: valid_from {row['valid_from']!r} is not a date (YYYY-MM-DD)") from None


def check_unit(unit: str, where: str) -> None:
    """Check that a unit cell, when filled, names a unit of the program's registry.

    Raises
    ------
    RuleFileError
        With the registry's message on the unknown unit.
    """
    if unit:
        try:
            parse_unit(unit)
        except CarbonError as error:
            raise RuleFileError(f"{where}: {error}") from None


def parse_number(text: str, column: str, where: str) -> float | None:
    """A number cell as a finite float; None when the cell is empty.

    Raises
    ------
    RuleFileError
        If the cell is not a finite number.
    """
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RuleFileError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise RuleFileError(f"{where}: {column} {text!r} is not a finite number")
    return value
