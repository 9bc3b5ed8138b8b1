"""carbon: energy and carbon accounting for green-development monitoring.

Public API
----------
to_tce, to_co2, convert
    Convert one quantity of an energy carrier into standard coal equivalent and CO2.
convert_frame
    The same for a whole frame, vectorised.
ureg, Q_
    The one pint registry of the program, with tce, kgce, 万千瓦时, 万立方米, 万元 ...
"""

from carbon.accounting import Conversion, FactorFallbackWarning, coefficients, convert, convert_frame, to_co2, to_tce
from carbon.carriers import CARRIERS, Carrier, get_carrier
from carbon.errors import (
    CarbonError,
    InvalidQuantity,
    UnitMismatch,
    UnknownCarrier,
    UnknownFactor,
    UnknownUnit,
)
from carbon.factors import Factor, FactorSet, default_factors
from carbon.units import Q_, ureg

__version__ = "0.1.0"

__all__ = [
    "CARRIERS", "Q_", "CarbonError", "Carrier", "Conversion", "Factor", "FactorFallbackWarning", "FactorSet",
    "InvalidQuantity", "UnitMismatch", "UnknownCarrier", "UnknownFactor", "UnknownUnit", "coefficients",
    "convert", "convert_frame", "default_factors", "get_carrier", "to_co2", "to_tce", "ureg",
]
