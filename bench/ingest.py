"""Benchmark: ingest a million-row CSV through the pipeline against plain sqlite3.executemany.

In one run, on this machine:
1. generate a CSV of N monthly consumption rows (distinct enterprise × month × carrier keys);
2. ingest it through the pipeline (read → validate → convert → store, one batch) into a fresh database,
   in a child process (``carbon``'s whole process is timed, and its peak memory is its own);
3. baseline, also a whole child process: read the same CSV with the ``csv`` module and insert its five columns
   with plain ``sqlite3.executemany`` in one transaction into a plain table keyed on (enterprise, period,
   carrier) — the data itself, against which the stored row's extra columns and indexes are measured;
4. ingest the same file again (nothing may change: counts, rows and database size) and time it.

Steps 2 and 3 run ``--pairs`` times in turn and the ratio is taken pair by pair (its median printed, with every
pair's): on a shared machine the speed drifts by tens of percent between runs a minute apart.

Prints the ratio pipeline / baseline (aim <= 1.5x), database bytes per row against the plain table's (aim
<= 2x), the pipeline's peak memory (aim <= 1 GB) and the time of the second ingest.

Usage: python bench/ingest.py [--rows 1000000] [--pairs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
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


def run_child(db: Path, csv: Path, *, flag: str = "--child") -> dict:
    """One child process; its result, with the wall-clock seconds of the whole process."""
    started = time.perf_counter()
    output = subprocess.run([sys.executable, __file__, flag, str(db), str(csv)], check=True,
                            capture_output=True, text=True)
    return {**json.loads(output.stdout.strip().splitlines()[-1]), "process_seconds": time.perf_counter() - started}


def child_baseline(db: str, csv_path: str) -> None:
    """Runs in a child process: the plain five-column executemany of the CSV, one transaction."""
    import csv

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE consumption (enterprise_id TEXT NOT NULL, period TEXT NOT NULL, carrier TEXT NOT "
                 "NULL, quantity REAL, unit TEXT, PRIMARY KEY (enterprise_id, period, carrier))")
    started = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO consumption VALUES (?, ?, ?, ?, ?)",
                         ((e, p, c, float(q), u) for e, p, c, q, u in reader))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(json.dumps({"seconds": elapsed}))


def database_bytes(db: Path) -> int:
    """The database's size once its write-ahead log is folded in [bytes]."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size


def fresh(db: Path, template: Path | None = None) -> Path:
    """``db`` removed with its log (and copied from ``template`` if given)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if template is not None:
        shutil.copyfile(template, db)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=3, help="pipeline and baseline runs, in turn (median ratio)")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--child", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline-child", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ingest(*args.child)
        return
    if args.baseline_child:
        child_baseline(*args.baseline_child)
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="carbon-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "consumption.csv"
    started = time.perf_counter()
    enterprises = generate(csv, args.rows)
    empty_db, pipeline_db, baseline_db = folder / "empty.db", folder / "pipeline.db", folder / "baseline.db"
    prepare_db(fresh(empty_db), enterprises)
    print(f"rows: {args.rows:,} ({csv.stat().st_size / 1e6:.0f} MB CSV, {enterprises:,} enterprises); "
          f"setup {time.perf_counter() - started:.1f} s")

    empty_bytes = database_bytes(empty_db)  # the enterprises and the schema, before any row
    # Pipeline and baseline in turn, the ratio taken pair by pair: the machine's speed drifts between runs.
    pairs = []
    for _ in range(args.pairs):
        first = run_child(fresh(pipeline_db, empty_db), csv)
        assert first["accepted"] == args.rows, first
        base = run_child(fresh(baseline_db), csv, flag="--baseline-child")
        pairs.append((first, base, first["process_seconds"] / base["process_seconds"]))
    first, base, ratio = sorted(pairs, key=lambda pair: pair[2])[len(pairs) // 2]
    pipeline_bytes = database_bytes(pipeline_db) - empty_bytes
    base_bytes = database_bytes(baseline_db)
    second = run_child(pipeline_db, csv)
    assert second["accepted"] == 0 and second["revised"] == 0 and second["unchanged"] == args.rows, second
    grown = database_bytes(pipeline_db) - empty_bytes - pipeline_bytes

    ratios = ", ".join(f"{pair[2]:.2f}" for pair in pairs)
    print(f"pipeline ingest, whole process:                {first['process_seconds']:8.2f} s "
          f"({args.rows / first['process_seconds']:,.0f} rows/s; {first['seconds']:.2f} s in ingest_file)")
    print(f"baseline 5-column executemany, whole process:  {base['process_seconds']:8.2f} s "
          f"({base['seconds']:.2f} s reading and inserting)")
    print(f"ratio pipeline / baseline, median of {len(pairs)} pairs: {ratio:8.2f}x  (aim <= 1.5x; pairs: {ratios})")
    print(f"database bytes per row, pipeline:              {pipeline_bytes / args.rows:8.0f}")
    print(f"database bytes per row, plain table:           {base_bytes / args.rows:8.0f}")
    print(f"ratio of sizes pipeline / plain table:         {pipeline_bytes / base_bytes:8.2f}x  (aim <= 2x)")
    print(f"pipeline peak memory:                          {first['peak_mb']:8.0f} MB  (aim <= 1024 MB)")
    print(f"second ingest of the same file:                {second['process_seconds']:8.2f} s "
          f"(unchanged {second['unchanged']:,}, accepted {second['accepted']}, revised {second['revised']}, "
          f"database grew {grown:,} bytes)")


if __name__ == "__main__":
    main()
