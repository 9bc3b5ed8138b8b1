"""`carbon serve --workers 2`: two processes on one port and one database take every submission once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from carbon.store import Store
from tests.api.conftest import seed
from tests.databases import new_database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the service exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the service did not start")


def test_two_worker_processes_store_every_submission_once(tmp_path: Path) -> None:
    db = new_database(tmp_path, "workers")
    tokens = seed(db)
    port = _free_port()
    env = {**os.environ, "CARBON_SCHEDULER": "false"}
    server = subprocess.Popen([sys.executable, "-m", "carbon.cli", "serve", "--db", db, "--port", str(port),
                               "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)

        def submit(month: int) -> tuple[int, int]:
            body = {"records": [{"period": f"2024-{month:02d}", "carrier": "electricity", "quantity": 1000 + month,
                                 "unit": "kWh"}, {"period": f"2024-{month:02d}", "carrier": "natural_gas",
                                                  "quantity": 50, "unit": "m3"}]}
            with httpx.Client(base_url=url, timeout=60,
                              headers={"Authorization": f"Bearer {tokens['enterprise']}"}) as client:
                response = client.post("/v1/enterprises/E1/consumption", json=body)
            return response.status_code, response.json().get("accepted", 0)

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(submit, range(1, 13)))
        assert answers == [(200, 2)] * 12
        rows = httpx.get(f"{url}/v1/enterprises/E1/consumption", timeout=30,
                         headers={"Authorization": f"Bearer {tokens['bureau']}"}).json()
        assert len(rows) == 24
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(workers) >= 2  # the processes that share the port
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert b"Traceback" not in errors, errors.decode(errors="replace")[-2000:]
    store = Store(db)
    try:
        stored = store.conn.execute("SELECT COUNT(*), COUNT(DISTINCT period || carrier) FROM consumption "
                                    "WHERE enterprise_id = 'E1'").fetchone()
    finally:
        store.close()
    assert tuple(stored) == (24, 24)  # every submission once, none doubled
