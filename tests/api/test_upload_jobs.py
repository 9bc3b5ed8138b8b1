"""Large uploads are jobs: 202 with a status URL, followed to done or failed; small ones stay synchronous."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from carbon.ingest.uploads import MAX_ATTEMPTS, UploadWorker, run_upload
from carbon.store import Scope, Store
from tests.api.conftest import ADMIN_ENV_TOKEN, Service, seed
from tests.databases import new_database

DATA = Path(__file__).parent.parent / "data"
THRESHOLD = 400  # [B]: the big file below is larger, the small one smaller
WAIT_S = 60.0  # the longest a job may take here before a test gives up [s]


def big_csv(enterprise: str = "E1", *, bad: bool = True) -> bytes:
    """Two years of electricity for one enterprise, one unreadable quantity and one row of another enterprise."""
    lines = ["enterprise_id,period,carrier,quantity,unit"]
    lines += [f"{enterprise},{year}-{month:02d},电力,{10 + month},万千瓦时" for year in (2022, 2023)
              for month in range(1, 13)]
    if bad:
        lines += [f"{enterprise},2024-01,电力,abc,万千瓦时", "E2,2024-01,电力,1,kWh"]
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > THRESHOLD
    return data


SMALL = "enterprise_id,period,carrier,quantity,unit\nE1,2024-02,电力,3,万千瓦时\n".encode()


def _service(tmp_path: Path, db_path: str, tokens: dict[str, str], **settings: Any) -> tuple[TestClient, Service]:
    settings = {"upload_async_bytes": THRESHOLD, "upload_spool": str(tmp_path / "spool"), **settings}
    app = create_app(Settings(db=db_path, admin_token=ADMIN_ENV_TOKEN, scheduler=False, max_upload_mb=1, **settings))
    client = TestClient(app)
    return client, Service(client=client, db_path=db_path, tokens=tokens)


@pytest.fixture
def jobs(tmp_path) -> Iterator[Service]:
    db_path = new_database(tmp_path, "jobs")
    tokens = seed(db_path)
    client, service = _service(tmp_path, db_path, tokens)
    with client:
        yield service


def wait_for(service: Service, url: str, who: str = "enterprise") -> dict[str, Any]:
    """Poll a status URL until the job ends (a bounded wait: a job that never ends fails the test)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        response = service.get(url, who)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in ("done", "failed"):
            return body
        assert body["status"] in ("queued", "running") and time.monotonic() < deadline, body
        time.sleep(0.05)


def upload(service: Service, data: bytes, name: str = "two-years.csv", who: str = "enterprise",
           enterprise: str = "E1"):
    return service.post(f"/v1/enterprises/{enterprise}/uploads", who, files={"file": (name, data)})


