"""Benchmark: where the time of a bulk CSV ingest goes before the write, stage by stage.

Generates the CSV of ``bench/ingest.py`` (N monthly rows), then runs, in a child process of its own, the stages
the pipeline runs before it writes, each to completion over the whole file, and prints the CPU time of each:
importing the package, reading the CSV into canonical chunks, validating and converting them, and preparing
them for the store (packed keys, new rows with their regions, monthly sums, content digest). CPU time, not wall
time: on a shared machine the wall clock mostly measures the neighbours. What follows (classifying against the
stored rows and the writes) is the store's part and is timed by ``bench/ingest.py`` as a whole.

Usage: python bench/ingest_stages.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def child(csv: str, db: str) -> None:
    """Runs in a child process, so that the import is timed from a cold start."""
    started = time.process_time()
    from carbon.factors import default_factors
    from carbon.ingest.chunks import ConsumptionKeys, prepare_chunk
    from carbon.ingest.pipeline import ingest_file  # noqa: F401 - what an ingest imports
    from carbon.ingest.readers import read_file
    from carbon.ingest.validate.consumption import validate_consumption
    from carbon.store import Store

    times = {"import": time.process_time() - started}
    store = Store(db)
    enterprises, home, factors = store.enterprise_ids(), store.enterprise_regions(), default_factors()
    grid = {row["id"]: row["grid_region"] for row in store.enterprise_grid_regions()}

    def timed(name, work):
        started = time.process_time()
        result = work()
        times[name] = time.process_time() - started
        return result

    chunks = timed("read CSV", lambda: list(read_file(csv)))
    checked = timed("validate and convert", lambda: [
        validate_consumption(chunk, enterprises=enterprises, today=date(2026, 1, 1), factors=factors,
                             grid_regions=grid) for chunk in chunks])
    keys = ConsumptionKeys()
    timed("prepare (keys, rows, sums, digest)", lambda: [
        prepare_chunk(len(chunk), result, keys, home, "b" * 32, "2026-01-01T00:00:00Z")
        for chunk, result in zip(chunks, checked, strict=True)])
    store.close()
    print(json.dumps(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--child", nargs=2, metavar=("CSV", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    sys.path.insert(0, str(Path(__file__).parent))
    from ingest import database_bytes, generate, prepare_db

    folder = args.keep or Path(tempfile.mkdtemp(prefix="carbon-stages-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv, db = folder / "consumption.csv", folder / "stages.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    prepare_db(db, generate(csv, args.rows))
    database_bytes(db)  # the write-ahead log folded in
    output = subprocess.run([sys.executable, __file__, "--child", str(csv), str(db)], check=True,
                            capture_output=True, text=True)
    times = json.loads(output.stdout.strip().splitlines()[-1])
    print(f"rows: {args.rows:,}; CPU seconds per stage before the write:")
    for name, seconds in times.items():
        print(f"  {name:40s} {seconds:7.2f} s")
    print(f"  {'together':40s} {sum(times.values()):7.2f} s")


if __name__ == "__main__":
    main()
