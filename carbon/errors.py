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
