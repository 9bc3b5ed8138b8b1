"""Conversion of energy quantities into energy, standard coal equivalent and CO2.

The work is split in two: :func:`coefficients` resolves, once per (carrier, unit, year, region, method) group,
the multipliers that turn one unit of the reported quantity into GJ, tce on both bases and tonnes of CO2 — the
only place pint and the factor tables are consulted; :func:`convert_frame` applies them to a whole frame with
numpy, and :func:`convert`, :func:`to_tce` and :func:`to_co2` to one value.

Modules
-------
:mod:`~carbon.accounting.coefficients`
    The multipliers of one group (pint and the factor tables: grid and fuel factor choices, 44/12), and the names
    of the converted values (:data:`VALUE_COLUMNS`) and of their factors (:data:`FACTOR_COLUMNS`).
:mod:`~carbon.accounting.scalar`
    One quantity: :func:`convert`, :func:`to_tce`, :func:`to_co2`.
:mod:`~carbon.accounting.frames`
    A frame: :func:`convert_frame` and the grouping of its rows; :data:`OUTPUT_COLUMNS`, the columns it adds.

References
----------
.. [1] GB/T 2589-2020 综合能耗计算通则, Annex A: standard-coal coefficients (当量值 and 等价值).
.. [2] GB/T 32150-2015 工业企业温室气体排放核算和报告通则: CO2 = activity x NCV x carbon content x
       oxidation x 44/12.
.. [3] 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2 Ch. 1, Tables 1.2 and 1.4.
.. [4] 生态环境部 国家统计局, 电力二氧化碳排放因子 announcements for 2021-2023.
"""

from carbon.accounting.coefficients import (
    CO2_PER_CARBON,
    FACTOR_COLUMNS,
    GRID_SERIES,
    METHODS,
    VALUE_COLUMNS,
    Coefficients,
    coefficients,
)
from carbon.accounting.frames import OUTPUT_COLUMNS, convert_frame
from carbon.accounting.scalar import BASES, Conversion, FactorFallbackWarning, convert, to_co2, to_tce

__all__ = [
    "BASES", "CO2_PER_CARBON", "FACTOR_COLUMNS", "GRID_SERIES", "METHODS", "OUTPUT_COLUMNS", "VALUE_COLUMNS",
    "Coefficients", "Conversion", "FactorFallbackWarning", "coefficients", "convert", "convert_frame", "to_co2",
    "to_tce",
]
