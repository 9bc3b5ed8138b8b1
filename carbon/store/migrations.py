"""The schema, as registered migrations applied once per database, in order — the only place that creates a table.

Each migration is recorded by its function's name in ``_migrations``: a name, once released, never changes, and
a new schema change is a new migration at the end. A migration declares its tables through :class:`Schema`
(:mod:`carbon.store.schema`, which also applies them).
"""

from __future__ import annotations

from typing import Any

from carbon.store.compact import CONSUMPTION_COLUMNS, CONSUMPTION_KEY
from carbon.store.readings import READING_KEY
from carbon.store.schema import MIGRATIONS, Migration, Schema, migrate, migrate_once, migration
from carbon.store.totals import MONTHLY_TOTALS_REBUILD

__all__ = ["MIGRATIONS", "SCHEDULER_JOBS_TABLE", "Migration", "Schema", "migrate", "migrate_once", "migration"]

# The table of the scheduler's job store (APScheduler's SQLAlchemyJobStore, in carbon.jobs).
SCHEDULER_JOBS_TABLE = "apscheduler_jobs"


# -- the migrations, in order (never rename one: databases record them by name) ------------------------------

@migration
def m001_core(db: Schema) -> None:
    db["regions"].create({
        "code": str, "name": str, "name_en": str, "parent": str, "grid_region": str,
        "intensity_base_year": int, "intensity_base_value": float, "intensity_target_year": int,
        "intensity_target_value": float, "peak_aim_year": int, "deduct_feedstock": int,
        "deduct_new_renewables": int, "gdp_target_year": int, "gdp_target_current": float,
        "created_at": str, "updated_at": str,
    }, pk="code", not_null=["name"], defaults={"deduct_feedstock": 1, "deduct_new_renewables": 0})
    db["region_statistics"].create({
        "region": str, "year": int, "gdp_current": float, "gdp_constant": float, "energy_total_tce": float,
        "feedstock_tce": float, "renewable_tce": float, "co2_total_t": float, "sources": str, "updated_at": str,
    }, pk=("region", "year"), foreign_keys=[("region", "regions", "code")])
    db["enterprises"].create({
        "id": str, "name": str, "region": str, "industry": str, "credit_code": str, "synthetic": int,
        "created_at": str,
    }, pk="id", not_null=["name", "region"], foreign_keys=[("region", "regions", "code")],
        defaults={"synthetic": 0})
    db["enterprises"].create_index(["region"])

    db["batches"].create({
        "id": str, "kind": str, "source": str, "actor": str, "enterprise_scope": str, "started_at": str,
        "finished_at": str, "status": str, "read": int, "accepted": int, "unchanged": int, "revised": int,
        "rejected": int, "content_count": int, "content_hash": str, "error": str,
    }, pk="id", not_null=["kind", "source", "started_at", "status"])
    db["rejections"].create({
        "batch_id": str, "row": int, "field": str, "reason": str, "value": str,
    }, foreign_keys=[("batch_id", "batches", "id")])
    db["rejections"].create_index(["batch_id", "row"])

    columns: dict[str, Any] = {name: str for name in CONSUMPTION_COLUMNS}
    columns.update({name: float for name in ("quantity", "ncv", "energy_gj", "tce_equivalent", "tce_equal", "co2_t")})
    columns.update({"factor_fallback": int, "revision": int, "source_row": int})
    db["consumption"].create(columns, pk=CONSUMPTION_KEY, not_null=[*CONSUMPTION_KEY, "quantity", "unit"],
                             column_order=list(CONSUMPTION_COLUMNS))
    # The indicator queries aggregate by period (region totals) and by enterprise and period (its own page).
    db["consumption"].create_index(["period"])
    db["consumption"].create_index(["created_batch"])

    db["audit_log"].create({
        "seq": int, "ts": str, "actor": str, "action": str, "entity": str, "entity_key": str,
        "enterprise_id": str, "batch_id": str, "old": str, "new": str, "content_count": int,
        "content_hash": str, "prev_hash": str, "hash": str,
    }, pk="seq", not_null=["ts", "actor", "action", "entity", "prev_hash", "hash"])
    db["audit_log"].create_index(["enterprise_id"])
    db["audit_log"].create_index(["batch_id"])
    # Append-only: the log refuses updates and deletes (the hash chain catches any edit made around this).
    db.execute(sqlite=["CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                       "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"],
               postgresql=["CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
                           "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                           "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                           "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                           "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"])

    db["meters"].create({
        "id": str, "enterprise_id": str, "carrier": str, "unit": str, "kind": str, "interval_minutes": int,
        "created_at": str,
    }, pk="id", not_null=["enterprise_id"], foreign_keys=[("enterprise_id", "enterprises", "id")])
    # On PostgreSQL readings are a time-stamped, month-partitioned table (its partitions are made as months
    # arrive: ReadingsMixin.ensure_reading_partitions).
    db["readings"].create({
        "meter_id": str, "ts": str, "enterprise_id": str, "value": float, "unit": str, "carrier": str, "kind": str,
        "batch_id": str, "source_row": int,
    }, pk=READING_KEY, not_null=["meter_id", "ts", "enterprise_id", "value"],
        postgresql_types={"ts": "TIMESTAMPTZ"}, postgresql_partition="RANGE (ts)")
    db["readings"].create_index(["enterprise_id", "ts"])

    db["job_runs"].create({
        "id": int, "job": str, "started_at": str, "finished_at": str, "status": str, "counts": str, "error": str,
    }, pk="id", not_null=["job", "started_at", "status"])
    db["job_runs"].create_index(["job", "started_at"])
    db["http_sources"].create({
        "name": str, "url": str, "enterprise_id": str, "headers": str, "params": str, "timeout": float,
        "retries": int, "enabled": int, "created_at": str,
    }, pk="name", not_null=["url"], defaults={"enabled": 1})

    db["tokens"].create({
        "id": str, "token_hash": str, "role": str, "enterprise_id": str, "label": str, "created_at": str,
        "expires_at": str, "revoked_at": str,
    }, pk="id", not_null=["token_hash", "role", "created_at"])
    db["tokens"].create_index(["token_hash"], unique=True)


@migration
def m002_alerts_and_job_locks(db: Schema) -> None:
    db["alerts"].create({
        "id": int, "fingerprint": str, "kind": str, "severity": str, "region": str, "enterprise_id": str,
        "period": str, "message": str, "details": str, "created_at": str, "updated_at": str,
        "acknowledged_by": str, "acknowledged_at": str, "resolved_at": str,
    }, pk="id", not_null=["fingerprint", "kind", "severity", "message", "created_at"])
    db["alerts"].create_index(["fingerprint"], unique=True)
    db["alerts"].create_index(["kind", "resolved_at"])
    db["job_locks"].create({"job": str, "owner": str, "acquired_at": str}, pk="job")


@migration
def m003_quotas_and_output(db: Schema) -> None:
    # 用能权: an enterprise's energy-use quota for a year, on a stated basis.
    db["quotas"].create({
        "enterprise_id": str, "year": int, "quota_tce": float, "basis": str, "source": str, "updated_at": str,
    }, pk=("enterprise_id", "year"), not_null=["quota_tce", "basis"],
        foreign_keys=[("enterprise_id", "enterprises", "id")])
    # Output value (万元) per month, and product output for unit-product energy against 能耗限额 standards.
    db["enterprise_output"].create({
        "enterprise_id": str, "period": str, "product": str, "output_value": float, "quantity": float,
        "unit": str, "updated_at": str,
    }, pk=("enterprise_id", "period", "product"), foreign_keys=[("enterprise_id", "enterprises", "id")])


@migration
def m004_data_version(db: Schema) -> None:
    # A counter bumped by every write transaction: cached reports are valid while it stands still.
    db["meta"].create({"key": str, "value": int}, pk="key")
    db.execute(sql="INSERT INTO meta (key, value) VALUES ('data_version', 0)")


@migration
def m005_telemetry_malformed(db: Schema) -> None:
    # Messages that could not even be read as readings (not JSON, wrong topic, no value): kept for inspection.
    db["telemetry_malformed"].create({
        "id": int, "received_at": str, "topic": str, "payload": str, "reason": str,
    }, pk="id", not_null=["received_at", "reason"])


@migration
def m006_monthly_totals(db: Schema) -> None:
    # The region indicators read these instead of aggregating every row: kept up to date by each batch (sums
    # added as rows arrive or are revised) and rebuilt from the rows by the refresh job.
    db["monthly_totals"].create({
        "region": str, "period": str, "carrier": str, "purpose": str, "energy_gj": float, "tce_equivalent": float,
        "tce_equal": float, "co2_t": float, "rows": int,
    }, pk=("region", "period", "carrier", "purpose"))
    db["enterprise_months"].create({"enterprise_id": str, "period": str, "region": str},
                                   pk=("enterprise_id", "period"))
    db["enterprise_months"].create_index(["region", "period"])
    for statement in MONTHLY_TOTALS_REBUILD:
        db.execute(sql=statement)


@migration
def m007_scheduler_jobs(db: Schema) -> None:
    # The scheduler's job store, declared exactly as APScheduler 3's SQLAlchemyJobStore declares it (so the job
    # store finds its table and issues no DDL itself). IF NOT EXISTS: before this migration the job store made
    # the table at start-up, so older databases have it already.
    blob, double = ("BLOB", "FLOAT") if db.dialect == "sqlite" else ("BYTEA", "FLOAT(25)")
    db.execute(sql=f"CREATE TABLE IF NOT EXISTS {SCHEDULER_JOBS_TABLE} (id VARCHAR(191) NOT NULL, "
                   f"next_run_time {double}, job_state {blob} NOT NULL, PRIMARY KEY (id))")
    db.execute(sql=f"CREATE INDEX IF NOT EXISTS ix_{SCHEDULER_JOBS_TABLE}_next_run_time "
                   f"ON {SCHEDULER_JOBS_TABLE} (next_run_time)")


# The compact consumption rows (m008): their columns, and the columns of the view that shows them as before.
_ROW_TEXT = ("enterprise_id", "period", "carrier", "purpose")
_ROW_COLUMNS = (
    ("enterprise_id", "TEXT NOT NULL"), ("period", "TEXT NOT NULL"), ("carrier", "TEXT NOT NULL"),
    ("purpose", "TEXT NOT NULL"), ("quantity", "{real} NOT NULL"), ("unit", "TEXT NOT NULL"), ("ncv", "{real}"),
    ("ncv_unit", "TEXT"), ("energy_gj", "{real}"), ("tce_equivalent", "{real}"), ("tce_equal", "{real}"),
    ("co2_t", "{real}"), ("factor_key", "INTEGER"), ("revision", "INTEGER"), ("batch_key", "INTEGER"),
    ("created_batch_key", "INTEGER"), ("source_row", "INTEGER"), ("submitted_at", "TEXT"), ("updated_at", "TEXT"),
)
_FACTOR_SET = ("tce_factor", "tce_equal_factor", "co2_factor", "factor_fallback", "factor_version")
_SAME_VALUES = ("quantity", "unit", "ncv", "ncv_unit", "energy_gj", "tce_equivalent", "tce_equal", "co2_t")
# A row's timestamp is NULL where it is the time of the batch that last wrote the row, '' where it has none.
_STAMP_DECODED = "CASE WHEN c.{name} IS NULL THEN b.stamp ELSE NULLIF(c.{name}, '') END AS {name}"
_STAMP_ENCODED = "CASE WHEN {value} IS NULL THEN '' WHEN {value} = {stamp} THEN NULL ELSE {value} END"
_CONSUMPTION_VIEW = (
    "CREATE VIEW consumption AS SELECT "
    + ", ".join(f"c.{name}" for name in (*_ROW_TEXT, *_SAME_VALUES))
    + ", f.tce_factor, f.tce_equal_factor, f.co2_factor, f.factor_fallback, f.factor_version, c.revision, "
    "b.batch_id, cb.batch_id AS created_batch, c.source_row, "
    + ", ".join(_STAMP_DECODED.format(name=name) for name in ("submitted_at", "updated_at"))
    + " FROM consumption_rows c LEFT JOIN factor_sets f ON f.key = c.factor_key "
    "LEFT JOIN batch_keys b ON b.key = c.batch_key LEFT JOIN batch_keys cb ON cb.key = c.created_batch_key"
)


def _consumption_rows_from_table(same: str) -> str:
    """Copy the rows of the wide ``consumption`` table into ``consumption_rows`` (``same``: a NULL-safe
    equality with ``{a}`` and ``{b}``)."""
    factor_match = " AND ".join(same.format(a=f"f.{name}", b=f"w.{name}") for name in _FACTOR_SET)
    stamps = ", ".join(_STAMP_ENCODED.format(value=f"w.{name}", stamp="b.stamp")
                       for name in ("submitted_at", "updated_at"))
    return (f"INSERT INTO consumption_rows ({', '.join(name for name, _ in _ROW_COLUMNS)}) SELECT "
            + ", ".join(f"w.{name}" for name in (*_ROW_TEXT, *_SAME_VALUES))
            + f", f.key, w.revision, b.key, cb.key, w.source_row, {stamps} FROM consumption w "
            f"JOIN factor_sets f ON {factor_match} LEFT JOIN batch_keys b ON b.batch_id = w.batch_id "
            "LEFT JOIN batch_keys cb ON cb.batch_id = w.created_batch")


def _consumption_view_writes(dialect: str) -> list[str]:
    """INSTEAD OF triggers that let plain SQL update or delete through the ``consumption`` view (kept for
    tools and repairs that address the rows by their old columns)."""
    same = "{a} IS {b}" if dialect == "sqlite" else "{a} IS NOT DISTINCT FROM {b}"
    factor = " AND ".join(same.format(a=name, b=f"NEW.{name}") for name in _FACTOR_SET)
    batch = "(SELECT key FROM batch_keys WHERE batch_id = NEW.{name})"
    stamp = "(SELECT stamp FROM batch_keys WHERE batch_id = NEW.batch_id)"
    key = " AND ".join(f"{name} = OLD.{name}" for name in _ROW_TEXT)
    assignments = ", ".join(f"{name} = NEW.{name}" for name in (*_ROW_TEXT, *_SAME_VALUES, "revision", "source_row"))
    body = [
        f"INSERT INTO factor_sets ({', '.join(_FACTOR_SET)}) SELECT {', '.join(f'NEW.{n}' for n in _FACTOR_SET)} "
        f"WHERE NOT EXISTS (SELECT 1 FROM factor_sets WHERE {factor})",
        "INSERT INTO batch_keys (batch_id, stamp) SELECT NEW.batch_id, NEW.updated_at WHERE NEW.batch_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM batch_keys WHERE batch_id = NEW.batch_id)",
        "INSERT INTO batch_keys (batch_id, stamp) SELECT NEW.created_batch, NULL WHERE NEW.created_batch IS NOT "
        "NULL AND NOT EXISTS (SELECT 1 FROM batch_keys WHERE batch_id = NEW.created_batch)",
        f"UPDATE consumption_rows SET {assignments}, "
        f"factor_key = (SELECT MIN(key) FROM factor_sets WHERE {factor}), "
        f"batch_key = {batch.format(name='batch_id')}, created_batch_key = {batch.format(name='created_batch')}, "
        + ", ".join(f"{name} = " + _STAMP_ENCODED.format(value=f"NEW.{name}", stamp=stamp)
                    for name in ("submitted_at", "updated_at"))
        + f" WHERE {key}",
    ]
    delete = f"DELETE FROM consumption_rows WHERE {key}"
    if dialect == "sqlite":
        return [f"CREATE TRIGGER consumption_update INSTEAD OF UPDATE ON consumption BEGIN {'; '.join(body)}; END",
                f"CREATE TRIGGER consumption_delete INSTEAD OF DELETE ON consumption BEGIN {delete}; END"]
    return [f"CREATE FUNCTION consumption_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{'; '.join(body)}; RETURN NEW; END $$",
            "CREATE TRIGGER consumption_update INSTEAD OF UPDATE ON consumption FOR EACH ROW "
            "EXECUTE FUNCTION consumption_update()",
            f"CREATE FUNCTION consumption_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {delete}; "
            "RETURN OLD; END $$",
            "CREATE TRIGGER consumption_delete INSTEAD OF DELETE ON consumption FOR EACH ROW "
            "EXECUTE FUNCTION consumption_delete()"]


@migration
def m008_compact_consumption(db: Schema) -> None:
    # A consumption row carried its three factor ids, factor version, two 32-character batch ids and two
    # timestamps as text: most of its bytes. Now the factor set and the batches are small integer keys into
    # tables of their own, a timestamp is kept only where it is not its batch's time, and the natural key is the
    # table itself (WITHOUT ROWID on SQLite: no second copy of the key in an index). The old indexes on period
    # and on the creating batch go: the indicator queries read the monthly totals or filter by enterprise (the
    # key's prefix), and the audit reads every batch's rows in one pass.
    sqlite = db.dialect == "sqlite"
    db["factor_sets"].create({"key": int, **dict.fromkeys(_FACTOR_SET, str), "factor_fallback": int}, pk="key",
                             column_order=["key", *_FACTOR_SET])
    db["batch_keys"].create({"key": int, "batch_id": str, "stamp": str}, pk="key", not_null=["batch_id"])
    db["batch_keys"].create_index(["batch_id"], unique=True)
    columns = ", ".join(f"{name} {kind.format(real='REAL' if sqlite else 'DOUBLE PRECISION')}"
                        for name, kind in _ROW_COLUMNS)
    db.execute(sql=f"CREATE TABLE consumption_rows ({columns}, PRIMARY KEY ({', '.join(_ROW_TEXT)}))"
                   + (" WITHOUT ROWID" if sqlite else ""))

    db.execute(sql=f"INSERT INTO factor_sets ({', '.join(_FACTOR_SET)}) SELECT DISTINCT {', '.join(_FACTOR_SET)} "
                   "FROM consumption")
    # each batch's time: the time it wrote its rows (a batch whose rows were all revised since has none)
    db.execute(sql="INSERT INTO batch_keys (batch_id, stamp) SELECT batch_id, MIN(stamp) FROM ("
                   "SELECT batch_id, updated_at AS stamp FROM consumption WHERE batch_id IS NOT NULL UNION ALL "
                   "SELECT created_batch, NULL FROM consumption WHERE created_batch IS NOT NULL) written "
                   "GROUP BY batch_id ORDER BY MIN(stamp), batch_id")
    # NULL-safe equality; on PostgreSQL as an equality of non-NULL values, so that the join can hash
    db.execute(sql=_consumption_rows_from_table("{a} IS {b}" if sqlite else
                                                "COALESCE({a}::text, chr(1)) = COALESCE({b}::text, chr(1))"))
    db.execute(sql="DROP TABLE consumption")
    db.execute(sql=_CONSUMPTION_VIEW)
    db.execute(sql=_consumption_view_writes(db.dialect))


@migration
def m009_open_alerts_by_enterprise(db: Schema) -> None:
    # After a batch the open alerts of its few enterprises are matched: an index of the open alerts by kind and
    # enterprise finds them, where (kind, resolved_at) made every pass read every open alert of the kind — tens of
    # thousands in a region with many missing reports, and more with each pass.
    db.execute(sql="CREATE INDEX idx_alerts_open_enterprise ON alerts (kind, enterprise_id) WHERE resolved_at IS NULL")
