"""Meters, readings (month-partitioned on PostgreSQL) and malformed telemetry."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.store import Scope, Store, database_errors
from carbon.store.readings import partition_bounds

# Both sides of a year's end: December's partition must end exactly where January's begins.
POINTS = [("M1", "2024-12-31T23:45:00Z", 10.0), ("M1", "2025-01-01T00:00:00Z", 11.0),
          ("M2", "2025-01-01T00:15:00Z", 5.0)]


@pytest.fixture
def metered(fresh_store: Store, readings) -> Store:
    fresh_store.ensure_reading_partitions({"2024-12", "2025-01"})
    meters = pd.DataFrame({"id": ["M1", "M2"], "enterprise_id": ["GZHTZ-0001", "GZHTZ-0001"],
                           "carrier": ["电力", "电力"], "unit": ["kWh", "kWh"], "kind": ["interval", "interval"]})
    with fresh_store.transaction():
        fresh_store.upsert_meters(meters)
        assert fresh_store.insert_readings(readings(POINTS)) == 3
    return fresh_store


def test_partition_bounds() -> None:
    assert partition_bounds("2024-12") == ("readings_2024_12", "2024-12", "2025-01")
    assert partition_bounds("2025-01") == ("readings_2025_01", "2025-01", "2025-02")


def test_meters_are_registered_once(metered: Store) -> None:
    again = pd.DataFrame({"id": ["M1", "M3"], "enterprise_id": ["GZHTZ-0002", "GZHTZ-0002"]})
    with metered.transaction():
        metered.upsert_meters(again)
    assert metered.meter_owners() == {"M1": "GZHTZ-0001", "M2": "GZHTZ-0001", "M3": "GZHTZ-0002"}


def test_readings_come_back_as_stored_text_times(metered: Store) -> None:
    everything = metered.readings(Scope.everything())
    assert everything[["meter_id", "ts", "value"]].values.tolist() == [[m, t, v] for m, t, v in POINTS]
    window = metered.readings(Scope.only("GZHTZ-0001"), meter_id="M1", start="2024-12-31T23:45:00Z",
                              end="2025-01-01T00:00:00Z")
    assert window["ts"].tolist() == ["2024-12-31T23:45:00Z"]  # the end is excluded
    assert metered.readings(Scope.only("GZHTZ-0002")).empty


def test_existing_readings_include_both_ends(metered: Store) -> None:
    found = metered.existing_readings(["M1", "M2"], "2024-12-31T23:45:00Z", "2025-01-01T00:15:00Z")
    assert sorted(found["ts"]) == ["2024-12-31T23:45:00Z", "2025-01-01T00:00:00Z", "2025-01-01T00:15:00Z"]
    assert metered.existing_readings(["M2"], "2024-12-01T00:00:00Z", "2024-12-31T23:59:59Z").empty


def test_a_revision_replaces_a_reading(metered: Store, readings) -> None:
    revised = readings([("M1", "2025-01-01T00:00:00Z", 12.5)]).assign(batch_id="r2")
    with metered.transaction():
        assert metered.revise_readings(revised) == 1
    row = metered.readings(Scope.everything(), meter_id="M1").iloc[1]
    assert (row["value"], row["batch_id"]) == (12.5, "r2")


def test_each_month_goes_to_its_own_partition(metered: Store, readings) -> None:
    if metered.dialect != "postgresql":
        pytest.skip("readings are partitioned on PostgreSQL only")
    placed = metered.conn.execute("SELECT tableoid::regclass::text, meter_id, value FROM readings "
                                  "ORDER BY ts").fetchall()
    assert [tuple(row) for row in placed] == [("readings_2024_12", "M1", 10.0), ("readings_2025_01", "M1", 11.0),
                                              ("readings_2025_01", "M2", 5.0)]
    # a new connection does not know the partitions exist: asking again is harmless
    with Store(metered.path) as other:
        other.ensure_reading_partitions({"2024-12", "2025-01", "2025-02"})
    names = [row[0] for row in metered.conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'readings'::regclass ORDER BY 1").fetchall()]
    assert names == ["readings_2024_12", "readings_2025_01", "readings_2025_02"]
    with pytest.raises(database_errors(), match="no partition"), metered.transaction():
        metered.insert_readings(readings([("M1", "2025-03-01T00:00:00Z", 1.0)]))


def test_malformed_messages_are_kept(fresh_store: Store) -> None:
    assert fresh_store.add_malformed_messages([]) == 0
    kept = fresh_store.add_malformed_messages([
        {"topic": "carbon/x", "payload": "{not json", "reason": "not JSON"},
        {"topic": "wrong/topic", "payload": "1", "reason": "unknown topic", "received_at": "2025-01-01T00:00:00Z"}])
    assert kept == 2 and fresh_store.count_malformed_messages() == 2
    newest = fresh_store.malformed_messages(limit=1)
    assert [(m["reason"], m["received_at"]) for m in newest] == [("unknown topic", "2025-01-01T00:00:00Z")]
    assert fresh_store.malformed_messages()[1]["payload"] == "{not json"
