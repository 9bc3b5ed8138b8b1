"""Whether an enterprise's industry (GB/T 4754) fits an activity it is screened for.

A bank screening an enterprise's stored data under an activity (a display-panel maker, C3974, as a cement-clinker
line) must be told when the enterprise does not carry out that activity. The rule folder's
``industry_activities-<date>.csv`` maps each activity to GB/T 4754-2017 class prefixes (for EU activities through
the NACE codes Delegated Regulation (EU) 2021/2139 lists per section), ``*`` for a project any enterprise may
undertake (a building retrofit), each row with its source and status. An activity without a row is not checked,
and the answer says so.

References
----------
.. [1] GB/T 4754-2017 国民经济行业分类 (with amendment No. 1, 2019).
.. [2] Commission Delegated Regulation (EU) 2021/2139, Annex I: NACE codes per activity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carbon.screening.rule_files import RuleFileError, check_provenance, read_rows

__all__ = ["INDUSTRY_FILE", "IndustryCheck", "IndustryMapping", "check_industry", "parse_industry_mappings"]

INDUSTRY_FILE = re.compile(r"^industry_activities-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")
_COLUMNS = ("framework", "activity", "industries", "source", "valid_from", "status", "note")
# A GB/T 4754 code or prefix: a section letter and up to four digits (C, C30, C301, C3011).
_CODE = re.compile(r"^[A-T]\d{0,4}$")


@dataclass(frozen=True)
class IndustryMapping:
    """The GB/T 4754 classes (prefixes) of an activity; ``any_industry`` for a project any enterprise may do."""

    framework: str
    activity: str
    prefixes: tuple[str, ...]
    any_industry: bool
    source: str
    status: str
    note: str


@dataclass(frozen=True)
class IndustryCheck:
    """The enterprise's industry against the activity's: ``matches`` None when not checked, with the reason."""

    industry: str | None
    expected: tuple[str, ...]
    matches: bool | None
    note: str

    def to_dict(self) -> dict[str, object]:
        return {"industry": self.industry, "expected": list(self.expected), "matches": self.matches,
                "note": self.note}


def parse_industry_mappings(text: str, file_name: str) -> dict[tuple[str, str], IndustryMapping]:
    """The rows of an ``industry_activities`` file by (framework, activity).

    Raises
    ------
    RuleFileError
        For a missing column, a code that is not a GB/T 4754 class, a duplicate row or a row without provenance.
    """
    mappings: dict[tuple[str, str], IndustryMapping] = {}
    for line, row in read_rows(text, file_name, _COLUMNS):
        where = f"{file_name} line {line}"
        check_provenance(row, where)
        codes = tuple(row["industries"].split())
        if codes != ("*",) and (not codes or not all(_CODE.match(code) for code in codes)):
            raise RuleFileError(f"{where}: industries {row['industries']!r} are not GB/T 4754 codes (e.g. C3011) "
                                "nor *")
        key = (row["framework"], row["activity"])
        if key in mappings:
            raise RuleFileError(f"{where}: a second row for {key[0]} {key[1]}")
        mappings[key] = IndustryMapping(framework=key[0], activity=key[1], prefixes=() if codes == ("*",) else codes,
                                        any_industry=codes == ("*",), source=row["source"], status=row["status"],
                                        note=row["note"])
    return mappings


def check_industry(mapping: IndustryMapping | None, industry: str | None) -> IndustryCheck:
    """Whether an enterprise of ``industry`` (GB/T 4754 code) carries out the mapped activity."""
    code = (industry or "").strip().upper() or None
    if mapping is None:
        return IndustryCheck(code, (), None, "the activity has no industry mapping: the industry is not checked")
    if mapping.any_industry:
        return IndustryCheck(code, (), True, f"any industry may undertake this activity ({mapping.note})")
    if code is None:
        return IndustryCheck(None, mapping.prefixes, None,
                             "the enterprise's industry is not registered: not checked against "
                             f"{', '.join(mapping.prefixes)}")
    matches = any(code.startswith(prefix) for prefix in mapping.prefixes)
    verdict = "matches" if matches else "does not match"
    return IndustryCheck(code, mapping.prefixes, matches,
                         f"industry {code} {verdict} the activity's GB/T 4754 classes {', '.join(mapping.prefixes)} "
                         f"({mapping.source}; {mapping.status})")
