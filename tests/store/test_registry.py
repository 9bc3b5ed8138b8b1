"""Regions, statistics and enterprises."""

from __future__ import annotations

import pytest

from carbon.errors import InvalidInput, NotFound
from carbon.store import Scope, Store


def test_a_region_is_created_then_updated_field_by_field(fresh_store: Store) -> None:
    created = fresh_store.upsert_region("sz", name="深圳", grid_region="southern")
    assert created["deduct_feedstock"] == 1 and created["deduct_new_renewables"] == 0  # the defaults
    assert created["created_at"] == created["updated_at"]
    updated = fresh_store.upsert_region("sz", peak_aim_year=2030, deduct_feedstock=False)
    assert (updated["name"], updated["grid_region"], updated["peak_aim_year"], updated["deduct_feedstock"]) == \
        ("深圳", "southern", 2030, 0)  # untouched fields stay; a flag is stored as 0/1
    assert updated["created_at"] == created["created_at"]
    assert [r["code"] for r in fresh_store.list_regions()] == ["gz-htz", "sz"]


def test_region_input_errors(fresh_store: Store) -> None:
    with pytest.raises(InvalidInput, match="unknown region fields: colour, size"):
        fresh_store.upsert_region("gz-htz", size=1, colour="red")
    with pytest.raises(InvalidInput, match="needs a name"):
        fresh_store.upsert_region("nameless")
    with pytest.raises(NotFound, match="no region 'atlantis'"):
        fresh_store.upsert_region("sub", name="子区", parent="atlantis")
    with pytest.raises(NotFound, match="no region 'atlantis'"):
        fresh_store.get_region("atlantis")
    assert [r["code"] for r in fresh_store.list_regions()] == ["gz-htz"]  # nothing half-made
    assert fresh_store.upsert_region("sub", name="子区", parent="gz-htz")["parent"] == "gz-htz"


def test_statistics_round_trip(fresh_store: Store) -> None:
    fresh_store.put_statistics("gz-htz", 2020, gdp_current=39_723_000, gdp_constant=39_723_000,
                               sources={"gdp_current": "published"})
    fresh_store.put_statistics("gz-htz", 2020, energy_total_tce=5_958_450)
    fresh_store.put_statistics("gz-htz", 2019, gdp_current=37_000_000)
    stats = fresh_store.statistics("gz-htz")
    assert stats.index.tolist() == [2019, 2020]
    assert stats.loc[2020, "gdp_current"] == 39_723_000 and stats.loc[2020, "energy_total_tce"] == 5_958_450
    assert stats.loc[2020, "sources"] == '{"gdp_current": "published"}'
    assert fresh_store.statistics("nowhere").empty


def test_statistics_input_errors(fresh_store: Store) -> None:
    with pytest.raises(InvalidInput, match="unknown statistics fields: gdp"):
        fresh_store.put_statistics("gz-htz", 2020, gdp=1)
    with pytest.raises(NotFound):
        fresh_store.put_statistics("atlantis", 2020, gdp_current=1)


def test_scope_keeps_an_enterprise_to_itself(fresh_store: Store) -> None:
    assert [e["id"] for e in fresh_store.list_enterprises(Scope.only("GZHTZ-0002"))] == ["GZHTZ-0002"]
    assert len(fresh_store.list_enterprises(Scope.everything())) == 3
    assert fresh_store.get_enterprise("GZHTZ-0002", Scope.only("GZHTZ-0002"))["industry"] == "C2720"
    with pytest.raises(NotFound, match="no enterprise 'GZHTZ-0001'"):
        fresh_store.get_enterprise("GZHTZ-0001", Scope.only("GZHTZ-0002"))
    with pytest.raises(NotFound):
        fresh_store.get_enterprise("GZHTZ-9999", Scope.everything())


