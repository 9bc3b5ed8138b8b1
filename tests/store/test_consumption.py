"""Consumption rows, their sums, the monthly totals kept beside them, and stale conversions.

The rows are the four of ``tests/store/conftest.py``; every expected number is their sum worked out by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.errors import InvalidInput
from carbon.store import CONSUMPTION_KEY, Scope, Store
from carbon.store.engine import SMALL_INSERT_VALUES

E1, E2 = "GZHTZ-0001", "GZHTZ-0002"


@pytest.fixture
def stored(fresh_store: Store, consumption) -> Store:
    """The fixture's store with the four rows stored and added to the monthly totals, as the pipeline does."""
    frame = consumption()
    with fresh_store.transaction():
        assert fresh_store.insert_consumption(frame) == 4
        fresh_store.add_to_monthly_totals(frame.assign(region="gz-htz"))
    return fresh_store


def test_rows_round_trip_inside_the_scope(stored: Store) -> None:
    everything = stored.consumption(Scope.everything())
    assert everything[list(CONSUMPTION_KEY)].values.tolist() == [
        [E1, "2024-01", "电力", "fuel"], [E1, "2024-02", "电力", "fuel"],
        [E2, "2024-01", "天然气", "fuel"], [E2, "2025-01", "天然气", "feedstock"]]
    assert everything["factor_fallback"].tolist() == [0, 0, 0, 0]  # a flag is stored as 0/1
    own = stored.consumption(Scope.only(E2), start="2024-01", end="2024-12", columns=("period", "co2_t"))
    assert own.values.tolist() == [["2024-01", 21.62]]
    assert stored.consumption(Scope.only(E2), enterprise_id=E1).empty  # asking for another's rows finds none
    assert len(stored.consumption(Scope.everything(), region="gz-htz")) == 4
    assert stored.consumption_pairs() == {(E1, "2024-01"), (E1, "2024-02"), (E2, "2024-01"), (E2, "2025-01")}


def test_stored_pairs_answers_only_for_the_pairs_asked(stored: Store) -> None:
    asked = [(E1, "2024-02"), (E1, "2023-12"), (E2, "2025-01"), ("GZHTZ-0003", "2024-01")]
    assert stored.stored_pairs(asked) == {(E1, "2024-02"), (E2, "2025-01")}
    assert stored.stored_pairs([]) == set()
    # Many pairs (a bulk load) are first narrowed to the enterprises with stored rows: the answer is the same.
    many = asked + [(f"GZHTZ-{i:04d}", f"2024-{m:02d}") for i in range(3, 60) for m in range(1, 13)]
    assert len(many) * 2 > SMALL_INSERT_VALUES
    assert stored.stored_pairs(many) == {(E1, "2024-02"), (E2, "2025-01")}


def test_monthly_sums_of_few_rows_match_the_grouped_sums(consumption) -> None:
    from carbon.store.totals import monthly_sums

    rows = consumption().assign(region="gz-htz")
    many = pd.concat([rows] * 100, ignore_index=True)  # above the plain-Python path's size
    few = monthly_sums(rows, sign=-1.0)
    grouped = monthly_sums(many, sign=-1.0)
    assert sorted(few.months) == sorted(grouped.months) == []  # taking away leaves the reported months alone
    by_key = {row[:4]: row[4:] for row in grouped.totals}
    for row in monthly_sums(rows).totals:
        assert by_key[row[:4]] == pytest.approx([-100 * value for value in row[4:]])
    assert sorted(monthly_sums(rows).months) == sorted(monthly_sums(many).months)


def test_existing_rows_are_found_by_their_natural_key(stored: Store) -> None:
    keys = pd.DataFrame([[E1, "2024-02", "电力", "fuel"], [E1, "2024-02", "电力", "feedstock"],
                         [E2, "2025-01", "天然气", "feedstock"]], columns=list(CONSUMPTION_KEY))
    found = stored.existing_consumption(keys).sort_values("period")
    assert found[["period", "tce_equivalent", "revision", "created_batch"]].values.tolist() == [
        ["2024-02", 6.145, 1, "b1"], ["2025-01", 3.4, 1, "b1"]]
    assert stored.existing_consumption(keys.iloc[:0]).empty
    assert stored.existing_consumption(keys.iloc[1:2]).empty  # the purpose is part of the key


