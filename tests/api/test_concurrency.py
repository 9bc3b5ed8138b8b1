"""20 concurrent submitters while a scheduled ingest runs: no "database is locked" reaches a client, and every
accepted row is there afterwards."""

from __future__ import annotations

import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import uvicorn

from api.main import create_app
from api.settings import Settings
from carbon.access import create_token
from carbon.jobs import run_job
from carbon.store import Scope, Store
from tests.databases import new_database

SUBMITTERS = 20
DURATION_S = 6.0  # bounded: each submitter stops after this long
PERIODS = [f"{year}-{month:02d}" for year in range(2015, 2025) for month in range(1, 13)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _submit(base: str, token: str, enterprise: str, deadline: float) -> tuple[int, list[str]]:
    accepted, problems = 0, []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for period in PERIODS:
            if time.monotonic() > deadline:
                break
            records = [{"period": period, "carrier": carrier, "quantity": 10.5, "unit": unit}
                       for carrier, unit in (("电力", "万千瓦时"), ("天然气", "万立方米"))]
            response = client.post(f"/v1/enterprises/{enterprise}/consumption", json={"records": records})
            if response.status_code != 200 or "locked" in response.text:
                problems.append(f"{response.status_code}: {response.text[:200]}")
                continue
            accepted += response.json()["accepted"]
    return accepted, problems


def test_concurrent_submitters_and_a_scheduled_ingest(tmp_path: Path, monkeypatch) -> None:
    db = new_database(tmp_path, "busy")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("CARBON_INBOX", str(inbox))
    store = Store(db)
    store.upsert_region("gz-htz", name="高新区", grid_region="guangdong")
    enterprises = [f"E{i:02d}" for i in range(SUBMITTERS)] + ["BULK"]
    store.add_enterprises([{"id": e, "name": e, "region": "gz-htz"} for e in enterprises])
    tokens = {e: create_token(store, role="enterprise", enterprise_id=e)[1] for e in enterprises[:SUBMITTERS]}
    store.close()
    bulk = pd.DataFrame({"enterprise_id": "BULK", "period": [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(300)]})
    bulk = bulk.merge(pd.DataFrame({"carrier": ["电力", "柴油", "汽油", "热力", "蒸汽", "天然气"],
                                    "unit": ["万千瓦时", "吨", "吨", "GJ", "吨", "万立方米"]}), how="cross")
    bulk["quantity"] = 3.25
    bulk.to_csv(inbox / "bulk.csv", index=False)
    past = time.time() - 60
    os.utime(inbox / "bulk.csv", (past, past))

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(db=db, scheduler=False)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        deadline = time.monotonic() + DURATION_S
        base = f"http://127.0.0.1:{port}"
        with ThreadPoolExecutor(max_workers=SUBMITTERS + 1) as pool:
            job = pool.submit(run_job, "ingest_inbox", db)
            futures = {e: pool.submit(_submit, base, tokens[e], e, deadline) for e in tokens}
            results = {e: f.result() for e, f in futures.items()}
            job_result = job.result()
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    problems = [p for _, (_, found) in results.items() for p in found]
    assert problems == []
    assert job_result["status"] == "ok" and job_result["counts"]["accepted"] == len(bulk)
    store = Store(db)
    stored = store.consumption(Scope.everything()).groupby("enterprise_id").size()
    for enterprise, (accepted, _) in results.items():
        assert accepted > 0
        assert stored.get(enterprise, 0) == accepted
    assert stored["BULK"] == len(bulk)
    store.close()