def test_enterprise_input_errors(fresh_store: Store) -> None:
    with pytest.raises(NotFound, match="enterprise 'X': no region 'atlantis'"):
        fresh_store.add_enterprises([{"id": "X", "name": "x", "region": "atlantis"}])
    for missing in ("id", "name", "region"):
        row = {"id": "X", "name": "x", "region": "gz-htz", missing: " "}
        with pytest.raises(InvalidInput, match=f"{missing} is required"):
            fresh_store.add_enterprises([row])
    assert len(fresh_store.list_enterprises(Scope.everything())) == 3  # nothing written


def test_known_enterprises_are_kept_unless_replaced(fresh_store: Store) -> None:
    rows = [{"id": "GZHTZ-0001", "name": "改名", "region": "gz-htz"},
            {"id": "GZHTZ-0004", "name": "新企业", "region": "gz-htz", "synthetic": "true"}]
    assert fresh_store.add_enterprises(rows) == 1  # only the new one
    assert fresh_store.get_enterprise("GZHTZ-0001", Scope.everything())["name"] == "示范显示科技"
    assert fresh_store.get_enterprise("GZHTZ-0004", Scope.everything())["synthetic"] == 1
    assert fresh_store.add_enterprises(rows, replace=True) == 2
    assert fresh_store.get_enterprise("GZHTZ-0001", Scope.everything())["name"] == "改名"
    assert fresh_store.enterprise_ids() == {"GZHTZ-0001", "GZHTZ-0002", "GZHTZ-0003", "GZHTZ-0004"}


def test_moving_an_enterprise_moves_its_totals(fresh_store: Store, consumption) -> None:
    with fresh_store.transaction():
        frame = consumption()
        fresh_store.insert_consumption(frame)
        fresh_store.add_to_monthly_totals(frame.assign(region="gz-htz"))
    fresh_store.upsert_region("sz", name="深圳", grid_region="southern")
    fresh_store.add_enterprises([{"id": "GZHTZ-0002", "name": "示范生物医药", "region": "sz"}], replace=True)
    assert fresh_store.enterprise_regions()["GZHTZ-0002"] == "sz"
    moved = fresh_store.region_year_summary("sz").set_index(["year", "purpose"])["tce_equivalent"]
    assert moved.to_dict() == pytest.approx({(2024, "fuel"): 13.3, (2025, "feedstock"): 3.4})
    stayed = fresh_store.region_year_summary("gz-htz")
    assert stayed["tce_equivalent"].sum() == pytest.approx(12.29 + 6.145)
    grids = {row["id"]: row["grid_region"] for row in fresh_store.enterprise_grid_regions()}
    assert grids == {"GZHTZ-0001": "guangdong", "GZHTZ-0002": "southern", "GZHTZ-0003": "guangdong"}
    assert fresh_store.enterprise_places("GZHTZ-0002") == {"GZHTZ-0002": ("sz", "southern")}
    assert fresh_store.enterprise_places()["GZHTZ-0001"] == ("gz-htz", "guangdong")
    assert fresh_store.enterprise_places("nobody") == {}


def test_strings_are_stored_literally(fresh_store: Store) -> None:
    nasty = "x'); DROP TABLE enterprises; --<script>alert(1)</script>"
    fresh_store.add_enterprises([{"id": "X-1", "name": nasty, "region": "gz-htz"}])
    assert fresh_store.get_enterprise("X-1", Scope.everything())["name"] == nasty


@pytest.mark.parametrize("nasty", ["x'); DROP TABLE enterprises; --", "<script>alert(1)</script>", "A/B", "..",
                                   "a..b", "-x", "x" * 65, "企业1", "=HYPERLINK(1)"])
def test_identifiers_follow_the_one_pattern(fresh_store: Store, nasty: str) -> None:
    with pytest.raises(InvalidInput, match="not an identifier"):
        fresh_store.add_enterprises([{"id": nasty, "name": "n", "region": "gz-htz"}])
    with pytest.raises(InvalidInput, match="not an identifier"):
        fresh_store.upsert_region(nasty, name="n")
