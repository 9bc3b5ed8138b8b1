"""Hostile input through the command line and the inbox folder: a clear error and a non-zero exit, never a
traceback; a poison file quarantined while the files after it are read."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from carbon import jobs
from carbon.cli import main
from carbon.store import Scope, Store
from tests.databases import new_database
from tests.hostile.bombs import xlsx_bomb
from tests.timing import thread_cpu

GOOD_CSV = b"enterprise_id,period,carrier,quantity,unit\nE1,2024-01,electricity,1,kWh\n"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = new_database(tmp_path, "hostile_cli")
    store = Store(path)
    store.upsert_region("gz-htz", name="高新区", grid_region="guangdong")
    store.add_enterprises([{"id": "E1", "name": "e", "region": "gz-htz"}])
    store.close()
    return path


@pytest.mark.parametrize("unit", ["9**9**8", "1/0", "0**-1", "kWh)", "kWh{", "=kWh", "k" * 80])
def test_convert_refuses_an_evaluated_unit_with_exit_2(unit: str) -> None:
    with thread_cpu() as spent:  # the command runs in this thread
        result = CliRunner().invoke(main, ["convert", "1", unit, "electricity"])
    assert spent.seconds < 2.0
    assert result.exit_code == 2, result.output
    assert "unknown unit" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(("name", "content"), [
    ("deep.json", b"[" * 100_000 + b"]" * 100_000),
    ("line.csv", b"enterprise_id,period,carrier,quantity,unit\n" + b"E1," * 200_000),
])
def test_ingest_refuses_a_hostile_file_clearly(db: str, tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with thread_cpu() as spent:  # the command runs in this thread
        result = CliRunner().invoke(main, ["ingest", str(path), "--db", db])
    assert spent.seconds < 2.0
    assert result.exit_code == 1, result.output  # the contract: 1 when a file cannot be read at all
    assert "Traceback" not in result.output and name in result.output


def test_ingest_refuses_a_spreadsheet_bomb_and_keeps_the_good_file(db: str, tmp_path: Path) -> None:
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", empty_rows=10_000_000)
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD_CSV)
    result = CliRunner().invoke(main, ["ingest", str(bomb), str(good), "--db", db, "--json"])
    assert result.exit_code == 1
    assert "bomb.xlsx" in result.output
    store = Store(db)
    assert len(store.consumption(Scope.everything(), enterprise_id="E1")) == 1
    store.close()


def test_a_poison_file_is_quarantined_and_the_inbox_goes_on(db: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("CARBON_INBOX", str(inbox))
    xlsx_bomb(inbox / "a-bomb.xlsx", empty_rows=10_000_000)
    (inbox / "b-deep.json").write_bytes(b"[" * 50_000 + b"]" * 50_000)
    (inbox / "c-unit.csv").write_bytes(b"enterprise_id,period,carrier,quantity,unit\nE1,2024-02,electricity,1,1/0\n")
    (inbox / "d-good.csv").write_bytes(GOOD_CSV)
    past = time.time() - 60
    for path in inbox.iterdir():
        os.utime(path, (past, past))

    from carbon.ingest import pipeline

    real = pipeline.ingest_file

    def faulty(store, path, **kwargs):  # a fault nobody planned for, in the first file only
        if Path(path).name == "a-bomb.xlsx":
            raise ZeroDivisionError("division by zero")
        return real(store, path, **kwargs)

    monkeypatch.setattr(pipeline, "ingest_file", faulty)
    result = jobs.run_job("ingest_inbox", db)
    assert result["status"] == "ok", result
    failed = sorted(p.name for p in (inbox / "failed").iterdir() if not p.name.endswith(".report.json"))
    processed = sorted(p.name for p in (inbox / "processed").iterdir() if not p.name.endswith(".report.json"))
    assert [name.split("-", 1)[1] for name in failed] == ["a-bomb.xlsx", "b-deep.json"]
    assert [name.split("-", 1)[1] for name in processed] == ["c-unit.csv", "d-good.csv"]
    report = json.loads(next((inbox / "failed").glob("*a-bomb.xlsx.report.json")).read_text(encoding="utf-8"))
    assert report["status"] == "failed" and report["error_type"] == "ZeroDivisionError"
    unit_report = json.loads(next((inbox / "processed").glob("*c-unit.csv.report.json")).read_text(encoding="utf-8"))
    assert unit_report["rejected"] == 1


def test_the_inbox_sits_beside_the_database_of_the_job(db: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from carbon.ingest.tasks import inbox_path
    from carbon.store import is_postgresql

    monkeypatch.delenv("CARBON_INBOX", raising=False)
    monkeypatch.setenv("CARBON_DB", str(tmp_path / "elsewhere" / "other.db"))
    if is_postgresql(db):
        assert inbox_path(db) == Path("data") / "inbox"
        return
    assert inbox_path(db) == Path(db).resolve().parent / "inbox"
    assert inbox_path() == (tmp_path / "elsewhere" / "inbox").resolve()
    shutil.rmtree(tmp_path / "elsewhere", ignore_errors=True)


@pytest.mark.parametrize("payload", [b"[" * 100_000 + b"]" * 100_000, b'{"ts": "2025-06-01T00:15:00+08:00", '
                                     b'"value": 1, "unit": "9**9**8"}', b"\xff\xfe", b"{" * 50_000])
def test_a_hostile_telemetry_payload_is_a_problem_not_a_crash(payload: bytes) -> None:
    from carbon.ingest.mqtt import DEFAULT_PREFIX, parse_telemetry

    with thread_cpu() as spent:
        message = parse_telemetry(f"{DEFAULT_PREFIX}/E1/M1", payload)
    assert spent.seconds < 2.0
    assert message.problem or message.points  # a unit is judged later, by the grammar, when the point is validated
