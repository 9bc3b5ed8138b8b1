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


remaking = threading.Event()
remade = threading.Event()


@cached_by_region_version
def _blocking_report(store: Store, code: str) -> dict[str, int]:
    version = store.data_versions(code)
    if remaking.is_set():
        remade.wait(5)
    return {"version": hash(version)}


def test_while_a_report_is_remade_readers_get_the_one_made_last(tmp_path: Path) -> None:
    store, other = Store(str(tmp_path / "carbon.db")), Store(str(tmp_path / "carbon.db"))
    first = _blocking_report(store, "a")
    with store.transaction():  # a batch: the report must be remade
        pass
    remaking.set()
    remaker = threading.Thread(target=_blocking_report, args=(store, "a"))
    remaker.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _remaking_now():
        time.sleep(0.005)
    assert _blocking_report(other, "a") == first  # not kept waiting by the remake, nor making another
    remade.set()
    remaker.join()
    remaking.clear()
    assert _blocking_report(other, "a") != first  # the remade one, now that no remake is running
    store.close()
    other.close()


def _remaking_now() -> bool:
    from carbon.reports import cache

    with cache._CACHE_LOCK:
        return any(report[0] == "_blocking_report" for report in cache._REMAKING)


@cached_by_region_version
def _counted_report(store: Store, code: str) -> dict[str, str]:
    calls.append(code)
    return {"region": code}


def test_a_kept_report_is_found_without_making_it(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "carbon.db"))
    calls.clear()
    assert _counted_report.kept(store, "a") is None and calls == []  # not made yet: nothing computed
    made = _counted_report(store, "a")
    assert _counted_report.kept(store, "a") is made and calls == ["a"]
    with store.transaction():
        store.changes_only_regions(["a"])
    assert _counted_report.kept(store, "a") is None and calls == ["a"]  # its data moved: to be made again
    store.close()
    memory = Store(":memory:")
    _counted_report(memory, "a")
    assert _counted_report.kept(memory, "a") is None  # in-memory databases are never kept
    memory.close()