def test_a_revision_replaces_values_but_keeps_the_creating_batch(stored: Store, consumption) -> None:
    revised = consumption([(E1, "2024-02", "电力", "fuel", 200.0, 7.0, 16.0, 33.0)], quantity=2.0, revision=2,
                          batch_id="b2", created_batch="b2")
    with stored.transaction():
        assert stored.revise_consumption(revised) == 1
    row = stored.consumption(Scope.only(E1), start="2024-02", end="2024-02").iloc[0]
    assert (row["quantity"], row["tce_equivalent"], row["revision"], row["batch_id"], row["created_batch"]) == \
        (2.0, 7.0, 2, "b2", "b1")
    assert stored.consumption_with_revisions()[["period", "revision"]].values.tolist() == [["2024-02", 2]]
    assert sorted(stored.consumption_for_batch("b1")["period"]) == ["2024-01", "2024-01", "2024-02", "2025-01"]
    assert stored.consumption_for_batch("b2").empty


def test_totals_by_year_and_by_carrier(stored: Store) -> None:
    by_year = stored.consumption_totals(Scope.everything(), by=["year"])
    assert by_year["year"].tolist() == [2024, 2025]
    assert by_year["energy_gj"].tolist() == pytest.approx([360 + 180 + 389.31, 100])
    assert by_year["tce_equivalent"].tolist() == pytest.approx([12.29 + 6.145 + 13.3, 3.4])
    assert by_year["co2_t"].tolist() == pytest.approx([58.1 + 29.05 + 21.62, 0])
    assert by_year[["rows", "enterprises"]].values.tolist() == [[3, 2], [1, 1]]
    by_carrier = stored.consumption_totals(Scope.everything(), by=["carrier"], start="2024-01", end="2024-12")
    assert dict(zip(by_carrier["carrier"], by_carrier["tce_equal"], strict=True)) == pytest.approx(
        {"电力": 45.0, "天然气": 13.3})
    whole = stored.consumption_totals(Scope.only(E1), by=[])
    assert whole[["tce_equivalent", "rows"]].values.tolist() == [[pytest.approx(18.435), 2]]


def test_monthly_tce_and_reported_months(stored: Store) -> None:
    monthly = stored.monthly_tce(Scope.everything(), region="gz-htz", start="2024-01", end="2024-12")
    assert monthly[["enterprise_id", "period", "tce_equivalent"]].values.tolist() == [
        [E1, "2024-01", 12.29], [E1, "2024-02", 6.145], [E2, "2024-01", 13.3]]
    reported = stored.reported_months(Scope.only(E2), region="gz-htz")
    assert reported[["period", "rows", "submitted_at"]].values.tolist() == [
        ["2024-01", 1, "2024-03-01T00:00:00Z"], ["2025-01", 1, "2024-03-01T00:00:00Z"]]
    # the same months from the maintained summary, for a few enterprises or a region, the same as from the rows
    assert stored.reported_periods(region="gz-htz", enterprise_ids=[E2])["period"].tolist() == ["2024-01", "2025-01"]
    every = stored.reported_months(Scope.everything(), region="gz-htz")[["enterprise_id", "period"]]
    pd.testing.assert_frame_equal(stored.reported_periods(region="gz-htz"), every)
    both = stored.monthly_tce(Scope.everything(), region="gz-htz", enterprise_ids=[E2, E1])
    assert both["enterprise_id"].tolist() == [E1, E1, E2, E2]  # one query, in key order


def test_grouping_by_something_unknown_is_invalid_input(stored: Store) -> None:
    with pytest.raises(InvalidInput, match="cannot group by colour; choose from year, period"):
        stored.consumption_totals(Scope.everything(), by=["year", "colour"])


