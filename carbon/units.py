"""The one pint unit registry of the program, and the one way text becomes a unit.

Every quantity in carbon is converted through ``ureg``; project units (tce, kgce, the Chinese unit names, the
万/亿 multipliers, yuan) are defined in ``carbon/factors/units.txt``.

Units are parsed, never evaluated: pint's own parser evaluates arithmetic (``9**9**8`` would hold the process for
minutes, ``1/0`` raises ZeroDivisionError), so text from a caller goes through :func:`parse_unit`, a small grammar
of registry names, prefixes, ``·``/``*``/``/`` and small integer exponents, and pint sees only the names.

Examples
--------
>>> from carbon.units import Q_
>>> Q_(1, "万千瓦时").to("kWh")
<Quantity(10000.0, 'kilowatt_hour')>
>>> round(Q_(1, "tce").to("GJ").magnitude, 3)
29.307
>>> parse_unit("kgCO2e/kW/yr")
<Unit('kilogram_co2 / kilowatt / year')>
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

import pint

from carbon.errors import UnknownUnit

__all__ = ["MAX_UNIT_LENGTH", "Q_", "UNITS_FILE", "normalize_unit_text", "parse_quantity", "parse_unit", "ureg"]

UNITS_FILE = Path(__file__).parent / "factors" / "units.txt"

MAX_UNIT_LENGTH = 64
"""Longest unit text read [characters]; the longest real one (``kgCO2e/kW/year``) is a fraction of it."""

# Spellings pint would read as something else: "Nm³" is newton·metre³ to pint, "m³" needs no help but
# "Nm^3" and "Nm**3" do; full-width and stray spaces come from spreadsheets. Superscripts and the product
# signs become the grammar's own "^" and "*".
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s+"), ""),
    (re.compile(r"（"), "("),
    (re.compile(r"）"), ")"),
    (re.compile(r"／"), "/"),
    (re.compile(r"Nm(?:³|\^3|\*\*3)"), "Nm3"),
    (re.compile(r"(?<![A-Za-z])m(?:³|\^3|\*\*3)"), "m3"),
    (re.compile(r"²"), "^2"),
    (re.compile(r"³"), "^3"),
    (re.compile(r"[·⋅×]"), "*"),
)

# A unit name: a letter of any script, then letters, digits or single underscores (m3, tCO2, 万千瓦时, delta_degC).
_NAME = r"[^\W\d_](?:[^\W_]|_(?=[^\W_]))*"
_TERM = re.compile(rf"(?P<name>{_NAME})(?:(?:\^|\*\*)(?P<power>-?[1-9]))?")
_SEPARATOR = re.compile(r"\*\*|[*/]")
_TRAILING_POWER = re.compile(r"(?P<base>.*[^\W\d_])(?P<power>[2-3])")
_SPECIAL = {"%": "percent", "1": "dimensionless", "dimensionless": "dimensionless"}
# Text pint evaluates at great cost: a power of a power, of a bracket, or a power with three digits or more.
_COSTLY_POWER = re.compile(r"(?:\*\*|\^)\s*[-+]?\s*(?:\(|\d{3,}|[\d.]+\s*(?:\*\*|\^))")


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


def _refuse_costly(text: str) -> str:
    """Last guard inside the registry: program constants only reach pint's parser, but never an expensive one."""
    if len(text) > 4 * MAX_UNIT_LENGTH or _COSTLY_POWER.search(text):
        raise UnknownUnit(f"unit text {text[:MAX_UNIT_LENGTH]!r} is not a unit")
    return text


ureg = pint.UnitRegistry(preprocessors=[normalize_unit_text, _refuse_costly], autoconvert_offset_to_baseunit=True)
ureg.load_definitions(UNITS_FILE)
ureg.formatter.default_format = "~P"
Q_ = ureg.Quantity

# Composite spellings worth suggesting when a unit is misspelt; the registry's own names are added to these.
_COMMON_SPELLINGS = (
    "kWh", "MWh", "万千瓦时", "度", "t", "吨", "万吨", "kg", "公斤", "m3", "立方米", "万立方米", "Nm3",
    "标准立方米", "GJ", "吉焦", "MJ", "兆焦", "百万千焦", "L", "升", "tce", "吨标准煤", "万元", "亿元",
)
_EXAMPLES = "e.g. kWh, 万千瓦时, t, 吨, m3, 万立方米, GJ"


@lru_cache(maxsize=1)
def _known_names() -> tuple[str, ...]:
    return tuple(sorted(set(_COMMON_SPELLINGS) | {name for name in dir(ureg) if len(name) <= 24}))


def _unknown(text: str, reason: str = "") -> UnknownUnit:
    shown = text if len(text) <= MAX_UNIT_LENGTH else text[:MAX_UNIT_LENGTH] + "…"
    near = difflib.get_close_matches(text, _known_names(), n=5, cutoff=0.5) if len(text) <= 16 else []
    hint = f"did you mean {', '.join(near)}?" if near else _EXAMPLES
    return UnknownUnit(f"unknown unit {shown!r}{reason}; {hint}")


