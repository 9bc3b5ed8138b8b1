"""The engine: transactions, the data version, scopes, SQL helpers and values made storable."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from carbon.store import Scope, Store
from carbon.store.engine import DEFAULT_DB, AdvisoryLocks, SchedulerLock, default_db_path, is_postgresql, now_iso
from carbon.store.sql import clean, columns_as_lists, conditions, csv_text, insert_sql, int_years, upsert_sql


def _batches(store: Store) -> int:
    return store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0]


def test_transaction_rolls_back_everything(fresh_store: Store) -> None:
    with pytest.raises(RuntimeError), fresh_store.transaction():
        fresh_store.start_batch("b1", kind="consumption", source="t", actor="test")
        raise RuntimeError("crash")
    assert _batches(fresh_store) == 0


def test_a_nested_transaction_joins_the_outer_one(fresh_store: Store) -> None:
    with pytest.raises(RuntimeError), fresh_store.transaction():
        with fresh_store.transaction():
            fresh_store.start_batch("b1", kind="consumption", source="t", actor="test")
        fresh_store.start_batch("b2", kind="consumption", source="t", actor="test")
        raise RuntimeError("crash after the inner block ended")
    assert _batches(fresh_store) == 0  # the inner block's write went with the outer rollback
    with fresh_store.transaction():
        fresh_store.start_batch("b3", kind="consumption", source="t", actor="test")
    assert _batches(fresh_store) == 1  # and the store is usable again


def test_each_commit_bumps_the_data_version_once(fresh_store: Store) -> None:
    before = fresh_store.data_version()
    with fresh_store.transaction(), fresh_store.transaction():
        fresh_store.start_batch("b1", kind="consumption", source="t", actor="test")
    assert fresh_store.data_version() == before + 1  # one commit, however deep the nesting
    with pytest.raises(RuntimeError), fresh_store.transaction():
        raise RuntimeError("crash")
    assert fresh_store.data_version() == before + 1  # a rollback changes nothing
    fresh_store.put_quota("GZHTZ-0001", 2024, 100.0)
    assert fresh_store.data_version() == before + 2


def test_parameters_pass_percent_signs_and_question_marks_through(fresh_store: Store) -> None:
    # PostgreSQL's adapter turns ? into %s: a literal % must survive, and a ? inside a value is just a value
    row = fresh_store.conn.execute("SELECT ? || '%', ?", ["5", "why?"]).fetchone()
    assert tuple(row) == ("5%", "why?")


def test_scope_conditions() -> None:
    assert Scope.everything().where() == ("1 = 1", [])
    assert Scope.only("E1").where("c.enterprise_id") == ("c.enterprise_id = ?", ["E1"])
    assert conditions(Scope.everything(), "enterprise_id") == ("1 = 1", [])
    assert conditions(Scope.only("E1"), "e.id", equal={"carrier": None, "unit": "t"}, since=("ts", "a"),
                      until=("ts", "b"), until_op="<") == ("e.id = ? AND unit = ? AND ts >= ? AND ts < ?",
                                                           ["E1", "t", "a", "b"])
    assert conditions(Scope.everything(), "x", until=("period", "2024-12")) == ("1 = 1 AND period <= ?",
                                                                                ["2024-12"])
    assert Scope.only("E1").is_limited and not Scope.everything().is_limited


def test_values_are_cleaned_for_storage() -> None:
    assert clean(np.int64(3)) == 3 and type(clean(np.int64(3))) is int
    assert clean(np.float32(0.5)) == 0.5 and type(clean(np.float32(0.5))) is float
    assert [clean(v) for v in (None, pd.NA, pd.NaT, float("nan"), np.float64("nan"))] == [None] * 5
    assert [clean(v) for v in (True, np.False_)] == [1, 0]
    assert clean("文本") == "文本"


def test_frame_columns_become_lists_with_nulls() -> None:
    frame = pd.DataFrame({
        "f": [1.5, np.nan], "i": np.array([1, 2], dtype=np.int64), "b": [True, False],
        "c": pd.Categorical(["电力", None]), "o": ["x", None], "na": pd.array(["y", pd.NA], dtype=object),
    })
    assert columns_as_lists(frame, ["f", "i", "b", "c", "o", "na"]) == [
        [1.5, None], [1, 2], [1, 0], ["电力", None], ["x", None], ["y", None]]
    assert type(columns_as_lists(frame, ["i"])[0][0]) is int  # Python ints, not numpy scalars


def test_sql_fragments() -> None:
    assert insert_sql("t", ["a", "b"]) == "INSERT INTO t (a, b) VALUES (?, ?)"
    assert upsert_sql("t", ["k", "v"], ["k"]) == \
        "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    assert upsert_sql("t", ["k"], ["k"]).endswith("DO UPDATE SET k = excluded.k")  # a key alone still upserts
    assert int_years(pd.DataFrame({"year": ["2024", "2025"]}))["year"].tolist() == [2024, 2025]


def test_names_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_postgresql("postgresql://h/db") and is_postgresql("postgres://h/db")
    assert not is_postgresql("data/carbon.db")
    monkeypatch.delenv("CARBON_DB", raising=False)
    assert default_db_path() == str(DEFAULT_DB)
    monkeypatch.setenv("CARBON_DB", "/tmp/x.db")
    assert default_db_path() == "/tmp/x.db"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now_iso())


def test_advisory_lock_keys_are_distinct() -> None:
    keys = [value for name, value in vars(AdvisoryLocks).items() if name.isupper()]
    assert len(keys) == 4 and len(set(keys)) == 4


def test_one_scheduler_lock_holder_per_database(tmp_path) -> None:
    db = str(tmp_path / "carbon.db")
    first, second = SchedulerLock(db), SchedulerLock(db)
    assert first.acquire() and first.acquire()  # taking it again is harmless
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_a_write_waits_for_another_process_and_then_says_busy(tmp_path) -> None:
    import sqlite3

    from carbon.errors import Busy

    path = str(tmp_path / "carbon.db")
    store = Store(path)
    other = sqlite3.connect(path, isolation_level=None)  # another process's writer, holding the write lock
    other.execute("BEGIN IMMEDIATE")
    waits: list[bool] = []
    store.write_wait_s, store.on_write_wait = 0.3, lambda: waits.append(True)
    with pytest.raises(Busy, match="another write"), store.transaction():
        pass
    assert waits == [True]  # told once that it waits
    other.execute("ROLLBACK")
    with store.transaction():  # the lock is free again: the write goes through
        store.start_batch("b1", kind="consumption", source="t", actor="test")
    assert _batches(store) == 1
    other.close()
    store.close()


def test_writers_of_one_process_queue_for_the_lock(tmp_path) -> None:
    import threading
    import time

    from carbon.errors import Busy

    path = str(tmp_path / "carbon.db")
    first, second, impatient = Store(path), Store(path), Store(path)
    impatient.write_wait_s = 0.05
    holding, done = threading.Event(), []

    def hold() -> None:
        with first.transaction():
            first.start_batch("b1", kind="consumption", source="t", actor="test")
            holding.set()
            time.sleep(0.3)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    with pytest.raises(Busy), impatient.transaction():
        pass
    with second.transaction():  # waits its turn in the queue, then writes
        second.start_batch("b2", kind="consumption", source="t", actor="test")
        done.append(True)
    thread.join()
    assert done == [True] and _batches(second) == 2
    for store in (first, second, impatient):
        store.close()


def test_a_transaction_that_names_its_regions_moves_only_their_versions(fresh_store: Store) -> None:
    before, region_before = fresh_store.data_versions("gz-htz")
    with fresh_store.transaction():
        fresh_store.changes_only_regions(["gz-htz"])
    assert fresh_store.data_versions("gz-htz") == (before, region_before + 1)
    assert fresh_store.data_versions("elsewhere") == (before, 0)
    with fresh_store.transaction(), fresh_store.transaction():
        fresh_store.changes_only_regions(["gz-htz"])  # nested: the outer transaction may change anything
    assert fresh_store.data_versions("gz-htz") == (before + 1, region_before + 1)


def test_a_transaction_that_names_its_years_moves_their_versions(fresh_store: Store) -> None:
    data, region = fresh_store.data_versions("gz-htz")
    assert fresh_store.region_year_versions("gz-htz") == (data, 0, {})
    with fresh_store.transaction():
        fresh_store.changes_only_region_years([("gz-htz", 2024), ("gz-htz", 2023), (None, 2024)])
    assert fresh_store.data_versions("gz-htz") == (data, region + 1)  # the region's version moves as well
    assert fresh_store.region_year_versions("gz-htz") == (data, 0, {2023: 1, 2024: 1})
    with fresh_store.transaction():
        fresh_store.changes_only_region_years([("gz-htz", 2024)])
        fresh_store.changes_only_regions(["gz-htz"])  # not confined to some years after all
    assert fresh_store.region_year_versions("gz-htz") == (data, 1, {2023: 1, 2024: 1})
    # another region's keys, however its code is spelt, are not this region's (LIKE's "_" and its case)
    for other in ("gz_htz", "gzxhtz", "GZ-HTZ", "gz-htz.2", "gz"):
        with fresh_store.transaction():
            fresh_store.changes_only_region_years([(other, 2022)])
    assert fresh_store.region_year_versions("gz-htz") == (data, 1, {2023: 1, 2024: 1})
    assert fresh_store.region_year_versions("gz_htz") == (data, 0, {2022: 1})
    with fresh_store.transaction():
        pass  # a write that names nothing moves the data version
    assert fresh_store.region_year_versions("gz-htz") == (data + 1, 1, {2023: 1, 2024: 1})


def test_csv_text_writes_what_to_csv_writes() -> None:
    # The joined fields must read back in COPY exactly as pandas' writer did: NULL empty, shortest float text.
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({
        "id": pd.Series(rng.choice(["M1", "M-22", None], n), dtype=object),
        "name": pd.Series(rng.choice(["电力", "天然气", None], n), dtype="str"),
        "unit": pd.Categorical(rng.choice(["kWh", "t"], n)),
        "value": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n) * 1e7),
        "edge": np.array([1e-7, 1e22, np.inf, -0.0, 5.0] * (n // 5)),
        "row": rng.integers(-5, 10**12, n),
    })
    assert csv_text(frame) == frame.to_csv(header=False, index=False, lineterminator="\n")


@pytest.mark.parametrize("values", [["a,b", "c"], ['say "hi"', "c"], ["two\nlines", "c"], ["", "c"]])
def test_csv_text_leaves_text_that_needs_quoting_to_pandas(values: list[str]) -> None:
    frame = pd.DataFrame({"text": values, "n": [1, 2]})
    assert csv_text(frame) == frame.to_csv(header=False, index=False, lineterminator="\n")
    assert csv_text(frame.iloc[:0]) == ""


def test_writers_of_other_processes_queue_on_the_hosts_writer_lock(tmp_path) -> None:
    import fcntl

    from carbon.errors import Busy

    path = str(tmp_path / "carbon.db")
    store = Store(path)
    with open(f"{path}.writer.lock", "ab") as other:  # another process's writer, queued first
        fcntl.flock(other, fcntl.LOCK_EX)
        waits: list[bool] = []
        store.write_wait_s, store.on_write_wait = 0.3, lambda: waits.append(True)
        with pytest.raises(Busy, match="another write"), store.transaction():
            pass
        assert waits == [True]  # told once that it waits
    with store.transaction():  # its turn now
        store.start_batch("b1", kind="consumption", source="t", actor="test")
    assert _batches(store) == 1
    store.close()


# Another process writing batches, as `carbon ingest` or a second `carbon serve` worker would.
_WRITER = """
import sys
from carbon.store import Store
store = Store(sys.argv[1])
for number in range(int(sys.argv[3])):
    with store.transaction():
        store.start_batch(f"{sys.argv[2]}{number}", kind="consumption", source="t", actor="test")
store.close()
"""


def test_writers_of_several_processes_all_get_their_turn(tmp_path) -> None:
    import subprocess
    import sys

    path = str(tmp_path / "carbon.db")
    Store(path).close()
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, path, f"p{n}-", "40"], stderr=subprocess.PIPE)
               for n in range(3)]
    errors = [writer.communicate(timeout=60)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0], errors
    store = Store(path)
    assert _batches(store) == 120
    store.close()
