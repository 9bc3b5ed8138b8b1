"""The database: the only package that speaks SQL, sqlite3 or psycopg.

:class:`Store` is one connection with every operation the program needs, composed from one part per concern:

- :mod:`~carbon.store.engine` — connections to either engine (SQLite, the embedded default; PostgreSQL for many
  instances), transactions, scopes, the SQL helpers, the scheduler lock and every advisory-lock key;
- :mod:`~carbon.store.migrations` — the schema, as migrations applied once per database;
- :mod:`~carbon.store.registry` — regions, their statistics, enterprises;
- :mod:`~carbon.store.batches` — ingestion batches and their rejected rows;
- :mod:`~carbon.store.compact` — the compact form of consumption rows (factor sets and batches as keys);
- :mod:`~carbon.store.consumption` — monthly consumption rows, their sums, re-conversion;
- :mod:`~carbon.store.summaries` — small reads of the monthly summaries for reports and alert refreshes;
- :mod:`~carbon.store.readings` — meters, readings and their partitions, malformed telemetry;
- :mod:`~carbon.store.audit_log` — the append-only audit log;
- :mod:`~carbon.store.operations` — job runs and locks, alerts, quotas and output, HTTP sources;
- :mod:`~carbon.store.tokens` — API tokens;
- :mod:`~carbon.store.uploads` — large uploads as queued jobs.

Bulk writes happen inside :meth:`Store.transaction`: a batch is stored whole or not at all, one writer at a time.
Every query of enterprise data takes a :class:`Scope`: an enterprise's scope reaches its own rows only.
"""

from __future__ import annotations

from pathlib import Path

from carbon.errors import Conflict, NotFound
from carbon.store.alerts import AlertsMixin, AlertSync
from carbon.store.audit_checks import AuditChecks
from carbon.store.audit_log import AuditLogMixin
from carbon.store.batches import BatchesMixin
from carbon.store.compact import CONSUMPTION_COLUMNS, CONSUMPTION_KEY, CONSUMPTION_VALUES
from carbon.store.consumption import ConsumptionMixin
from carbon.store.engine import (
    DEFAULT_DB,
    NUL_STANDIN,
    Engine,
    SchedulerLock,
    database_errors,
    default_db_path,
    is_postgresql,
    now_iso,
    transient_errors,
)
from carbon.store.migrations import (
    MIGRATIONS,
    SCHEDULER_JOBS_TABLE,
    Migration,
    Schema,
    migrate,
    migrate_once,
    migration,
)
from carbon.store.operations import OperationsMixin
from carbon.store.plans import PlansMixin
from carbon.store.readings import READING_COLUMNS, READING_KEY, ReadingsMixin
from carbon.store.registry import RegistryMixin
from carbon.store.revisions import HeldRevisionStore
from carbon.store.sql import Rows, Scope
from carbon.store.summaries import SummariesMixin
from carbon.store.tokens import TokensMixin
from carbon.store.totals import MONTHLY_TOTALS_REBUILD, TotalsMixin
from carbon.store.uploads import UploadsMixin

# The names this package offered before it was split, and the job store's table (for carbon.jobs).
__all__ = [
    "CONSUMPTION_COLUMNS", "CONSUMPTION_KEY", "CONSUMPTION_VALUES", "DEFAULT_DB", "MIGRATIONS",
    "MONTHLY_TOTALS_REBUILD", "NUL_STANDIN", "READING_COLUMNS", "READING_KEY", "SCHEDULER_JOBS_TABLE",
    "AlertSync", "Conflict", "Migration", "NotFound", "Rows", "SchedulerLock", "Schema", "Scope",
    "Store", "database_errors", "default_db_path", "is_postgresql", "migrate", "migration", "now_iso", "open_store",
    "transient_errors",
]


class Store(RegistryMixin, BatchesMixin, ConsumptionMixin, TotalsMixin, SummariesMixin, ReadingsMixin, AuditLogMixin,
            OperationsMixin, AlertsMixin, TokensMixin, PlansMixin, HeldRevisionStore, UploadsMixin, AuditChecks,
            Engine):
    """A connection to the carbon database with the operations the program needs.

    Parameters
    ----------
    path : str
        SQLite file (``":memory:"`` for a throw-away database) or a ``postgresql://`` URL; created and migrated
        on first use.
    """

    def __init__(self, path: str = ":memory:") -> None:
        super().__init__(path)
        migrate_once(self)


def open_store(path: str | Path | None = None) -> Store:
    """Open (and on first use migrate) the database at ``path``, ``CARBON_DB`` or ``data/carbon.db``."""
    return Store(str(path) if path is not None else default_db_path())
