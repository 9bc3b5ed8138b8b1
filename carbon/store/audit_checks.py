"""What audit verification reads beyond the log: converted rows, monthly totals, readings by batch, tokens.

A mixin of :class:`carbon.store.Store`; the comparisons themselves are pure (``carbon.audit_coverage``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["AuditChecks"]


class AuditChecks:
    """Queries for :func:`carbon.audit.verify`; mixed into Store (uses its ``_frame``, ``_rows`` and ``_ts``)."""

    def converted_rows(self, factor_version: str) -> pd.DataFrame:
        """Rows converted with ``factor_version``, with their stored derived values, the factors they name and
        their grid region."""
        return self._frame(  # type: ignore[attr-defined]
            "SELECT c.enterprise_id, c.period, c.carrier, c.purpose, c.quantity, c.unit, c.ncv, c.ncv_unit, "
            "c.energy_gj, c.tce_equivalent, c.tce_equal, c.co2_t, f.tce_factor, f.tce_equal_factor, f.co2_factor, "
            "f.factor_fallback, r.grid_region AS region FROM consumption_rows c "
            "JOIN factor_sets f ON f.key = c.factor_key JOIN enterprises e ON e.id = c.enterprise_id "
            "JOIN regions r ON r.code = e.region WHERE f.factor_version = ?", [factor_version])

    def stored_monthly_totals(self) -> pd.DataFrame:
        """The monthly totals the region indicators read."""
        return self._frame(  # type: ignore[attr-defined]
            "SELECT region, period, carrier, purpose, energy_gj, tce_equivalent, tce_equal, co2_t, rows "
            "FROM monthly_totals")

    def monthly_totals_from_rows(self) -> pd.DataFrame:
        """The monthly totals summed afresh from the stored rows."""
        return self._frame(  # type: ignore[attr-defined]
            "SELECT e.region, c.period, c.carrier, c.purpose, SUM(c.energy_gj) AS energy_gj, "
            "SUM(c.tce_equivalent) AS tce_equivalent, SUM(c.tce_equal) AS tce_equal, SUM(c.co2_t) AS co2_t, "
            "COUNT(*) AS rows FROM consumption_rows c JOIN enterprises e ON e.id = c.enterprise_id "
            "GROUP BY e.region, c.period, c.carrier, c.purpose")

    def readings_for_batch(self, batch_id: str) -> pd.DataFrame:
        """Readings last written by a batch, as they are now (for re-computing its content hash)."""
        return self._frame(  # type: ignore[attr-defined]
            f"SELECT meter_id, {self._ts}, value, unit, kind FROM readings WHERE batch_id = ?",  # type: ignore
            [batch_id])

    def reading_rows(self, keys: list[tuple[str, str]]) -> pd.DataFrame:
        """Current readings of (meter, UTC time ``YYYY-MM-DDTHH:MM:SSZ``) keys, with the batch that last wrote them."""
        frames = [self._frame(  # type: ignore[attr-defined]
            f"SELECT meter_id, {self._ts}, value, unit, kind, batch_id FROM readings "  # type: ignore[attr-defined]
            "WHERE meter_id = ? AND ts = ?", [meter, ts]) for meter, ts in keys]
        frames = [frame for frame in frames if len(frame)]
        if not frames:
            return pd.DataFrame(columns=["meter_id", "ts", "value", "unit", "kind", "batch_id"])
        return pd.concat(frames, ignore_index=True)

    def token_rows(self) -> list[dict[str, Any]]:
        """Every token row, secrets' hashes included (for the audit's digest of each row)."""
        return self._rows(  # type: ignore[attr-defined]
            "SELECT id, token_hash, role, enterprise_id, label, created_at, expires_at, revoked_at FROM tokens "
            "ORDER BY id")

    def audit_entry_hash(self, seq: int) -> str | None:
        """The hash of audit entry ``seq``, or None when there is no such entry."""
        rows = self._rows("SELECT hash FROM audit_log WHERE seq = ?", [seq])  # type: ignore[attr-defined]
        return rows[0]["hash"] if rows else None
