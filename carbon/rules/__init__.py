"""Screening rules and unit-product energy limits: dated CSV files shipped with the package.

Each file is named ``<table>-<YYYY-MM-DD>.csv``, the date being the edition of its newest source; when two editions
of a table lie side by side, the newer one is used. :class:`carbon.screening.RuleSet` reads and validates them once.

Tables
------
screening-<framework>
    One row per criterion of an activity, plus one mapping row per activity (``criterion`` empty) that declares
    the activity, its names and its category in the framework. Columns: ``framework, activity, activity_zh,
    activity_en, l1_code, l1_name, l2_code, l2_name, l3_code, l3_name, criterion, criterion_name, metric, operator,
    threshold, unit, group, source, valid_from, status, note``. Criteria that share a ``group`` pass when any of
    them passes; groups (and ungrouped criteria) combine with AND. ``threshold`` is a number, ``true``/``false``,
    or a reference ``energy_limits:<product>:<advanced|entry|limit>`` to a value of the energy-limit table.
energy_limits
    Limit (限定值, grade 3), entry (准入值, grade 2) and advanced (先进值, grade 1) values of unit-product energy
    consumption under the national 能耗限额 standards, with edition, table, unit, source, status and note.
review_thresholds
    Thresholds of the energy review of fixed-asset investment projects (节能审查): ``name, value, unit, level,
    source, valid_from, status, note``; read by :func:`carbon.projects.review_thresholds`.
"""
