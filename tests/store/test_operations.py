"""Job runs and locks, quotas and output, HTTP sources."""

from __future__ import annotations

import pytest

from carbon.errors import NotFound
from carbon.store import Scope, Store


def test_job_runs_are_recorded_newest_first(fresh_store: Store) -> None:
    first = fresh_store.start_job_run("refresh")
    second = fresh_store.start_job_run("flag")
    fresh_store.finish_job_run(first, status="ok", counts={"rows": 3, "regions": ["gz-htz"]})
    fresh_store.finish_job_run(second, status="failed", error="offline")
    runs = fresh_store.job_runs()
    assert [(r["id"], r["job"], r["status"]) for r in runs] == [(second, "flag", "failed"), (first, "refresh", "ok")]
    assert runs[1]["counts"] == {"rows": 3, "regions": ["gz-htz"]} and runs[0]["counts"] == {}
    assert runs[0]["error"] == "offline" and runs[1]["finished_at"] >= runs[1]["started_at"]
    assert [r["id"] for r in fresh_store.job_runs(job="refresh")] == [first]
    assert len(fresh_store.job_runs(limit=1)) == 1


def test_job_lock_is_exclusive(fresh_store: Store) -> None:
    assert fresh_store.acquire_job_lock("j", "a")
    assert not fresh_store.acquire_job_lock("j", "b")
    fresh_store.release_job_lock("j", "b")  # only the owner releases it
    assert not fresh_store.acquire_job_lock("j", "b")
    assert fresh_store.acquire_job_lock("other", "b")  # one lock per job
    fresh_store.release_job_lock("j", "a")
    assert fresh_store.acquire_job_lock("j", "b")


def test_a_stale_job_lock_is_taken_over(fresh_store: Store) -> None:
    assert fresh_store.acquire_job_lock("j", "dead")
    fresh_store.conn.execute("UPDATE job_locks SET acquired_at = '2000-01-01T00:00:00Z'")  # a run that died
    assert fresh_store.acquire_job_lock("j", "next")
    assert not fresh_store.acquire_job_lock("j", "third", stale_after_s=3600)


def test_quotas(fresh_store: Store) -> None:
    fresh_store.put_quota("GZHTZ-0002", 2025, 800)
    stored = fresh_store.put_quota("GZHTZ-0001", 2025, 1200.5, basis="equal", source="发改委")
    fresh_store.put_quota("GZHTZ-0001", 2025, 1000)  # replaces
    assert (stored["quota_tce"], stored["basis"]) == (1200.5, "equal")
    quota = fresh_store.quota("GZHTZ-0001", 2025)
    assert (quota["quota_tce"], quota["basis"], quota["source"]) == (1000.0, "equivalent", None)
    assert fresh_store.quota("GZHTZ-0001", 2024) is None
    assert [q["enterprise_id"] for q in fresh_store.quotas(2025)] == ["GZHTZ-0001", "GZHTZ-0002"]
    with pytest.raises(NotFound, match="no enterprise 'nobody'"):
        fresh_store.put_quota("nobody", 2025, 1)


def test_output_replaces_a_month(fresh_store: Store) -> None:
    fresh_store.put_output("GZHTZ-0001", "2025-01", [{"output_value": 500.0}, {"product": "panel", "quantity": 3}])
    fresh_store.put_output("GZHTZ-0001", "2025-02", [{"output_value": 450.0}])
    assert fresh_store.put_output("GZHTZ-0001", "2025-01", [{"output_value": 520.0}]) == 1
    output = fresh_store.output(Scope.everything(), "GZHTZ-0001")
    assert output[["period", "product", "output_value"]].values.tolist() == [["2025-01", "", 520.0],
                                                                             ["2025-02", "", 450.0]]
    assert fresh_store.output(Scope.everything(), "GZHTZ-0001", start="2025-02", end="2025-02")["period"].tolist() \
        == ["2025-02"]
    assert fresh_store.output(Scope.only("GZHTZ-0002"), "GZHTZ-0001").empty
    with pytest.raises(NotFound):
        fresh_store.put_output("nobody", "2025-01", [])


def test_http_sources(fresh_store: Store) -> None:
    fresh_store.upsert_http_source("ems", "https://ems.example/api", headers={"X-Key": "k"}, params={"n": 1},
                                   enterprise_id="GZHTZ-0001", timeout=5.0)
    fresh_store.upsert_http_source("old", "https://old.example", enabled=False)
    fresh_store.upsert_http_source("ems", "https://ems.example/v2", headers={"X-Key": "k2"})  # replaces
    sources = fresh_store.http_sources()
    assert [s["name"] for s in sources] == ["ems"]  # the disabled one is not pulled
    assert (sources[0]["url"], sources[0]["headers"], sources[0]["params"], sources[0]["timeout"]) == \
        ("https://ems.example/v2", {"X-Key": "k2"}, {"n": 1}, 5.0)
