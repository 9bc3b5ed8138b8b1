"""Benchmark: a small submission (a POST of 5 monthly records) through the pipeline, stage by stage.

Under the monthly-deadline load every write is a handful of records, and the work done for them before the write
transaction opens (validation, conversion, preparing the rows, their sums and digest) is paid on every request.
Prints, from one run on this machine, the best CPU time per request of:
- validating and converting the records (``validate_consumption``);
- preparing them for the store (keys, new rows, monthly sums, content digest: ``prepare_chunk``);
- the whole ``ingest_records`` call into a fresh SQLite database (the above plus the transaction);
and, as a yardstick, a plain ``sqlite3`` insert of the same five rows in one transaction.

Usage: python bench/small_submission.py [--records 5] [--repeat 7]
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import tempfile
import time
import timeit
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from carbon.factors import default_factors
from carbon.ingest.chunks import ConsumptionKeys, prepare_chunk
from carbon.ingest.pipeline import ingest_records
from carbon.ingest.validate.consumption import validate_consumption
from carbon.store import Store

KINDS = [("电力", 12.5, "万千瓦时"), ("天然气", 3.2, "万立方米"), ("柴油", 4.0, "吨"), ("蒸汽", 80.0, "吨"),
         ("raw coal", 30.0, "t"), ("汽油", 1.5, "吨"), ("热力", 40.0, "百万千焦"), ("LNG", 2.0, "t")]


def records(n: int, month: int) -> list[dict]:
    """``n`` records of one month (distinct carriers, then distinct purposes)."""
    period = f"{2000 + month // 12:04d}-{month % 12 + 1:02d}"
    return [{"period": period, "carrier": carrier, "quantity": quantity, "unit": unit,
             "purpose": "feedstock" if i >= len(KINDS) else "fuel"}
            for i, (carrier, quantity, unit) in zip(range(n), itertools.cycle(KINDS), strict=False)]


def best(statement, number: int, repeat: int) -> float:
    """Best CPU time of one call [s]: on a shared machine, wall-clock time mostly measures the neighbours."""
    return min(timeit.repeat(statement, number=number, repeat=repeat, timer=time.process_time)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="carbon-small-"))
    store = Store(str(folder / "carbon.db"))
    store.upsert_region("r1", name="region", grid_region="guangdong")
    store.add_enterprises([{"id": "E1", "name": "enterprise", "region": "r1"}])
    enterprises, home, factors = store.enterprise_ids(), store.enterprise_regions(), default_factors()
    grid = {row["id"]: row["grid_region"] for row in store.enterprise_grid_regions()}
    sample = records(args.records, 0)

    def validate():
        frame = pd.DataFrame.from_records(sample)
        frame["row"] = np.arange(len(frame))
        return validate_consumption(frame, enterprises=enterprises, enterprise_id="E1", today=date(2026, 1, 1),
                                    factors=factors, grid_regions=grid)

    checked = validate()
    assert len(checked.good) == args.records, checked.rejected

    def prepare():
        return prepare_chunk(args.records, checked, ConsumptionKeys(), home, "b" * 32, "2026-01-01T00:00:00Z",
                             ready=store.rows_ready)

    months = itertools.count(1)

    def whole():  # a new month each time: every call stores its rows
        ingest_records(store, records(args.records, next(months)), enterprise_id="E1", actor="bench",
                       today=date(2026, 1, 1))

    plain = sqlite3.connect(folder / "plain.db", isolation_level=None)
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("PRAGMA synchronous = NORMAL")
    plain.execute("CREATE TABLE consumption (enterprise_id TEXT, period TEXT, carrier TEXT, quantity REAL, unit TEXT,"
                  " purpose TEXT, PRIMARY KEY (enterprise_id, period, carrier, purpose))")
    plain_months = itertools.count(1)

    def baseline():
        rows = [("E1", r["period"], r["carrier"], r["quantity"], r["unit"], r["purpose"])
                for r in records(args.records, next(plain_months))]
        plain.execute("BEGIN IMMEDIATE")
        plain.executemany("INSERT INTO consumption VALUES (?, ?, ?, ?, ?, ?)", rows)
        plain.execute("COMMIT")

    t_validate = best(validate, 20, args.repeat)
    t_prepare = best(prepare, 20, args.repeat)
    t_whole = best(whole, 5, args.repeat)
    t_plain = best(baseline, 5, args.repeat)
    print(f"{args.records} records per submission")
    print(f"validate and convert:                    {t_validate * 1e3:7.2f} ms")
    print(f"prepare (keys, rows, sums, digest):      {t_prepare * 1e3:7.2f} ms")
    print(f"before the transaction, together:        {(t_validate + t_prepare) * 1e3:7.2f} ms")
    print(f"whole ingest_records (with the write):   {t_whole * 1e3:7.2f} ms  (CPU: without the wait for the disk)")
    print(f"plain sqlite3 insert of the same rows:   {t_plain * 1e3:7.2f} ms")
    store.close()
    plain.close()


if __name__ == "__main__":
    main()
