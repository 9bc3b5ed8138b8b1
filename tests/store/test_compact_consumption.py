"""The compact consumption rows (migration m008): a database built before it migrates with every row, revision,
total and audit entry intact and still verifies; the store's frames keep their columns; plain SQL still reads
(and repairs) the ``consumption`` relation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from carbon.audit import verify
from carbon.ingest.pipeline import ingest_consumption
from carbon.store import CONSUMPTION_COLUMNS, MIGRATIONS, Scope, Store, migrate
from carbon.store.sql import plain_columns
from tests.databases import new_database

TODAY = date(2025, 7, 20)
# Tables a database holds besides the consumption rows, copied as they are into the database made before m008.
COPIED = ("regions", "enterprises", "batches", "rejections", "audit_log", "monthly_totals", "enterprise_months",
          "held_revisions")


def _frame(*records: tuple, start: int = 2) -> pd.DataFrame:
    columns = ["enterprise_id", "period", "carrier", "quantity", "unit", "submitted_at"]
    frame = pd.DataFrame(list(records), columns=columns)
    frame.insert(0, "row", range(start, start + len(frame)))
    return frame


def _ingest(store: Store, frame: pd.DataFrame, **kwargs: Any) -> Any:
    return ingest_consumption(store, [frame], source="test.csv", actor="tester", today=TODAY, **kwargs)


def _seed(store: Store) -> None:
    store.upsert_region("gz-htz", name="高新区", grid_region="guangdong")
    store.add_enterprises([{"id": "GZHTZ-0001", "name": "一", "region": "gz-htz"},
                           {"id": "GZHTZ-0002", "name": "二", "region": "gz-htz"}])


def _history(store: Store) -> None:
    """Three batches: new rows (one with its own submission date), a revision of two of them (one revised
    twice), and rows of another enterprise."""
    _ingest(store, _frame(("GZHTZ-0001", "2024-01", "电力", "120", "万千瓦时", None),
                          ("GZHTZ-0001", "2024-01", "天然气", "3.5", "万立方米", "2024-02-03"),
                          ("GZHTZ-0001", "2024-02", "柴油", "12", "吨", None)))
    _ingest(store, _frame(("GZHTZ-0001", "2024-01", "电力", "125", "万千瓦时", None),
                          ("GZHTZ-0001", "2024-02", "柴油", "12.5", "吨", None)), confirm=True, reason="typo")
    _ingest(store, _frame(("GZHTZ-0001", "2024-01", "电力", "126", "万千瓦时", None),
                          ("GZHTZ-0002", "2024-03", "汽油", "2", "吨", "2024-04-01")), confirm=True, reason="again")


def _rows(store: Store, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = store.conn.execute(f"SELECT * FROM {table}")
    return [d[0] for d in cursor.description], [tuple(row) for row in cursor.fetchall()]


def _copy(source: Store, target: Store, table: str, select: str | None = None) -> None:
    cursor = source.conn.execute(select or f"SELECT * FROM {table}")
    names = [d[0] for d in cursor.description]
    rows = [tuple(row) for row in cursor.fetchall()]
    if rows:
        target.conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                                rows)


def _stored(store: Store) -> pd.DataFrame:
    frame = store.consumption(Scope.everything())
    return frame.assign(factor_fallback=frame["factor_fallback"].astype(int))


@pytest.fixture
def before_and_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Store, Store]:
    """A database with a history written by the service, and the same data in a database made before m008
    (its wide ``consumption`` table filled row by row, every other table copied), not yet migrated."""
    current = Store(new_database(tmp_path, "current"))
    _seed(current)
    _history(current)
    assert verify(current).ok
    with monkeypatch.context() as patch:
        patch.setattr("carbon.store.schema.MIGRATIONS",
                      [(name, step) for name, step in MIGRATIONS if name != "m008_compact_consumption"])
        old = Store(new_database(tmp_path, "old"))
    with old.transaction():
        for table in COPIED:
            old.conn.execute(f"DELETE FROM {table}")
            _copy(current, old, table)
        _copy(current, old, "consumption", f"SELECT {', '.join(CONSUMPTION_COLUMNS)} FROM consumption")
    return current, old


def test_a_database_made_before_the_migration_keeps_every_row_revision_and_total(
        before_and_after: tuple[Store, Store]) -> None:
    current, old = before_and_after
    wide = old.conn.execute("SELECT COUNT(*), SUM(revision) FROM consumption").fetchone()
    assert tuple(wide) == (4, 7)  # 4 rows; the electricity row in its 3rd revision, the diesel row in its 2nd
    assert migrate(old) == ["m008_compact_consumption"]
    pd.testing.assert_frame_equal(_stored(old), _stored(current))
    for table in ("audit_log", "monthly_totals", "enterprise_months", "batches"):
        assert _rows(old, table) == _rows(current, table), table
    by = ["enterprise_id", "period"]
    pd.testing.assert_frame_equal(old.consumption_totals(Scope.everything(), by=by),
                                  current.consumption_totals(Scope.everything(), by=by))
    pd.testing.assert_frame_equal(old.reported_months(Scope.everything()),
                                  current.reported_months(Scope.everything()))
    result = verify(old)
    assert result.ok, result.problems
    # and the migrated database takes new batches as one made after it
    _ingest(old, _frame(("GZHTZ-0002", "2024-03", "汽油", "3", "吨", None)), confirm=True, reason="later")
    assert verify(old).ok
    current.close()
    old.close()


def test_an_edit_after_the_migration_is_still_found(before_and_after: tuple[Store, Store]) -> None:
    _, old = before_and_after
    migrate(old)
    with old.transaction():
        old.conn.execute("UPDATE consumption SET quantity = 1 WHERE carrier = 'natural_gas'")
    result = verify(old)
    assert not result.ok and any("edited or deleted" in problem for problem in result.problems), result.problems


def test_timestamps_are_stored_once_per_batch_unless_a_row_has_its_own(fresh_store: Store) -> None:
    _ingest(fresh_store, _frame(("GZHTZ-0001", "2024-01", "电力", "120", "万千瓦时", None),
                                ("GZHTZ-0001", "2024-02", "电力", "121", "万千瓦时", "2024-03-05")))
    stored = fresh_store.conn.execute(
        "SELECT period, submitted_at, updated_at FROM consumption_rows ORDER BY period").fetchall()
    assert [tuple(row) for row in stored] == [("2024-01", None, None), ("2024-02", "2024-03-05", None)]
    stamp = fresh_store.conn.execute("SELECT stamp FROM batch_keys").fetchone()[0]
    shown = fresh_store.consumption(Scope.everything(), columns=("period", "submitted_at", "updated_at"))
    assert shown.to_dict("records") == [
        {"period": "2024-01", "submitted_at": stamp, "updated_at": stamp},
        {"period": "2024-02", "submitted_at": "2024-03-05", "updated_at": stamp}]


@pytest.mark.parametrize("ready_before", ["frame", "made-ready-before-the-lock", "as-lists-made-ready"])
def test_frames_go_in_and_come_out_with_the_same_columns(fresh_store: Store, ready_before: str) -> None:
    row = dict.fromkeys(CONSUMPTION_COLUMNS)
    row.update(enterprise_id="GZHTZ-0001", period="2024-01", carrier="electricity", purpose="fuel", quantity=2.0,
               unit="t", energy_gj=1.0, tce_equivalent=0.5, tce_equal=0.6, co2_t=0.7, tce_factor="f.tce",
               tce_equal_factor=None, co2_factor="f.co2", factor_fallback=True, factor_version="v1", revision=1,
               batch_id="b2", created_batch="b1", source_row=3, submitted_at=None, updated_at="2024-03-01T00:00:00Z")
    frame = pd.DataFrame([row, {**row, "period": "2024-02", "factor_fallback": False, "batch_id": None,
                                "submitted_at": "2024-02-29"}], columns=list(CONSUMPTION_COLUMNS))
    # no database access when made ready: before the transaction
    rows = {"frame": frame, "made-ready-before-the-lock": fresh_store.rows_ready(frame),
            "as-lists-made-ready": fresh_store.rows_ready(plain_columns(frame))}[ready_before]
    with fresh_store.transaction():
        assert fresh_store.insert_consumption(rows) == 2
    stored = fresh_store.consumption(Scope.everything())
    assert list(stored.columns) == list(CONSUMPTION_COLUMNS)
    expected = frame.astype({"factor_fallback": int})
    pd.testing.assert_frame_equal(stored.astype({"factor_fallback": int}), expected, check_dtype=False)
    # two factor sets, two batches (the second known only as a creator until now)
    assert fresh_store.conn.execute("SELECT COUNT(*) FROM factor_sets").fetchone()[0] == 2
    assert [tuple(r) for r in fresh_store.conn.execute(
        "SELECT batch_id, stamp FROM batch_keys ORDER BY batch_id").fetchall()] == [
        ("b1", None), ("b2", "2024-03-01T00:00:00Z")]


def test_plain_sql_updates_and_deletes_through_the_view(fresh_store: Store) -> None:
    _ingest(fresh_store, _frame(("GZHTZ-0001", "2024-01", "电力", "120", "万千瓦时", None),
                                ("GZHTZ-0001", "2024-02", "电力", "121", "万千瓦时", None)))
    with fresh_store.transaction():
        fresh_store.conn.execute("UPDATE consumption SET factor_version = 'old', submitted_at = '2024-01-09' "
                                 "WHERE period = '2024-01'")
        fresh_store.conn.execute("DELETE FROM consumption WHERE period = '2024-02'")
    stored = fresh_store.consumption(Scope.everything())
    assert stored[["period", "factor_version", "submitted_at"]].to_dict("records") == [
        {"period": "2024-01", "factor_version": "old", "submitted_at": "2024-01-09"}]
    assert fresh_store.stale_conversions("v-now")["period"].tolist() == ["2024-01"]
