"""Generate the demo dataset of the seed region, Guangzhou High-tech Industrial Development Zone (``gz-htz``).

Run ``python data/generate_demo.py [--out data/demo]``. The output is the same, byte for byte, on every run: one
numpy ``Generator`` with a fixed seed draws every random number, in a fixed order, and every file is written with
fixed formatting.

What is published and what is synthetic
---------------------------------------
The region's published figures (GDP 2015 and 2020, the 2020 energy intensity, the 2025 targets) are read from
``demo/published.csv`` next to this script, each with its source and status. Everything else — constant-price GDP,
energy totals after 2020, feedstock and renewable energy, the enterprises, their monthly consumption, the meter
telemetry and the corrections — is synthetic, built to tell one story:

* real GDP grows 6-8 %/yr; the intensity adjusted for feedstock and new renewables falls, but more slowly than the
  constant-rate path from 0.15 to 0.13, so that 2025 needs a steeper cut than the plan's -2.82 %/yr;
* CO2 rises until 2023 and then stays flat, as electricity and natural gas replace coal and oil and on-site solar
  grows; electricity dominates;
* the enterprises' own reports (bottom-up) cover 65-75 % of the region's official energy total each year.

How the numbers are built
-------------------------
1. Region: official energy E_y = adjusted intensity_y x GDP_y + feedstock_y + (renewables_y - renewables_2020); the
   2020 total is the published intensity x the published GDP.
2. Enterprises: twelve named large users (display fabs, an IC fab, a chemical plant, a hydrogen plant, a data
   centre ...) and ~300 smaller ones of the zone's industries with log-normal sizes; each has an energy mix, a
   growth rate, seasonality (air-conditioning peak in summer, Spring Festival dip, the February 2020 lockdown),
   monthly noise, and possibly a start month (new entrants ramp up) or an end month.
3. Calibration: per energy stream (electricity, gas as fuel, gas as feedstock, steam ...) a smooth monthly factor,
   the same for every enterprise, makes the reported totals of 2020-2024 equal the design targets: a share of
   coverage_y x E_y per stream, feedstock and solar as a share of the official figures. 2025 (January-June)
   continues with the 2024 factors.
4. Reporting: most reports arrive by the 10th of the next month, some late (after the 15th), some enterprise-months
   never arrive, one enterprise stops reporting in 2025; a report dated after the as-of date is not included.
5. Quantities are converted from tce to each stream's unit with the project's own coefficients
   (:func:`carbon.coefficients`, GB/T 2589-2020), so that :func:`carbon.convert_frame` gives the designed tce back.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from carbon import Q_, coefficients

SEED = 20_250_720
AS_OF = date(2025, 7, 20)
REGION = "gz-htz"
GRID_REGION = "guangdong"
FIRST_YEAR, LAST_FULL_YEAR, LAST_YEAR, LAST_MONTH = 2020, 2024, 2025, 6
CALIBRATED_YEARS = tuple(range(FIRST_YEAR, LAST_FULL_YEAR + 1))
STATISTICS_YEARS = (2015, 2020, 2021, 2022, 2023, 2024)
PUBLISHED_FILE = Path(__file__).with_name("demo") / "published.csv"
DEFAULT_OUT = Path(__file__).with_name("demo")
# The plan aims to be among the first to peak (争取率先实现碳达峰) and names no year: the plan's end is this demo's
# reading of it.
PEAK_AIM_YEAR = 2025

# -- synthetic design of the region (not published; documented in demo/README.md) ---------------------------------
REAL_GDP_GROWTH = {2021: 0.076, 2022: 0.061, 2023: 0.068, 2024: 0.063}
GDP_PRICE_CHANGE = {2021: 0.021, 2022: 0.008, 2023: -0.006, 2024: -0.007}
PRICE_LEVEL_2015_IN_2020_PRICES = 1.062  # 2020 prices / 2015 prices: about 1.2 %/yr
ADJUSTED_INTENSITY = {2021: 0.1462, 2022: 0.1440, 2023: 0.1410, 2024: 0.1365}  # [tce/万元]
FEEDSTOCK_TCE = {2020: 72_000, 2021: 78_000, 2022: 86_000, 2023: 97_000, 2024: 108_000}
RENEWABLE_TCE = {2020: 9_000, 2021: 12_500, 2022: 17_500, 2023: 24_500, 2024: 35_000}
COVERAGE = {2020: 0.670, 2021: 0.683, 2022: 0.698, 2023: 0.714, 2024: 0.702}  # reported / official energy
FEEDSTOCK_REPORTED = 0.95  # share of the region's feedstock use that reporting enterprises account for
RENEWABLE_REPORTED = 0.85  # the rest is rooftop solar on buildings that do not report
LPG_SHARE_OF_FEEDSTOCK = 0.15
# Shares of the reported total [tce] per stream and year; electricity takes the rest.
STREAM_SHARES = {
    "natural_gas": (0.115, 0.115, 0.113, 0.116, 0.128),
    "steam": (0.062, 0.060, 0.057, 0.054, 0.051),
    "heat": (0.002, 0.002, 0.002, 0.002, 0.002),
    "raw_coal": (0.022, 0.017, 0.010, 0.004, 0.0),
    "diesel": (0.0075, 0.0066, 0.0058, 0.0051, 0.0045),
    "gasoline": (0.0035, 0.0031, 0.0027, 0.0024, 0.0021),
    "lpg": (0.0025, 0.0023, 0.0021, 0.0019, 0.0017),
}
# January-June 2025 against January-June 2024, per stream: the plateau goes on.
PARTIAL_YEAR_GROWTH = {"electricity": 0.008, "natural_gas": 0.04, "natural_gas_feedstock": 0.06, "steam": -0.03,
                       "heat": 0.0, "raw_coal": 0.0, "diesel": -0.08, "gasoline": -0.08, "lpg": -0.06,
                       "lpg_feedstock": 0.05, "solar": 0.25}

# -- calendar and seasonality (synthetic shapes) -----------------------------------------------------------------
# Spring Festival (农历新年) dates; factories close for about ten days around them.
SPRING_FESTIVAL = {2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
                   2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29)}
HOLIDAY_DAYS = 10
# Air-conditioning load by calendar month, 0 (none) to 1 (peak), for Guangzhou's climate.
COOLING = (0.0, 0.0, 0.1, 0.35, 0.7, 0.9, 1.0, 1.0, 0.85, 0.5, 0.15, 0.0)
# Rooftop solar yield by calendar month relative to the mean (spring rains, sunny autumn).
SOLAR_YIELD = (0.82, 0.64, 0.63, 0.74, 0.92, 0.96, 1.24, 1.22, 1.18, 1.14, 1.04, 0.94)
# Activity lost to the lockdown of early 2020, for plants that can stop.
LOCKDOWN_2020 = {2: 0.30, 3: 0.08}
WINTER_HEAT = 0.05  # more gas, steam and heat in December-February
ACTIVITY_NOISE, STREAM_NOISE, WEATHER_NOISE = 0.04, 0.03, 0.08  # log-normal sigmas of the monthly noise
SIZE_SIGMA = 1.1  # log-normal sigma of the sizes of the small and medium enterprises
GAS_PER_COAL_REPLACED = 0.85  # [tce/tce]: a gas boiler needs less than the coal boiler it replaces
OIL_YEARLY = 0.92  # diesel, gasoline and LPG fuel per unit of activity, year on year: fleets go electric
STEAM_YEARLY = 0.96  # bought-in steam per unit of activity, year on year: heat recovery and heat pumps


@dataclass(frozen=True)
class Stream:
    """One reported energy stream: the carrier and unit an enterprise writes, and the purpose."""

    key: str
    carrier: str
    unit: str
    purpose: str
    decimals: int
    carrier_en: str | None = None
    unit_en: str | None = None


STREAMS: tuple[Stream, ...] = (
    Stream("electricity", "电力", "万千瓦时", "fuel", 2, "electricity", "kWh"),
    Stream("natural_gas", "天然气", "万立方米", "fuel", 2, "natural gas", "m3"),
    Stream("natural_gas_feedstock", "天然气", "万立方米", "feedstock", 2),
    Stream("steam", "蒸汽", "吨", "fuel", 1),
    Stream("heat", "热力", "百万千焦", "fuel", 0),
    Stream("raw_coal", "原煤", "吨", "fuel", 1),
    Stream("diesel", "柴油", "吨", "fuel", 2),
    Stream("gasoline", "汽油", "吨", "fuel", 2),
    Stream("lpg", "液化石油气", "吨", "fuel", 2),
    Stream("lpg_feedstock", "液化石油气", "吨", "feedstock", 2),
    Stream("solar", "光伏发电", "万千瓦时", "fuel", 2),
)
STREAM_INDEX = {stream.key: position for position, stream in enumerate(STREAMS)}

# GB/T 4754-2017 industry classes used in the demo: code -> (class name, ending of the fictional company name).
INDUSTRIES: dict[str, tuple[str, str]] = {
    "C3974": ("显示器件制造", "显示科技有限公司"),
    "C3973": ("集成电路制造", "芯片制造有限公司"),
    "C3976": ("光电子器件制造", "光电科技有限公司"),
    "C3982": ("电子电路制造", "电路科技有限公司"),
    "C3985": ("电子专用材料制造", "电子材料有限公司"),
    "C3981": ("电阻电容电感元件制造", "电子元件有限公司"),
    "C3972": ("半导体分立器件制造", "半导体有限公司"),
    "C3979": ("其他电子器件制造", "电子器件有限公司"),
    "C3983": ("敏感元件及传感器制造", "传感技术有限公司"),
    "C2710": ("化学药品原料药制造", "药业有限公司"),
    "C2720": ("化学药品制剂制造", "制药有限公司"),
    "C2761": ("生物药品制造", "生物制药有限公司"),
    "C2762": ("基因工程药物和疫苗制造", "生物技术有限公司"),
    "C2770": ("卫生材料及医药用品制造", "医用材料有限公司"),
    "C3581": ("医疗诊断、监护及治疗设备制造", "医疗设备有限公司"),
    "C3584": ("医疗、外科及兽医用器械制造", "医疗器械有限公司"),
    "C2614": ("有机化学原料制造", "化工新材料有限公司"),
    "C2651": ("初级形态塑料及合成树脂制造", "高分子材料有限公司"),
    "C2662": ("专项化学用品制造", "精细化工有限公司"),
    "C2669": ("其他专用化学产品制造", "化学科技有限公司"),
    "C2641": ("涂料制造", "涂料有限公司"),
    "C3091": ("石墨及碳素制品制造", "碳材料有限公司"),
    "C3612": ("新能源车整车制造", "新能源汽车有限公司"),
    "C3670": ("汽车零部件及配件制造", "汽车部件有限公司"),
    "C3841": ("锂离子电池制造", "电池科技有限公司"),
    "C2619": ("其他基础化学原料制造", "氢能科技有限公司"),
    "C3849": ("其他电池制造", "燃料电池有限公司"),
    "C3442": ("气体压缩机械制造", "氢能装备有限公司"),
    "I6513": ("应用软件开发", "软件科技有限公司"),
    "I6511": ("基础软件开发", "信息技术有限公司"),
    "I6520": ("集成电路设计", "芯片设计有限公司"),
    "I6531": ("信息系统集成服务", "系统集成有限公司"),
    "I6532": ("物联网技术服务", "物联网科技有限公司"),
    "I6550": ("信息处理和存储支持服务", "数据科技有限公司"),
    "I6560": ("信息技术咨询服务", "数字咨询有限公司"),
    "C3491": ("工业机器人制造", "机器人有限公司"),
    "C3562": ("半导体器件专用设备制造", "半导体装备有限公司"),
    "C4011": ("工业自动控制系统装置制造", "自动化有限公司"),
    "C3825": ("光伏设备及元器件制造", "光伏科技有限公司"),
    "C3421": ("金属切削机床制造", "数控机床有限公司"),
    "C3569": ("其他电子专用设备制造", "智能装备有限公司"),
    "C1491": ("营养食品制造", "营养食品有限公司"),
    "C1462": ("酱油、食醋及类似制品制造", "调味食品有限公司"),
    "C1495": ("食品及饲料添加剂制造", "食品配料有限公司"),
    "C2682": ("化妆品制造", "日化有限公司"),
    "C2681": ("肥皂及洗涤剂制造", "洗涤用品有限公司"),
    "C2683": ("口腔清洁用品制造", "口腔护理用品有限公司"),
    "G5920": ("通用仓储", "仓储有限公司"),
    "G5930": ("低温仓储", "冷链仓储有限公司"),
    "G5437": ("城市配送", "城市配送有限公司"),
    "G5821": ("货物运输代理", "供应链管理有限公司"),
    "G5431": ("普通货物道路运输", "物流有限公司"),
}
NAME_PREFIX = "穗高示范"  # "Guangzhou high-tech demonstration": no real company is named so
BRAND_CHARACTERS = "瑞晟嘉宏博达华信源创航远德锐星联泰恒盛鑫凯腾智弘鸿曜澜峰川元启明卓越辰昊铭睿"
CREDIT_CODE_PREFIX = "91440101DEMO"  # shaped like a unified social credit code, visibly not one


@dataclass(frozen=True)
class Segment:
    """A group of the zone's industries: how many small and medium enterprises, how large, what they burn.

    ``mix`` maps a stream to (probability that an enterprise uses it, mean share of its energy [tce]);
    electricity takes the rest.
    """

    name: str
    industries: tuple[str, ...]
    count: int
    median_tce: float
    growth: float
    cooling: float
    holiday: float
    mix: dict[str, tuple[float, float]]
    solar: tuple[float, float]  # probability of rooftop solar, its output as a share of electricity


SEGMENTS: tuple[Segment, ...] = (
    Segment("electronics", ("C3976", "C3982", "C3985", "C3981", "C3972", "C3979", "C3983"), 58, 3600, 0.04, 0.12,
            0.35, {"natural_gas": (0.45, 0.1), "diesel": (0.35, 0.008), "steam": (0.12, 0.1),
                   "lpg": (0.12, 0.054)}, (0.35, 0.03)),
    Segment("biomedicine", ("C2710", "C2720", "C2761", "C2762", "C2770", "C3581", "C3584"), 52, 2600, 0.06, 0.2,
            0.5, {"natural_gas": (0.65, 0.25), "steam": (0.5, 0.375), "heat": (0.12, 0.144), "diesel": (0.25, 0.01),
                  "lpg": (0.2, 0.054)}, (0.3, 0.03)),
    Segment("new_materials", ("C2614", "C2651", "C2662", "C2669", "C2641", "C3091"), 32, 4200, 0.03, 0.1, 0.3,
            {"natural_gas": (0.8, 0.375), "steam": (0.55, 0.375), "natural_gas_feedstock": (0.08, 0.12),
             "lpg_feedstock": (0.08, 0.08), "diesel": (0.35, 0.02), "lpg": (0.2, 0.072)}, (0.25, 0.02)),
    Segment("nev", ("C3612", "C3670", "C3841"), 26, 3200, 0.09, 0.15, 0.5,
            {"natural_gas": (0.5, 0.188), "gasoline": (0.4, 0.064), "diesel": (0.35, 0.02), "steam": (0.12, 0.125)},
            (0.45, 0.05)),
    Segment("hydrogen", ("C2619", "C3849", "C3442"), 6, 2000, 0.12, 0.1, 0.4,
            {"natural_gas": (0.4, 0.125), "diesel": (0.25, 0.02)}, (0.3, 0.04)),
    Segment("digital", ("I6513", "I6511", "I6520", "I6531", "I6532", "I6550", "I6560"), 60, 420, 0.07, 0.35, 0.6,
            {"natural_gas": (0.1, 0.037), "diesel": (0.2, 0.006), "gasoline": (0.15, 0.032)}, (0.15, 0.03)),
    Segment("equipment", ("C3491", "C3562", "C4011", "C3825", "C3421", "C3569"), 36, 1600, 0.04, 0.2, 0.55,
            {"natural_gas": (0.35, 0.125), "diesel": (0.4, 0.03), "lpg": (0.25, 0.072), "gasoline": (0.3, 0.048)},
            (0.35, 0.04)),
    Segment("food_consumer", ("C1491", "C1462", "C1495", "C2682", "C2681", "C2683"), 20, 3200, 0.02, 0.2, 0.5,
            {"natural_gas": (0.7, 0.312), "steam": (0.5, 0.438), "heat": (0.12, 0.12), "lpg": (0.35, 0.144),
             "diesel": (0.35, 0.04)}, (0.3, 0.03)),
    Segment("logistics", ("G5920", "G5930", "G5437", "G5821", "G5431"), 18, 1300, 0.04, 0.3, 0.3,
            {"diesel": (0.9, 0.5), "gasoline": (0.5, 0.192), "lpg": (0.4, 0.144)}, (0.5, 0.08)),
)
SEGMENT_INDEX = {segment.name: position for position, segment in enumerate(SEGMENTS)}


@dataclass(frozen=True)
class Anchor:
    """One of the large energy users, described one by one."""

    name: str
    industry: str
    segment: str
    size_tce: float
    growth: float
    mix: dict[str, float]
    start: str = "2020-01"
    ramp_months: int = 1
    solar: tuple[str, float] | None = None  # first month, output as a share of electricity
    coal_end: str | None = None
    cooling: float = 0.06
    holiday: float = 0.03


ANCHORS: tuple[Anchor, ...] = (
    Anchor("穗高示范显示科技有限公司", "C3974", "electronics", 520_000, 0.005,
           {"natural_gas": 0.07, "diesel": 0.003}, solar=("2023-06", 0.004)),
    Anchor("穗高示范柔显光电有限公司", "C3974", "electronics", 380_000, 0.05,
           {"natural_gas": 0.06}, solar=("2022-09", 0.004)),
    Anchor("穗高示范新型显示有限公司", "C3974", "electronics", 400_000, 0.03,
           {"natural_gas": 0.06}, start="2022-04", ramp_months=18, solar=("2023-10", 0.008)),
    Anchor("穗高示范芯片制造有限公司", "C3973", "electronics", 300_000, 0.08,
           {"natural_gas": 0.05, "diesel": 0.002}, solar=("2024-03", 0.008)),
    Anchor("穗高示范化工新材料有限公司", "C2614", "new_materials", 260_000, 0.03,
           {"natural_gas": 0.20, "natural_gas_feedstock": 0.08, "steam": 0.26, "raw_coal": 0.25, "diesel": 0.005},
           solar=("2023-05", 0.01), coal_end="2023-06", holiday=0.08),
    Anchor("穗高示范氢能科技有限公司", "C2619", "hydrogen", 55_000, 0.12,
           {"natural_gas_feedstock": 0.72, "natural_gas": 0.07}, holiday=0.05),
    Anchor("穗高示范数据科技有限公司", "I6550", "digital", 180_000, 0.10,
           {"diesel": 0.004}, solar=("2022-06", 0.004), cooling=0.08, holiday=0.0),
    Anchor("穗高示范智能汽车有限公司", "C3612", "nev", 90_000, 0.12,
           {"natural_gas": 0.22, "steam": 0.08, "gasoline": 0.04, "diesel": 0.02}, solar=("2021-03", 0.03),
           cooling=0.15, holiday=0.5),
    Anchor("穗高示范生物制药有限公司", "C2761", "biomedicine", 70_000, 0.09,
           {"steam": 0.28, "natural_gas": 0.18, "heat": 0.04}, solar=("2023-01", 0.02), cooling=0.2, holiday=0.2),
    Anchor("穗高示范高分子材料有限公司", "C2651", "new_materials", 80_000, 0.10,
           {"natural_gas": 0.2, "lpg_feedstock": 0.11, "steam": 0.24}, holiday=0.1),
    Anchor("穗高示范电子玻璃有限公司", "C3985", "electronics", 120_000, 0.03,
           {"natural_gas": 0.44}, holiday=0.02),
    Anchor("穗高示范动力电池有限公司", "C3841", "nev", 60_000, 0.10,
           {"natural_gas": 0.06, "steam": 0.05}, start="2021-07", ramp_months=12, solar=("2022-03", 0.05),
           cooling=0.12, holiday=0.3),
)
# Small and medium enterprises that burned coal, and the month their boiler went over to gas.
SMALL_COAL_USERS = (("food_consumer", "2021-06"), ("biomedicine", "2022-03"), ("new_materials", "2022-12"))
COAL_SHARE_SMALL = 0.4
ENTRANT_SHARE = 0.12  # share of the small and medium enterprises that join after January 2020
SOLAR_BEFORE_2020 = 0.65  # share of the rooftop plants of small and medium enterprises built before 2020
SOLAR_BUILD_PACE = 30  # [months]: the pace of new rooftop plants grows e-fold in this time
CLOSED_EARLY = 1  # an enterprise that moved out of the zone in 2023
SKIPPING_ENTERPRISES = 12  # enterprises that skip one to three monthly reports
STOPS_IN_2025 = "2025-02"  # the last report of the enterprise that stops reporting in 2025

# -- meters -------------------------------------------------------------------------------------------------------
READINGS_MONTH = "2025-06"
READING_STEP = timedelta(minutes=15)
TIMEZONE = "+08:00"
WEEKEND_LOAD = 0.97  # continuous plants run at weekends too, offices and labs less


@dataclass(frozen=True)
class Meter:
    """One electricity meter of a large enterprise: its share of the site's load and how it reports."""

    meter_id: str
    enterprise: int  # position in ANCHORS
    share: float
    kind: str  # "cumulative" (register reading) or "interval" (energy of the 15 minutes starting at ts)
    day_swing: float  # daytime rise of the load, as a share
    register_start: float = 0.0
    gap: tuple[str, str] | None = None  # first and last missing timestamp
    reset_at: str | None = None  # the register restarts from 0 (meter replaced) during this interval


