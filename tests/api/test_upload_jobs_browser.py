"""An enterprise uploads a large file in the dashboard (headless Chromium): the page follows the queued job and
shows the same result table as for a small upload, or the reason a job failed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.browser import Browser
from tests.api.conftest import seed
from tests.api.test_dashboard_browser import chromium
from tests.api.test_upload_jobs import THRESHOLD, big_csv, unreadable
from tests.databases import new_database
from tests.live import serving


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    chromium()
    monkeypatch.setenv("CARBON_UPLOAD_ASYNC_BYTES", str(THRESHOLD))  # the service's settings read the environment
    monkeypatch.setenv("CARBON_UPLOAD_SPOOL", str(tmp_path / "spool"))
    db = new_database(tmp_path, "upload_browser")
    tokens = seed(db)
    with serving(db) as url:
        yield url, tokens


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    driver = Browser(chromium(), tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.close()


def slot_text(browser: Browser, expected: str) -> str:
    return browser.wait_for(f"(() => {{ const t = (document.querySelector('#reply-slot') || {{}}).innerText || '';"
                            f" return t.includes({json.dumps(expected)}) && t; }})()", what=expected)


def test_a_large_upload_is_followed_to_its_result(live: tuple[str, dict[str, str]], browser: Browser,
                                                  tmp_path: Path) -> None:
    url, tokens = live
    browser.open(f"{url}/#token={tokens['enterprise']}")
    browser.wait_for("document.querySelector('#upload-file')", what="the upload form")
    big = tmp_path / "two-years.csv"
    big.write_bytes(big_csv())
    browser.choose_file("#upload-file", big)
    browser.click("#upload-submit")
    text = slot_text(browser, "退回的行 rejected rows")
    assert "新增 accepted 24" in text and "退回 rejected 2" in text and "not a number" in text
    assert any("/v1/uploads/" in request for request in browser.requests), "the job was not followed"

    broken = tmp_path / "expenses.csv"
    broken.write_bytes(unreadable())
    browser.choose_file("#upload-file", broken)
    browser.click("#upload-submit")
    assert "no recognisable columns" in slot_text(browser, "上传失败 upload failed (expenses.csv)")
