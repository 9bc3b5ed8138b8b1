"""Errors raised on purpose by carbon.

Each also inherits the built-in a caller would catch (``KeyError`` for a name that is not in a catalogue,
``ValueError`` for a value that cannot be used), so plain Python handling keeps working.
``CarbonError`` comes first in each base list so that ``str(error)`` is the message itself, not the
quoted repr that ``KeyError`` would give.
"""

from __future__ import annotations


class CarbonError(Exception):
    """Base class of the errors carbon raises on purpose."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UnknownUnit(CarbonError, KeyError):
    """A unit name that the registry does not know."""


class UnknownCarrier(CarbonError, KeyError):
    """An energy carrier name that is not in the catalogue."""


class UnknownFactor(CarbonError, KeyError):
    """No factor matches the requested table, keys or year."""


class UnitMismatch(CarbonError, ValueError):
    """A unit of the wrong physical dimension for the carrier (m³ of electricity)."""


class InvalidQuantity(CarbonError, ValueError):
    """A quantity that is not a finite, non-negative number."""


class InvalidInput(CarbonError, ValueError):
    """A value a caller gave that cannot be used as it is (a field, an option, a combination)."""


class NotFound(CarbonError, KeyError):
    """The requested row does not exist (or is outside the caller's scope)."""


class Conflict(CarbonError, ValueError):
    """The row exists already, or refers to one that does not."""


class Busy(CarbonError, RuntimeError):
    """The service cannot take this write now (the database stays locked); try again shortly."""
