"""Files through the whole pipeline, and `carbon ingest` as a user runs it."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from carbon.cli import main
from carbon.ingest.pipeline import ingest_file
from carbon.ingest.readers import UnreadableFile
from carbon.store import Scope, Store
from tests.databases import new_database

DATA = Path(__file__).parent.parent / "data"
TODAY = date(2025, 7, 20)
SAMPLE_ENTERPRISES = [f"GZHTZ-{i:04d}" for i in range(1, 10)]


@pytest.fixture
def fresh_store(fresh_store: Store) -> Store:
    """The shared fresh store, with every enterprise the sample files name."""
    fresh_store.add_enterprises([{"id": e, "name": e, "region": "gz-htz"} for e in SAMPLE_ENTERPRISES])
    return fresh_store


@pytest.mark.parametrize("name", ["consumption_utf8.csv", "consumption_utf8_bom.csv", "consumption_gbk.csv",
                                  "consumption.xlsx", "consumption.json"])
def test_each_sample_file_is_stored(fresh_store: Store, name: str) -> None:
    summary = ingest_file(fresh_store, DATA / name, actor="test", today=TODAY)
    assert summary.accepted > 0 and summary.rejected == 0, summary.to_dict()
    stored = fresh_store.consumption(Scope.everything())
    assert len(stored) == summary.accepted
    assert stored["tce_equivalent"].gt(0).all()


def test_form_205_splits_fuel_and_feedstock(fresh_store: Store) -> None:
    summary = ingest_file(fresh_store, DATA / "form205_2024-03.xlsx", enterprise_id="GZHTZ-0001", actor="test",
                          today=TODAY)
    assert summary.rejected == 0, summary.to_dict()
    stored = fresh_store.consumption(Scope.everything())
    assert set(stored["period"]) == {"2024-03"}
    assert {"fuel", "feedstock"} <= set(stored["purpose"])


def test_bad_values_are_rejected_row_by_row_and_good_rows_kept(fresh_store: Store) -> None:
    summary = ingest_file(fresh_store, DATA / "mixed_bad_values.csv", actor="test", today=TODAY)
    rejected = {int(r["row"]): (r["field"], r["reason"]) for r in summary.to_dict()["rejections"]}
    expected = {
        3: ("quantity", "not a number"),          # 三点二: text in a number column
        4: ("quantity", "negative"),
        5: ("unit", "unknown unit"),               # 车 is not a unit
        6: ("unit", "volume"),                     # m³ of electricity
        7: ("period", "duplicates row 2"),
        9: ("period", "future"),
        10: ("quantity", "implausible"),           # 10¹⁵ kWh
        13: ("purpose", "fuel or feedstock"),      # "1,250" unquoted: 250 lands in unit, GJ in purpose
    }
    for row, (field, reason) in expected.items():
        assert rejected[row][0] == field and reason in rejected[row][1], (row, rejected.get(row))
    assert summary.accepted == 3  # rows 2, 11 and 12
    stored = fresh_store.consumption(Scope.everything())
    assert sorted(stored["source_row"].tolist()) == [2, 11, 12]


@pytest.mark.parametrize(("name", "message"), [("empty.csv", "empty"), ("utf16.csv", "utf-8"),
                                               ("truncated.xlsx", "XLSX"), ("no_known_columns.csv", "column")])
def test_unreadable_files_store_nothing(fresh_store: Store, name: str, message: str) -> None:
    with pytest.raises(UnreadableFile) as info:
        ingest_file(fresh_store, DATA / name, actor="test", today=TODAY)
    assert message.lower() in str(info.value).lower()
    assert fresh_store.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0


def test_header_only_reads_zero_rows(fresh_store: Store) -> None:
    summary = ingest_file(fresh_store, DATA / "header_only.csv", actor="test", today=TODAY)
    assert summary.counts == {"read": 0, "accepted": 0, "unchanged": 0, "revised": 0, "rejected": 0}


def _cli_db(tmp_path: Path) -> str:
    db = new_database(tmp_path, "cli")
    store = Store(db)
    store.upsert_region("gz-htz", name="高新区", grid_region="guangdong")
    store.add_enterprises([{"id": e, "name": e, "region": "gz-htz"} for e in SAMPLE_ENTERPRISES])
    store.close()
    return db


def test_cli_ingest_json_summary(tmp_path: Path) -> None:
    db = _cli_db(tmp_path)
    result = CliRunner().invoke(main, ["ingest", str(DATA / "mixed_bad_values.csv"), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {k: payload[k] for k in ("read", "accepted", "unchanged", "revised")} == {
        "read": 11, "accepted": 3, "unchanged": 0, "revised": 0}  # the blank line is not a row
    assert payload["rejected"] == len(payload["rejections"]) == 8
    assert {"row", "field", "reason"} <= set(payload["rejections"][0])
    again = json.loads(CliRunner().invoke(main, ["ingest", str(DATA / "mixed_bad_values.csv"), "--db", db,
                                                 "--json"]).stdout)
    assert (again["accepted"], again["unchanged"]) == (0, 3)


def test_cli_ingest_exit_status_1_when_a_file_cannot_be_read(tmp_path: Path) -> None:
    db = _cli_db(tmp_path)
    good = tmp_path / "good.csv"
    shutil.copy(DATA / "consumption_utf8.csv", good)
    result = CliRunner().invoke(main, ["ingest", str(DATA / "utf16.csv"), str(good), "--db", db, "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["accepted"] > 0  # the readable file was still ingested
    assert payload["files"][0]["status"] == "unreadable"


def test_cli_ingest_human_summary(tmp_path: Path) -> None:
    db = _cli_db(tmp_path)
    result = CliRunner().invoke(main, ["ingest", str(DATA / "mixed_bad_values.csv"), "--db", db])
    assert result.exit_code == 0
    assert "accepted" in result.stdout and "row 3" in result.stdout


def test_cli_ingest_holds_a_large_revision_until_confirmed_with_a_reason(tmp_path: Path) -> None:
    db = _cli_db(tmp_path)
    first, correction = tmp_path / "first.csv", tmp_path / "correction.csv"
    first.write_text("enterprise_id,period,carrier,quantity,unit\nGZHTZ-0001,2025-01,电力,100,万千瓦时\n")
    correction.write_text("enterprise_id,period,carrier,quantity,unit\nGZHTZ-0001,2025-01,电力,1,万千瓦时\n")
    assert CliRunner().invoke(main, ["ingest", str(first), "--db", db]).exit_code == 0
    held = CliRunner().invoke(main, ["ingest", str(correction), "--db", db, "--json"])
    payload = json.loads(held.stdout)
    assert payload["revised"] == 0 and len(payload["files"][0]["held"]) == 1  # a 99 % drop: held, not applied
    refused = CliRunner().invoke(main, ["ingest", str(correction), "--db", db, "--confirm"])
    assert refused.exit_code == 2 and "reason" in refused.output
    applied = CliRunner().invoke(main, ["ingest", str(correction), "--db", db, "--confirm", "--reason", "misread",
                                        "--json"])
    assert json.loads(applied.stdout)["revised"] == 1
