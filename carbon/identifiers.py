"""The one pattern of identifiers: enterprise ids, region codes, meter ids.

Identifiers travel in URL paths, file names, exports and log lines, so they are plain: ASCII letters and digits
in runs joined by single ``.``, ``_`` or ``-`` (``GZHTZ-0001``, ``gz-htz``, ``M-E1.02``), at most 64 characters.
That rules out ``/``, ``..``, spaces, markup and formula starts by construction.
"""

from __future__ import annotations

import re

from carbon.errors import InvalidInput

__all__ = ["IDENTIFIER_PATTERN", "MAX_IDENTIFIER_LENGTH", "check_identifier", "is_identifier"]

MAX_IDENTIFIER_LENGTH = 64
IDENTIFIER_PATTERN = r"^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$"
"""Letters and digits in runs joined by single ``.``, ``_`` or ``-``; used as is by the API schemas."""

_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def is_identifier(value: object) -> bool:
    """Whether ``value`` is a string that follows :data:`IDENTIFIER_PATTERN` within the length limit."""
    return isinstance(value, str) and len(value) <= MAX_IDENTIFIER_LENGTH and _IDENTIFIER.match(value) is not None


def check_identifier(kind: str, value: object) -> str:
    """Return ``value`` if it is an identifier, else raise InvalidInput naming the rule.

    Parameters
    ----------
    kind : str
        What the identifier names (``"enterprise id"``, ``"region code"``, ``"meter id"``), for the message.
    value : object
        The identifier as given.

    Raises
    ------
    InvalidInput
        If it does not follow :data:`IDENTIFIER_PATTERN` or is longer than :data:`MAX_IDENTIFIER_LENGTH`.
    """
    if not is_identifier(value):
        shown = str(value)[:MAX_IDENTIFIER_LENGTH]
        raise InvalidInput(f"{kind} {shown!r} is not an identifier: use ASCII letters and digits, joined by single "
                           f". _ or - (at most {MAX_IDENTIFIER_LENGTH} characters), e.g. GZHTZ-0001")
    return value  # type: ignore[return-value]
