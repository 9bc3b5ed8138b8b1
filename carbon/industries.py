"""Industry names of the national classification GB/T 4754 (国民经济行业分类), read from a dated data file.

Codes are written as the section letter and the digits (``C3974``); a code not in the table is named by its
division (``C39``), then its section, so that a page never shows a bare code where a name is known.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

from carbon.editions import newest_editions

__all__ = ["industry_name", "industry_names"]

_FILE = re.compile(r"^industries-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")


@cache
def industry_names() -> dict[str, str]:
    """Code → Chinese name, from the newest edition of ``carbon/rules/industries-<date>.csv``."""
    editions = newest_editions(resources.files("carbon") / "rules", _FILE)
    if "" not in editions:
        return {}
    with editions[""][1].open("r", encoding="utf-8") as handle:
        return {row["code"].strip(): row["name_zh"].strip() for row in csv.DictReader(handle)}


def industry_name(code: str | None) -> str | None:
    """The name of an industry code, else of its division or section; None when nothing is known.

    Examples
    --------
    >>> industry_name("C3974"), industry_name("C3999"), industry_name(None)
    ('显示器件制造', '计算机、通信和其他电子设备制造业', None)
    """
    if not code:
        return None
    names = industry_names()
    code = code.strip().upper()
    for candidate in (code, code[:3], code[:1]):
        if candidate in names:
            return names[candidate]
    return None
