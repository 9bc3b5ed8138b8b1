"""Row-by-row validation of submitted data, as vectorised masks.

Every check runs over the whole frame at once; checks that need a lookup (an enterprise, a carrier, a unit, a
period) are decided once per distinct value and mapped back to the rows through integer codes. A row that fails
is rejected with its row number, the field and a reason a person can act on; the other rows go on.

Monthly consumption is checked in :mod:`~carbon.ingest.validate.consumption`, whose good rows come out converted
(:mod:`~carbon.ingest.validate.conversion`: one conversion, for the unit and plausibility checks and for the
store); meter readings in :mod:`~carbon.ingest.validate.readings`; what they share in
:mod:`~carbon.ingest.validate.rows`.

References
----------
.. [1] GB/T 38692-2020 用能单位能耗在线监测技术要求: 15-minute sampling, completeness ≥ 90 %, daily sums within
       5 % of the monthly figure (FACTS.md §6).
"""

from carbon.ingest.validate.consumption import MAX_TCE_PER_MONTHLY_ROW, REQUIRED, normalize_period, validate_consumption
from carbon.ingest.validate.readings import CLOCK_TOLERANCE, KINDS, READING_REQUIRED, validate_readings
from carbon.ingest.validate.rows import Checked

__all__ = [
    "CLOCK_TOLERANCE", "KINDS", "MAX_TCE_PER_MONTHLY_ROW", "READING_REQUIRED", "REQUIRED", "Checked",
    "normalize_period", "validate_consumption", "validate_readings",
]