METERS: tuple[Meter, ...] = (
    Meter("GZHTZ-0001-M01", 0, 0.58, "cumulative", 0.04, register_start=2_846_103_527.4),
    Meter("GZHTZ-0001-M02", 0, 0.42, "interval", 0.05, gap=("2025-06-14T01:00:00", "2025-06-14T05:45:00")),
    Meter("GZHTZ-0005-M01", 4, 1.0, "cumulative", 0.06, register_start=853_412_906.8,
          reset_at="2025-06-18T10:15:00"),
)
METER_VS_BILL = 1.004  # the meters read slightly above the monthly report (billing meter tolerance)

# Revisions of 2024 reports, one each: the value first reported = the right value x the multiplier.
CORRECTIONS = (
    (10.0, "decimal point one place to the right"),
    (0.92, "an estimate, replaced by the meter reading"),
    (1.18, "a typing error"),
    (0.5, "half a month reported"),
    (1.07, "a bill of the wrong billing cycle"),
    (0.1, "decimal point one place to the left"),
)


# ===================================================================================================================
# published figures and the region
# ===================================================================================================================

@dataclass(frozen=True)
class Published:
    """One published figure with its provenance."""

    id: str
    value: Decimal
    unit: str
    year: int
    source: str
    status: str
    note: str


