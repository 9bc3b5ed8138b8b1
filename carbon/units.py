"""The one pint unit registry of the program.

Every quantity in carbon is converted through ``ureg``; project units (tce, kgce, the Chinese unit names, the
万/亿 multipliers, yuan) are defined in ``carbon/factors/units.txt``.

Examples
--------
>>> from carbon.units import Q_
>>> Q_(1, "万千瓦时").to("kWh")
<Quantity(10000.0, 'kilowatt_hour')>
>>> round(Q_(1, "tce").to("GJ").magnitude, 3)
29.307
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

import pint

from carbon.errors import UnknownUnit

__all__ = ["Q_", "UNITS_FILE", "normalize_unit_text", "parse_unit", "ureg"]

UNITS_FILE = Path(__file__).parent / "factors" / "units.txt"

# Spellings pint would read as something else: "Nm³" is newton·metre³ to pint, "m³" needs no help but
# "Nm^3" and "Nm**3" do; full-width and stray spaces come from spreadsheets.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s+"), ""),
    (re.compile(r"（"), "("),
    (re.compile(r"）"), ")"),
    (re.compile(r"／"), "/"),
    (re.compile(r"Nm(?:³|\^3|\*\*3)"), "Nm3"),
    (re.compile(r"(?<![A-Za-z])m(?:³|\^3|\*\*3)"), "m3"),
)


def normalize_unit_text(text: str) -> str:
    """Rewrite a unit as users type it into a form the registry parses unambiguously.

    Parameters
    ----------
    text : str
        A unit as written in a report, e.g. ``"Nm³"``, ``"万 千瓦时"``, ``"kgce／kg"``.

    Returns
    -------
    str
        The same unit with white space removed and the ambiguous spellings rewritten (``"Nm3"``).
    """
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


ureg = pint.UnitRegistry(preprocessors=[normalize_unit_text], autoconvert_offset_to_baseunit=True)
ureg.load_definitions(UNITS_FILE)
ureg.formatter.default_format = "~P"
Q_ = ureg.Quantity

# Composite spellings worth suggesting when a unit is misspelt; the registry's own names are added to these.
_COMMON_SPELLINGS = (
    "kWh", "MWh", "万千瓦时", "度", "t", "吨", "万吨", "kg", "公斤", "m3", "立方米", "万立方米", "Nm3",
    "标准立方米", "GJ", "吉焦", "MJ", "兆焦", "百万千焦", "L", "升", "tce", "吨标准煤", "万元", "亿元",
)


@lru_cache(maxsize=1)
def _known_names() -> tuple[str, ...]:
    return tuple(sorted(set(_COMMON_SPELLINGS) | set(dir(ureg))))


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit name, raising an error that suggests near matches.

    Parameters
    ----------
    text : str
        A unit in English or Chinese (``"kWh"``, ``"万千瓦时"``, ``"吨"``, ``"Nm³"``, ``"tce/万元"``).

    Returns
    -------
    pint.Unit
        The unit in the program's registry.

    Raises
    ------
    UnknownUnit
        If the text is empty or not a unit; the message lists the closest known spellings.
    """
    cleaned = normalize_unit_text(str(text))
    if not cleaned:
        raise UnknownUnit("the unit is empty; give one such as kWh, 万千瓦时, t, 吨, m3 or 万立方米")
    try:
        parsed = ureg.parse_units(cleaned)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError,
            TypeError, ValueError, SyntaxError, AssertionError) as error:
        near = difflib.get_close_matches(cleaned, _known_names(), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(near)}?" if near else "; e.g. kWh, 万千瓦时, t, 吨, m3, 万立方米, GJ"
        raise UnknownUnit(f"unknown unit {text!r}{hint}") from error
    return parsed
