"""Benchmark: convert_frame on a million mixed rows against plain numpy, and against per-row pint.

Prints, from one run on this machine:
- convert_frame time and the baseline time (the same output columns built by a plain numpy multiply of each
  row by a factor precomputed for that row), and their ratio (aim: <= 3x);
- where convert_frame's time goes, stage by stage (the stages run in turn as convert_frame runs them, with fresh
  arrays each time; the fastest of the repeats), and the stages together beside the whole call;
- per-row pint speed (each row converted on its own with pint quantities) and how many times faster the
  vectorised path is (aim: >= 100x).

Usage: python bench/convert.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
import timeit

import numpy as np
import pandas as pd

from carbon import convert_frame
from carbon.accounting import VALUE_COLUMNS, coefficients, frames
from carbon.factors import default_factors
from carbon.units import Q_

MIX = [  # (carrier, unit, share) as reports mix them: mostly electricity, then gas and oil products
    ("电力", "万千瓦时", 0.30), ("electricity", "kWh", 0.20), ("天然气", "万立方米", 0.15), ("diesel", "t", 0.08),
    ("柴油", "升", 0.05), ("raw_coal", "吨", 0.05), ("heat", "GJ", 0.05), ("steam", "t", 0.05),
    ("lpg", "kg", 0.03), ("electricity_renewable", "kWh", 0.04),
]
OUTPUTS = VALUE_COLUMNS


def make_rows(n: int, seed: int = 20250101) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shares = np.array([share for *_, share in MIX])
    pick = rng.choice(len(MIX), size=n, p=shares / shares.sum())
    periods = np.array([f"{year}-{month:02d}" for year in range(2020, 2026) for month in range(1, 13)])
    return pd.DataFrame({
        "enterprise_id": pd.Categorical.from_codes(rng.integers(0, 400, n), [f"E{i:04d}" for i in range(400)]),
        "period": pd.Categorical(periods[rng.integers(0, len(periods), n)]),
        "carrier": pd.Categorical(np.array([carrier for carrier, *_ in MIX])[pick]),
        "unit": pd.Categorical(np.array([unit for _, unit, _ in MIX])[pick]),
        "quantity": rng.gamma(2.0, 50.0, n),
    })


def precomputed_factors(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """One factor per row and output, computed before the clock starts (the baseline's given)."""
    keys = frame[["carrier", "unit", "period"]].astype(str).drop_duplicates()
    table = {
        (c, u, p): coefficients(c, u, year=int(p[:4])) for c, u, p in keys.itertuples(index=False)
    }
    per_row = [table[key] for key in zip(frame["carrier"].astype(str), frame["unit"].astype(str),
                                         frame["period"].astype(str), strict=True)]
    return {name: np.array([getattr(c, name) for c in per_row]) for name in OUTPUTS}


def baseline(frame: pd.DataFrame, factors: dict[str, np.ndarray]) -> pd.DataFrame:
    quantity = frame["quantity"].to_numpy()
    columns = {name: frame[name] for name in frame.columns}
    columns.update({name: quantity * factors[name] for name in OUTPUTS})
    return pd.DataFrame(columns, index=frame.index, copy=False)


def per_row_pint(frame: pd.DataFrame) -> None:
    """The naive path: every row through pint on its own."""
    coefficient_quantities = {}
    for carrier, unit, period, quantity in frame[["carrier", "unit", "period", "quantity"]].itertuples(index=False):
        key = (carrier, unit, period)
        if key not in coefficient_quantities:
            c = coefficients(carrier, unit, year=int(period[:4]))
            coefficient_quantities[key] = (Q_(c.energy_gj, f"GJ/({unit})"), Q_(c.tce_equivalent, f"tce/({unit})"),
                                           Q_(c.co2_t, f"tCO2/({unit})"))
        energy, tce, co2 = coefficient_quantities[key]
        amount = Q_(quantity, unit)
        (amount * energy).to("GJ")
        (amount * tce).to("tce")
        (amount * co2).to("tCO2")


STAGES = ("check quantities", "group rows", "resolve factors (pint, once per group)", "multiply (4 value columns)",
          "label (carrier, 3 factor ids, fallback, version)", "assemble the frame")


def stage_times(frame: pd.DataFrame, repeat: int) -> dict[str, float]:
    """The time of each stage of convert_frame, the stages run one after the other as convert_frame runs them
    (fresh arrays each time, as in a real call), in the fastest of ``repeat`` runs [s]."""
    factors = default_factors()
    runs = []
    for _ in range(repeat):
        marks = [time.perf_counter()]
        quantity, _, ncv_units = frames._amounts(frame)
        marks.append(time.perf_counter())
        codes, keys = frames._group_rows(frame, ncv_units, year=None, region=None)
        marks.append(time.perf_counter())
        per_group = frames._resolve(frame.index, codes, keys, region=None, method="cn", grid_series="average",
                                    factors=factors)
        marks.append(time.perf_counter())
        columns = {name: frame[name] for name in frame.columns}
        columns.update(frames._multiply(frame.index, quantity, codes, per_group))
        marks.append(time.perf_counter())
        columns.update(frames._labels(codes, per_group, factors.version))
        marks.append(time.perf_counter())
        pd.DataFrame(columns, index=frame.index, copy=False)
        marks.append(time.perf_counter())
        runs.append(dict(zip(STAGES, np.diff(marks), strict=True)))
    return min(runs, key=lambda times: sum(times.values()))


def best(statement, repeat: int) -> float:
    return min(timeit.repeat(statement, number=1, repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pint-rows", type=int, default=5_000, help="rows timed through per-row pint")
    args = parser.parse_args()

    frame = make_rows(args.rows)
    started = time.perf_counter()
    factors = precomputed_factors(frame)
    print(f"rows: {args.rows:,} in {frame['carrier'].nunique()} carrier/unit mixes "
          f"(setup {time.perf_counter() - started:.1f} s)")

    result = convert_frame(frame)
    reference = baseline(frame, factors)
    for name in OUTPUTS:  # the two paths must agree before their speeds are compared
        np.testing.assert_allclose(result[name].to_numpy(), reference[name].to_numpy(), rtol=1e-12)

    t_vector = best(lambda: convert_frame(frame), args.repeat)
    t_base = best(lambda: baseline(frame, factors), args.repeat)
    as_text = frame.astype({"carrier": str, "unit": str, "period": str})
    t_text = best(lambda: convert_frame(as_text), max(1, args.repeat // 2))
    sample = as_text.head(args.pint_rows)
    t_pint = best(lambda: per_row_pint(sample), 1) / len(sample) * args.rows

    print(f"convert_frame (categorical keys):    {t_vector * 1e3:9.1f} ms")
    print(f"convert_frame (string keys):          {t_text * 1e3:9.1f} ms")
    print(f"baseline numpy multiply per row:      {t_base * 1e3:9.1f} ms")
    print(f"per-row pint (from {len(sample):,} rows):        {t_pint * 1e3:9.1f} ms "
          f"({len(sample) / (t_pint * len(sample) / args.rows):,.0f} rows/s)")
    print(f"ratio convert_frame / baseline:       {t_vector / t_base:9.2f}x  (aim <= 3x)")
    print("where convert_frame's time goes (its stages in turn, the fastest run; x = multiples of the baseline):")
    stages = stage_times(frame, args.repeat)
    for stage, seconds in stages.items():
        print(f"  {stage:50s} {seconds * 1e3:7.1f} ms {seconds / t_base:6.2f}x")
    together = sum(stages.values())
    print(f"  {'together (convert_frame: ' + f'{t_vector * 1e3:.1f} ms)':50s} {together * 1e3:7.1f} ms "
          f"{together / t_base:6.2f}x")
    del result, reference  # the same call once the memory of a previous result is free to be reused
    t_reused = best(lambda: convert_frame(frame), args.repeat)
    print(f"  {'convert_frame, no earlier result held':50s} {t_reused * 1e3:7.1f} ms {t_reused / t_base:6.2f}x  "
          "(the rest of the first line: fresh memory pages for the new columns while a result holds the old)")
    print(f"speed-up over per-row pint:           {t_pint / t_vector:9.0f}x  (aim >= 100x)")


if __name__ == "__main__":
    main()
