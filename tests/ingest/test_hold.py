"""Which revisions are held: a change of more than the allowed share either way, or a month past its deadline."""

from __future__ import annotations

from datetime import date

import pandas as pd

from carbon.audit import verify
from carbon.compliance import monthly_anomalies
from carbon.ingest.hold import HoldPolicy
from carbon.ingest.pipeline import ingest_records
from carbon.store import Scope, Store

OPEN = date(2025, 6, 10)  # 2025-05 is due by 2025-06-15: still open


def submit(store: Store, quantity: float, **kwargs):
    record = {"period": "2025-05", "carrier": "电力", "quantity": quantity, "unit": "万千瓦时"}
    return ingest_records(store, [record], enterprise_id="GZHTZ-0001", actor="e", today=OPEN, **kwargs)


def test_a_small_revision_of_an_open_month_is_applied_and_listed(fresh_store: Store) -> None:
    submit(fresh_store, 100)
    summary = submit(fresh_store, 130)
    assert summary.revised == 1 and summary.held == []
    assert summary.revisions[0]["old"]["quantity"] == 100 and summary.revisions[0]["new"]["quantity"] == 130
    assert summary.revisions[0]["change_pct"] == 30.0


def test_large_changes_are_held_either_way_and_the_share_is_configurable(fresh_store: Store) -> None:
    submit(fresh_store, 100)
    for quantity in (151, 49):
        summary = submit(fresh_store, quantity)
        assert summary.revised == 0 and summary.held[0]["reasons"] == ["change"]
    assert fresh_store.consumption(Scope.everything())["quantity"].tolist() == [100]
    assert [h["status"] for h in fresh_store.held_revisions(Scope.everything(), status=None)] == \
        ["held", "superseded"]
    loose = ingest_records(fresh_store, [{"period": "2025-05", "carrier": "电力", "quantity": 49, "unit": "万千瓦时"}],
                           enterprise_id="GZHTZ-0001", actor="e", today=OPEN)
    assert loose.held  # the default policy still holds it
    from carbon.ingest.pipeline import ingest_consumption

    frame = pd.DataFrame([{"row": 0, "enterprise_id": "GZHTZ-0001", "period": "2025-05", "carrier": "电力",
                           "quantity": 49, "unit": "万千瓦时"}])
    applied = ingest_consumption(fresh_store, [frame], source="t", actor="e", today=OPEN,
                                 hold=HoldPolicy(max_change_share=0.6))
    assert applied.revised == 1 and not applied.held


def test_a_closed_month_is_held_until_confirmed(fresh_store: Store) -> None:
    submit(fresh_store, 100)
    late = ingest_records(fresh_store, [{"period": "2025-05", "carrier": "电力", "quantity": 101, "unit": "万千瓦时"}],
                          enterprise_id="GZHTZ-0001", actor="e", today=date(2025, 7, 1))
    assert late.held[0]["reasons"] == ["deadline"]
    confirmed = submit(fresh_store, 101, confirm=True, reason="late invoice")
    assert confirmed.revised == 1
    assert fresh_store.held_revisions(Scope.everything(), status="applied")[0]["decision_reason"] == "late invoice"
    assert verify(fresh_store).ok


def test_drops_are_anomalies_as_well_as_spikes() -> None:
    tce = [100.0, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99, 100, 102, 98, 1.0, 100, 400]
    periods = pd.period_range("2023-01", periods=len(tce), freq="M").strftime("%Y-%m")
    flagged = monthly_anomalies(pd.DataFrame({"enterprise_id": "E", "period": periods, "tce": tce}))
    assert flagged[["period", "direction"]].values.tolist() == [["2024-03", "drop"], ["2024-05", "spike"]]
