"""JSON reader: a list of records or an object with records, chunks, unreadable documents."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from carbon.ingest.readers.columns import UnreadableFile
from carbon.ingest.readers.jsonfile import read_json
from tests.ingest.readers.samples import DATA, one, records


def test_json_object_form() -> None:
    frame = one(read_json(DATA / "consumption.json"))
    assert records(frame, "row", "enterprise_id", "period", "carrier", "quantity", "unit", "purpose") == [
        (0, "GZHTZ-0005", "2024-03", "电力", 412000.0, "kWh", "fuel"),
        (1, "GZHTZ-0005", "2024-03", "天然气", 3.6, "万立方米", "feedstock"),
        (2, "GZHTZ-0007", "2024-03", "electricity", 98000.0, "kWh", None),  # its own enterprise stays
        (3, "GZHTZ-0005", "2024-03", "柴油", 1.25, "吨", None),  # Chinese keys, quantity sent as text
    ]
    assert frame["renewable"].tolist()[2] is True


def test_json_list_form_and_inputs() -> None:
    body = [{"enterprise_id": 1001, "period": "2024-03", "carrier": "电力", "quantity": "85.64", "unit": "万千瓦时"},
            "not a record",
            {"period": "2024-03", "carrier": "柴油", "quantity": True, "unit": "吨"}]
    for source in (body, json.dumps(body).encode(), io.BytesIO(json.dumps(body, ensure_ascii=False).encode())):
        frame = one(read_json(source, enterprise_id="GZHTZ-0001"))
        assert frame["row"].tolist() == [0, 1, 2]
        assert frame["enterprise_id"].tolist() == ["1001", "GZHTZ-0001", "GZHTZ-0001"]
        assert frame["quantity"].tolist()[0::2] == ["85.64", "TRUE"]  # true is no number: kept as text
        assert frame[["carrier", "unit"]].iloc[1].isna().all()  # the non-record keeps its row for the validator


def test_json_chunks() -> None:
    body = {"records": [{"period": "2024-03", "carrier": "电力", "quantity": i, "unit": "kWh"} for i in range(5)]}
    assert [f["row"].tolist() for f in read_json(body, chunksize=2)] == [[0, 1], [2, 3], [4]]
    assert list(read_json([])) == []


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "empty"), (b'[{"period": "2024-03",}]', "not valid JSON: .* line 1"),
     (b'{"items_total": 3}', "'records' list; found an object with keys 'items_total'"),
     (b'"2024-03"', "found str"),
     (b'[{"name": "x", "amount_cny": 3}]', "no recognisable columns.*'amount_cny', 'name'")],
)
def test_json_unreadable(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "body.json"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=fragment):
        read_json(path)
