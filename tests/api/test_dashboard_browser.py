"""The dashboard in a real browser: headless Chromium renders the demo region's charts from the live API.

The service runs in a background thread on a free local port, on a database holding the demo data; Chromium loads
the page with a token in the address fragment, runs its scripts and dumps the resulting DOM (and a screenshot).
Without Chromium the tests are skipped, unless ``CARBON_REQUIRE_BROWSER`` is set (as in CI), where they fail.
The README's screenshots come from ``tests/api/test_working_day_browser.py``.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from carbon.access import create_token
from carbon.demo import DEMO_REGION, load_demo
from carbon.reports.alerts import flag_missing_reports
from carbon.store import Store
from tests.databases import new_database
from tests.live import serving

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1440, 1800)
CHART_CARDS = ("card-intensity", "card-change", "card-carbon", "card-lmdi", "card-top", "card-carriers",
               "card-industry", "card-completeness")


def chromium() -> str:
    """The browser binary, or a skip (a failure when CARBON_REQUIRE_BROWSER is set) naming what is missing."""
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path:
        return path
    reason = f"no Chromium at {CHROMIUM} (install the Debian package `chromium`)"
    if os.environ.get("CARBON_REQUIRE_BROWSER"):
        pytest.fail(f"{reason}; CARBON_REQUIRE_BROWSER is set, so the browser test must run")
    pytest.skip(reason)


@dataclass
class Live:
    url: str
    bureau: str
    enterprise: str
    enterprise_id: str
    enterprise_name: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    chromium()  # skip (or fail) before loading the demo data when there is no browser
    db = new_database(tmp_path_factory.mktemp("dashboard"), "dashboard")
    store = Store(db)
    load_demo(store)
    # as `carbon demo` does; a fixed day keeps the alerts the same whenever the test runs (the data end in 2025-06)
    flag_missing_reports(store, today=date(2025, 7, 20))
    first = store.conn.execute("SELECT id, name FROM enterprises WHERE region = ? ORDER BY id LIMIT 1",
                               [DEMO_REGION]).fetchone()
    bureau = create_token(store, role="bureau")[1]
    enterprise = create_token(store, role="enterprise", enterprise_id=first[0])[1]
    store.close()

    with serving(db) as url:
        yield Live(url=f"{url}/", bureau=bureau, enterprise=enterprise, enterprise_id=first[0],
                   enterprise_name=first[1])


def browse(url: str, tmp_path: Path, *extra: str) -> str:
    """Load ``url`` in headless Chromium, let its scripts and fetches finish, and return the DOM."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
               "--virtual-time-budget=30000", f"--window-size={WINDOW[0]},{WINDOW[1]}", *extra, "--dump-dom", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


class Page(HTMLParser):
    """The dumped DOM, by element id: its text, whether an <svg> is inside, and the classes seen."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str | None] = []
        self.text: dict[str, list[str]] = {}
        self.svg: set[str] = set()
        self.classes: list[str] = []
        self.body: dict[str, str] = {}
        self.feed(html)

    def _open(self) -> list[str]:
        return [name for name in self.stack if name]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "body":
            self.body = {k: v or "" for k, v in values.items()}
        self.classes.extend((values.get("class") or "").split())
        if tag == "svg":
            self.svg.update(self._open())
        if tag not in self.VOID:
            self.stack.append(values.get("id"))
            if values.get("id"):
                self.text.setdefault(values["id"], [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.classes.extend((dict(attrs).get("class") or "").split())

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for name in self._open():
            self.text[name].append(data)

    def text_of(self, element_id: str) -> str:
        assert element_id in self.text, f"no element #{element_id} in the page"
        return " ".join(" ".join(self.text[element_id]).split())


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_region_overview_draws_the_demo_region(live: Live, tmp_path: Path) -> None:
    shot = tmp_path / "dashboard.png"
    page = Page(browse(f"{live.url}#token={live.bureau}", tmp_path, f"--screenshot={shot}"))
    assert page.body.get("data-ready") == "region"
    for card in CHART_CARDS:
        assert card in page.svg, f"#{card} has no chart: {page.text_of(card)[:300]}"
    intensity = page.text_of("card-intensity")
    # the demo region's published numbers as chart labels: 2020 intensity 0.15 (the base) and the 2025 target 0.13
    assert "基期 0.150" in intensity
    assert "目标 0.130" in intensity
    assert "2020" in intensity and "2025" in intensity
    assert "0.130" in page.text_of("kpis")
    # a bureau user sees the open alerts with a button to acknowledge each
    alerts = page.text_of("card-alerts")
    assert "missing_report" in alerts and "确认 acknowledge" in alerts
    # the plan's constant rate, −2.82 %/yr = (0.13 / 0.15)^(1/5) − 1, drawn as a line on the change chart
    assert "−2.82 %" in page.text_of("card-change")
    assert "error" not in page.classes, "an API call failed on the page"

    assert png_size(shot) == WINDOW
    assert shot.stat().st_size > 100_000  # a blank or error page compresses to a few kB


def test_an_enterprise_token_opens_its_own_page(live: Live, tmp_path: Path) -> None:
    page = Page(browse(f"{live.url}#token={live.enterprise}", tmp_path))
    assert page.body.get("data-ready") == "enterprise"
    assert live.enterprise_name in page.text_of("main")
    assert "card-monthly" in page.svg and "card-co2" in page.svg
    assert "2024" in page.text_of("card-years")
    # no region overview for an enterprise: its only view is its own page
    assert "card-intensity" not in page.text
    assert "我的企业" in page.text_of("nav")


def test_a_refused_token_is_shown_plainly(live: Live, tmp_path: Path) -> None:
    page = Page(browse(f"{live.url}#token=cbt_not-a-valid-token", tmp_path))
    message = page.text_of("token-form")
    assert "HTTP 401" in message
    assert "invalid, revoked or expired token" in message  # the API's problem detail, as sent
