"""Scheduled jobs: persistent schedules, no overlap, run history, and what each job does."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from carbon import jobs
from carbon.audit import verify
from carbon.compliance import last_due_month
from carbon.ingest.pipeline import ingest_consumption
from carbon.ingest.tasks import refresh_aggregates
from carbon.reports.alerts import flag_missing_reports
from carbon.store import Scope, Store
from tests.databases import new_database

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = new_database(tmp_path, "jobs")
    store = Store(path)
    store.upsert_region("gz-htz", name="高新区", grid_region="guangdong")
    store.add_enterprises([{"id": f"GZHTZ-{i:04d}", "name": "e", "region": "gz-htz"} for i in range(1, 10)])
    store.close()
    monkeypatch.setenv("CARBON_INBOX", str(tmp_path / "inbox"))
    return path


def test_schedules_survive_a_restart(db: str) -> None:
    scheduler = jobs.create_scheduler(db)
    first = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(first) == set(jobs.JOBS)
    again = jobs.create_scheduler(db)
    try:
        assert {job.id: job.next_run_time for job in again.get_jobs()} == first  # kept, not re-added
        assert jobs.ensure_jobs(again, db) == []
        job = again.get_job("ingest_inbox")
        assert job.coalesce and job.max_instances == 1
    finally:
        again.shutdown(wait=False)


def test_a_run_is_recorded_and_a_second_run_at_the_same_time_skips(db: str) -> None:
    store = Store(db)
    assert store.acquire_job_lock("flag_missing_reports", "someone-else")
    skipped = jobs.run_job("flag_missing_reports", db)
    assert skipped["status"] == "skipped"
    store.release_job_lock("flag_missing_reports", "someone-else")
    ran = jobs.run_job("flag_missing_reports", db)
    assert ran["status"] == "ok"
    history = store.job_runs(job="flag_missing_reports")
    assert [run["status"] for run in history] == ["ok", "skipped"]
    assert history[0]["finished_at"] and history[0]["counts"] == ran["counts"]
    store.close()


def test_a_failing_job_is_recorded_not_raised(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(store: Store) -> dict:
        raise RuntimeError("source offline")

    monkeypatch.setitem(jobs.JOBS, "boom", jobs.JobSpec("boom", boom, lambda: None, "fails"))
    result = jobs.run_job("boom", db)
    assert result["status"] == "failed" and "source offline" in result["error"]
    store = Store(db)
    assert store.job_runs(job="boom")[0]["status"] == "failed"
    assert store.acquire_job_lock("boom", "next")  # the lock was released
    store.close()


def test_inbox_files_are_ingested_and_moved_with_a_report(db: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA / "consumption_utf8.csv", inbox / "january.csv")
    shutil.copy(DATA / "utf16.csv", inbox / "broken.csv")
    past = time.time() - 60
    for path in inbox.iterdir():
        os.utime(path, (past, past))
    result = jobs.run_job("ingest_inbox", db)
    assert result["status"] == "ok" and result["counts"]["processed"] == 1 and result["counts"]["failed"] == 1
    processed = sorted((inbox / "processed").iterdir())
    failed = sorted((inbox / "failed").iterdir())
    assert [p.name.endswith(".report.json") for p in processed] == [False, True]
    report = json.loads(failed[1].read_text(encoding="utf-8"))
    assert report["status"] == "failed" and "UTF-8" in report["error"]
    assert not any(p.is_file() for p in inbox.iterdir())
    store = Store(db)
    assert len(store.consumption(Scope.everything())) == result["counts"]["accepted"] > 0
    store.close()


class _Source(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_response(503)
            self.end_headers()
            return
        body = json.dumps({"enterprise_id": "GZHTZ-0002", "records": [
            {"period": "2024-04", "carrier": "电力", "quantity": 33.3, "unit": "万千瓦时"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_http_pull_against_a_local_server(db: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Source)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        store = Store(db)
        store.upsert_http_source("meter-gateway", f"http://127.0.0.1:{server.server_port}/monthly",
                                 enterprise_id="GZHTZ-0002", retries=2, timeout=5)
        result = jobs.run_job("pull_http", db)
        assert result["status"] == "ok" and result["counts"]["ok"] == 1 and result["counts"]["accepted"] == 1
        stored = store.consumption(Scope.only("GZHTZ-0002"))
        assert stored["quantity"].tolist() == [33.3]
        assert _Source.calls == 2  # the 503 was retried
        store.close()
    finally:
        server.shutdown()


def _month(store: Store, enterprise: str, period: str) -> None:
    frame = pd.DataFrame({"row": [2], "enterprise_id": [enterprise], "period": [period], "carrier": ["电力"],
                          "quantity": [1.0], "unit": ["万千瓦时"]})
    ingest_consumption(store, [frame], source="t", actor="t", today=date(2025, 7, 20))


def test_missing_reports_are_flagged_and_resolved(db: str) -> None:
    store = Store(db)
    for period in ("2025-01", "2025-02", "2025-04", "2025-05"):
        _month(store, "GZHTZ-0001", period)
    _month(store, "GZHTZ-0002", "2025-05")
    result = flag_missing_reports(store, today=date(2025, 7, 20))  # due: up to 2025-06, but nobody has it
    assert result["opened"] == 1
    alert = store.list_alerts(Scope.everything(), kind="missing_report")[0]
    assert (alert["enterprise_id"], alert["period"]) == ("GZHTZ-0001", "2025-03")
    _month(store, "GZHTZ-0001", "2025-03")
    assert flag_missing_reports(store, today=date(2025, 7, 20))["resolved"] == 1
    assert store.list_alerts(Scope.everything(), kind="missing_report") == []
    store.close()


def test_refresh_reconverts_rows_of_another_factor_version(db: str) -> None:
    store = Store(db)
    _month(store, "GZHTZ-0001", "2024-01")
    store.conn.execute("UPDATE consumption SET factor_version = 'old', co2_t = 0, factor_fallback = 0")
    result = refresh_aggregates(store)
    assert result["rows"] == 1 and result["changed"] == 1
    row = store.consumption(Scope.everything()).iloc[0]
    assert row["co2_t"] == pytest.approx(10_000 * 0.4403 / 1000)  # Guangdong 2022 factor for 2024 data
    assert store.audit_entries(Scope.everything(), action="recompute")
    assert verify(store).ok
    store.close()


def test_due_month() -> None:
    assert last_due_month(date(2025, 7, 20)) == "2025-06"
    assert last_due_month(date(2025, 7, 10)) == "2025-05"
    assert last_due_month(date(2025, 1, 5)) == "2024-11"


def test_two_instances_run_each_scheduled_job_once(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    runs: list[tuple[float, str]] = []

    def tick(store: Store) -> dict:
        runs.append((time.monotonic(), threading.current_thread().name.rsplit("_", 1)[0]))
        return {}

    monkeypatch.setattr(jobs, "JOBS", {"tick": jobs.JobSpec("tick", tick, lambda: IntervalTrigger(seconds=1),
                                                           "test")})
    first = jobs.create_scheduler(db, poll_seconds=0.2)
    second = jobs.create_scheduler(db, poll_seconds=0.2)
    try:
        assert first.leading and not second.leading
        time.sleep(3.5)
        runners = {runner for _, runner in runs}
        assert len(runners) == 1 and 2 <= len(runs) <= 4  # about once a second, by one instance only
        split = len(runs)
        first.shutdown()  # the leader goes away: the other takes over
        time.sleep(2.5)
        assert second.leading
        later = {runner for _, runner in runs[split:]}
        assert later and later.isdisjoint(runners)
        gaps = [b - a for (a, _), (b, _) in itertools.pairwise(runs)]
        assert min(gaps) > 0.2  # never two runs of one fire
    finally:
        first.shutdown()
        second.shutdown()
