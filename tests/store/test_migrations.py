"""Migrations: each applied once per database, in order, under names that never change; the job store's table."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine as SqlalchemyEngine

from carbon.store import MIGRATIONS, SCHEDULER_JOBS_TABLE, Store, migrate
from carbon.store.engine import Engine
from tests.databases import new_database

# Databases record migrations by these names: renaming one would apply it again.
NAMES = ["m001_core", "m002_alerts_and_job_locks", "m003_quotas_and_output", "m004_data_version",
         "m005_telemetry_malformed", "m006_monthly_totals", "m007_scheduler_jobs", "m008_compact_consumption",
         "m009_open_alerts_by_enterprise",
         "m101_plans", "m102_projects", "m201_held_revisions", "m301_uploads"]


def _applied(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT name FROM _migrations ORDER BY name").fetchall()]


def _columns(store: Store, table: str) -> list[tuple[str, str, bool]]:
    """(name, declared type, nullable) of each column, in order."""
    if store.dialect == "sqlite":
        return [(c.name, c.type, not c.notnull) for c in store.db[table].columns]
    rows = store.conn.execute(
        "SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    return [(name, f"{kind}({length})" if length else kind, nullable == "YES") for name, kind, length, nullable in rows]


def test_the_migrations_and_their_names() -> None:
    assert [name for name, _ in MIGRATIONS] == NAMES


def test_migrations_apply_once(tmp_path) -> None:
    store = Store(new_database(tmp_path))
    assert _applied(store) == NAMES
    assert migrate(store) == []  # a second run applies nothing
    if store.dialect == "sqlite":
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_opening_again_changes_nothing(tmp_path) -> None:
    path = new_database(tmp_path)
    with Store(path) as store:
        store.upsert_region("gz-htz", name="高新区")
        version = store.data_version()
    with Store(path) as again:
        assert migrate(again) == [] and _applied(again) == NAMES
        assert again.get_region("gz-htz")["name"] == "高新区" and again.data_version() == version


def test_instances_starting_together_migrate_once(tmp_path) -> None:
    # Several instances of the service open a new database at the same moment: none fails, each migration once.
    import threading

    url = new_database(tmp_path)
    engines = [Engine(url) for _ in range(3)]
    start = threading.Barrier(len(engines))
    done: dict[int, list[str]] = {}
    failures: list[BaseException] = []

    def run(number: int) -> None:
        start.wait()
        try:
            done[number] = migrate(engines[number])
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.close()
    assert not failures
    assert sorted(name for names in done.values() for name in names) == sorted(NAMES)


def test_a_failing_migration_leaves_no_trace(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    def m999_broken(db) -> None:
        db["half_made"].create({"id": int}, pk="id")
        raise RuntimeError("broken migration")

    store = Store(new_database(tmp_path))
    monkeypatch.setattr("carbon.store.schema.MIGRATIONS", [*MIGRATIONS, ("m999_broken", m999_broken)])
    with pytest.raises(RuntimeError, match="broken migration"):
        migrate(store)
    assert "m999_broken" not in _applied(store)
    assert store.conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(NAMES)
    assert _columns(store, "half_made") == []  # its table went with the rollback
    store.close()


def test_the_job_store_table_is_apschedulers_own(fresh_store: Store) -> None:
    if fresh_store.dialect == "sqlite":
        expected = [("id", "VARCHAR(191)", False), ("next_run_time", "FLOAT", True), ("job_state", "BLOB", False)]
    else:
        expected = [("id", "character varying(191)", False), ("next_run_time", "double precision", True),
                    ("job_state", "bytea", False)]
    assert _columns(fresh_store, SCHEDULER_JOBS_TABLE) == expected
    # the job store's own index, under the name it gives it
    if fresh_store.dialect == "sqlite":
        indexes = {i.name: i.columns for i in fresh_store.db[SCHEDULER_JOBS_TABLE].indexes}
    else:
        indexes = {name: [definition.rsplit("(", 1)[1].rstrip(")")] for name, definition in fresh_store.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?",
            [SCHEDULER_JOBS_TABLE]).fetchall()}
    assert indexes["ix_apscheduler_jobs_next_run_time"] == ["next_run_time"]


def test_a_database_whose_job_store_made_its_table_migrates(tmp_path) -> None:
    # Before m007 the job store created the table at start-up: such a database already has it.
    store = Store(new_database(tmp_path))
    store.conn.execute("DELETE FROM _migrations WHERE name = 'm007_scheduler_jobs'")
    assert migrate(store) == ["m007_scheduler_jobs"]
    assert [c[0] for c in _columns(store, SCHEDULER_JOBS_TABLE)] == ["id", "next_run_time", "job_state"]
    store.close()


def test_the_job_store_starts_without_creating_anything(tmp_path) -> None:
    from carbon.jobs import Scheduling

    db = new_database(tmp_path)
    Store(db).close()
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(SqlalchemyEngine, "before_cursor_execute", record)
    scheduling = Scheduling(db)
    try:
        scheduling.scheduler.start(paused=True)  # starts the job store; runs nothing, takes no scheduler lock
        assert scheduling.scheduler.get_jobs() == []
    finally:
        scheduling.scheduler.shutdown(wait=False)
        event.remove(SqlalchemyEngine, "before_cursor_execute", record)
    assert any(SCHEDULER_JOBS_TABLE in statement for statement in statements)  # it looked
    assert [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER", "DROP"))] == []
