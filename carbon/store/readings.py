"""Meters, their time-stamped readings (month-partitioned on PostgreSQL), and telemetry that could not be read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from carbon.store.engine import AdvisoryLocks, Engine, now_iso
from carbon.store.sql import Scope, columns_as_lists, conditions, insert_sql

__all__ = ["METER_COLUMNS", "READING_COLUMNS", "READING_KEY", "ReadingsMixin", "partition_bounds"]

READING_KEY: tuple[str, ...] = ("meter_id", "ts")
READING_COLUMNS: tuple[str, ...] = (
    "meter_id", "ts", "enterprise_id", "value", "unit", "carrier", "kind", "batch_id", "source_row",
)
METER_COLUMNS: tuple[str, ...] = ("id", "enterprise_id", "carrier", "unit", "kind", "interval_minutes", "created_at")
_REVISED = ("value", "unit", "kind", "batch_id", "source_row")


def partition_bounds(month: str) -> tuple[str, str, str]:
    """The partition of ``readings`` holding a month (``YYYY-MM``): its name, first and following month.

    Examples
    --------
    >>> partition_bounds("2024-12")
    ('readings_2024_12', '2024-12', '2025-01')
    """
    year, number = int(month[:4]), int(month[5:7])
    return f"readings_{month[:4]}_{month[5:7]}", month, f"{year + number // 12:04d}-{number % 12 + 1:02d}"


class ReadingsMixin(Engine):
    """Meters, readings and their partitions, malformed telemetry messages."""

    def __init__(self, path: str = ":memory:") -> None:
        super().__init__(path)
        self._partitions: set[str] = set()  # months whose partition this connection knows to exist

    # -- meters -------------------------------------------------------------------------------------------

    def upsert_meters(self, meters: pd.DataFrame) -> None:
        """Register meters (id, enterprise_id, carrier, unit, kind); known ids stay as they are. Call inside a
        transaction."""
        if meters.empty:
            return
        frame = meters.assign(created_at=now_iso())
        for column in METER_COLUMNS:
            if column not in frame:
                frame[column] = None
        self.conn.executemany(f"{insert_sql('meters', METER_COLUMNS)} ON CONFLICT (id) DO NOTHING",
                              zip(*columns_as_lists(frame, METER_COLUMNS), strict=True))

    def meter_owners(self) -> dict[str, str]:
        """Each meter's enterprise, by meter id."""
        return dict(self.conn.execute("SELECT id, enterprise_id FROM meters").fetchall())

    # -- readings -----------------------------------------------------------------------------------------

    @property
    def _ts(self) -> str:
        """The readings' timestamp as the text every caller sees: ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
        if self.dialect == "postgresql":
            return "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS ts"
        return "ts"

    def existing_readings(self, meter_ids: Sequence[str], start: str, end: str) -> pd.DataFrame:
        """Stored readings of these meters from ``start`` to ``end`` (both included)."""
        placeholders = ", ".join("?" for _ in meter_ids)
        return self._frame(
            f"SELECT meter_id, {self._ts}, value, unit, kind, batch_id, source_row FROM readings "
            f"WHERE meter_id IN ({placeholders}) AND ts BETWEEN ? AND ?", [*meter_ids, start, end])

    def insert_readings(self, frame: pd.DataFrame) -> int:
        """Insert new readings; call inside a transaction (on PostgreSQL into their month's partition)."""
        if frame.empty:
            return 0
        self._insert("readings", READING_COLUMNS, frame)
        return len(frame)

    def revise_readings(self, frame: pd.DataFrame) -> int:
        """Replace the value (and unit, kind, batch, source row) of stored readings; call inside a transaction."""
        if frame.empty:
            return 0
        self.conn.executemany(
            f"UPDATE readings SET {', '.join(f'{c} = ?' for c in _REVISED)} WHERE meter_id = ? AND ts = ?",
            zip(*columns_as_lists(frame, (*_REVISED, *READING_KEY)), strict=True))
        return len(frame)

    def readings(self, scope: Scope, *, enterprise_id: str | None = None, meter_id: str | None = None,
                 start: str | None = None, end: str | None = None) -> pd.DataFrame:
        """Readings inside the scope from ``start`` (included) to ``end`` (excluded), by meter and time."""
        condition, params = conditions(scope, "enterprise_id",
                                       equal={"enterprise_id": enterprise_id, "meter_id": meter_id},
                                       since=("ts", start), until=("ts", end), until_op="<")
        columns = ", ".join(self._ts if c == "ts" else c for c in READING_COLUMNS)
        return self._frame(f"SELECT {columns} FROM readings WHERE {condition} ORDER BY meter_id, ts", params)

    def ensure_reading_partitions(self, months: Iterable[str]) -> None:
        """PostgreSQL: make the monthly partitions of ``readings`` that do not exist yet (nothing on SQLite).

        Run it on a connection outside the batch's transaction: the partition is made as a table of its own and
        attached, which locks the parent only against schema changes, not against the batch's writes or reads.
        """
        if self.dialect != "postgresql":
            return
        for month in sorted(set(months) - self._partitions):
            self.conn.execute("SELECT pg_advisory_lock(?)", [AdvisoryLocks.PARTITION])
            try:
                self._attach_partition(month)
            finally:
                self.conn.execute("SELECT pg_advisory_unlock(?)", [AdvisoryLocks.PARTITION])
            self._partitions.add(month)

    def _attach_partition(self, month: str) -> None:
        name, first, following = partition_bounds(month)
        attached = self.conn.execute(
            "SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'readings'::regclass AND c.relname = ?", [name]).fetchall()
        if not attached:
            self.conn.execute(f"CREATE TABLE IF NOT EXISTS {name} (LIKE readings INCLUDING ALL)")
            self.conn.execute(f"ALTER TABLE readings ATTACH PARTITION {name} FOR VALUES FROM "
                              f"('{first}-01 00:00:00+00') TO ('{following}-01 00:00:00+00')")

    # -- malformed telemetry ------------------------------------------------------------------------------

    def add_malformed_messages(self, messages: Sequence[Mapping[str, Any]]) -> int:
        """Keep telemetry messages that could not be read (``topic``, ``payload`` text, ``reason``)."""
        if not messages:
            return 0
        stamp = now_iso()
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO telemetry_malformed (received_at, topic, payload, reason) VALUES (?, ?, ?, ?)",
                [[m.get("received_at") or stamp, m.get("topic"), m.get("payload"), m["reason"]] for m in messages])
        return len(messages)

    def malformed_messages(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest malformed messages first."""
        return self._rows("SELECT * FROM telemetry_malformed ORDER BY id DESC LIMIT ?", [limit])

    def count_malformed_messages(self) -> int:
        return self._count("telemetry_malformed")
