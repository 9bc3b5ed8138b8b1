"""The service on a real server while hostile files arrive: /healthz answers within 1 s and another enterprise's
submission succeeds while spreadsheet bombs and power-tower units are being refused, and the bombs cost little
memory."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import seed
from tests.databases import new_database
from tests.hostile.bombs import xlsx_bomb
from tests.live import serving
from tests.timing import without_collector_pauses


@dataclass
class Live:
    url: str
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    db = new_database(tmp_path_factory.mktemp("hostile-live"), "hostile_live")
    tokens = seed(db)
    with serving(db, start_within_s=30) as url:
        # The first request opens the database and warms the app: a cold start is not what the bound is about.
        httpx.get(f"{url}/healthz", timeout=30).raise_for_status()
        yield Live(url=url, tokens=tokens)


def _health_while(live: Live, busy: threading.Event) -> list[float]:
    """Round trips of /healthz [s], one after another, until ``busy`` is cleared."""
    times: list[float] = []
    with httpx.Client(base_url=live.url, timeout=10) as client:
        while busy.is_set() or not times:
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            times.append(time.perf_counter() - started)
            time.sleep(0.02)
    return times


def test_health_and_other_submissions_go_on_while_bombs_are_refused(live: Live, tmp_path: Path) -> None:
    rows_bomb = xlsx_bomb(tmp_path / "rows.xlsx", empty_rows=10_000_000).read_bytes()
    strings_bomb = xlsx_bomb(tmp_path / "strings.xlsx", shared_strings=2_000_000).read_bytes()
    busy = threading.Event()
    busy.set()

    def hostile() -> list[tuple[int, float]]:
        answers = []
        with httpx.Client(base_url=live.url, timeout=30, headers=live.headers("enterprise")) as client:
            for name, content in [("rows.xlsx", rows_bomb), ("strings.xlsx", strings_bomb)] * 2:
                started = time.perf_counter()
                response = client.post("/v1/enterprises/E1/uploads", files={"file": (name, content)})
                answers.append((response.status_code, time.perf_counter() - started))
            for unit in ("9**9**8", "7**9**7", "1/0"):
                started = time.perf_counter()
                response = client.post("/v1/convert", json={"quantity": 1, "unit": unit, "carrier": "electricity"})
                answers.append((response.status_code, time.perf_counter() - started))
        return answers

    def other_enterprise() -> int:
        with httpx.Client(base_url=live.url, timeout=30, headers=live.headers("other")) as client:
            return client.post("/v1/enterprises/E2/consumption", json={"records": [
                {"period": "2024-03", "carrier": "电力", "quantity": 1, "unit": "万千瓦时"}]}).status_code

    with without_collector_pauses(), ThreadPoolExecutor(max_workers=3) as pool:
        health = pool.submit(_health_while, live, busy)
        attack = pool.submit(hostile)
        time.sleep(0.05)
        other = pool.submit(other_enterprise)
        answers = attack.result(timeout=60)
        assert other.result(timeout=60) == 200
        busy.clear()
        times = health.result(timeout=30)
    assert all(400 <= status < 500 and seconds < 2.0 for status, seconds in answers), answers
    assert max(times) < 1.0, max(times)


def test_refusing_a_bomb_costs_little_memory(tmp_path: Path) -> None:
    """The check reads the zip directory and streams the parts: far below 100 MB however many rows are declared."""
    from carbon.ingest.readers.limits import LimitExceeded, check_file

    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", empty_rows=10_000_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # [KiB] on Linux
    with without_collector_pauses(), pytest.raises(LimitExceeded):
        started = time.perf_counter()
        check_file(bomb)
    assert time.perf_counter() - started < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024
