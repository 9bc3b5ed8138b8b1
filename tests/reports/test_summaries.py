"""Reads from the maintained summaries: what a batch re-judges, what a region report is made from, and what a
write leaves valid — each checked against the way it was computed before (every row counted, every alert
re-judged)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carbon.ingest.pipeline import ingest_records
from carbon.reports.alerts import flag_missing_reports, refresh_after_batch
from carbon.reports.emissions import carbon_by_carrier
from carbon.reports.exports import consumption_version
from carbon.reports.region import ReportInputs, year_reporting
from carbon.store import Scope, Store
from tests.reports.conftest import TODAY, electricity, months


def open_alerts(store: Store, kind: str) -> set[str]:
    return {alert["fingerprint"] for alert in store.list_alerts(Scope.everything(), kind=kind)}


@pytest.fixture
def file_store(tmp_path: Path) -> Store:
    """A SQLite file with the seed region and three enterprises (the caches skip in-memory databases)."""
    store = Store(str(tmp_path / "carbon.db"))
    store.upsert_region("gz-htz", name="广州高新技术产业开发区", grid_region="guangdong", intensity_base_year=2020,
                        intensity_base_value=0.15, intensity_target_year=2025, intensity_target_value=0.13)
    store.add_enterprises([{"id": f"GZHTZ-000{n}", "name": f"企业{n}", "region": "gz-htz"} for n in (1, 2, 3)])
    yield store
    store.close()


def put(store: Store, enterprise_id: str, records: list[dict]) -> None:
    summary = ingest_records(store, records, enterprise_id=enterprise_id, actor="test", today=TODAY, confirm=True,
                             reason="a confirmed correction")
    assert summary.rejected == 0


# -- counts per year ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["memory", "file"])
def test_months_and_enterprises_per_year_are_the_distinct_counts(where: str, fresh_store: Store, file_store: Store,
                                                                 submit) -> None:
    store = fresh_store if where == "memory" else file_store
    put(store, "GZHTZ-0001", electricity(months(2023, *range(1, 13)) + months(2024, 1, 2), 10))
    put(store, "GZHTZ-0002", electricity(months(2024, 2, 3), 1))
    assert year_reporting(store, "gz-htz").equals(store.region_year_counts("gz-htz"))
    # A new enterprise in 2024 only: 2024 is counted again, 2023 reused (and still right)
    put(store, "GZHTZ-0003", electricity(["2024-05"], 1))
    counts = year_reporting(store, "gz-htz")
    assert counts.equals(store.region_year_counts("gz-htz"))
    assert counts.to_dict("records") == [{"year": 2023, "months": 12, "enterprises": 1},
                                         {"year": 2024, "months": 4, "enterprises": 3}]
    assert year_reporting(store, "elsewhere").empty


# -- what a report is made from ------------------------------------------------------------------------------


def test_a_batch_for_a_year_no_report_shows_leaves_the_report_inputs_as_they_were(fresh_store: Store,
                                                                                  submit) -> None:
    submit("GZHTZ-0001", electricity(months(2023, *range(1, 13)), 10))
    fresh_store.put_statistics("gz-htz", 2023, gdp_constant=100_000.0)
    before = ReportInputs.read(fresh_store, "gz-htz")
    submit("GZHTZ-0002", electricity(["2010-03"], 1))  # 2010: no statistics, one month, before the plan
    after = ReportInputs.read(fresh_store, "gz-htz")
    assert after.key == before.key and len(after.parts) > len(before.parts)
    submit("GZHTZ-0002", electricity(["2023-03"], 1))  # a year the reports show
    assert ReportInputs.read(fresh_store, "gz-htz").key != before.key


def test_after_batches_of_some_years_the_inputs_read_those_years_again_and_equal_a_full_read(
        file_store: Store) -> None:
    def read() -> ReportInputs:
        inputs = ReportInputs.read(file_store, "gz-htz")
        full = ReportInputs._query(file_store, "gz-htz")  # every year read at once
        assert (inputs.region, inputs.statistics_rows, inputs.part_rows, inputs.count_rows) == (
            full.region, full.statistics_rows, full.part_rows, full.count_rows)
        return inputs

    # 2018: before the plan's path (2020-2025) and without statistics, shown only once complete
    put(file_store, "GZHTZ-0001", electricity([*months(2018, *range(1, 12)), "2024-01"], 10))
    file_store.put_statistics("gz-htz", 2024, gdp_constant=100_000.0)
    first = read()
    put(file_store, "GZHTZ-0002", electricity(["2010-03", "2018-02"], 1))  # two years, one of them new
    second = read()
    assert second.statistics_rows is first.statistics_rows  # read again: only the years the batch changed
    assert 2018 not in second.shown_years and second.key == first.key  # 2018 still short of a month
    put(file_store, "GZHTZ-0003", electricity(["2018-12"], 1))  # its twelfth month: now a year the reports show
    third = read()
    assert 2018 in third.shown_years and third.key != second.key
    assert read() is third  # nothing moved: the same inputs
    file_store.put_statistics("gz-htz", 2018, gdp_constant=90_000.0)  # not a batch: everything read again
    assert read().statistics_rows != third.statistics_rows


def test_co2_by_carrier_adds_the_purposes_exactly_as_the_group_by_does() -> None:
    rng = np.random.default_rng(7)
    rows = 400
    parts = pd.DataFrame({
        "year": rng.integers(2019, 2024, rows), "carrier": rng.choice(["electricity", "natural_gas", "coal"], rows),
        "purpose": rng.choice(["fuel", "feedstock"], rows),
        "tce_equivalent": rng.normal(1000, 400, rows) * 10.0 ** rng.integers(-6, 6, rows),
        "co2_t": rng.normal(3000, 900, rows) * 10.0 ** rng.integers(-6, 6, rows),
    })
    parts.loc[::17, "co2_t"] = np.nan  # a missing sum is skipped, as pandas skips it
    expected = (parts.groupby(["year", "carrier"], as_index=False)[["co2_t", "tce_equivalent"]].sum()
                [["year", "carrier", "co2_t", "tce_equivalent"]])
    made = carbon_by_carrier(parts)
    assert json.dumps(made) == json.dumps(expected.astype(object).to_dict("records"))  # bit for bit, in order
    assert all(isinstance(row["year"], int) and not math.isnan(row["co2_t"]) for row in made)
    assert carbon_by_carrier(parts.iloc[:0]) == []


# -- what a batch re-judges -----------------------------------------------------------------------------------


def test_a_batch_rejudges_its_own_enterprise_and_leaves_the_others_alerts(fresh_store: Store, submit) -> None:
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 4, 5, 6), 1))  # March missing
    submit("GZHTZ-0002", electricity(months(2024, 4, 6), 1))  # May missing
    flag_missing_reports(fresh_store, today=date(2024, 7, 20))
    assert open_alerts(fresh_store, "missing_report") == {"missing_report|GZHTZ-0001|2024-03",
                                                          "missing_report|GZHTZ-0002|2024-05"}
    submit("GZHTZ-0001", electricity(["2024-03"], 1))
    counts = refresh_after_batch(fresh_store, ["GZHTZ-0001"], today=date(2024, 7, 20))
    # only GZHTZ-0001's alerts were matched: none found, its March resolved; GZHTZ-0002's May untouched
    assert counts["gz-htz:missing_report"] == {"missing": 0, "opened": 0, "updated": 0, "resolved": 1}
    assert open_alerts(fresh_store, "missing_report") == {"missing_report|GZHTZ-0002|2024-05"}


def test_a_batch_of_the_regions_newest_month_makes_it_due_from_everyone(fresh_store: Store, submit) -> None:
    submit("GZHTZ-0001", electricity(months(2024, 4, 5), 1))
    submit("GZHTZ-0002", electricity(months(2024, 4, 5), 1))
    submit("GZHTZ-0001", electricity(["2024-06"], 1))  # the first report of June in the region
    refresh_after_batch(fresh_store, ["GZHTZ-0001"], today=date(2024, 7, 20))
    assert open_alerts(fresh_store, "missing_report") == {"missing_report|GZHTZ-0002|2024-06"}
    # as the full daily job finds it
    assert flag_missing_reports(fresh_store, today=date(2024, 7, 20))["missing"] == 1


def test_the_refresh_after_a_batch_leaves_every_cached_report_valid(file_store: Store) -> None:
    put(file_store, "GZHTZ-0001", electricity(months(2024, 1, 2), 1))
    before = file_store.data_versions("gz-htz")
    refresh_after_batch(file_store, ["GZHTZ-0001"], today=date(2024, 7, 20))
    assert file_store.data_versions("gz-htz") == before
    assert open_alerts(file_store, "missing_report") == set()  # nothing due yet is missing


# -- an enterprise's read stays valid through the others' writes ---------------------------------------------


def test_an_enterprises_consumption_version_moves_with_its_own_rows_only(file_store: Store) -> None:
    put(file_store, "GZHTZ-0001", electricity(months(2024, 1, 2), 10))
    first = consumption_version(file_store, "GZHTZ-0001")
    put(file_store, "GZHTZ-0002", electricity(months(2024, 1, 2), 10))  # another enterprise of the region
    assert consumption_version(file_store, "GZHTZ-0001") == first
    put(file_store, "GZHTZ-0001", electricity(["2024-03"], 10))  # a new row
    second = consumption_version(file_store, "GZHTZ-0001")
    assert second != first
    put(file_store, "GZHTZ-0001", electricity(["2024-03"], 12))  # a revision, same number of rows
    assert consumption_version(file_store, "GZHTZ-0001") != second
    assert consumption_version(Store(":memory:"), "GZHTZ-0001") is None
