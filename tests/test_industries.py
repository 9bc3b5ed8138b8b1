"""Industry names (GB/T 4754-2017) are data: every demo enterprise's code has one, with its source."""

from __future__ import annotations

import csv
from pathlib import Path

from carbon.industries import industry_name

ROOT = Path(__file__).resolve().parents[1]


def test_every_demo_industry_has_a_name_and_every_row_a_source() -> None:
    with (ROOT / "data" / "demo" / "enterprises.csv").open(encoding="utf-8") as handle:
        codes = {row["industry"] for row in csv.DictReader(handle) if row["industry"]}
    assert codes and all(industry_name(code) for code in codes)
    assert industry_name("C3974") == "显示器件制造" and industry_name("c3999") == "计算机、通信和其他电子设备制造业"
    assert industry_name("Z9999") is None
    rules = next((ROOT / "carbon" / "rules").glob("industries-*.csv"))
    with rules.open(encoding="utf-8") as handle:
        assert all(row["source"].startswith("GB/T 4754-2017") for row in csv.DictReader(handle))
