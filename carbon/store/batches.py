"""Batches — one per ingested file, request or job run — and the rows each one rejected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from carbon.errors import NotFound
from carbon.store.engine import Engine, now_iso
from carbon.store.sql import Scope, columns_as_lists, insert_sql

__all__ = ["REJECTION_COLUMNS", "BatchesMixin"]

REJECTION_COLUMNS: tuple[str, ...] = ("batch_id", "row", "field", "reason", "value")


class BatchesMixin(Engine):
    """Batches and their rejections."""

    def start_batch(self, batch_id: str, *, kind: str, source: str, actor: str,
                    enterprise_scope: str | None = None) -> None:
        """Record a batch as running (``kind`` consumption or readings, ``source`` a file name or URL)."""
        self.conn.execute(
            "INSERT INTO batches (id, kind, source, actor, enterprise_scope, started_at, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'running')", [batch_id, kind, source, actor, enterprise_scope, now_iso()])
        self._batch_keys_known[batch_id] = None  # new: its rows' batch key is made without looking for one

    def finish_batch(self, batch_id: str, *, status: str, counts: Mapping[str, int], content_count: int = 0,
                     content_hash: str | None = None, error: str | None = None) -> None:
        """Record how a batch ended: its status, the counts read/accepted/unchanged/revised/rejected."""
        self.conn.execute(
            "UPDATE batches SET finished_at = ?, status = ?, read = ?, accepted = ?, unchanged = ?, revised = ?, "
            "rejected = ?, content_count = ?, content_hash = ?, error = ? WHERE id = ?",
            [now_iso(), status, counts.get("read", 0), counts.get("accepted", 0), counts.get("unchanged", 0),
             counts.get("revised", 0), counts.get("rejected", 0), content_count, content_hash, error, batch_id])

    def add_rejections(self, batch_id: str, rejections: pd.DataFrame) -> None:
        """Keep a batch's rejected rows (columns row, field, reason, value)."""
        if rejections.empty:
            return
        frame = rejections.assign(batch_id=batch_id)
        self.conn.executemany(insert_sql("rejections", REJECTION_COLUMNS),
                              zip(*columns_as_lists(frame, REJECTION_COLUMNS), strict=True))

    def get_batch(self, batch_id: str, scope: Scope) -> dict[str, Any]:
        """A batch inside the scope (an enterprise sees its own batches only); :class:`NotFound` otherwise."""
        row = self._first("SELECT * FROM batches WHERE id = ?", [batch_id])
        if row is None or (scope.is_limited and row["enterprise_scope"] != scope.enterprise_id):
            raise NotFound(f"no batch {batch_id!r}")
        return row

    def loaded_sources(self, *, prefix: str = "") -> set[str]:
        """Sources of the batches stored completely, optionally those starting with ``prefix``."""
        rows = self.conn.execute("SELECT source FROM batches WHERE status = 'ok' AND source LIKE ? ESCAPE '\\'",
                                 [prefix.replace("%", "\\%").replace("_", "\\_") + "%"])
        return {row[0] for row in rows}

    def batch_rejections(self, batch_id: str) -> pd.DataFrame:
        """A batch's rejected rows in row order (columns row, field, reason, value)."""
        return self._frame("SELECT row, field, reason, value FROM rejections WHERE batch_id = ? ORDER BY row",
                           [batch_id])
