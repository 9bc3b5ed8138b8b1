"""Shapes shared by several resource families: identifiers, texts, problems, month coverage, service health."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from carbon.identifiers import IDENTIFIER_PATTERN, MAX_IDENTIFIER_LENGTH

__all__ = ["MAX_RECORDS", "Coverage", "Finite", "HealthOut", "Identifier", "JsonObject", "Problem", "Text"]

MAX_RECORDS = 10_000

# An id of an enterprise, a region or a meter: the one pattern of carbon.identifiers.
Identifier = Annotated[str, Field(min_length=1, max_length=MAX_IDENTIFIER_LENGTH, pattern=IDENTIFIER_PATTERN)]
# Numbers of a request are finite: JSON from Python clients may carry Infinity and NaN.
Finite = ConfigDict(allow_inf_nan=False)
# A name or label: one line, at least one character that is not blank, no control characters (a name goes into
# printed documents, whose XML cannot hold them).
Text = Annotated[str, Field(min_length=1, max_length=200,
                            pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$")]


def _decoded(value: Any) -> Any:
    """A JSON object the store keeps as text, decoded (an object passes as it is)."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


JsonObject = BeforeValidator(_decoded)


class Problem(BaseModel):
    """An error: RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="what is wrong and how to fix it")
    instance: str | None = None
    request_id: str | None = Field(default=None, description="quote it when reporting a failure")
    errors: list[dict[str, Any]] | None = Field(default=None, description="per field: `field` and `reason`")


class Coverage(BaseModel):
    """Which months of a year are reported (measured), estimated at the reported mean, or missing."""

    year: int
    measured: list[str] = Field(description="months with data, YYYY-MM")
    estimated: list[str] = Field(description="unreported months estimated at the mean of the reported ones")
    missing: list[str] = Field(description="unreported months not estimated (too few reported)")
    gaps: list[str] = Field(description="unreported months before the last reported one")
    min_measured: int = Field(description="reported months needed before the others are estimated")
    share_measured_pct: float = Field(description="reported share of the twelve months [%]")


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: str
    factor_version: str
    version: str