def read_published(path: Path = PUBLISHED_FILE) -> dict[str, Published]:
    """The region's published figures, by id.

    Parameters
    ----------
    path : Path
        CSV with ``id,value,unit,year,source,status,note``.

    Returns
    -------
    dict of str to Published
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row["id"]: Published(row["id"], Decimal(row["value"]), row["unit"], int(row["year"]), row["source"],
                                 row["status"], row["note"]) for row in rows}


def wan_yuan(figure: Published) -> int:
    """A published money figure in 万元 [10 000 yuan], through the project's unit registry."""
    return round(Q_(float(figure.value), figure.unit).to("万元").magnitude)


def _cite(figure: Published) -> str:
    return f"published: {figure.value} {figure.unit} ({figure.year}), {figure.source} [{figure.status}]"


def gdp_constant_series(gdp_2020: int) -> dict[int, int]:
    """GDP at 2020 prices by year [万元], rounded to 0.1 亿元 as statistics publish it (synthetic growth)."""
    gdp = {2020: float(gdp_2020)}
    for year, growth in sorted(REAL_GDP_GROWTH.items()):
        gdp[year] = gdp[year - 1] * (1 + growth)
    return {year: int(round(value, -3)) for year, value in gdp.items()}


def gdp_current_series(gdp_constant: dict[int, int]) -> dict[int, int]:
    """GDP at current prices by year [万元]: constant-price GDP x the synthetic price index (2020 = 1)."""
    price, current = 1.0, {}
    for year in sorted(gdp_constant):
        if year > 2020:
            price *= 1 + GDP_PRICE_CHANGE[year]
        current[year] = int(round(gdp_constant[year] * price, -3))
    return current


