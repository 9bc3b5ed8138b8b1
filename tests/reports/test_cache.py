"""The reports cache: one computation per version of the data, kept across other regions' writes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from carbon.reports.cache import cached_by_region_version
from carbon.store import Store

calls: list[str] = []


@cached_by_region_version
def _slow_report(store: Store, code: str) -> dict[str, str]:
    calls.append(code)
    time.sleep(0.2)
    return {"region": code}


def test_a_region_report_is_made_once_per_version_of_its_region(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "carbon.db"))
    calls.clear()
    readers = [threading.Thread(target=_slow_report, args=(store, "a")) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert calls == ["a"]  # four readers at once, one computation
    _slow_report(store, "b")
    with store.transaction():
        store.changes_only_regions(["b"])  # another region's batch
    _slow_report(store, "a")
    assert calls == ["a", "b"]
    _slow_report(store, "b")
    assert calls == ["a", "b", "b"]
    with store.transaction():  # a write that does not say what it changes
        pass
    _slow_report(store, "a")
    assert calls == ["a", "b", "b", "a"]
    store.close()
