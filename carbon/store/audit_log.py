"""The append-only audit log: entries already chained by :mod:`carbon.audit`, stored and read back in order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from carbon.store.engine import Engine
from carbon.store.sql import Scope, clean, conditions, insert_sql

__all__ = ["AUDIT_COLUMNS", "AuditLogMixin"]

AUDIT_COLUMNS: tuple[str, ...] = (
    "seq", "ts", "actor", "action", "entity", "entity_key", "enterprise_id", "batch_id", "old", "new",
    "content_count", "content_hash", "prev_hash", "hash",
)


class AuditLogMixin(Engine):
    """Appending to and reading the audit log (the database refuses updates and deletes of it)."""

    def last_audit(self) -> dict[str, Any] | None:
        """The newest entry's ``seq`` and ``hash`` (what the next entry chains to), or None if the log is empty."""
        return self._first("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")

    def append_audit(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append already-chained entries (see carbon.audit); call inside the batch's transaction."""
        if not entries:
            return
        self.conn.executemany(insert_sql("audit_log", AUDIT_COLUMNS),
                              [[clean(entry.get(c)) for c in AUDIT_COLUMNS] for entry in entries])

    def audit_entries(self, scope: Scope, *, enterprise_id: str | None = None, action: str | None = None,
                      limit: int | None = None, after_seq: int = 0) -> list[dict[str, Any]]:
        """Entries inside the scope after ``after_seq``, in order, optionally of one enterprise or action."""
        condition, params = conditions(scope, "enterprise_id", equal={"enterprise_id": enterprise_id,
                                                                      "action": action})
        sql = f"SELECT * FROM audit_log WHERE {condition} AND seq > ? ORDER BY seq"
        params.append(after_seq)
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return self._rows(sql, params)

    def iter_audit(self, chunk: int = 10_000) -> Iterator[dict[str, Any]]:
        """Every audit entry in order, read in chunks (the log can be long)."""
        after = 0
        while True:
            rows = self._rows("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", [after, chunk])
            if not rows:
                return
            yield from rows
            after = rows[-1]["seq"]
