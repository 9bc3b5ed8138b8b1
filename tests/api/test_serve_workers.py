"""`carbon serve --workers 2`: two processes on one port and one database take every submission once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
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


def _serve_two(db: str) -> tuple[subprocess.Popen[bytes], str]:
    """`carbon serve --workers 2` on a free port (no scheduler), and its URL."""
    port = _free_port()
    env = {**os.environ, "CARBON_SCHEDULER": "false"}
    server = subprocess.Popen([sys.executable, "-m", "carbon.cli", "serve", "--db", db, "--port", str(port),
                               "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return server, f"http://127.0.0.1:{port}"


def test_two_worker_processes_store_every_submission_once(tmp_path: Path) -> None:
    db = new_database(tmp_path, "workers")
    tokens = seed(db)
    server, url = _serve_two(db)
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


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _sockets(pid: int) -> int:
    """Open sockets of a process (its listening socket and its connections)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


def _serving(pid: int) -> list[int]:
    """The serving processes of the service (not multiprocessing's helpers): those that listen."""
    return [child for child in _children(pid) if _sockets(child) > 0]


def test_the_processes_share_the_connections_and_one_that_dies_is_replaced(tmp_path: Path) -> None:
    db = new_database(tmp_path, "spread")
    seed(db)
    server, url = _serve_two(db)
    try:
        _wait_ready(url, server)
        deadline = time.monotonic() + 60
        while len(_serving(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _serving(server.pid)
        before = {pid: _sockets(pid) for pid in workers}
        clients = [httpx.Client(base_url=url, timeout=30) for _ in range(16)]
        try:
            assert all(client.get("/healthz").status_code == 200 for client in clients)  # 16 kept-alive connections
            # each process holds some of them (all 16 on one socket of two: a chance of 1 in 30 000)
            assert all(_sockets(pid) > before[pid] for pid in workers), (before, {p: _sockets(p) for p in workers})
        finally:
            for client in clients:
                client.close()
        os.kill(workers[0], signal.SIGKILL)
        while (set(_serving(server.pid)) & {workers[0]} or len(_serving(server.pid)) < 2) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_serving(server.pid)) == 2 and workers[0] not in _serving(server.pid)
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert server.returncode == 0


def test_a_service_whose_processes_cannot_start_stops_with_an_error(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CARBON_SCHEDULER": "false", "CARBON_ADMIN_TOKEN": "short"}  # refused by the settings
    result = subprocess.run([sys.executable, "-m", "carbon.cli", "serve", "--db", str(tmp_path / "x.db"), "--port",
                             str(port), "--workers", "2"], env=env, capture_output=True, timeout=120)
    assert result.returncode == 1
    assert b"could not start" in result.stderr


_SETTLED = """
import asyncio, gc, json
import uvicorn
from carbon.cli.workers import YOUNG_GENERATION_OBJECTS, Server

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.complete"})

before = gc.get_freeze_count()
server = Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
server.config.load()
server.lifespan = server.config.lifespan_class(server.config)
asyncio.run(server.startup())
print(json.dumps([before, gc.get_freeze_count(), gc.get_threshold()[0], YOUNG_GENERATION_OBJECTS]))
"""


def test_a_serving_process_settles_its_heap_once_the_app_has_started() -> None:
    # in a process of its own: freezing the heap of the test run would keep its garbage for good
    result = subprocess.run([sys.executable, "-c", _SETTLED], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    before, after, threshold, expected = json.loads(result.stdout.splitlines()[-1])
    assert before == 0 and after > 10_000  # the modules and the app, out of the collector's full passes
    assert threshold == expected > 700  # young collections less often than Python's default


def test_a_process_holding_more_than_its_share_asks_that_many_clients_to_reconnect() -> None:
    from carbon.cli.workers import Shares

    async def app(scope: dict, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def answer(balanced: object) -> list[tuple[bytes, bytes]]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await balanced({"type": "http"}, None, send)
        return sent[0]["headers"]

    counts = [0, 8]
    shares = Shares(counts, 0)
    balanced = shares.wrap(app)
    shares.update(12)  # 20 connections over two processes: a share of 10, two too many here
    assert counts == [12, 8] and shares.surplus == 2
    answers = [asyncio.run(answer(balanced)) for _ in range(3)]
    assert [(b"connection", b"close") in headers for headers in answers] == [True, True, False]
    Shares(counts, 1).update(10)  # the clients asked came back on the other process
    shares.update(10)
    assert counts == [10, 10] and shares.surplus == 0
    odd = Shares([0, 10], 0)
    odd.update(11)  # 21 connections: a share of 11 each, nothing to even out
    assert odd.surplus == 0
    starting = Shares([0, -1], 0)  # the other process has not started yet (it says so with -1)
    starting.update(6)
    assert starting.surplus == 0