def official_energy(published: dict[str, Published], gdp_constant: dict[int, int]) -> dict[int, int]:
    """The region's total energy consumption by year [tce], including feedstock and on-site renewables.

    2020 is the published intensity x the published GDP; later years are built from the synthetic adjusted
    intensity: E = intensity_adjusted x GDP + feedstock + (renewables - renewables_2020), to 100 tce.
    """
    base = published["intensity_2020"].value * gdp_constant[2020]
    energy = {2020: round(base)}
    for year, intensity in sorted(ADJUSTED_INTENSITY.items()):
        value = (intensity * gdp_constant[year] + FEEDSTOCK_TCE[year] + RENEWABLE_TCE[year] - RENEWABLE_TCE[2020])
        energy[year] = int(round(value, -2))
    return energy


def region_document(published: dict[str, Published]) -> dict:
    """The content of ``region.json``: the region, its targets and its statistics by year."""
    gdp_2015, gdp_2020 = wan_yuan(published["gdp_current_2015"]), wan_yuan(published["gdp_current_2020"])
    constant = gdp_constant_series(gdp_2020)
    current = gdp_current_series(constant)
    energy = official_energy(published, constant)
    intensity, target = published["intensity_2020"], published["intensity_target_2025"]

    statistics = [{
        "year": 2015, "gdp_current": gdp_2015,
        "gdp_constant": int(round(gdp_2015 * PRICE_LEVEL_2015_IN_2020_PRICES, -3)),
        "energy_total_tce": None, "feedstock_tce": None, "renewable_tce": None,
        "sources": {
            "gdp_current": _cite(published["gdp_current_2015"]),
            "gdp_constant": f"synthetic: the published current-price GDP x {PRICE_LEVEL_2015_IN_2020_PRICES} "
                            "(assumed 2015-2020 price rise), in 2020 prices",
        },
    }]
    for year in STATISTICS_YEARS[1:]:
        sources = {
            "gdp_current": _cite(published["gdp_current_2020"]) if year == 2020 else
            f"synthetic: gdp_constant x an assumed price index (2020 = 1; {GDP_PRICE_CHANGE[year]:+.1%} in {year})",
            "gdp_constant": "derived: equal to the published gdp_current, 2020 being the price base year"
            if year == 2020 else
            f"synthetic: real growth {REAL_GDP_GROWTH[year]:.1%} on {year - 1}",
            "energy_total_tce": (f"derived: published intensity {intensity.value} {intensity.unit} x published GDP "
                                 f"2020 ({intensity.source})") if year == 2020 else
            (f"synthetic: adjusted intensity {ADJUSTED_INTENSITY[year]} tce/万元 x gdp_constant + feedstock_tce + "
             "(renewable_tce - renewable_tce of 2020)"),
            "feedstock_tce": "synthetic: natural gas and LPG used as raw material (hydrogen, chemicals)",
            "renewable_tce": "synthetic: on-site solar electricity, at the 当量值 of GB/T 2589-2020",
        }
        statistics.append({
            "year": year, "gdp_current": current[year], "gdp_constant": constant[year],
            "energy_total_tce": energy[year], "feedstock_tce": FEEDSTOCK_TCE[year],
            "renewable_tce": RENEWABLE_TCE[year], "sources": sources,
        })
    return {
        "code": REGION, "name": "广州高新技术产业开发区", "name_en": "Guangzhou High-tech Industrial Development Zone",
        "parent": None, "grid_region": GRID_REGION,
        "targets": {
            "intensity_base_year": intensity.year, "intensity_base_value": float(intensity.value),
            "intensity_target_year": target.year, "intensity_target_value": float(target.value),
            "peak_aim_year": PEAK_AIM_YEAR, "deduct_feedstock": True, "deduct_new_renewables": True,
            "gdp_target_year": published["gdp_target_2025"].year,
            "gdp_target_current": wan_yuan(published["gdp_target_2025"]),
        },
        "statistics": statistics,
        "synthetic": ("Only the 2015 and 2020 GDP, the 2020 energy intensity and the 2025 targets are published; "
                      "constant-price GDP, energy, feedstock and renewables after 2020, all enterprises, their "
                      "consumption, meter readings and corrections are synthetic demo data."),
        "as_of": AS_OF.isoformat(),
    }


