"""CSV reader: recorded samples in tests/data (rebuilt by tests/data/make_samples.py), encodings, chunking,
line numbers, peak memory."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carbon.ingest.readers import read_file
from carbon.ingest.readers.columns import UnreadableFile
from carbon.ingest.readers.csvfile import read_csv
from tests.ingest.readers.samples import DATA, one, records


def test_csv_utf8_english_headers() -> None:
    frame = one(read_csv(DATA / "consumption_utf8.csv"))
    assert list(frame.columns) == ["row", "enterprise_id", "period", "carrier", "quantity", "unit", "purpose",
                                   "ncv", "ncv_unit", "submitted_at"]
    assert frame["row"].tolist() == list(range(2, 10))  # header is line 1
    assert records(frame, "row", "enterprise_id", "period", "carrier", "quantity", "unit", "purpose")[2] == (
        4, "GZHTZ-0001", "2024-01", "raw coal", 160.5, "t", "fuel")
    assert records(frame.iloc[[2]], "ncv", "ncv_unit", "submitted_at") == [("21.35", "GJ/t", "2024-02-05")]
    assert frame["ncv"].isna().sum() == 7
    assert frame["quantity"].dtype == np.float64
    assert frame["quantity"].sum() == pytest.approx(856400 + 124500 + 160.5 + 798200 + 118300 + 1203000 + 56000
                                                    + 1850)
    for column in ("enterprise_id", "period", "carrier", "unit", "purpose"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column


def test_csv_utf8_bom_chinese_headers() -> None:
    frame = one(read_csv(DATA / "consumption_utf8_bom.csv"))
    # the BOM must not stick to the first header, or 企业编号 would not be recognised
    assert list(frame.columns) == ["row", "enterprise_id", "period", "carrier", "quantity", "unit", "purpose"]
    assert records(frame, "row", "enterprise_id", "period", "carrier", "quantity", "unit", "purpose") == [
        (2, "GZHTZ-0003", "2024年1月", "电力", 85.64, "万千瓦时", "燃料"),
        (3, "GZHTZ-0003", "2024年1月", "天然气", 12.45, "万立方米", "燃料"),
        (4, "GZHTZ-0003", "2024年1月", "柴油", 3.2, "吨", "燃料"),
        (5, "GZHTZ-0003", "2024年2月", "电力", 79.82, "万千瓦时", "燃料"),
        (6, "GZHTZ-0003", "2024年2月", "天然气", 11.83, "万立方米", "原料"),
        (7, "GZHTZ-0003", "2024年2月", "光伏发电", 6.15, "万千瓦时", "燃料"),
    ]


def test_csv_gbk_keeps_periods_as_written_and_drops_unknown_columns() -> None:
    frame = one(read_csv(DATA / "consumption_gbk.csv"))
    assert "备注" not in frame and list(frame.columns)[1:] == ["enterprise_id", "period", "carrier", "quantity",
                                                              "unit", "purpose"]
    assert frame["period"].tolist() == ["2024/3", "202403", "2024-03", "2024年3月"]
    assert records(frame, "row", "carrier", "quantity", "unit") == [
        (2, "原煤", 1600.0, "吨"), (3, "焦炭", 45.5, "吨"), (4, "液化石油气", 2.4, "吨"),
        (5, "热力", 1850.0, "百万千焦")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_alike(tmp_path: Path, encoding: str) -> None:
    text = (DATA / "consumption_utf8_bom.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    expected = one(read_csv(DATA / "consumption_utf8_bom.csv"))
    pd.testing.assert_frame_equal(one(read_csv(path)), expected)


def test_csv_gbk_detected_past_the_first_block(tmp_path: Path) -> None:
    # 1.5 MiB of ASCII rows, then a GBK row: the encoding is decided on the whole file, not its head
    ascii_rows = "".join(f"GZHTZ-0001,2024-01,diesel,{i},t\n" for i in range(50_000))
    path = tmp_path / "late_gbk.csv"
    path.write_bytes(("enterprise_id,period,carrier,quantity,unit\n" + ascii_rows).encode()
                     + "GZHTZ-0001,2024-01,柴油,1,吨\n".encode("gbk"))
    assert path.stat().st_size > (1 << 20)
    frames = list(read_csv(path, chunksize=100_000))
    last = frames[-1].iloc[-1]
    assert (last["row"], last["carrier"], last["unit"]) == (50_002, "柴油", "吨")


def test_csv_explicit_encoding_and_buffers() -> None:
    raw = (DATA / "consumption_gbk.csv").read_bytes()
    expected = one(read_csv(DATA / "consumption_gbk.csv"))
    pd.testing.assert_frame_equal(one(read_csv(DATA / "consumption_gbk.csv", encoding="gb18030")), expected)
    pd.testing.assert_frame_equal(one(read_csv(io.BytesIO(raw))), expected)
    pd.testing.assert_frame_equal(one(read_csv(io.StringIO(raw.decode("gbk")))), expected)


def test_csv_header_below_title_lines_and_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text("2024年3月能源消费明细,,,,\n填报单位：广州华腾新材料有限公司,,,,\n\n"
                    "企业编号,统计期,能源品种,消费量,计量单位\n"      # line 4
                    "GZHTZ-0001,2024-03,电力,85.64,万千瓦时\n"       # line 5
                    "\n,,,,\n"                                        # lines 6-7: blank
                    "GZHTZ-0001,2024-03,柴油,3.2,吨\n", encoding="utf-8")
    frame = one(read_csv(path))
    assert records(frame, "row", "carrier") == [(5, "电力"), (8, "柴油")]


def test_csv_mixed_bad_values_are_all_read_as_written() -> None:
    frame = one(read_file(DATA / "mixed_bad_values.csv"))
    # line 8 is blank; every other line is a record the validator will judge
    assert frame["row"].tolist() == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]
    assert frame["quantity"].dtype != np.float64  # 三点二 keeps the whole chunk as text
    assert frame["quantity"].tolist() == ["85.64", "三点二", "-12.4", "16", "5000", "85.64", "120.5", "1e15",
                                          "56000", "3.2", "1"]
    assert frame["unit"].tolist()[3:5] == ["车", "m³"]
    assert frame["period"].tolist()[6] == "2099-01"
    assert pd.isna(frame["purpose"].iloc[9])  # line 12 left it empty
    # line 13 wrote 1,250 without quotes: the fields shift, and the record is there for the validator to reject
    assert records(frame.iloc[[10]], "quantity", "unit", "purpose") == [("1", "250", "GJ")]


def write_large_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("企业编号,统计期,能源品种,消费量,计量单位\n")
        out.writelines(f"GZHTZ-{i % 500:04d},2024-03,电力,{i / 4},万千瓦时\n" for i in range(n))


def test_csv_chunks_of_a_large_file(tmp_path: Path) -> None:
    n = 250_000
    path = tmp_path / "large.csv"
    write_large_csv(path, n)
    sizes, rows, total = [], [], 0.0
    for chunk in read_csv(path, chunksize=100_000):
        sizes.append(len(chunk))
        rows.append((int(chunk["row"].iloc[0]), int(chunk["row"].iloc[-1])))
        total += chunk["quantity"].sum()
    assert sizes == [100_000, 100_000, 50_000]
    assert rows == [(2, 100_001), (100_002, 200_001), (200_002, 250_001)]  # continuous line numbers
    assert total == pytest.approx(sum(range(n)) / 4)


def test_csv_peak_memory_follows_the_chunk_not_the_file(tmp_path: Path) -> None:
    # Traced allocations make reading slow, so the files stay small: a file and one four times its size, read in
    # chunks of the same size, peak alike; the larger file read whole peaks far higher (measured: 1.6 MB, 1.6 MB
    # and 8.3 MB).
    n = 40_000
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_large_csv(small, n)
    write_large_csv(large, 4 * n)
    peaks = []
    tracemalloc.start()
    try:
        for path in (small, large):
            tracemalloc.reset_peak()
            for chunk in read_csv(path, chunksize=n // 4):
                del chunk
            peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        whole = list(read_csv(large, chunksize=4 * n))
        whole_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(whole) == 1 and len(whole[0]) == 4 * n
    assert peaks[1] < 1.25 * peaks[0]
    assert peaks[1] < 0.5 * whole_peak


def test_csv_parser_reads_lazily(tmp_path: Path) -> None:
    path = tmp_path / "lazy.csv"
    path.write_text("period,carrier,quantity,unit\n" + "2024-03,电力,1,万千瓦时\n" * 200_000, encoding="utf-8")
    with path.open("rb") as stream:
        chunks = read_csv(stream, chunksize=20_000, encoding="utf-8")
        first = next(chunks)
        assert len(first) == 20_000
        assert stream.tell() < path.stat().st_size / 2  # the rest of the file is not read yet
        chunks.close()


def test_csv_header_only_is_readable_but_empty() -> None:
    assert list(read_csv(DATA / "header_only.csv")) == []
    assert list(read_file(DATA / "header_only.csv")) == []


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL bytes"),
     ("企业编号,消费量\n".encode("utf-16-le"), "NUL bytes"),  # UTF-16 without a BOM
     (b"period,quantity\n\xff\xfe\xfa\n", "neither UTF-8 nor GB18030"),
     (b"PK\x03\x04 rest of a zip", "ZIP archive")],
)
def test_csv_refuses_binary_and_other_encodings(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=fragment) as info:
        read_csv(path)
    assert "UTF-8" in str(info.value) or "ZIP" in str(info.value)
