"""The pipeline: exactly once, revisions, audit chain, all-or-nothing batches."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon.audit import verify
from carbon.ingest.pipeline import ingest_consumption, ingest_readings, ingest_records
from carbon.ingest.readings import Stages
from carbon.store import Scope, Store
from tests.databases import new_database, scratch_database

TODAY = date(2025, 7, 20)


def rows(*records: tuple, start: int = 2) -> pd.DataFrame:
    frame = pd.DataFrame(list(records), columns=["enterprise_id", "period", "carrier", "quantity", "unit"])
    frame.insert(0, "row", range(start, start + len(frame)))
    return frame


BATCH = rows(
    ("GZHTZ-0001", "2024-01", "电力", "120", "万千瓦时"),
    ("GZHTZ-0001", "2024-01", "天然气", "3.5", "万立方米"),
    ("GZHTZ-0002", "2024-01", "柴油", "12", "吨"),
    ("GZHTZ-0002", "2024-01", "电力", "abc", "万千瓦时"),
)


def ingest(store: Store, *chunks: pd.DataFrame, **kwargs):
    return ingest_consumption(store, list(chunks), source="test.csv", actor="tester", today=TODAY, **kwargs)


def snapshot(store: Store) -> tuple:
    consumption = store.consumption(Scope.everything()).drop(columns=["updated_at"]).to_dict("records")
    audit = store.audit_entries(Scope.everything())
    return consumption, audit


def test_accepts_converts_and_reports(fresh_store: Store) -> None:
    summary = ingest(fresh_store, BATCH)
    assert summary.counts == {"read": 4, "accepted": 3, "unchanged": 0, "revised": 0, "rejected": 1}
    assert summary.to_dict()["rejections"] == [
        {"row": 5, "field": "quantity", "reason": summary.rejection_frame["reason"].iat[0], "value": "abc"}]
    stored = fresh_store.consumption(Scope.everything()).set_index("carrier")
    # 120 万千瓦时 x 0.1229 kgce/kWh (GB/T 2589-2020 Table A.2); Guangdong 2024 → 2022 factor 0.4403 tCO2/MWh
    assert stored.loc["electricity", "tce_equivalent"] == pytest.approx(147.48)
    assert stored.loc["electricity", "co2_t"] == pytest.approx(1_200_000 * 0.4403 / 1000)
    assert stored.loc["electricity", "co2_factor"] == "mee-nbs:2022:guangdong:average"
    assert bool(stored.loc["electricity", "factor_fallback"]) is True
    assert set(stored["factor_version"]) == {summary_version()}
    assert fresh_store.batch_rejections(summary.batch_id)["row"].tolist() == [5]


def summary_version() -> str:
    from carbon.factors import default_factors

    return default_factors().version


def test_a_repeated_batch_changes_nothing(fresh_store: Store) -> None:
    ingest(fresh_store, BATCH)
    before = snapshot(fresh_store)
    again = ingest(fresh_store, BATCH)
    assert again.counts == {"read": 4, "accepted": 0, "unchanged": 3, "revised": 0, "rejected": 1}
    assert snapshot(fresh_store) == before


def test_a_correction_is_a_revision_with_an_audit_entry(fresh_store: Store) -> None:
    ingest(fresh_store, BATCH)
    corrected = rows(("GZHTZ-0001", "2024-01", "电力", "125", "万千瓦时"))
    summary = ingest_consumption(fresh_store, [corrected], source="fix.csv", actor="energy-manager", today=TODAY,
                                 confirm=True, reason="meter misread")  # 2024-01 is closed: confirmed
    assert summary.counts["revised"] == 1 and not summary.held
    row = fresh_store.consumption(Scope.everything(), enterprise_id="GZHTZ-0001").set_index("carrier")
    assert row.loc["electricity", "quantity"] == 125 and row.loc["electricity", "revision"] == 2
    entries = fresh_store.audit_entries(Scope.only("GZHTZ-0001"), action="revise")
    assert len(entries) == 1
    entry = entries[0]
    assert entry["actor"] == "energy-manager" and entry["entity_key"] == "GZHTZ-0001|2024-01|electricity|fuel"
    assert '"quantity":120.0' in entry["old"].replace(" ", "") and '"quantity":125.0' in entry["new"].replace(" ", "")
    assert '"source":"fix.csv"' in entry["new"].replace(" ", "") and "meter misread" in entry["new"]
    assert verify(fresh_store).ok


def test_verify_detects_a_row_edited_behind_its_back(fresh_store: Store) -> None:
    ingest(fresh_store, BATCH)
    ingest_consumption(fresh_store, [rows(("GZHTZ-0001", "2024-01", "电力", "125", "万千瓦时"))], source="fix",
                       actor="a", today=TODAY, hold=None)
    assert verify(fresh_store).ok
    fresh_store.conn.execute("UPDATE consumption SET quantity = 1 WHERE carrier = 'diesel'")
    result = verify(fresh_store)
    assert not result.ok and result.first_broken_seq == 1 and "outside the service" in result.problems[0]


def test_verify_detects_a_revised_row_edited_behind_its_back(fresh_store: Store) -> None:
    ingest(fresh_store, BATCH)
    ingest_consumption(fresh_store, [rows(("GZHTZ-0001", "2024-01", "电力", "125", "万千瓦时"))], source="fix",
                       actor="a", today=TODAY, hold=None)
    fresh_store.conn.execute("UPDATE consumption SET quantity = 130 WHERE carrier = 'electricity'")
    result = verify(fresh_store)
    assert not result.ok and result.first_broken_seq == 2


def test_verify_detects_an_edited_audit_entry(fresh_store: Store) -> None:
    ingest(fresh_store, BATCH)
    ingest(fresh_store, rows(("GZHTZ-0003", "2024-02", "电力", "1", "万千瓦时")))
    # someone with direct access to the database removes the guard first
    fresh_store.conn.execute("DROP TRIGGER audit_log_no_update" + (" ON audit_log" if fresh_store.dialect
                                                                    == "postgresql" else ""))
    fresh_store.conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
    result = verify(fresh_store)
    assert not result.ok and result.first_broken_seq == 1 and "changed after it was written" in result.problems[0]


def test_a_failure_mid_batch_leaves_the_database_as_it_was(fresh_store: Store, monkeypatch) -> None:
    ingest(fresh_store, BATCH)
    before = snapshot(fresh_store)
    batches_before = fresh_store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0]
    calls = {"n": 0}
    original = Store.insert_consumption

    def failing(self, frame):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return original(self, frame)

    monkeypatch.setattr(Store, "insert_consumption", failing)
    first = rows(("GZHTZ-0003", "2024-02", "电力", "1", "万千瓦时"))
    second = rows(("GZHTZ-0003", "2024-03", "电力", "2", "万千瓦时"), start=3)
    revision = rows(("GZHTZ-0001", "2024-01", "电力", "999", "万千瓦时"), start=4)
    with pytest.raises(OSError, match="disk full"):
        ingest(fresh_store, first, revision, second)
    assert snapshot(fresh_store) == before
    assert fresh_store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == batches_before
    assert verify(fresh_store).ok


def test_chunks_are_one_batch_and_duplicates_across_chunks_are_caught(fresh_store: Store) -> None:
    first = rows(("GZHTZ-0003", "2024-02", "电力", "1", "万千瓦时"))
    second = rows(("GZHTZ-0003", "2024-02", "电力", "1", "万千瓦时"),
                  ("GZHTZ-0003", "2024-03", "电力", "2", "万千瓦时"), start=3)
    summary = ingest(fresh_store, first, second)
    assert summary.counts == {"read": 3, "accepted": 2, "unchanged": 0, "revised": 0, "rejected": 1}
    assert "duplicates row 2" in summary.rejection_frame["reason"].iat[0]
    entries = fresh_store.audit_entries(Scope.everything(), action="batch")
    assert len(entries) == 1 and entries[0]["content_count"] == 2


def test_records_from_json_name_the_index(fresh_store: Store) -> None:
    summary = ingest_records(fresh_store, [
        {"period": "2024-05", "carrier": "电力", "quantity": 10, "unit": "万千瓦时"},
        {"period": "2024-05", "carrier": "电力", "quantity": 10, "unit": "m3"},
    ], enterprise_id="GZHTZ-0002", actor="token:abc", today=TODAY)
    assert summary.accepted == 1
    assert summary.to_dict(index_name="index")["rejections"][0]["index"] == 1


def test_readings_are_stored_once(fresh_store: Store) -> None:
    stamps = pd.date_range("2025-06-01T00:00:00+08:00", periods=4, freq="15min")
    frame = pd.DataFrame({"row": range(2, 6), "meter_id": "M1", "enterprise_id": "GZHTZ-0001",
                          "ts": [s.isoformat() for s in stamps], "value": [100.0, 110, 121, 130]})
    first = ingest_readings(fresh_store, [frame], source="m.csv", actor="meter")
    assert first.counts["accepted"] == 4
    again = ingest_readings(fresh_store, [frame], source="m.csv", actor="meter")
    assert again.counts == {"read": 4, "accepted": 0, "unchanged": 4, "revised": 0, "rejected": 0}
    fixed = frame.assign(value=[100.0, 110, 120, 130])
    assert ingest_readings(fresh_store, [fixed], source="m2.csv", actor="meter").counts["revised"] == 1
    assert fresh_store.readings(Scope.everything())["value"].tolist() == [100.0, 110, 120, 130]
    assert fresh_store.readings(Scope.only("GZHTZ-0002")).empty


carriers = st.sampled_from([("电力", "万千瓦时"), ("电力", "kWh"), ("天然气", "万立方米"), ("柴油", "吨"),
                            ("热力", "GJ")])
record = st.tuples(
    st.sampled_from(["GZHTZ-0001", "GZHTZ-0002", "GZHTZ-0003", "GZHTZ-0404"]),
    st.sampled_from(["2023-11", "2024-01", "2024/1", "2099-01", "bad"]),
    carriers,
    st.one_of(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.just("n/a"), st.just(-1.0)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(record, min_size=0, max_size=25))
def test_ingesting_any_batch_twice_changes_nothing(sample: list) -> None:
    store = Store(scratch_database())
    store.upsert_region("gz-htz", name="r", grid_region="guangdong")
    store.add_enterprises([{"id": f"GZHTZ-000{i}", "name": "e", "region": "gz-htz"} for i in (1, 2, 3)])
    frame = rows(*[(e, p, c, q, u) for e, p, (c, u), q in sample]) if sample else rows(
        ("GZHTZ-0001", "2024-01", "电力", "1", "kWh")).iloc[:0]
    first = ingest(store, frame)
    state = snapshot(store)
    second = ingest(store, frame)
    assert snapshot(store) == state
    assert second.accepted == 0 and second.revised == 0
    assert second.unchanged == first.accepted + first.revised
    assert first.read == first.accepted + first.rejected + first.unchanged + first.revised
    assert verify(store).ok
    store.close()


def test_monthly_totals_follow_inserts_and_revisions(fresh_store: Store) -> None:
    ingest(fresh_store, BATCH)
    ingest_consumption(fresh_store, [rows(("GZHTZ-0001", "2024-01", "电力", "125", "万千瓦时"),
                                          ("GZHTZ-0003", "2024-02", "电力", "7", "万千瓦时"))],
                       source="fix.csv", actor="a", today=TODAY, hold=None)
    kept = fresh_store.region_year_summary("gz-htz").sort_values(["year", "carrier", "purpose"]).reset_index(drop=True)
    counts = fresh_store.region_year_counts("gz-htz")
    fresh_store.rebuild_monthly_totals()
    rebuilt = fresh_store.region_year_summary("gz-htz").sort_values(["year", "carrier", "purpose"])
    pd.testing.assert_frame_equal(kept, rebuilt.reset_index(drop=True), check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(counts, fresh_store.region_year_counts("gz-htz"))
    stored = fresh_store.consumption(Scope.everything())
    assert kept["tce_equivalent"].sum() == pytest.approx(stored["tce_equivalent"].sum())
    assert counts["enterprises"].tolist() == [3]


def _one_meter(tmp_path, name: str) -> tuple[Store, pd.DataFrame]:
    """A new store with one enterprise, and eight 15-minute readings of its meter M1 (file rows 2–9)."""
    store = Store(new_database(tmp_path, name))
    store.upsert_region("gz-htz", name="r")
    store.add_enterprises([{"id": "GZHTZ-0001", "name": "e", "region": "gz-htz"}])
    stamps = pd.date_range("2025-06-01T00:00:00+08:00", periods=8, freq="15min")
    frame = pd.DataFrame({"row": range(2, 10), "meter_id": "M1", "enterprise_id": "GZHTZ-0001",
                          "ts": [s.isoformat() for s in stamps], "value": np.arange(8) * 10.0})
    return store, frame


def test_a_failed_write_of_readings_rolls_the_batch_back(tmp_path, monkeypatch) -> None:
    store, frame = _one_meter(tmp_path, "readings_fail")
    calls = {"n": 0}
    original = Store.insert_readings

    def failing(self, rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return original(self, rows)

    monkeypatch.setattr(Store, "insert_readings", failing)
    with pytest.raises(OSError, match="disk full"):
        ingest_readings(store, [frame.iloc[:4], frame.iloc[4:]], source="m.csv", actor="meter")
    assert store.readings(Scope.everything()).empty
    assert store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0
    monkeypatch.setattr(Store, "insert_readings", original)
    again = ingest_readings(store, [frame.iloc[:4], frame.iloc[2:]], source="m.csv", actor="meter")
    assert (again.accepted, again.rejected) == (8, 2)  # rows 4 and 5 repeat rows of the first chunk
    assert "duplicates row 4" in again.rejection_frame["reason"].iat[0]
    store.close()


def test_a_reader_failing_while_a_chunk_is_written_rolls_the_batch_back(tmp_path) -> None:
    # The first chunk's COPY runs on its own thread while the second is read: the failure must still undo it.
    store, frame = _one_meter(tmp_path, "readings_reader_fail")

    def chunks():
        yield frame.iloc[:4]
        raise OSError("file vanished")

    with pytest.raises(OSError, match="file vanished"):
        ingest_readings(store, chunks(), source="m.csv", actor="meter")
    assert store.readings(Scope.everything()).empty
    assert store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0
    stages = Stages()
    summary = ingest_readings(store, [frame.iloc[:4], frame.iloc[4:]], source="m.csv", actor="meter", stages=stages)
    assert summary.accepted == 8 and len(store.readings(Scope.everything())) == 8
    assert {"read", "validate", "copy", "wait for copy", "audit hashing"} <= set(stages.seconds)
    assert all(seconds >= 0 for seconds in stages.seconds.values())
    store.close()


def test_a_reader_failing_after_a_chunk_was_written_rolls_the_consumption_batch_back(fresh_store: Store) -> None:
    # The chunks of a large file are read ahead on a thread of their own: a failure there must still undo the batch.
    before = snapshot(fresh_store)

    def chunks():
        yield rows(("GZHTZ-0003", "2024-02", "电力", "1", "万千瓦时"))
        yield rows(("GZHTZ-0003", "2024-03", "电力", "2", "万千瓦时"), start=3)
        raise OSError("file vanished")

    with pytest.raises(OSError, match="file vanished"):
        ingest_consumption(fresh_store, chunks(), source="big.csv", actor="tester", today=TODAY)
    assert snapshot(fresh_store) == before
    assert fresh_store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0
    summary = ingest_consumption(fresh_store, iter([BATCH.iloc[:2], BATCH.iloc[2:]]), source="big.csv",
                                 actor="tester", today=TODAY)
    assert summary.counts == {"read": 4, "accepted": 3, "unchanged": 0, "revised": 0, "rejected": 1}
    assert verify(fresh_store).ok
