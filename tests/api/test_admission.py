"""Admission: a few API requests at work per process, submissions let in before reads, 503 when none can be."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi.testclient import TestClient

import api.admission as admission_module
from api.admission import Admission, Places
from api.main import create_app
from api.settings import Settings
from tests.databases import new_database


class Gate:
    """An ASGI app whose requests stop at a gate until the test opens it; it notes the order they started in."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.open = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.started.append(f"{scope['method']} {scope['path']}")
        if scope["path"] != "/v1/quick":
            await self.open.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _until(condition: Any) -> None:
    """Let the event loop (and a thread) go on until ``condition()`` holds; at most about 10 s."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never held")


async def _at_work(gate: Gate, request: Any) -> asyncio.Task[httpx.Response]:
    """Send ``request`` (a coroutine of the client) and wait until the app behind ``gate`` works on it."""
    started = len(gate.started)
    task = asyncio.create_task(request)
    await _until(lambda: len(gate.started) > started)
    return task


def test_submissions_are_let_in_before_reads_that_waited_longer() -> None:
    async def scenario() -> list[str]:
        gate = Gate()
        admission = Admission(gate, places=Places(1, 30))
        async with _client(admission) as client:
            first = await _at_work(gate, client.get("/v1/regions/a"))
            read = asyncio.create_task(client.get("/v1/regions/b"))
            await _until(lambda: admission.places.waiting[1])
            write = asyncio.create_task(client.post("/v1/enterprises/E1/consumption"))
            await _until(lambda: admission.places.waiting[0])
            assert len(gate.started) == 1  # one at work, two waiting
            gate.open.set()
            answers = await asyncio.gather(first, read, write)
        assert [answer.status_code for answer in answers] == [200, 200, 200]
        assert admission.places.active == 0 and not any(admission.places.waiting)
        return gate.started

    assert asyncio.run(scenario()) == ["GET /v1/regions/a", "POST /v1/enterprises/E1/consumption",
                                       "GET /v1/regions/b"]


def test_one_place_is_kept_for_submissions() -> None:
    async def scenario() -> None:
        gate = Gate()
        admission = Admission(gate, places=Places(2, 30))
        async with _client(admission) as client:
            slow_read = await _at_work(gate, client.get("/v1/regions/a"))
            second_read = asyncio.create_task(client.get("/v1/regions/b"))
            await _until(lambda: admission.places.waiting[1])  # the other place is a submission's
            write = asyncio.create_task(client.post("/v1/enterprises/E1/consumption"))
            await _until(lambda: len(gate.started) == 2)  # let in at once, past the waiting read
            assert gate.started[1] == "POST /v1/enterprises/E1/consumption" and admission.places.waiting[1]
            gate.open.set()
            answers = await asyncio.gather(slow_read, second_read, write)
        assert [answer.status_code for answer in answers] == [200, 200, 200]
        assert (admission.places.active, admission.places.reads) == (0, 0) and not any(admission.places.waiting)

    asyncio.run(scenario())


def test_background_work_takes_a_reads_place_in_turn(monkeypatch: Any) -> None:
    monkeypatch.setattr(admission_module, "BACKGROUND_WAIT_S", 30.0)

    async def scenario() -> list[str]:
        gate = Gate()
        places = Places(2, 30)
        admission = Admission(gate, places=places)
        done: list[str] = []

        def work() -> None:
            with places.background():
                done.append(f"background with {places.reads} read(s) at work")

        async with _client(admission) as client:
            read = await _at_work(gate, client.get("/v1/regions/a"))
            thread = asyncio.get_running_loop().run_in_executor(None, work)
            await _until(lambda: places.waiting[1])  # the reads' one place is taken: it waits its turn
            assert not done
            gate.open.set()
            await read
            await thread
        assert (places.active, places.reads) == (0, 0) and not any(places.waiting)
        return done

    assert asyncio.run(scenario()) == ["background with 1 read(s) at work"]


def test_background_work_that_waited_too_long_runs_anyway_and_keeps_no_place(monkeypatch: Any) -> None:
    monkeypatch.setattr(admission_module, "BACKGROUND_WAIT_S", 0.05)

    async def scenario() -> Places:
        gate = Gate()
        places = Places(2, 30)
        done: list[bool] = []

        def work() -> None:
            with places.background():
                done.append(True)

        async with _client(Admission(gate, places=places)) as client:
            read = await _at_work(gate, client.get("/v1/regions/a"))
            await asyncio.get_running_loop().run_in_executor(None, work)
            assert done and not any(places.waiting)
            gate.open.set()
            await read
        return places

    places = asyncio.run(scenario())
    assert (places.active, places.reads) == (0, 0)
    with places.background():  # no loop running: at once
        pass


def test_places_are_all_given_back_after_background_work_gave_up_waiting(monkeypatch: Any) -> None:
    """Many short waits of background work racing requests: no place may be lost (a lost place once left the reads
    of a process waiting until their 503)."""
    monkeypatch.setattr(admission_module, "BACKGROUND_WAIT_S", 0.0005)

    async def briefly(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(0.0005)  # holds its place about as long as the background work waits
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def scenario() -> Places:
        places = Places(2, 30)

        def work() -> None:
            for _ in range(100):
                with places.background():
                    pass

        async with _client(Admission(briefly, places=places)) as client:
            threads = [asyncio.get_running_loop().run_in_executor(None, work) for _ in range(4)]
            for _ in range(50):
                await asyncio.gather(*(client.get("/v1/regions/a") for _ in range(4)),
                                     client.post("/v1/enterprises/E1/consumption"))
            await asyncio.gather(*threads)
        return places

    places = asyncio.run(scenario())
    assert (places.active, places.reads) == (0, 0) and not any(places.waiting)


def test_a_request_not_let_in_in_time_gets_503_with_retry_after() -> None:
    async def scenario() -> httpx.Response:
        gate = Gate()
        admission = Admission(gate, places=Places(1, 0.05))
        async with _client(admission) as client:
            busy = await _at_work(gate, client.get("/v1/slow"))
            refused = await client.get("/v1/quick")
            assert not any(admission.places.waiting)  # it left the queue
            gate.open.set()
            assert (await busy).status_code == 200
            assert (await client.get("/v1/quick")).status_code == 200  # its place was not lost
        assert admission.places.active == 0
        return refused

    refused = asyncio.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["retry-after"].isdigit()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "try again" in refused.json()["detail"]


def test_a_waiting_request_whose_client_went_away_hands_on_its_place() -> None:
    async def scenario() -> Admission:
        gate = Gate()
        admission = Admission(gate, places=Places(1, 30))
        async with _client(admission) as client:
            busy = await _at_work(gate, client.get("/v1/slow"))
            gone = asyncio.create_task(client.get("/v1/gone"))
            await _until(lambda: admission.places.waiting[1])
            gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)
            assert not any(admission.places.waiting)
            gate.open.set()
            await busy
            assert (await client.get("/v1/quick")).status_code == 200
        return admission

    admission = asyncio.run(scenario())
    assert admission.places.active == 0 and not any(admission.places.waiting)


def test_health_and_pages_are_not_held_and_no_limit_means_no_waiting() -> None:
    async def scenario() -> None:
        gate = Gate()
        held = Admission(gate, places=Places(1, 30))
        async with _client(held) as client:
            busy = await _at_work(gate, client.get("/v1/slow"))
            quick = Gate()
            quick.open.set()
            held.app = quick  # the health check passes by the queue even while the one place is taken
            assert (await client.get("/healthz")).status_code == 200
            held.app = gate
            gate.open.set()
            await busy
        unlimited = Admission(Gate(), places=Places(0, 30))
        unlimited.app.open.set()
        async with _client(unlimited) as client:
            answers = await asyncio.gather(*(client.get("/v1/regions/a") for _ in range(5)))
        assert all(answer.status_code == 200 for answer in answers) and unlimited.places.active == 0

    asyncio.run(scenario())


def test_the_service_admits_by_its_settings(tmp_path: Any) -> None:
    settings = Settings(db=new_database(tmp_path, "admission"), scheduler=False, max_active_requests=2,
                        admission_wait_s=5)
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/regions").status_code == 401  # let in, then refused by its own rule
    admission = _find(app.middleware_stack, Admission)
    assert (admission.places.limit, admission.places.wait_s, admission.places.active) == (2, 5, 0)


def _find(app: Any, kind: type) -> Any:
    while not isinstance(app, kind):
        app = app.app
    return app