def _canonical_name(name: str) -> str | None:
    """The registry's canonical name of one unit name (with an SI or 万/亿 prefix), or None."""
    try:
        return ureg.get_name(name)
    except (pint.errors.UndefinedUnitError, KeyError, ValueError, AttributeError, TypeError):
        return None


_MULTIPLIERS = {"万": "ten_thousand", "亿": "hundred_million"}


def _resolve(name: str) -> list[tuple[str, int]] | None:
    """The registry names (and powers) one name stands for: ``m2`` is m² when ``m2`` itself is not a name,
    ``万kWh`` is 10⁴·kWh (pint takes one prefix only)."""
    canonical = _canonical_name(name)
    if canonical is not None:
        return [(canonical, 1)]
    trailing = _TRAILING_POWER.fullmatch(name)
    if trailing:
        canonical = _canonical_name(trailing["base"])
        if canonical is not None:
            return [(canonical, int(trailing["power"]))]
    if len(name) > 1 and name[0] in _MULTIPLIERS:
        rest = _resolve(name[1:])
        if rest is not None:
            return [(_MULTIPLIERS[name[0]], 1), *rest]
    return None


def _terms(cleaned: str) -> list[tuple[str, int]]:
    """Split ``a*b/c^2`` into (name, power) terms; raise UnknownUnit at the first character outside the grammar."""
    terms: list[tuple[str, int]] = []
    position, sign = 0, 1
    while True:
        term = _TERM.match(cleaned, position)
        if term is None:
            raise _unknown(cleaned, f" (unexpected {cleaned[position:position + 1] or 'end'!r} at {position + 1})")
        terms.append((term["name"], sign * int(term["power"] or 1)))
        position = term.end()
        if position == len(cleaned):
            return terms
        separator = _SEPARATOR.match(cleaned, position)
        if separator is None or separator[0] == "**":
            raise _unknown(cleaned, f" (unexpected {cleaned[position]!r} at {position + 1})")
        sign = -1 if separator[0] == "/" else 1
        position = separator.end()


@lru_cache(maxsize=1024)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit by the grammar of names, prefixes, ``·``/``*``/``/`` and small integer powers.

    The text is never evaluated: each name is looked up in the registry (with an SI or 万/亿 prefix), the powers
    are single digits (``^2``, ``**-1``, ``²``, ``³``), and anything else is refused before pint sees it.

    Parameters
    ----------
    text : str
        A unit in English or Chinese (``"kWh"``, ``"万千瓦时"``, ``"吨"``, ``"Nm³"``, ``"tce/万元"``), at most
        :data:`MAX_UNIT_LENGTH` characters.

    Returns
    -------
    pint.Unit
        The unit in the program's registry.

    Raises
    ------
    UnknownUnit
        If the text is empty, too long or not a unit; the message lists the closest known spellings.
    """
    text = str(text)
    if len(text) > MAX_UNIT_LENGTH:
        raise _unknown(text, f" (longer than {MAX_UNIT_LENGTH} characters)")
    cleaned = normalize_unit_text(text)
    if not cleaned:
        raise UnknownUnit(f"the unit is empty; give one such as {_EXAMPLES[5:]}")
    if cleaned in _SPECIAL:
        return ureg.Unit(_SPECIAL[cleaned])
    container = ureg.UnitsContainer({})
    terms = _terms(cleaned)
    for name, power in terms:
        resolved = _resolve(name)
        if resolved is None:
            raise _unknown(cleaned) if len(terms) == 1 else _unknown(cleaned, f" ({name!r} is not a unit)")
        for canonical, implied in resolved:
            # pint's rule: an offset unit (°C) in a product or a power means a temperature difference
            if canonical and (len(terms) > 1 or power * implied != 1) and \
                    not ureg._units[canonical].is_multiplicative:
                canonical = "delta_" + canonical
            if canonical:
                container = container.add(canonical, power * implied)
    return ureg.Unit(container)


_NUMBER = re.compile(r"\s*(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?)\s*(?P<unit>.*)", re.DOTALL)


def parse_quantity(text: str) -> pint.Quantity:
    """Parse ``"12.5 kgce/t"`` (a number, then an optional unit) without evaluating anything.

    Parameters
    ----------
    text : str
        A decimal number followed by a unit that :func:`parse_unit` reads; no unit means a plain number.

    Returns
    -------
    pint.Quantity
        The quantity in the program's registry.

    Raises
    ------
    UnknownUnit
        If the text does not start with a number or the rest is not a unit.
    """
    match = _NUMBER.fullmatch(str(text)[: MAX_UNIT_LENGTH + 32])
    if match is None or len(str(text)) > MAX_UNIT_LENGTH + 32:
        raise UnknownUnit(f"{str(text)[:MAX_UNIT_LENGTH]!r} is not a number followed by a unit (e.g. '12.5 kgce/t')")
    unit = match["unit"].strip()
    return Q_(float(match["number"]), parse_unit(unit) if unit else ureg.Unit("dimensionless"))
