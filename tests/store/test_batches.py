"""Batches and the rows they rejected."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.errors import NotFound
from carbon.store import Scope, Store


def test_a_batch_is_recorded_from_start_to_finish(fresh_store: Store) -> None:
    fresh_store.start_batch("b1", kind="consumption", source="upload.csv", actor="token:1",
                            enterprise_scope="GZHTZ-0001")
    assert fresh_store.get_batch("b1", Scope.everything())["status"] == "running"
    fresh_store.finish_batch("b1", status="ok", counts={"read": 5, "accepted": 3, "rejected": 2},
                             content_count=3, content_hash="h")
    batch = fresh_store.get_batch("b1", Scope.only("GZHTZ-0001"))
    assert [batch[k] for k in ("status", "read", "accepted", "unchanged", "revised", "rejected", "content_count",
                               "content_hash")] == ["ok", 5, 3, 0, 0, 2, 3, "h"]
    assert batch["finished_at"] >= batch["started_at"]


def test_another_enterprises_batch_is_not_found(fresh_store: Store) -> None:
    fresh_store.start_batch("b1", kind="consumption", source="s", actor="a", enterprise_scope="GZHTZ-0001")
    fresh_store.start_batch("b2", kind="consumption", source="s", actor="a")  # the bureau's, for several
    for batch in ("b1", "b2", "nope"):
        with pytest.raises(NotFound, match=f"no batch '{batch}'"):
            fresh_store.get_batch(batch, Scope.only("GZHTZ-0002"))


def test_rejections_come_back_in_row_order(fresh_store: Store) -> None:
    fresh_store.start_batch("b1", kind="consumption", source="s", actor="a")
    fresh_store.add_rejections("b1", pd.DataFrame({"row": [7, 2], "field": ["unit", "quantity"],
                                                   "reason": ["unknown unit", "negative"], "value": ["斤", None]}))
    fresh_store.add_rejections("b1", pd.DataFrame(columns=["row", "field", "reason", "value"]))  # nothing
    rejections = fresh_store.batch_rejections("b1")
    assert rejections[["row", "field", "reason"]].values.tolist() == [[2, "quantity", "negative"],
                                                                      [7, "unit", "unknown unit"]]
    assert rejections["value"].isna().tolist() == [True, False] and rejections["value"].iloc[1] == "斤"


def test_loaded_sources_take_the_prefix_literally(fresh_store: Store) -> None:
    for number, (source, status) in enumerate([("inbox/a_1.csv", "ok"), ("inbox/ab1.csv", "ok"),
                                               ("inbox/a_2.csv", "failed"), ("http:x", "ok")]):
        fresh_store.start_batch(f"b{number}", kind="consumption", source=source, actor="job")
        fresh_store.finish_batch(f"b{number}", status=status, counts={})
    assert fresh_store.loaded_sources() == {"inbox/a_1.csv", "inbox/ab1.csv", "http:x"}
    assert fresh_store.loaded_sources(prefix="inbox/a_") == {"inbox/a_1.csv"}  # _ is no wildcard here