def stream_targets(region: dict) -> np.ndarray:
    """Reported energy [tce] per stream (rows, in STREAMS order) and calibrated year (columns)."""
    by_year = {row["year"]: row for row in region["statistics"]}
    targets = np.zeros((len(STREAMS), len(CALIBRATED_YEARS)))
    for column, year in enumerate(CALIBRATED_YEARS):
        reported = COVERAGE[year] * by_year[year]["energy_total_tce"]
        feedstock = FEEDSTOCK_REPORTED * by_year[year]["feedstock_tce"]
        targets[STREAM_INDEX["natural_gas_feedstock"], column] = feedstock * (1 - LPG_SHARE_OF_FEEDSTOCK)
        targets[STREAM_INDEX["lpg_feedstock"], column] = feedstock * LPG_SHARE_OF_FEEDSTOCK
        targets[STREAM_INDEX["solar"], column] = RENEWABLE_REPORTED * by_year[year]["renewable_tce"]
        for key, shares in STREAM_SHARES.items():
            targets[STREAM_INDEX[key], column] = shares[column] * reported
        targets[STREAM_INDEX["electricity"], column] = reported - targets[:, column].sum()
    return targets


# ===================================================================================================================
# the months
# ===================================================================================================================

def month_axis() -> pd.DataFrame:
    """One row per month from January 2020 to the last reported month: year, month, period, days."""
    periods = pd.period_range(f"{FIRST_YEAR}-01", f"{LAST_YEAR}-{LAST_MONTH:02d}", freq="M")
    return pd.DataFrame({"year": periods.year, "month": periods.month, "period": periods.strftime("%Y-%m"),
                         "days": periods.days_in_month})


def holiday_days(months: pd.DataFrame) -> np.ndarray:
    """Days of each month inside the Spring Festival closure (two days before New Year's day, ten days)."""
    days = np.zeros(len(months))
    lookup = {(y, m): i for i, (y, m) in enumerate(zip(months["year"], months["month"], strict=True))}
    for new_year in SPRING_FESTIVAL.values():
        for offset in range(HOLIDAY_DAYS):
            day = new_year + timedelta(days=offset - 2)
            if (day.year, day.month) in lookup:
                days[lookup[day.year, day.month]] += 1
    return days


def _month_position(period: str) -> int:
    year, month = (int(part) for part in period.split("-"))
    return (year - FIRST_YEAR) * 12 + month - 1


# ===================================================================================================================
# enterprises
# ===================================================================================================================

@dataclass
class Enterprises:
    """The enterprises as parallel arrays (one entry per enterprise), in id order."""

    ids: list[str]
    names: list[str]
    industries: list[str]
    segment: np.ndarray
    size: np.ndarray  # annual energy at the start [tce], before calibration
    growth: np.ndarray  # annual growth of activity
    start: np.ndarray  # first month position
    ramp: np.ndarray  # months to reach full activity
    end: np.ndarray  # last month position with activity
    cooling: np.ndarray
    holiday: np.ndarray
    shares: np.ndarray  # (enterprise, stream) share of energy; solar as a share of electricity
    solar_start: np.ndarray
    coal_end: np.ndarray
    english: np.ndarray  # reports electricity and gas in English units
    late_rate: np.ndarray
    monitored: np.ndarray  # online monitoring: reports within days

    def __len__(self) -> int:
        return len(self.ids)


def solar_start_months(rng: np.random.Generator, count: int, n_months: int) -> np.ndarray:
    """First month of rooftop solar: some were built before 2020, the others ever faster."""
    weights = np.exp(np.arange(1, n_months - 3) / SOLAR_BUILD_PACE)
    later = rng.choice(np.arange(1, n_months - 3), size=count, p=weights / weights.sum())
    return np.where(rng.random(count) < SOLAR_BEFORE_2020, 0, later)


def brand_names(rng: np.random.Generator, count: int) -> list[str]:
    """Distinct two-character brand names for the fictional companies."""
    chars = list(BRAND_CHARACTERS)
    pairs = [a + b for a in chars for b in chars if a != b]
    return [pairs[i] for i in rng.permutation(len(pairs))[:count]]


