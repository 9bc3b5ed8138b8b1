"""The scheduled jobs of ingestion: the inbox folder, the HTTP sources, and re-conversion when factors change."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from carbon.accounting import VALUE_COLUMNS, convert_frame
from carbon.audit import chain_entries
from carbon.errors import CarbonError
from carbon.factors import default_factors
from carbon.jobs import TIMEZONE, job
from carbon.store import Store, default_db_path, is_postgresql, now_iso

__all__ = ["inbox_path", "ingest_inbox", "pull_http", "refresh_aggregates"]

log = logging.getLogger("carbon.ingest")

# A file younger than this may still be being written by whoever drops it into the inbox.
INBOX_SETTLE_SECONDS = 2.0


def inbox_path(database: str | None = None) -> Path:
    """The inbox folder: ``CARBON_INBOX``, else ``inbox/`` beside the SQLite database (``data/inbox``).

    ``database`` is the database the job runs against (the server's ``--db``); by default ``CARBON_DB``.
    """
    configured = os.environ.get("CARBON_INBOX")
    if configured:
        return Path(configured)
    database = database or default_db_path()
    return (Path("data") if is_postgresql(database) else Path(database).resolve().parent) / "inbox"


@job("ingest_inbox", lambda: IntervalTrigger(minutes=5, timezone=TIMEZONE),
     "ingest files dropped into the inbox folder")
def ingest_inbox(store: Store) -> dict[str, Any]:
    """Ingest every settled file in the inbox; move it to processed/ or failed/ with a JSON report beside it.

    A file that fails for any reason (unreadable, over a limit, or a fault while ingesting it) is quarantined in
    failed/ with its report, and the next file is read: one poison file never stops the inbox.
    """
    from carbon.ingest.pipeline import ingest_file
    from carbon.ingest.readers import UnreadableFile

    inbox = inbox_path(getattr(store, "path", None))
    processed, failed = inbox / "processed", inbox / "failed"
    for folder in (inbox, processed, failed):
        folder.mkdir(parents=True, exist_ok=True)
    counts = {"files": 0, "processed": 0, "failed": 0, "accepted": 0, "revised": 0, "rejected": 0}
    for path in sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")):
        if time.time() - path.stat().st_mtime < INBOX_SETTLE_SECONDS:
            continue
        counts["files"] += 1
        try:
            summary = ingest_file(store, path, actor="job:ingest_inbox")
        except Exception as error:  # quarantine whatever the file caused: the next file still runs
            if not isinstance(error, UnreadableFile | CarbonError | ValueError | OSError):
                log.exception("inbox file %s failed", path.name)
            report: dict[str, Any] = {"file": path.name, "status": "failed", "error": str(error)[:2000],
                                      "error_type": type(error).__name__,
                                      "what_next": "fix the file and drop it into the inbox again"}
            target = failed
            counts["failed"] += 1
        else:
            report = {"file": path.name, **summary.to_dict()}
            target = processed
            counts["processed"] += 1
            for key in ("accepted", "revised", "rejected"):
                counts[key] += report[key]
        stem = f"{time.strftime('%Y%m%dT%H%M%S')}-{path.name}"
        shutil.move(str(path), target / stem)
        (target / f"{stem}.report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                                    encoding="utf-8")
    return counts


@job("pull_http", lambda: IntervalTrigger(hours=1, timezone=TIMEZONE), "pull the configured HTTP JSON sources")
def pull_http(store: Store) -> dict[str, Any]:
    """Pull each enabled HTTP source; a failing source is reported and the others still run."""
    from carbon.ingest.pipeline import ingest_consumption
    from carbon.ingest.readers.http import get_json

    counts: dict[str, Any] = {"sources": 0, "ok": 0, "failed": 0, "accepted": 0, "revised": 0, "rejected": 0,
                              "errors": {}}
    for source in store.http_sources():
        counts["sources"] += 1
        try:
            chunks = get_json(source["url"], timeout=source.get("timeout") or 10.0,
                              retries=source.get("retries") or 3, headers=source.get("headers") or None,
                              params=source.get("params") or None)
            summary = ingest_consumption(store, chunks, source=f"http:{source['name']}", actor="job:pull_http",
                                         enterprise_id=source.get("enterprise_id"))
        except (CarbonError, ConnectionError, ValueError) as error:
            counts["failed"] += 1
            counts["errors"][source["name"]] = str(error)
            continue
        counts["ok"] += 1
        for key in ("accepted", "revised", "rejected"):
            counts[key] += getattr(summary, key)
    return counts


@job("refresh_aggregates", lambda: CronTrigger(hour=2, minute=10, timezone=TIMEZONE),
     "re-convert rows whose factors have changed")
def refresh_aggregates(store: Store) -> dict[str, Any]:
    """Re-convert rows converted with other factors (a new table edition, or a year's factor published since).

    Raw quantities are untouched (no revision); converted values, factor ids and version are updated, and one
    audit entry records how many rows and which version.
    """
    factors = default_factors()
    stale = store.stale_conversions(factors.version)
    if stale.empty:
        return {"rows": 0, "changed": 0, "factor_version": factors.version}
    grid = {row["id"]: row["grid_region"] for row in store.enterprise_grid_regions()}
    regions = stale["enterprise_id"].map(grid)
    converted = convert_frame(stale.assign(region=regions.where(regions.notna(), None)), factors=factors)
    columns = list(VALUE_COLUMNS)
    changed = ~np.isclose(converted[columns].to_numpy(float), stale[[f"old_{c}" for c in columns]].to_numpy(float),
                          rtol=1e-12, atol=0.0, equal_nan=True).all(axis=1)
    with store.transaction():
        store.update_conversions(converted)
        store.append_audit(chain_entries([{
            "ts": now_iso(), "actor": "job:refresh_aggregates", "action": "recompute", "entity": "consumption",
            "entity_key": None, "enterprise_id": None, "batch_id": None, "old": None,
            "new": {"factor_version": factors.version, "rows": len(converted), "changed": int(changed.sum())},
            "content_count": None, "content_hash": None}], store.last_audit()))
    store.rebuild_monthly_totals()
    return {"rows": len(converted), "changed": int(changed.sum()), "factor_version": factors.version}
