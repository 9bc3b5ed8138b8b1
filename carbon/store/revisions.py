"""Held revisions: corrections of stored months kept for confirmation or review instead of being applied.

A revision that changes a month by a large share, or touches a month past its reporting deadline, waits here
(status ``held``) until the enterprise sends it again with a reason (``applied``), the bureau approves
(``applied``) or rejects it (``rejected``), the enterprise withdraws it (``withdrawn``), or a later submission
for the same row replaces it (``superseded``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from carbon.errors import Conflict, NotFound
from carbon.store.engine import now_iso
from carbon.store.migrations import migration
from carbon.store.sql import json_text

if TYPE_CHECKING:
    from carbon.store.migrations import Schema
    from carbon.store.sql import Scope

__all__ = ["HELD_STATUSES", "HeldRevisionStore"]

HELD_STATUSES = ("held", "applied", "rejected", "withdrawn", "superseded")
_KEY = ("enterprise_id", "period", "carrier", "purpose")
_COLUMNS = (
    "status", "batch_id", "enterprise_id", "period", "carrier", "purpose", "old", "new", "change_pct", "reasons",
    "record", "source", "submitted_by", "submitted_at",
)
_JSON = ("old", "new", "reasons", "record")


@migration
def m201_held_revisions(db: Schema) -> None:
    db["held_revisions"].create({
        "id": int, "status": str, "batch_id": str, "enterprise_id": str, "period": str, "carrier": str,
        "purpose": str, "old": str, "new": str, "change_pct": float, "reasons": str, "record": str, "source": str,
        "submitted_by": str, "submitted_at": str, "decided_by": str, "decided_at": str, "decision_reason": str,
        "applied_batch": str,
    }, pk="id", not_null=["status", "enterprise_id", "period", "carrier", "purpose", "record", "submitted_at"])
    db["held_revisions"].create_index(["status", "enterprise_id"])
    db["held_revisions"].create_index(["enterprise_id", "period", "carrier", "purpose"])


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for name in _JSON:
        if row.get(name):
            row[name] = json.loads(row[name])
    return row


class HeldRevisionStore:
    """The store's operations on held revisions (mixed into :class:`carbon.store.Store`)."""

    conn: Any  # these two are the Store's
    _rows: Callable[..., list[dict[str, Any]]]

    def hold_revisions(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Store revisions as held (call inside the batch's transaction); earlier held ones of a row are superseded.

        Each row has the natural key, ``old`` and ``new`` (mappings), ``change_pct``, ``reasons`` (list),
        ``record`` (the submitted record, enough to submit it again), ``batch_id``, ``source``, ``submitted_by``.
        """
        self.settle_held([{k: row[k] for k in _KEY} for row in rows], status="superseded")
        ids = []
        stamp = now_iso()
        for row in rows:
            values = [row.get(c) for c in _COLUMNS]
            values[0] = "held"
            values[_COLUMNS.index("submitted_at")] = row.get("submitted_at") or stamp
            for name in _JSON:
                index = _COLUMNS.index(name)
                values[index] = json_text(values[index])
            cursor = self.conn.execute(
                f"INSERT INTO held_revisions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
                "RETURNING id", values)
            ids.append(int(cursor.fetchone()[0]))
        return ids

    def settle_held(self, keys: Iterable[Mapping[str, Any]], *, status: str, batch_id: str | None = None,
                    by: str | None = None, reason: str | None = None) -> int:
        """Close the held revisions of these rows (natural keys) with ``status``; returns how many."""
        stamp = now_iso()
        count = 0
        for key in keys:
            cursor = self.conn.execute(
                "UPDATE held_revisions SET status = ?, applied_batch = ?, decided_by = ?, decided_at = ?, "
                "decision_reason = ? WHERE status = 'held' AND enterprise_id = ? AND period = ? AND carrier = ? "
                "AND purpose = ?", [status, batch_id, by, stamp, reason, *(str(key[k]) for k in _KEY)])
            count += max(cursor.rowcount, 0)
        return count

    def held_revisions(self, scope: Scope, *, status: str | None = "held", enterprise_id: str | None = None,
                       limit: int = 500) -> list[dict[str, Any]]:
        """Held revisions inside the scope, newest first, optionally of one status and enterprise."""
        condition, params = scope.where("enterprise_id")
        for column, value in (("status", status), ("enterprise_id", enterprise_id)):
            if value is not None:
                condition += f" AND {column} = ?"
                params.append(value)
        rows = self._rows(f"SELECT * FROM held_revisions WHERE {condition} ORDER BY id DESC LIMIT ?",
                          [*params, int(limit)])
        return [_decoded(row) for row in rows]

    def held_revision(self, revision_id: int, scope: Scope) -> dict[str, Any]:
        condition, params = scope.where("enterprise_id")
        rows = self._rows(f"SELECT * FROM held_revisions WHERE id = ? AND {condition}", [revision_id, *params])
        if not rows:
            raise NotFound(f"no held revision {revision_id}")
        return _decoded(rows[0])

    def decide_held(self, revision_id: int, *, status: str, by: str, reason: str | None = None,
                    batch_id: str | None = None) -> dict[str, Any]:
        """Move one held revision to ``status`` (call inside a transaction); a decided one raises Conflict."""
        if status not in HELD_STATUSES[1:]:
            raise ValueError(f"unknown status {status!r}")  # a programming error, not client input
        cursor = self.conn.execute(
            "UPDATE held_revisions SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?, "
            "applied_batch = COALESCE(?, applied_batch) WHERE id = ? AND status = 'held'",
            [status, by, now_iso(), reason, batch_id, revision_id])
        if cursor.rowcount != 1:
            rows = self._rows("SELECT status FROM held_revisions WHERE id = ?", [revision_id])
            if not rows:
                raise NotFound(f"no held revision {revision_id}")
            raise Conflict(f"held revision {revision_id} is already {rows[0]['status']}")
        return _decoded(self._rows("SELECT * FROM held_revisions WHERE id = ?", [revision_id])[0])
