"""Benchmark: ingest a million-row CSV through the pipeline against plain sqlite3.executemany.

In one run, on this machine:
1. generate a CSV of N monthly consumption rows (distinct enterprise × month × carrier keys);
2. ingest it through the pipeline (read → validate → convert → store, one batch) into a fresh database,
   in a child process so that its peak memory is its own;
3. baseline: insert the same stored rows with plain ``sqlite3.executemany`` into the same table of another
   fresh database, in one transaction;
4. ingest the same file again (nothing may change) and time it.

Prints the ratio pipeline / baseline (aim <= 1.5x), the pipeline's peak memory (aim <= 1 GB) and the time of
the second ingest.

Usage: python bench/ingest.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CARRIERS = [("电力", "万千瓦时", 30.0), ("天然气", "万立方米", 2.0), ("柴油", "吨", 5.0), ("汽油", "吨", 3.0),
            ("热力", "百万千焦", 400.0), ("蒸汽", "吨", 80.0), ("液化石油气", "吨", 1.0), ("光伏发电", "万千瓦时", 1.5),
            ("raw coal", "t", 20.0), ("LNG", "t", 2.0)]
PERIODS = [f"{year}-{month:02d}" for year in range(2020, 2026) for month in range(1, 13)]


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write the CSV; returns the number of enterprises it names."""
    per_enterprise = len(PERIODS) * len(CARRIERS)
    enterprises = -(-rows // per_enterprise)
    rng = np.random.default_rng(seed)
    index = np.arange(rows)
    enterprise = index // per_enterprise
    period = (index // len(CARRIERS)) % len(PERIODS)
    carrier = index % len(CARRIERS)
    scale = np.array([c[2] for c in CARRIERS])[carrier]
    frame = pd.DataFrame({
        "enterprise_id": pd.Categorical.from_codes(enterprise, [f"BENCH-{i:05d}" for i in range(enterprises)]),
        "period": pd.Categorical.from_codes(period, PERIODS),
        "carrier": pd.Categorical.from_codes(carrier, [c[0] for c in CARRIERS]),
        "quantity": np.round(rng.gamma(2.0, 0.5, rows) * scale, 3),
        "unit": pd.Categorical(np.array([c[1] for c in CARRIERS])[carrier]),
    })
    frame.to_csv(path, index=False)
    return enterprises


def prepare_db(db: Path, enterprises: int) -> None:
    from carbon.store import Store

    store = Store(str(db))
    store.upsert_region("bench", name="benchmark region", grid_region="guangdong")
    store.add_enterprises({"id": f"BENCH-{i:05d}", "name": f"enterprise {i}", "region": "bench"}
                          for i in range(enterprises))
    store.close()


def child_ingest(db: str, csv: str) -> None:
    """Runs in a child process: one pipeline ingest, timed, with this process's peak memory."""
    from datetime import date

    from carbon.ingest.pipeline import ingest_file
    from carbon.store import Store

    store = Store(db)
    started = time.perf_counter()
    summary = ingest_file(store, csv, actor="bench", today=date(2026, 1, 1))
    elapsed = time.perf_counter() - started
    store.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_kb / 1024, **summary.counts}))


def run_child(db: Path, csv: Path) -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", str(db), str(csv)], check=True,
                            capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def baseline(source_db: Path, target_db: Path) -> float:
    """Plain executemany of the same rows into the same table of a fresh database, one transaction."""
    from carbon.store import CONSUMPTION_COLUMNS, Store

    Store(str(target_db)).close()  # same schema, same indexes
    with sqlite3.connect(source_db) as source:
        rows = source.execute(f"SELECT {', '.join(CONSUMPTION_COLUMNS)} FROM consumption").fetchall()
    conn = sqlite3.connect(target_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    sql = (f"INSERT INTO consumption ({', '.join(CONSUMPTION_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in CONSUMPTION_COLUMNS)})")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(sql, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--child", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ingest(*args.child)
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="carbon-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "consumption.csv"
    started = time.perf_counter()
    enterprises = generate(csv, args.rows)
    pipeline_db, baseline_db = folder / "pipeline.db", folder / "baseline.db"
    for db in (pipeline_db, baseline_db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    prepare_db(pipeline_db, enterprises)
    print(f"rows: {args.rows:,} ({csv.stat().st_size / 1e6:.0f} MB CSV, {enterprises:,} enterprises); "
          f"setup {time.perf_counter() - started:.1f} s")

    first = run_child(pipeline_db, csv)
    assert first["accepted"] == args.rows, first
    t_base = baseline(pipeline_db, baseline_db)
    second = run_child(pipeline_db, csv)
    assert second["accepted"] == 0 and second["revised"] == 0 and second["unchanged"] == args.rows, second

    print(f"pipeline ingest (read+validate+convert+store): {first['seconds']:8.2f} s "
          f"({args.rows / first['seconds']:,.0f} rows/s)")
    print(f"baseline executemany of the same rows:         {t_base:8.2f} s")
    print(f"ratio pipeline / baseline:                     {first['seconds'] / t_base:8.2f}x  (aim <= 1.5x)")
    print(f"pipeline peak memory:                          {first['peak_mb']:8.0f} MB  (aim <= 1024 MB)")
    print(f"second ingest of the same file (0 changed):    {second['seconds']:8.2f} s "
          f"(unchanged {second['unchanged']:,})")


if __name__ == "__main__":
    main()