def build_enterprises(rng: np.random.Generator, n_months: int) -> Enterprises:
    """The anchors and the small and medium enterprises, with every attribute drawn once.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_months : int
        Months on the axis (their positions run from 0).
    """
    n_small = sum(segment.count for segment in SEGMENTS)
    n = len(ANCHORS) + n_small
    last = n_months - 1
    segment = np.empty(n, dtype=np.int64)
    size, growth = np.empty(n), np.empty(n)
    start, ramp, end = np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64), np.full(n, last, dtype=np.int64)
    cooling, holiday = np.empty(n), np.empty(n)
    shares = np.zeros((n, len(STREAMS)))
    solar_start, coal_end = np.full(n, n_months, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    industries: list[str] = []

    for i, anchor in enumerate(ANCHORS):
        segment[i] = SEGMENT_INDEX[anchor.segment]
        size[i], growth[i] = anchor.size_tce, anchor.growth
        start[i], ramp[i] = _month_position(anchor.start), anchor.ramp_months
        cooling[i], holiday[i] = anchor.cooling, anchor.holiday
        for key, share in anchor.mix.items():
            shares[i, STREAM_INDEX[key]] = share
        if anchor.solar:
            solar_start[i] = _month_position(anchor.solar[0])
            shares[i, STREAM_INDEX["solar"]] = anchor.solar[1]
        if anchor.coal_end:
            coal_end[i] = _month_position(anchor.coal_end)
        industries.append(anchor.industry)

    position = len(ANCHORS)
    for s, seg in enumerate(SEGMENTS):
        rows = slice(position, position + seg.count)
        segment[rows] = s
        size[rows] = seg.median_tce * rng.lognormal(0.0, SIZE_SIGMA, seg.count)
        growth[rows] = seg.growth + rng.normal(0.0, 0.04, seg.count)
        cooling[rows] = seg.cooling * rng.uniform(0.6, 1.4, seg.count)
        holiday[rows] = np.clip(seg.holiday * rng.uniform(0.6, 1.4, seg.count), 0, 0.9)
        industries.extend(seg.industries[k] for k in rng.integers(0, len(seg.industries), seg.count))
        for key, (probability, mean_share) in seg.mix.items():
            uses = rng.random(seg.count) < probability
            shares[rows, STREAM_INDEX[key]] = np.where(uses, mean_share * rng.lognormal(-0.045, 0.3, seg.count), 0)
        has_solar = rng.random(seg.count) < seg.solar[0]
        shares[rows, STREAM_INDEX["solar"]] = np.where(has_solar, seg.solar[1] * rng.uniform(0.5, 1.5, seg.count), 0)
        solar_start[rows] = np.where(has_solar, solar_start_months(rng, seg.count, n_months), n_months)
        position += seg.count

    small = np.arange(len(ANCHORS), n)
    # Hydrogen producers among the small ones use gas as feedstock.
    h2 = small[np.asarray([industries[i] == "C2619" for i in small])]
    shares[h2, STREAM_INDEX["natural_gas_feedstock"]] = rng.uniform(0.4, 0.6, len(h2))

    for segment_name, switch in SMALL_COAL_USERS:
        burns_gas = shares[small, STREAM_INDEX["natural_gas"]] > 0
        candidates = small[(segment[small] == SEGMENT_INDEX[segment_name]) & burns_gas]
        chosen = candidates[rng.integers(0, len(candidates))]
        shares[chosen, STREAM_INDEX["raw_coal"]] = COAL_SHARE_SMALL
        coal_end[chosen] = _month_position(switch)

    entrants = small[rng.random(len(small)) < ENTRANT_SHARE]
    start[entrants] = rng.integers(1, n_months - 3, len(entrants))
    ramp[entrants] = rng.integers(3, 13, len(entrants))
    incumbents = small[start[small] == 0]
    closed = rng.choice(incumbents, CLOSED_EARLY, replace=False)
    end[closed] = rng.integers(_month_position("2023-03"), _month_position("2023-10"), CLOSED_EARLY)

    non_electric = shares.copy()
    non_electric[:, [STREAM_INDEX["electricity"], STREAM_INDEX["solar"]]] = 0
    shares[:, STREAM_INDEX["electricity"]] = np.clip(1 - non_electric.sum(axis=1), 0.15, 1)

    english = np.zeros(n, dtype=bool)
    english[small] = rng.random(len(small)) < 0.08
    late_rate = np.zeros(n)
    late_rate[small] = rng.choice([0.02, 0.15, 0.4], size=len(small), p=[0.8, 0.15, 0.05])
    monitored = np.zeros(n, dtype=bool)
    monitored[: len(ANCHORS)] = True

    brands = brand_names(rng, n_small)
    names = [anchor.name for anchor in ANCHORS]
    names += [NAME_PREFIX + brand + INDUSTRIES[industries[i]][1] for brand, i in zip(brands, small, strict=True)]
    ids = [f"GZHTZ-{i + 1:04d}" for i in range(n)]
    return Enterprises(ids, names, industries, segment, size, growth, start, ramp, end, cooling, holiday, shares,
                       solar_start, coal_end, english, late_rate, monitored)


def credit_codes(count: int) -> list[str]:
    """Eighteen-character codes shaped like unified social credit codes, visibly synthetic."""
    width = 18 - len(CREDIT_CODE_PREFIX)
    return [f"{CREDIT_CODE_PREFIX}{i + 1:0{width}d}" for i in range(count)]


# ===================================================================================================================
# monthly energy
# ===================================================================================================================

def activity(ent: Enterprises, months: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Production activity per enterprise and month, 1 = the size of the first year (enterprise, month).

    Growth, the ramp-up of new entrants, the Spring Festival closure, the 2020 lockdown, the days of the month and
    a common monthly noise; zero before the start and after the end.
    """
    t = np.arange(len(months))
    days = months["days"].to_numpy(dtype=float)
    years_elapsed = t / 12.0
    growth = (1 + ent.growth[:, None]) ** years_elapsed[None, :]
    since_start = t[None, :] - ent.start[:, None]
    ramp = np.clip((since_start + 1) / ent.ramp[:, None], 0, 1)
    closure = 1 - ent.holiday[:, None] * (holiday_days(months) / days)[None, :]
    lockdown = np.ones(len(months))
    for month, loss in LOCKDOWN_2020.items():
        lockdown[month - 1] = 1 - loss
    lockdown_effect = 1 - ent.holiday[:, None] / ent.holiday.max() * (1 - lockdown)[None, :]
    noise = rng.lognormal(-ACTIVITY_NOISE ** 2 / 2, ACTIVITY_NOISE, (len(ent), len(months)))
    active = (since_start >= 0) & (t[None, :] <= ent.end[:, None])
    return growth * ramp * closure * lockdown_effect * noise * (days / 365.25)[None, :] * active


def raw_streams(ent: Enterprises, months: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Uncalibrated energy per stream, enterprise and month [tce-like units] (stream, enterprise, month)."""
    act = activity(ent, months, rng)
    t = np.arange(len(months))
    calendar = months["month"].to_numpy() - 1
    cooling = np.asarray(COOLING)[calendar]
    base = ent.size[:, None] * act
    raw = np.zeros((len(STREAMS), len(ent), len(months)))
    for position in range(len(STREAMS)):
        stream_noise = rng.lognormal(-STREAM_NOISE ** 2 / 2, STREAM_NOISE, (len(ent), len(months)))
        raw[position] = base * ent.shares[:, position][:, None] * stream_noise
    raw[STREAM_INDEX["electricity"]] *= 1 + ent.cooling[:, None] * (cooling - np.mean(COOLING))[None, :]
    winter = np.asarray([WINTER_HEAT if m in (0, 1, 11) else 0.0 for m in range(12)])[calendar]
    for key in ("natural_gas", "steam", "heat"):
        raw[STREAM_INDEX[key]] *= 1 + winter[None, :]

    # Coal falls to half by the switch month, then stops: the boiler burns gas, which it uses better.
    coal = raw[STREAM_INDEX["raw_coal"]]
    users = ent.coal_end >= 0
    fade = np.clip(1 - 0.5 * t[None, :] / np.maximum(ent.coal_end[:, None], 1), 0, 1)
    fade = fade * (t[None, :] <= ent.coal_end[:, None])
    replaced = coal * (1 - fade) * users[:, None]
    raw[STREAM_INDEX["raw_coal"]] = coal * fade
    raw[STREAM_INDEX["natural_gas"]] += GAS_PER_COAL_REPLACED * replaced
    for key in ("diesel", "gasoline", "lpg"):
        raw[STREAM_INDEX[key]] *= OIL_YEARLY ** (t / 12.0)[None, :]
    raw[STREAM_INDEX["steam"]] *= STEAM_YEARLY ** (t / 12.0)[None, :]

    # Rooftop solar follows the sun, not production: capacity x monthly yield, from its first month.
    solar = STREAM_INDEX["solar"]
    capacity = ent.size * ent.shares[:, solar] * ent.shares[:, STREAM_INDEX["electricity"]]
    days = months["days"].to_numpy(dtype=float)
    weather = rng.lognormal(-WEATHER_NOISE ** 2 / 2, WEATHER_NOISE, (len(ent), len(months)))
    running = (t[None, :] >= ent.solar_start[:, None]) & (t[None, :] <= ent.end[:, None])
    raw[solar] = (capacity[:, None] * np.asarray(SOLAR_YIELD)[calendar][None, :] * (days / 365.25)[None, :]
                  * weather * running)
    return raw


def year_positions(months: pd.DataFrame) -> np.ndarray:
    """Position of each month's year, 0 for the first year."""
    return months["year"].to_numpy() - FIRST_YEAR


def calibrate(raw: np.ndarray, present: np.ndarray, targets: np.ndarray, months: pd.DataFrame,
              iterations: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Scale each stream by a smooth monthly factor so that its reported totals meet the targets.

    The factor is interpolated linearly between one knot per year (mid-year; mid-period for the last, partial
    year) and held flat beyond the first and last knot; it is the same for every enterprise. The knots are found
    by fixed-point iteration on the reported enterprise-months only, so that missing reports do not lower the
    totals. The partial last year is set against the same months of the year before (PARTIAL_YEAR_GROWTH).

    Parameters
    ----------
    raw : ndarray (stream, enterprise, month)
        Uncalibrated energy.
    present : ndarray of bool (enterprise, month)
        The reports that arrive.
    targets : ndarray (stream, calibrated year)
        Reported totals to meet [tce], for the full years CALIBRATED_YEARS.
    months : DataFrame
        The month axis.
    iterations : int
        Fixed-point iterations (40 bring the totals to the targets within about 1e-10, relative).

    Returns
    -------
    (calibrated, factors) : ndarray (stream, enterprise, month) [tce] and ndarray (stream, month)
    """
    t = np.arange(len(months), dtype=float)
    column = year_positions(months)
    n_full = targets.shape[1]
    partial_months = int((column == n_full).sum())
    same_months_before = (column == n_full - 1) & (months["month"].to_numpy() <= partial_months)
    knots = np.append(12 * np.arange(n_full) + 5.5, 12 * n_full + (partial_months - 1) / 2)
    growth = np.asarray([PARTIAL_YEAR_GROWTH[stream.key] for stream in STREAMS])
    reported = (raw * present[None, :, :]).sum(axis=1)  # (stream, month)
    anchors = np.ones((len(STREAMS), n_full + 1))
    factors = np.ones_like(reported)
    for _ in range(iterations):
        factors = np.stack([np.interp(t, knots, anchor) for anchor in anchors])
        scaled = reported * factors
        totals = np.stack([np.bincount(column, weights=row, minlength=n_full + 1) for row in scaled])
        goal = np.column_stack([targets, scaled[:, same_months_before].sum(axis=1) * (1 + growth)])
        anchors *= np.divide(goal, totals, out=np.ones_like(goal), where=totals > 0)
    return raw * factors[:, None, :], factors


# ===================================================================================================================
# reporting
# ===================================================================================================================

def reports_present(ent: Enterprises, months: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Which enterprise-months are reported: active ones, less skipped months and the stop in 2025."""
    t = np.arange(len(months))
    present = (t[None, :] >= ent.start[:, None]) & (t[None, :] <= ent.end[:, None])
    small = np.arange(len(ANCHORS), len(ent))
    skippers = rng.choice(small[ent.end[small] == len(months) - 1], SKIPPING_ENTERPRISES + 1, replace=False)
    stopper, skippers = skippers[0], skippers[1:]
    present[stopper, _month_position(STOPS_IN_2025) + 1:] = False
    for e in skippers:
        length = int(rng.integers(1, 4))
        first = int(rng.integers(max(ent.start[e], 0), len(months) - length))
        present[e, first:first + length] = False
    return present


def submission_dates(ent: Enterprises, months: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The date each enterprise-month report arrives, as days after the first day of the next month."""
    shape = (len(ent), len(months))
    on_time = rng.choice(np.arange(10), size=shape, p=[0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.15, 0.16, 0.14, 0.12])
    monitored = rng.integers(0, 4, shape)
    late = rng.integers(15, 50, shape)
    is_late = rng.random(shape) < ent.late_rate[:, None]
    return np.where(ent.monitored[:, None], monitored, np.where(is_late, late, on_time))


# ===================================================================================================================
# rows
# ===================================================================================================================

def tce_per_unit(stream: Stream, english: bool = False) -> float:
    """Standard coal equivalent of one reported unit [tce], from the project's accounting (GB/T 2589-2020)."""
    carrier, unit = (stream.carrier_en, stream.unit_en) if english else (stream.carrier, stream.unit)
    return coefficients(carrier, unit).tce_equivalent


def _format(values: np.ndarray, decimals: int) -> np.ndarray:
    return np.char.mod(f"%.{decimals}f", values)


def consumption_rows(ent: Enterprises, months: pd.DataFrame, energy: np.ndarray, present: np.ndarray,
                     arrival: np.ndarray) -> pd.DataFrame:
    """Long table of reports: one row per enterprise, month, carrier and purpose with a quantity above zero.

    Parameters
    ----------
    energy : ndarray (stream, enterprise, month) — calibrated energy [tce]
    present : ndarray of bool (enterprise, month)
    arrival : ndarray (enterprise, month) — days after the first day of the next month

    Returns
    -------
    DataFrame
        ``enterprise_id, period, carrier, quantity, unit, purpose, submitted_at`` with quantities as text,
        sorted by period, enterprise and stream.
    """
    next_month = (pd.PeriodIndex(months["period"], freq="M") + 1).to_timestamp().to_numpy()
    submitted = next_month[None, :] + arrival.astype("timedelta64[D]")
    received = present & (submitted <= np.datetime64(AS_OF))
    e_idx, m_idx = np.nonzero(received)
    frames = []
    for position, stream in enumerate(STREAMS):
        values = energy[position, e_idx, m_idx]
        english = ent.english[e_idx] & (stream.carrier_en is not None)
        per_unit = tce_per_unit(stream)
        per_unit_en = tce_per_unit(stream, english=True) if stream.carrier_en else per_unit
        quantity = np.where(english, values / per_unit_en, values / per_unit)
        decimals = np.where(english, 0, stream.decimals)
        keep = quantity >= 0.5 * 10.0 ** -decimals
        text = np.where(english, _format(quantity, 0), _format(quantity, stream.decimals))
        frames.append(pd.DataFrame({
            "enterprise": e_idx[keep], "month": m_idx[keep], "stream": position,
            "carrier": np.where(english, stream.carrier_en or "", stream.carrier)[keep],
            "quantity": text[keep],
            "unit": np.where(english, stream.unit_en or "", stream.unit)[keep],
            "purpose": stream.purpose,
            "submitted_at": np.datetime_as_string(submitted[e_idx, m_idx][keep], unit="D"),
        }))
    rows = pd.concat(frames, ignore_index=True).sort_values(["month", "enterprise", "stream"], kind="stable")
    rows.insert(0, "enterprise_id", np.asarray(ent.ids)[rows["enterprise"].to_numpy()])
    rows.insert(1, "period", months["period"].to_numpy()[rows["month"].to_numpy()])
    return rows.reset_index(drop=True)


CONSUMPTION_COLUMNS = ["enterprise_id", "period", "carrier", "quantity", "unit", "purpose", "submitted_at"]


def corrections(rows: pd.DataFrame, ent: Enterprises, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Revise a few 2024 reports: the reported file keeps the first (wrong) value, the corrections the right one.

    Returns
    -------
    (rows, corrected) : the reports with the first values of the corrected rows, and the correction rows
        (submitted 3 to 12 weeks after the first report).
    """
    small_ids = set(ent.ids[len(ANCHORS):])
    eligible = rows.index[rows["period"].str.startswith("2024-") & rows["enterprise_id"].isin(small_ids)
                          & rows["carrier"].isin(["电力", "天然气", "柴油"]) & (rows["purpose"] == "fuel")]
    chosen = np.sort(rng.choice(eligible, len(CORRECTIONS), replace=False))
    corrected = rows.loc[chosen, CONSUMPTION_COLUMNS].copy()
    first = rows.copy()
    for (multiplier, _reason), index in zip(CORRECTIONS, chosen, strict=True):
        decimals = len(first.at[index, "quantity"].partition(".")[2])
        first.at[index, "quantity"] = f"{float(rows.at[index, 'quantity']) * multiplier:.{decimals}f}"
        arrived = date.fromisoformat(rows.at[index, "submitted_at"])
        corrected.at[index, "submitted_at"] = (arrived + timedelta(days=int(rng.integers(21, 85)))).isoformat()
    return first, corrected.sort_values(["period", "enterprise_id"], kind="stable").reset_index(drop=True)


# ===================================================================================================================
# meter readings
# ===================================================================================================================

def daily_shape(day_swing: float, steps: int) -> np.ndarray:
    """Load of the steps of a day relative to the day's mean: a daytime rise peaking at 14:30 (cooling).

    Parameters
    ----------
    day_swing : float
        Amplitude of the daily rise, as a share of the mean load.
    steps : int
        Steps per day (96 for 15 minutes).
    """
    hours = [24 * step / steps for step in range(steps)]
    shape = [1 + day_swing * math.cos(2 * math.pi * (hour - 14.5) / 24) for hour in hours]
    return np.asarray(shape) / np.mean(shape)


def meter_readings(rows: pd.DataFrame, ent: Enterprises, rng: np.random.Generator) -> pd.DataFrame:
    """15-minute telemetry of June 2025 for the meters of two large enterprises.

    The quarter-hour energy follows a daily shape with a weekend dip and noise, scaled so that each site's meters
    add up to its June 2025 electricity report x METER_VS_BILL; cumulative meters report the register at ``ts``,
    interval meters the energy of the 15 minutes starting at ``ts``. One interval meter misses a few hours; one
    register restarts from zero when the meter is replaced.
    """
    days = pd.Period(READINGS_MONTH, freq="M").days_in_month
    per_day = timedelta(days=1) // READING_STEP
    stamps = pd.date_range(datetime.fromisoformat(f"{READINGS_MONTH}-01T00:00:00"), periods=days * per_day,
                           freq=READING_STEP)
    weekend = np.where(stamps.day_of_week >= 5, WEEKEND_LOAD, 1.0)
    frames = []
    for meter in METERS:
        enterprise_id = ent.ids[meter.enterprise]
        report = rows[(rows["enterprise_id"] == enterprise_id) & (rows["period"] == READINGS_MONTH)
                      & (rows["carrier"] == "电力")]
        month_kwh = float(report["quantity"].iloc[0]) * Q_(1, report["unit"].iloc[0]).to("kWh").magnitude
        shape = np.tile(daily_shape(meter.day_swing, per_day), days) * weekend * rng.normal(1.0, 0.012, len(stamps))
        energy = shape / shape.sum() * month_kwh * meter.share * METER_VS_BILL
        if meter.kind == "interval":
            value = np.round(energy, 1)
        else:
            register = meter.register_start + np.concatenate([[0.0], np.cumsum(energy)[:-1]])
            if meter.reset_at:
                reset = stamps.get_loc(pd.Timestamp(meter.reset_at))
                # Replaced during the interval before ``reset_at``: the new register counts from part of it.
                restart = register[reset] - rng.uniform(0.3, 0.7) * energy[reset - 1]
                register[reset:] = register[reset:] - restart
            value = np.round(register, 1)
        keep = np.ones(len(stamps), dtype=bool)
        if meter.gap:
            keep &= ~((stamps >= pd.Timestamp(meter.gap[0])) & (stamps <= pd.Timestamp(meter.gap[1])))
        frames.append(pd.DataFrame({
            "meter_id": meter.meter_id, "enterprise_id": enterprise_id,
            "ts": stamps[keep].strftime("%Y-%m-%dT%H:%M:%S") + TIMEZONE,
            "value": _format(value[keep], 1), "unit": "kWh", "carrier": "electricity", "kind": meter.kind,
        }))
    return pd.concat(frames, ignore_index=True)


# ===================================================================================================================
# output
# ===================================================================================================================

def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def generate(out: Path, published_file: Path = PUBLISHED_FILE) -> dict[str, object]:
    """Write the demo dataset into ``out`` and return a summary of what was written.

    Parameters
    ----------
    out : Path
        Folder for region.json, enterprises.csv, consumption/<year>.csv, readings/2025-06.csv and
        corrections-2024.csv.
    published_file : Path
        The published figures.

    Returns
    -------
    dict
        Counts, the calibration factors' range per stream and the files written.
    """
    rng = np.random.default_rng(SEED)
    published = read_published(published_file)
    region = region_document(published)
    months = month_axis()
    ent = build_enterprises(rng, len(months))
    raw = raw_streams(ent, months, rng)
    present = reports_present(ent, months, rng)
    arrival = submission_dates(ent, months, rng)
    energy, factors = calibrate(raw, present, stream_targets(region), months)
    rows = consumption_rows(ent, months, energy, present, arrival)
    first_reports, corrected = corrections(rows, ent, rng)
    readings = meter_readings(rows, ent, rng)

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "region.json"]
    written[0].write_text(json.dumps(region, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    enterprises = pd.DataFrame({"id": ent.ids, "name": ent.names, "region": REGION, "industry": ent.industries,
                                "credit_code": credit_codes(len(ent)), "synthetic": "true"})
    _write_csv(enterprises, out / "enterprises.csv")
    written.append(out / "enterprises.csv")
    for year, frame in first_reports.groupby(first_reports["period"].str[:4], sort=True):
        path = out / "consumption" / f"{year}.csv"
        _write_csv(frame[CONSUMPTION_COLUMNS], path)
        written.append(path)
    _write_csv(readings, out / "readings" / f"{READINGS_MONTH}.csv")
    _write_csv(corrected, out / "corrections-2024.csv")
    written += [out / "readings" / f"{READINGS_MONTH}.csv", out / "corrections-2024.csv"]
    return {
        "enterprises": len(ent), "rows": len(rows), "readings": len(readings), "corrections": len(corrected),
        "factor_range": {stream.key: (round(float(factors[s][factors[s] > 0].min()), 3),
                                      round(float(factors[s].max()), 3)) for s, stream in enumerate(STREAMS)},
        "files": [str(path) for path in written],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python data/generate_demo.py [--out FOLDER]``."""
    parser = argparse.ArgumentParser(description="Generate the demo dataset of the seed region gz-htz.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: data/demo)")
    args = parser.parse_args(argv)
    summary = generate(args.out)
    print(f"{summary['enterprises']} enterprises, {summary['rows']} consumption rows, {summary['readings']} "
          f"readings, {summary['corrections']} corrections -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
