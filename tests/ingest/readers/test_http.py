"""HTTP pull: get_json against a local server started by the test (stdlib http.server on 127.0.0.1, port 0)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pandas as pd
import pytest

from carbon.errors import CarbonError
from carbon.ingest.readers import UnreadableFile
from carbon.ingest.readers.http import HttpSource, SourceUnavailable, _wait, get_json

RECORDS = [
    {"enterprise_id": "GZHTZ-0001", "period": "2024-03", "carrier": "电力", "quantity": 856400, "unit": "kWh"},
    {"enterprise_id": "GZHTZ-0001", "period": "2024-03", "carrier": "天然气", "quantity": 12.45, "unit": "万立方米"},
]
OBJECT = {"enterprise_id": "GZHTZ-0002", "records": [
    {"统计期": "2024-03", "能源品种": "柴油", "消费量": 3.2, "计量单位": "吨"},
    {"period": "2024-03", "carrier": "heat", "quantity": 1850, "unit": "GJ", "enterprise_id": "GZHTZ-0003"},
]}

# path → the answers in order (status, headers, body); the last answer repeats.
SCRIPT: dict[str, list[tuple[int, dict[str, str], object]]] = {
    "/records": [(200, {}, RECORDS)],
    "/object": [(200, {}, OBJECT)],
    "/flaky": [(503, {}, "maintenance"), (503, {}, "maintenance"), (200, {}, RECORDS)],
    "/busy": [(429, {"Retry-After": "0"}, "slow down"), (200, {}, RECORDS)],
    "/down": [(503, {}, "maintenance")],
    "/missing": [(404, {}, "no such endpoint")],
    "/forbidden": [(403, {}, "token expired")],
    "/html": [(200, {"Content-Type": "text/html"}, "<html>login</html>")],
    "/bad-shape": [(200, {}, {"status": "ok"})],
    "/slow": [(200, {}, RECORDS)],  # answers after SLOW seconds
    "/echo": [(200, {}, None)],  # answers with the query parameters and a header it received
}
SLOW = 0.5  # [s] — longer than the timeout the test gives


class Handler(BaseHTTPRequestHandler):
    hits: Counter[str]

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self.hits[path] += 1
        answers = SCRIPT.get(path, [(404, {}, "not found")])
        status, headers, body = answers[min(self.hits[path], len(answers)) - 1]
        if path == "/slow":
            time.sleep(SLOW)
        if path == "/echo":
            body = [{"period": query, "carrier": self.headers.get("X-Carrier"), "quantity": 1, "unit": "kWh"}]
        data = body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            default_type = "text/plain" if isinstance(body, str) else "application/json"
            self.send_header("Content-Type", headers.get("Content-Type", default_type))
            for name, value in headers.items():
                if name != "Content-Type":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, Counter[str]]]:
    hits: Counter[str] = Counter()
    handler = type("ScriptedHandler", (Handler,), {"hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def one(chunks: Iterator[pd.DataFrame]) -> pd.DataFrame:
    frames = list(chunks)
    assert len(frames) == 1
    return frames[0]


def test_records_body(server: tuple[str, Counter[str]]) -> None:
    url, hits = server
    frame = one(get_json(f"{url}/records"))
    assert frame["row"].tolist() == [0, 1]
    assert frame["carrier"].tolist() == ["电力", "天然气"] and frame["quantity"].tolist() == [856400.0, 12.45]
    assert hits["/records"] == 1


def test_object_body_fills_the_enterprise(server: tuple[str, Counter[str]]) -> None:
    url, _ = server
    frame = one(get_json(f"{url}/object"))
    assert frame[["row", "enterprise_id", "carrier", "unit"]].astype(object).values.tolist() == [
        [0, "GZHTZ-0002", "柴油", "吨"], [1, "GZHTZ-0003", "heat", "GJ"]]


def test_two_503_then_an_answer(server: tuple[str, Counter[str]]) -> None:
    url, hits = server
    frame = one(get_json(f"{url}/flaky", retries=3, backoff=0.01))
    assert len(frame) == 2
    assert hits["/flaky"] == 3


def test_429_is_retried_after_retry_after(server: tuple[str, Counter[str]]) -> None:
    url, hits = server
    assert len(one(get_json(f"{url}/busy", backoff=0.01))) == 2
    assert hits["/busy"] == 2


def test_gives_up_after_the_last_retry(server: tuple[str, Counter[str]]) -> None:
    url, hits = server
    with pytest.raises(SourceUnavailable) as info:
        get_json(f"{url}/down", retries=2, backoff=0.01)
    message = str(info.value)
    assert f"{url}/down" in message and "3 attempts" in message and "HTTP 503" in message
    assert "maintenance" in message
    assert hits["/down"] == 3
    assert isinstance(info.value, ConnectionError) and isinstance(info.value, CarbonError)


@pytest.mark.parametrize(("path", "status"), [("/missing", "HTTP 404"), ("/forbidden", "HTTP 403")])
def test_client_errors_fail_at_once(server: tuple[str, Counter[str]], path: str, status: str) -> None:
    url, hits = server
    with pytest.raises(SourceUnavailable, match=f"{status}.*after 1 attempt ") as info:
        get_json(f"{url}{path}", retries=3, backoff=0.01)
    assert f"{url}{path}" in str(info.value)
    assert hits[path] == 1


def test_timeout_is_retried_then_reported(server: tuple[str, Counter[str]]) -> None:
    url, hits = server
    with pytest.raises(SourceUnavailable, match="2 attempts; last: ReadTimeout"):
        get_json(f"{url}/slow", timeout=0.1, retries=1, backoff=0.01)
    assert hits["/slow"] == 2


def test_connection_refused() -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SourceUnavailable, match="2 attempts; last: ConnectError"):
        get_json(f"http://127.0.0.1:{port}/records", retries=1, backoff=0.01)


@pytest.mark.parametrize(("path", "fragment"),
                         [("/html", "did not answer with JSON \\(text/html"), ("/bad-shape", "keys 'status'")])
def test_bodies_that_are_not_records(server: tuple[str, Counter[str]], path: str, fragment: str) -> None:
    url, _ = server
    with pytest.raises(UnreadableFile, match=fragment):
        get_json(f"{url}{path}")


def test_headers_params_and_a_given_client(server: tuple[str, Counter[str]]) -> None:
    url, _ = server
    with httpx.Client() as client:
        frame = one(get_json(f"{url}/echo", params={"month": "2024-03"}, headers={"X-Carrier": "电力".encode().hex()},
                             client=client))
        assert not client.is_closed  # a caller's client is left open
    assert frame["period"].tolist() == ["month=2024-03"]
    assert frame["carrier"].tolist() == ["电力".encode().hex()]


def test_http_source_round_trip_and_get(server: tuple[str, Counter[str]]) -> None:
    url, _ = server
    source = HttpSource(name="GZHTZ-0004 metering API", url=f"{url}/echo", enterprise_id="GZHTZ-0004",
                        params={"month": "2024-03"}, timeout=2.0, retries=1)
    stored = source.to_dict()
    assert json.loads(json.dumps(stored)) == stored  # plain values, storable as JSON
    assert HttpSource.from_dict(stored) == source
    frame = one(source.get())
    assert frame["enterprise_id"].tolist() == ["GZHTZ-0004"]
    assert HttpSource("a", "http://x").headers is not HttpSource("b", "http://y").headers


def _response(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(503, headers=headers)


@pytest.mark.parametrize(
    ("attempt", "headers", "expected"),
    [(1, None, 0.5), (2, None, 1.0), (3, None, 2.0),  # backoff × 2**(attempt − 1)
     (1, {"Retry-After": "3"}, 3.0),  # the server's advice wins
     (1, {"Retry-After": "3600"}, 30.0),  # capped
     (1, {"Retry-After": "soon"}, 0.5)],  # unreadable advice: backoff
)
def test_wait_between_attempts(attempt: int, headers: dict[str, str] | None, expected: float) -> None:
    response = _response(headers) if headers is not None else None
    assert _wait(attempt, 0.5, response, 30.0) == expected


def test_retry_after_as_a_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert 15.0 < _wait(1, 0.5, _response({"Retry-After": when}), 30.0) <= 20.0
