"""Benchmark: millions of 15-minute readings into PostgreSQL through the pipeline, against plain COPY.

In one run, against the PostgreSQL server of ``--url`` (a fresh schema is made and dropped):
1. generate N telemetry rows (meters x quarter-hours, cumulative registers) as a CSV file;
2. ingest it through the pipeline (read in chunks → validate → classify → COPY) into the partitioned
   ``readings`` table of one schema, as ``carbon ingest`` does for a large file, noting the seconds of each
   stage (the COPY of a chunk runs on its own thread while the next chunk is read and validated);
3. baseline: ``COPY`` the same rows, as they ended up in the table (exported to a file beforehand), into the
   same table of a second schema, in one transaction;
4. load the demo region into the first schema and time the region intensity report on that volume, computed
   afresh each time (the cache is bypassed) and as served (cached).

Prints the ratio pipeline / COPY (aim <= 1.5x), where the pipeline's time went, and the report's p50 (aim <
100 ms).

Usage: python bench/scale.py [--rows 10000000] [--url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from carbon.demo import load_demo
from carbon.ingest.readers.limits import bounded, current_limits, reading_guard
from carbon.ingest.readings import Stages, ingest_readings, read_readings_csv
from carbon.reports import region_intensity
from carbon.store import READING_COLUMNS, Store

STEPS_PER_METER = 10_000  # ~104 days of quarter-hours
START = pd.Timestamp("2025-01-01T00:00:00", tz="Asia/Shanghai")


def generate(path: Path, rows: int, seed: int = 11) -> list[str]:
    """Write the telemetry CSV in pieces (never all in memory); returns the enterprises it names."""
    meters = -(-rows // STEPS_PER_METER)
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(START, periods=STEPS_PER_METER, freq="15min").strftime("%Y-%m-%dT%H:%M:%S+08:00")
    enterprises = [f"SCALE-{i:04d}" for i in range(max(1, meters // 10))]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("meter_id,enterprise_id,ts,value,unit,carrier,kind\n")
        written = 0
        for meter in range(meters):
            count = min(STEPS_PER_METER, rows - written)
            registers = np.cumsum(rng.gamma(2.0, 50.0, count)).round(1)
            frame = pd.DataFrame({"meter_id": f"M{meter:05d}", "enterprise_id": enterprises[meter % len(enterprises)],
                                  "ts": stamps[:count], "value": registers, "unit": "kWh",
                                  "carrier": "electricity", "kind": "cumulative"})
            frame.to_csv(handle, header=False, index=False)
            written += count
    return enterprises


def schema_url(url: str, schema: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{url}?options=-csearch_path%3D{schema}"


def copy_baseline(source: str, target: str, folder: Path) -> float:
    """COPY the rows the pipeline stored, exported beforehand to a file, into the same (empty, partitioned)
    table of ``target``: one transaction. Only the COPY is timed."""
    store = Store(target)
    export = folder / "stored.csv"
    columns = ", ".join(READING_COLUMNS)
    with psycopg.connect(source) as read:
        months = {row[0] for row in read.execute(
            "SELECT DISTINCT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM') FROM readings").fetchall()}
        with export.open("wb") as handle, \
                read.cursor().copy(f"COPY (SELECT {columns} FROM readings) TO STDOUT") as out:
            for block in out:
                handle.write(block)
    store.ensure_reading_partitions(months)  # the same partitions as the pipeline's, made before the clock
    with psycopg.connect(target) as write, export.open("rb") as handle:
        started = time.perf_counter()
        with write.transaction(), write.cursor().copy(f"COPY readings ({columns}) FROM STDIN") as into:
            while block := handle.read(1 << 20):
                into.write(block)
        elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def print_stages(stages: Stages, t_pipeline: float, t_copy: float) -> None:
    """Where the pipeline's time went: each stage's seconds and share of the whole; the COPY, on its own thread,
    overlaps reading and validation, so only its waits add to the wall time."""
    print("where the pipeline's time went (seconds, share of the pipeline's wall time):")
    main_thread = 0.0
    for stage, seconds in stages.seconds.items():
        overlapped = stage == "copy"
        main_thread += 0.0 if overlapped else seconds
        note = ("  (own thread, overlaps read + validate; the COPY alone takes "
                f"{t_copy:.1f} s, the rest is writing its CSV)" if overlapped else "")
        print(f"  {stage:<46}{seconds:8.1f} s {seconds / t_pipeline:6.1%}{note}")
    print(f"  {'other (setup, meters, bookkeeping)':<46}{t_pipeline - main_thread:8.1f} s "
          f"{(t_pipeline - main_thread) / t_pipeline:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the schemas")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="carbon-scale-"))
    csv = folder / "telemetry.csv"
    started = time.perf_counter()
    enterprises = generate(csv, args.rows)
    tag = uuid.uuid4().hex[:8]
    pipeline_db, baseline_db = schema_url(args.url, f"scale_{tag}"), schema_url(args.url, f"scale_copy_{tag}")
    store = Store(pipeline_db)
    store.upsert_region("scale", name="scale test region", grid_region="guangdong")
    store.add_enterprises({"id": e, "name": e, "region": "scale"} for e in enterprises)
    print(f"rows: {args.rows:,} ({csv.stat().st_size / 1e6:,.0f} MB CSV); setup {time.perf_counter() - started:.0f} s")

    try:
        stages = Stages()
        # what `carbon ingest` does with a large telemetry file, its row limit raised to the file's size
        limits = dataclasses.replace(current_limits(), max_rows=args.rows, max_seconds=24 * 3600)
        started = time.perf_counter()
        with reading_guard(csv.name):
            chunks = bounded(read_readings_csv(csv, chunksize=200_000), csv.name, limits)
            summary = ingest_readings(store, chunks, source=csv.name, actor="bench", stages=stages)
        t_pipeline = time.perf_counter() - started
        assert summary.accepted == args.rows, summary.counts
        t_copy = copy_baseline(pipeline_db, baseline_db, folder)

        load_demo(store)
        fresh = []
        for _ in range(7):
            began = time.perf_counter()
            region_intensity.__wrapped__(store, "gz-htz")
            fresh.append(time.perf_counter() - began)
        served = []
        for _ in range(50):
            began = time.perf_counter()
            region_intensity(store, "gz-htz")
            served.append(time.perf_counter() - began)
        readings = store.conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
    finally:
        store.close()
        if not args.keep:
            with psycopg.connect(args.url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS scale_{tag} CASCADE")
                conn.execute(f"DROP SCHEMA IF EXISTS scale_copy_{tag} CASCADE")

    print(f"pipeline ingest (read+validate+classify+COPY): {t_pipeline:8.1f} s ({args.rows / t_pipeline:,.0f} rows/s)")
    print(f"baseline COPY of the same rows:                 {t_copy:8.1f} s ({args.rows / t_copy:,.0f} rows/s)")
    print(f"ratio pipeline / COPY:                          {t_pipeline / t_copy:8.2f}x  (aim <= 1.5x)")
    print_stages(stages, t_pipeline, t_copy)
    print(f"region intensity report with {readings:,} readings stored:")
    print(f"  computed afresh: p50 {statistics.median(fresh) * 1e3:7.1f} ms  (aim < 100 ms)")
    print(f"  as served (cached until the data change): p50 {statistics.median(served) * 1e3:7.3f} ms")


if __name__ == "__main__":
    main()
