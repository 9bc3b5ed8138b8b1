"""Each role's working day in headless Chromium, clicked and typed through the DevTools protocol.

An enterprise submits a month, uploads a file with a bad row and sees the rejection, has a 99 % drop held and
confirms it with a reason; the bureau approves a held revision in its queue and sees the alert without running a
job, and the completeness adds up; finance screens and downloads the record; the bureau reviews a proposed
project, saves it and decides it. No page asks for a URL outside the
service or is wider than the viewport. ``CARBON_UPDATE_SCREENSHOT=1`` copies the bureau's and the enterprise's
screenshots to ``docs/`` (the README's tour).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from carbon.access import create_token
from carbon.demo import load_demo
from carbon.store import Store
from tests.api.browser import Browser
from tests.api.test_dashboard_browser import chromium
from tests.databases import new_database
from tests.live import serving

WIDTH = 1400
DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC_SHOTS = {"dashboard.png", "dashboard-enterprise.png"}  # the README's tour


@dataclass
class Service:
    url: str
    tokens: dict[str, str]

    def post(self, path: str, who: str, body: dict) -> dict:
        request = urllib.request.Request(self.url.rstrip("/") + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {self.tokens[who]}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    chromium()
    db = new_database(tmp_path_factory.mktemp("working-day"), "working_day")
    store = Store(db)
    load_demo(store)
    tokens = {role: create_token(store, role=role, enterprise_id="GZHTZ-0001" if role == "enterprise" else None)[1]
              for role in ("bureau", "finance", "enterprise")}
    store.close()
    with serving(db) as url:
        yield Service(url=f"{url}/", tokens=tokens)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    driver = Browser(chromium(), tmp_path / "profile", width=WIDTH, height=900)
    try:
        yield driver
    finally:
        driver.close()


def open_as(browser: Browser, service: Service, who: str, route: str = "") -> None:
    browser.open(f"{service.url}#{route}{'?' if route else ''}token={service.tokens[who]}")
    browser.wait_for("document.body && document.body.dataset.ready", what="the page")


def check_page(browser: Browser, service: Service, shot: Path) -> None:
    """Nothing outside the service was asked for, nothing is wider than the viewport, no API call failed."""
    origin = service.url.rstrip("/")
    outside = [url for url in browser.requests if url.startswith(("http:", "https:")) and not url.startswith(origin)]
    assert not outside, f"requests outside the service: {outside}"
    assert browser.page_width() <= WIDTH, f"the page is {browser.page_width()} px wide"
    browser.screenshot(shot)
    if os.environ.get("CARBON_UPDATE_SCREENSHOT") == "1" and shot.name in DOC_SHOTS:
        shutil.copyfile(shot, DOCS / shot.name)


def reply_text(browser: Browser, expected: str) -> str:
    return browser.wait_for(f"(() => {{ const t = (document.querySelector('#reply-slot') || {{}}).innerText || '';"
                            f" return t.includes({json.dumps(expected)}) && t; }})()", what=expected)


def test_an_enterprise_submits_uploads_and_confirms_a_held_drop(service: Service, browser: Browser,
                                                               tmp_path: Path) -> None:
    open_as(browser, service, "enterprise")
    browser.wait_for("document.querySelector('#card-submit .line .unit option')", what="the carrier catalogue")
    # a month not reported yet: accepted
    browser.fill("#submit-period", "2025-07")
    browser.fill("#card-submit .line .quantity", "35100")
    assert browser.evaluate("document.querySelector('#card-submit .line .unit').value") == "万千瓦时"
    browser.click("#submit-month")
    assert "新增 accepted 1" in reply_text(browser, "新增 accepted 1")

    # a file with a bad row: the good row is kept, the bad one comes back with its row and reason
    upload = tmp_path / "august.csv"
    upload.write_text("统计期,能源品种,实物量,计量单位\n2025-08,电力,35200,万千瓦时\n2025-08,电力X,1,万千瓦时\n",
                      encoding="utf-8")
    browser.choose_file("#upload-file", upload)
    browser.click("#upload-submit")
    text = reply_text(browser, "退回的行 rejected rows")
    assert "新增 accepted 1" in text and "退回 rejected 1" in text and "电力X" in text

    # the README's example, a 99 % drop of May: held, not applied
    browser.fill("#submit-period", "2025-05")
    browser.fill("#card-submit .line .quantity", "120.5")
    browser.click("#submit-month")
    text = reply_text(browser, "暂缓，待确认 held for confirmation")
    assert "修订 revised 0" in text and "35,085.66" in text
    browser.wait_for("document.querySelector('#card-held button[data-action=confirm]')", what="the held row")
    check_page(browser, service, tmp_path / "dashboard-enterprise.png")
    # confirming needs a reason; with one, the revision is applied and listed old → new
    browser.click("#card-held button[data-action=confirm]")
    assert "已修订" not in browser.text("#reply-slot")
    browser.fill("#card-held input.reason", "二号线停产检修 line 2 shut for repairs")
    browser.click("#card-held button[data-action=confirm]")
    text = reply_text(browser, "已修订 revisions applied")
    assert "修订 revised 1" in text and "120.5" in text
    browser.wait_for("((document.querySelector('#card-held') || {}).innerText || '').includes('没有待确认')",
                     what="the held list emptied")


def test_the_bureau_reviews_the_queue_and_sees_the_alert(service: Service, browser: Browser,
                                                         tmp_path: Path) -> None:
    held = service.post("/v1/enterprises/GZHTZ-0001/consumption", "enterprise", {"records": [
        {"period": "2025-06", "carrier": "电力", "quantity": 100, "unit": "万千瓦时"}]})["held"]
    assert len(held) == 1
    open_as(browser, service, "bureau")
    browser.wait_for(f"document.querySelector('#card-review button[data-id=\"{held[0]['id']}\"]')",
                     what="the held revision in the queue")
    assert "GZHTZ-0001" in browser.text("#card-review") and "2025-06" in browser.text("#card-review")
    # the region's off-track alert is there from start-up, no job run
    assert "region_off_track" in browser.wait_for(
        "(() => { const t = (document.querySelector('#card-alerts') || {}).innerText || '';"
        " return t.includes('region_off_track') && t; })()", what="the off-track alert")
    # completeness adds up: on time + late + missing = expected
    badges = browser.wait_for("(document.querySelector('#card-completeness .card-aside') || {}).innerText",
                              what="the completeness badges")
    numbers = {name: int(re.search(rf"{name}\D*([\d,]+)", badges)[1].replace(",", ""))
               for name in ("expected", "on time", "迟报", "缺报")}
    assert numbers["on time"] + numbers["迟报"] + numbers["缺报"] == numbers["expected"]
    check_page(browser, service, tmp_path / "dashboard.png")

    browser.fill("#card-review input.reason", "电话核实 confirmed by phone")
    browser.click(f"#card-review button[data-action=approve][data-id=\"{held[0]['id']}\"]")
    browser.wait_for("((document.querySelector('#card-review') || {}).innerText || '').includes('没有待审核')",
                     what="the queue emptied")
    # the approved drop is an anomaly: its alert appears without running a job
    browser.send("Page.reload")
    alerts = browser.wait_for("(() => { const t = (document.querySelector('#card-alerts') || {}).innerText || '';"
                              " return t.includes('consumption_anomaly') && t; })()", what="the anomaly alert")
    assert "2025-06" in alerts and "仅为" in alerts


def test_finance_screens_and_downloads_the_record(service: Service, browser: Browser, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
    open_as(browser, service, "finance")
    browser.wait_for("document.querySelector('#card-completeness svg')", what="the overview")
    assert browser.evaluate("!document.querySelector('#card-alerts')"), "finance is shown the bureau's alerts"
    assert not [url for url in browser.requests if "/v1/alerts" in url or "/v1/revisions" in url]
    assert browser.evaluate("!document.querySelector('.notice.error')")
    check_page(browser, service, tmp_path / "dashboard-finance.png")

    open_as(browser, service, "finance", "/screening")
    browser.wait_for("document.querySelector('#card-screening-form input[data-metric]')", what="the form")
    browser.evaluate("""(() => {
      const inputs = document.querySelectorAll('#card-screening-form input[data-metric]');
      for (const input of inputs) { input.value = '10'; input.dispatchEvent(new Event('input')); }
      document.querySelector('#card-screening-form form').requestSubmit(); })()""")
    browser.wait_for("document.querySelector('#screening-csv')", what="the screening result")
    browser.click("#screening-csv")
    deadline = time.monotonic() + 30
    while not list(downloads.glob("screening-*.csv")) and time.monotonic() < deadline:
        time.sleep(0.2)
    files = list(downloads.glob("screening-*.csv"))
    assert files, "the screening record was not downloaded"
    text = files[0].read_text(encoding="utf-8-sig")
    assert text.startswith("框架 framework,") and "判据 criterion" in text
    check_page(browser, service, tmp_path / "dashboard-screening.png")


def test_the_api_docs_work_offline(service: Service, browser: Browser, tmp_path: Path) -> None:
    browser.open(f"{service.url}docs")
    browser.wait_for("document.querySelectorAll('.swagger-ui .opblock').length > 20", what="the operations")
    assert "/v1/revisions" in browser.text(".swagger-ui")
    check_page(browser, service, tmp_path / "docs.png")


def test_the_bureau_reviews_saves_and_decides_a_project(service: Service, browser: Browser, tmp_path: Path) -> None:
    open_as(browser, service, "bureau", "/projects")
    assert browser.evaluate("[...document.querySelectorAll('#nav a')].some(a => a.getAttribute('href') === "
                            "'#/projects' && a.classList.contains('active'))"), "the nav does not link the page"
    browser.wait_for("document.querySelector('#project-lines .line .unit option')", what="the carrier catalogue")
    browser.fill("#card-project-form input[name=name]", "数据中心 data centre")
    browser.fill("#card-project-form input[name=industry]", "I6450")
    browser.fill("#card-project-form input[name=start_year]", "2027")
    browser.fill("#project-lines .line .quantity", "8000")
    assert browser.evaluate("document.querySelector('#project-lines .line .unit').value") == "万千瓦时"
    browser.fill("#card-project-form input[name=output_value]", "60000")
    browser.fill("#card-project-form input[name=value_added]", "20000")
    browser.click("#project-review")
    review = browser.wait_for("(() => { const t = (document.querySelector('#card-project-review') || {}).innerText"
                              " || ''; return t.includes('审查级别') && t; })()", what="the review")
    assert "当量值" in review and "等价值" in review and "t CO2/a" in review and "理由 reasons" in review
    assert re.search(r"exempt|local|provincial", review)
    check_page(browser, service, tmp_path / "dashboard-projects.png")

    browser.click("#project-save")
    browser.wait_for("((document.querySelector('#card-projects') || {}).innerText || '').includes('数据中心')",
                     what="the saved project in the list")
    assert "已保存 saved" in browser.text("#card-project-review")
    assert "待决定 pending" in browser.text("#card-projects")
    browser.fill("#card-projects input.reason", "须落实能耗替代 on condition of an energy offset")
    browser.evaluate("(() => { const s = document.querySelector('#card-projects select.decision');"
                     " s.value = 'approved_with_conditions'; s.dispatchEvent(new Event('change')); })()")
    browser.click("#card-projects button[data-action=decide]")
    text = browser.wait_for("(() => { const t = (document.querySelector('#card-projects') || {}).innerText || '';"
                            " return t.includes('有条件批准 approved with conditions') && t; })()", what="the decision")
    assert "on condition of an energy offset" in text and "待决定 pending" not in text
    check_page(browser, service, tmp_path / "dashboard-projects-decided.png")

    # finance may review, not decide: the list shows the decision and offers no control
    open_as(browser, service, "finance", "/projects")
    browser.wait_for("((document.querySelector('#card-projects') || {}).innerText || '').includes('数据中心')",
                     what="the list for finance")
    assert browser.evaluate("!document.querySelector('#card-projects button[data-action=decide]')")
    assert "on condition of an energy offset" in browser.text("#card-projects")