def test_monthly_totals_add_up_and_take_away(stored: Store, consumption) -> None:
    summary = stored.region_year_summary("gz-htz").set_index(["year", "carrier", "purpose"])
    assert summary["tce_equivalent"].to_dict() == pytest.approx({
        (2024, "电力", "fuel"): 18.435, (2024, "天然气", "fuel"): 13.3, (2025, "天然气", "feedstock"): 3.4})
    assert summary["co2_t"].to_dict() == pytest.approx({
        (2024, "电力", "fuel"): 87.15, (2024, "天然气", "fuel"): 21.62, (2025, "天然气", "feedstock"): 0.0})
    counts = stored.region_year_counts("gz-htz").set_index("year")
    assert counts.to_dict("index") == {2024: {"months": 2, "enterprises": 2}, 2025: {"months": 1, "enterprises": 1}}
    february = consumption([(E1, "2024-02", "电力", "fuel", 180.0, 6.145, 15.0, 29.05)]).assign(region="gz-htz")
    with stored.transaction():
        stored.add_to_monthly_totals(february, sign=-1)  # as a revision takes the old values away
    rows = stored.conn.execute("SELECT period, tce_equivalent, rows FROM monthly_totals WHERE carrier = '电力' "
                               "ORDER BY period").fetchall()
    assert [(p, pytest.approx(t), n) for p, t, n in rows] == [("2024-01", 12.29, 1), ("2024-02", 0.0, 0)]


def test_a_rebuild_gives_the_same_totals(stored: Store) -> None:
    def totals() -> list[tuple]:
        rows = stored.conn.execute("SELECT region, period, carrier, purpose, tce_equivalent, tce_equal, co2_t, rows "
                                   "FROM monthly_totals ORDER BY period, carrier, purpose").fetchall()
        return [(*row[:4], *(round(value, 9) for value in row[4:7]), row[7]) for row in rows]

    kept = totals()
    stored.conn.execute("UPDATE monthly_totals SET tce_equivalent = 0")  # drifted
    stored.rebuild_monthly_totals()
    assert totals() == kept and len(kept) == 4


def test_stale_conversions_are_found_and_updated(fresh_store: Store, consumption) -> None:
    rows = consumption().assign(factor_version=["v1", "v0", None, "v1"], factor_fallback=[False, False, False, True])
    with fresh_store.transaction():
        fresh_store.insert_consumption(rows)
    stale = fresh_store.stale_conversions("v1").sort_values(["enterprise_id", "period"])
    # another version, no version, or a factor that stood in for a missing year
    assert stale[["enterprise_id", "period", "old_tce_equivalent"]].values.tolist() == [
        [E1, "2024-02", 6.145], [E2, "2024-01", 13.3], [E2, "2025-01", 3.4]]
    update = stale[list(CONSUMPTION_KEY)].assign(
        energy_gj=1.0, tce_equivalent=2.0, tce_equal=3.0, co2_t=4.0, tce_factor="f2", tce_equal_factor="f2",
        co2_factor="f2", factor_fallback=False, factor_version="v1")
    with fresh_store.transaction():
        assert fresh_store.update_conversions(update) == 3
    assert fresh_store.stale_conversions("v1").empty
    after = fresh_store.consumption(Scope.everything())
    assert after["tce_equivalent"].tolist() == [12.29, 2.0, 2.0, 2.0]
    assert after["revision"].tolist() == [1, 1, 1, 1]  # not a revision: the submitted values stay


def test_values_in_pairs_are_every_stored_row_of_the_months_asked(stored: Store) -> None:
    found = stored.values_in_pairs([(E1, "2024-02"), (E2, "2025-01"), ("GZHTZ-0003", "2024-01")])
    assert sorted(map(tuple, found[list(CONSUMPTION_KEY)].values.tolist())) == [
        (E1, "2024-02", "电力", "fuel"), (E2, "2025-01", "天然气", "feedstock")]
    assert {"quantity", "unit", "ncv", "ncv_unit"} <= set(found.columns)
    assert stored.values_in_pairs([]).empty and stored.values_in_pairs([("GZHTZ-0003", "2024-01")]).empty