def spooled(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "spool"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_large_upload_answers_202_and_ends_done_with_the_synchronous_reply(jobs: Service, tmp_path) -> None:
    queued = upload(jobs, big_csv())
    assert queued.status_code == 202, queued.text
    body = queued.json()
    assert body["status"] == "queued" and body["status_url"] == f"/v1/uploads/{body['id']}"
    assert queued.headers["location"] == body["status_url"]
    assert (body["source"], body["bytes"], body["enterprise_id"]) == ("two-years.csv", len(big_csv()), "E1")

    done = wait_for(jobs, body["status_url"])
    assert done["status"] == "done" and done["error"] is None and done["finished_at"]
    result = done["result"]
    assert (result["read"], result["accepted"], result["rejected_count"], result["source"]) == (26, 24, 2,
                                                                                                "two-years.csv")
    reasons = {r["index"]: (r["field"], r["reason"]) for r in result["rejected"]}
    assert reasons[26][0] == "quantity" and "not a number" in reasons[26][1]  # line 26 of the file
    assert "for enterprise E1" in reasons[27][1]
    with Store(jobs.db_path) as store:
        assert len(store.consumption(Scope.only("E1"))) == 24
        assert store.get_batch(result["batch_id"], Scope.only("E1"))["status"] == "ok"
    assert spooled(tmp_path) == []  # the file went with the job

    # the same file again: a second job changes nothing, and says so
    again = wait_for(jobs, upload(jobs, big_csv()).json()["status_url"])
    assert (again["result"]["accepted"], again["result"]["unchanged"]) == (0, 24)
    listed = jobs.get("/v1/uploads", "enterprise").json()
    assert [(job["id"], job["status"], job["result"]) for job in listed] == [(again["id"], "done", None),
                                                                         (done["id"], "done", None)]


def test_the_job_reply_equals_the_synchronous_one(jobs: Service, tmp_path) -> None:
    job = wait_for(jobs, upload(jobs, big_csv("E2"), who="bureau", enterprise="E2").json()["status_url"], "bureau")
    db_path = new_database(tmp_path, "sync")
    client, sync = _service(tmp_path, db_path, seed(db_path), upload_async_bytes=2**20)
    with client:
        direct = upload(sync, big_csv("E2"), who="bureau", enterprise="E2")
    assert direct.status_code == 200
    strip = {"batch_id"}
    assert ({k: v for k, v in job["result"].items() if k not in strip}
            == {k: v for k, v in direct.json().items() if k not in strip})


def test_a_small_upload_stays_synchronous(jobs: Service) -> None:
    response = upload(jobs, SMALL, "small.csv")
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1 and "status_url" not in response.json()
    assert jobs.get("/v1/uploads", "enterprise").json() == []


def unreadable() -> bytes:
    """A table none of whose columns the readers know (found out only when the file is read)."""
    data = (DATA / "no_known_columns.csv").read_bytes() + "其他,1,x\n".encode() * 60
    assert len(data) > THRESHOLD
    return data


def test_an_unreadable_file_fails_with_what_to_do(jobs: Service, tmp_path) -> None:
    queued = upload(jobs, unreadable(), "expenses.csv")
    assert queued.status_code == 202
    failed = wait_for(jobs, queued.json()["status_url"])
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"].startswith("expenses.csv: no recognisable columns")
    assert failed["error"].endswith("upload it again")
    with Store(jobs.db_path) as store:
        assert store.consumption(Scope.everything()).empty
    assert spooled(tmp_path) == []


def test_a_file_over_the_readers_limits_is_refused_at_once_not_queued(jobs: Service, tmp_path) -> None:
    damaged = b"PK\x03\x04" + b"\x00garbage" * 100  # a workbook whose container is broken
    refused = upload(jobs, damaged, "broken.xlsx")
    assert refused.status_code == 422 and "broken.xlsx" in refused.json()["detail"]
    endless = b"enterprise_id,period,carrier,quantity,unit\n" + b"E1," * 400_000  # one 1.2 MB line
    assert upload(jobs, endless, "line.csv").status_code == 413
    assert jobs.get("/v1/uploads", "enterprise").json() == [] and spooled(tmp_path) == []


def test_an_enterprise_sees_its_own_uploads_only(jobs: Service) -> None:
    url = upload(jobs, big_csv()).json()["status_url"]
    wait_for(jobs, url)
    assert jobs.get(url, "other").status_code == 404  # E2's token: as if it did not exist
    assert jobs.get("/v1/uploads/999999", "enterprise").status_code == 404
    assert jobs.get("/v1/uploads", "other").json() == []
    for who in ("bureau", "admin", "env-admin"):
        assert jobs.get(url, who).json()["status"] == "done", who
    assert jobs.get(url, "finance").status_code == 403
    assert jobs.get(url, "expired").status_code == 401
    # and nobody queues a job for an enterprise outside their scope
    assert upload(jobs, big_csv(), who="other").status_code == 404


def test_a_restarted_service_runs_the_jobs_a_stopped_one_left(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_path = new_database(tmp_path, "restart")
    tokens = seed(db_path)
    # The first process queues two jobs and stops before its worker ran them (no lifespan, no wake-up).
    client, first = _service(tmp_path, db_path, tokens)
    monkeypatch.setattr(UploadWorker, "wake", lambda self: None)
    queued = [upload(first, big_csv(), "a.csv").json(),
              upload(first, big_csv("E2", bad=False), "b.csv", "bureau", "E2").json()]
    assert [job["status"] for job in queued] == ["queued", "queued"]
    # ... one of them while it ran (its batch rolled back with the process)
    with Store(db_path) as store, store.transaction():
        store.conn.execute("UPDATE uploads SET status = 'running', attempts = 1 WHERE id = ?", [queued[1]["id"]])
    client.close()
    monkeypatch.undo()

    client, second = _service(tmp_path, db_path, tokens)
    with client:
        ends = [wait_for(second, job["status_url"], "admin") for job in queued]
    assert [end["status"] for end in ends] == ["done", "done"]
    assert [end["result"]["accepted"] for end in ends] == [24, 24]
    with Store(db_path) as store:
        assert len(store.consumption(Scope.everything())) == 48  # each row stored once
        assert store.upload(queued[1]["id"])["attempts"] == 2
    assert spooled(tmp_path) == []


def test_recovery_leaves_a_live_job_alone_and_fails_a_lost_or_hopeless_one(jobs: Service, tmp_path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(UploadWorker, "wake", lambda self: None)  # the jobs stay queued
    ids = [upload(jobs, big_csv(), f"{n}.csv").json()["id"] for n in range(3)]
    with Store(jobs.db_path) as store:
        spools = [store.upload(i)["spool"] for i in ids]
        with store.transaction():
            store.conn.execute("UPDATE uploads SET status = 'running', attempts = 1 WHERE id IN (?, ?)", ids[:2])
            store.conn.execute("UPDATE uploads SET status = 'running', attempts = ? WHERE id = ?",
                               [MAX_ATTEMPTS, ids[2]])
    Path(spools[1]).unlink()
    worker = UploadWorker(jobs.db_path, folder=tmp_path / "spool")
    with open(spools[0], "rb") as handle:  # a live worker holds this one
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert worker.recover() == []
    with Store(jobs.db_path) as store:
        states = [store.upload(i) for i in ids]
    assert [state["status"] for state in states] == ["running", "failed", "failed"]
    assert "lost when the service restarted" in states[1]["error"] and "upload it again" in states[1]["error"]
    assert "split it" in states[2]["error"] and not Path(spools[2]).exists()
    assert worker.recover() == [ids[0]]  # its worker is gone now


def test_a_full_queue_answers_503_with_retry_after(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_path = new_database(tmp_path, "full")
    client, service = _service(tmp_path, db_path, seed(db_path), upload_queue=1)
    monkeypatch.setattr(UploadWorker, "wake", lambda self: None)
    assert upload(service, big_csv()).status_code == 202
    full = upload(service, big_csv(), "second.csv")
    assert full.status_code == 503 and full.headers["retry-after"]
    assert "waiting" in full.json()["detail"]
    assert len(spooled(tmp_path)) == 1  # the refused file was not kept
    assert upload(service, SMALL, "small.csv").status_code == 200  # small submissions still go through
    client.close()


def test_the_pipeline_reports_progress_to_the_job(tmp_path) -> None:
    db_path = new_database(tmp_path, "progress")
    seed(db_path)
    path = tmp_path / "two-years.csv"
    path.write_bytes(big_csv())
    counted: list[int] = []
    job = {"spool": str(path), "enterprise_id": "E1", "actor": "test", "source": "two-years.csv", "confirm": False,
           "reason": None}
    with Store(db_path) as store:
        reply, read, batch_id = run_upload(store, job, progress=counted.append)
    assert sum(counted) == read == reply["read"] == 26 and batch_id == reply["batch_id"]


@pytest.mark.parametrize("confirm", [False, True], ids=["held", "applied"])
def test_a_job_stored_before_its_worker_stopped_is_done_not_run_again(jobs: Service, confirm: bool) -> None:
    wait_for(jobs, upload(jobs, big_csv()).json()["status_url"])
    revised = big_csv().replace("2022-01,电力,11,".encode(), "2022-01,电力,12,".encode())  # a closed month
    form = {"confirm": "true", "reason": "the meter was recalibrated"} if confirm else {}
    url = jobs.post("/v1/enterprises/E1/uploads", "enterprise", files={"file": ("fix.csv", revised)},
                    data=form).json()["status_url"]
    before = wait_for(jobs, url)["result"]
    assert (len(before["revisions"]), len(before["held"])) == ((1, 0) if confirm else (0, 1))
    upload_id = int(url.rsplit("/", 1)[1])
    with Store(jobs.db_path) as store:
        assert store.upload(upload_id)["batch_id"] == before["batch_id"]  # named inside the batch's transaction
        with store.transaction():  # as if the process stopped between the batch's commit and the job's end
            store.conn.execute("UPDATE uploads SET status = 'running', result = NULL, finished_at = NULL "
                               "WHERE id = ?", [upload_id])
        stored = len(store.consumption(Scope.only("E1")))

    assert UploadWorker(jobs.db_path).recover() == []  # nothing to run again
    after = jobs.get(url, "enterprise").json()
    assert after["status"] == "done"
    same = ("batch_id", "source", "read", "accepted", "unchanged", "revised", "rejected", "rejected_count", "held")
    assert {k: after["result"][k] for k in same} == {k: before[k] for k in same}
    assert [(r["period"], r["old"]["quantity"], r["new"]["quantity"]) for r in after["result"]["revisions"]] == [
        (r["period"], r["old"]["quantity"], r["new"]["quantity"]) for r in before["revisions"]]
    with Store(jobs.db_path) as store:
        assert len(store.consumption(Scope.only("E1"))) == stored


def test_a_running_job_holds_up_no_other_submission(jobs: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    import carbon.ingest.uploads as uploads

    release = threading.Event()
    real = uploads.run_upload

    def held_back(store: Store, job: dict[str, Any], *, progress: Any = None) -> Any:
        assert release.wait(WAIT_S), "the test never let the job go on"
        return real(store, job, progress=progress)

    monkeypatch.setattr(uploads, "run_upload", held_back)
    url = upload(jobs, big_csv()).json()["status_url"]
    deadline = time.monotonic() + WAIT_S
    while (state := jobs.get(url, "enterprise").json())["status"] == "queued":
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    assert state["status"] == "running" and state["progress"] == {"rows_read": 0}
    try:
        # while E1's job runs, E2's small upload and JSON submission are answered at once
        assert upload(jobs, SMALL.replace(b"E1,", b"E2,"), "small.csv", "other", "E2").status_code == 200
        records = [{"period": "2024-03", "carrier": "电力", "quantity": 2, "unit": "万千瓦时"}]
        assert jobs.post("/v1/enterprises/E2/consumption", "other", json={"records": records}).status_code == 200
    finally:
        release.set()
    assert wait_for(jobs, url)["result"]["accepted"] == 24
