"""Audit verification beyond the chain: derived values, monthly totals, meter readings, tokens, the chain's head.

:func:`carbon.audit.verify` checks the hash chain and each consumption batch's content; this module checks what
those do not cover, so that an edit behind the service's back is found wherever it is made:

- derived values (energy, tce on both bases, CO2) are recomputed from each row's quantity, unit and the factors,
  and the factors each row names (ids and fallback flag) must be the ones the conversion picks again;
- monthly totals (what the region indicators read) are summed afresh from the rows;
- each batch of meter readings is digested again from the readings it stored (revisions undone);
- each token row is digested and compared with the entry written when it was created or revoked;
- a checkpoint (the chain's head: ``seq`` and ``hash``, kept outside the database) finds a truncated tail.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carbon.accounting import FACTOR_COLUMNS, VALUE_COLUMNS

if TYPE_CHECKING:
    from carbon.audit import Verification
    from carbon.store import Store

__all__ = ["TOKEN_FIELDS", "check_against", "checkpoint", "token_digest", "token_entry", "verify_coverage"]

DERIVED = VALUE_COLUMNS
REFERENCES = (*FACTOR_COLUMNS, "factor_fallback")  # the factors a converted row names
TOKEN_FIELDS = ("id", "token_hash", "role", "enterprise_id", "expires_at", "revoked_at")
_TOTAL_KEY = ["region", "period", "carrier", "purpose"]
_SHOWN = 5  # mismatches named per kind; the count says how many more


def token_digest(row: Mapping[str, Any]) -> str:
    """SHA-256 of what a token grants (role, enterprise, validity) and of its secret's hash."""
    payload = json.dumps({name: row.get(name) for name in TOKEN_FIELDS}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def token_entry(row: Mapping[str, Any], *, action: str, actor: str, ts: str) -> dict[str, Any]:
    """The audit entry of a token created or revoked: who, when, and the digest of the row as it now is."""
    # no enterprise_id: token entries are the administrators' business, not in an enterprise's view of the log
    return {"ts": ts, "actor": actor, "action": "token", "entity": "token", "entity_key": row["id"],
            "enterprise_id": None, "batch_id": None, "old": None,
            "new": {"event": action, "role": row.get("role"), "digest": token_digest(row)},
            "content_count": None, "content_hash": None}


def checkpoint(store: Store) -> dict[str, Any]:
    """The chain's head (``seq``, ``hash``): kept outside the database, it later shows whether the tail was cut."""
    last = store.last_audit()
    return {"seq": int(last["seq"]) if last else 0, "hash": str(last["hash"]) if last else None}


def check_against(store: Store, mark: Mapping[str, Any], result: Verification) -> None:
    """Fail unless entry ``mark["seq"]`` still exists with ``mark["hash"]`` (a cut tail, or a rewritten chain)."""
    seq = int(mark.get("seq") or 0)
    if seq == 0:
        return
    found = store.audit_entry_hash(seq)
    if found is None:
        head = checkpoint(store)["seq"]
        result.fail(seq, f"checkpoint: entry {seq} is gone (the log ends at {head}); the tail of the audit log "
                         "was removed")
    elif found != mark.get("hash"):
        result.fail(seq, f"checkpoint: entry {seq} has another hash than at the checkpoint; the log was rewritten")


def verify_coverage(store: Store, result: Verification, entries: Sequence[Mapping[str, Any]]) -> None:
    """Run every check of this module, recording what is wrong in ``result``."""
    _check_derived(store, result)
    _check_totals(store, result)
    _check_readings(store, result, entries)
    _check_tokens(store, result, entries)


def _named(result: Verification, problems: list[str], what: str) -> None:
    for problem in problems[:_SHOWN]:
        result.fail(None, problem)
    if len(problems) > _SHOWN:
        result.fail(None, f"… and {len(problems) - _SHOWN} more {what}")


def _check_derived(store: Store, result: Verification) -> None:
    from carbon.accounting import convert_frame
    from carbon.audit import consumption_key
    from carbon.factors import default_factors

    factors = default_factors()
    rows = store.converted_rows(factors.version)
    if rows.empty:
        return
    try:
        again = convert_frame(rows.drop(columns=[*DERIVED, *REFERENCES]), factors=factors)
    except Exception as error:  # a row that no longer converts is itself a finding
        result.fail(None, f"derived values: the stored rows no longer convert ({error})")
        return
    stored = rows[list(DERIVED)].to_numpy(float)
    fresh = again[list(DERIVED)].to_numpy(float)
    wrong = ~np.isclose(stored, fresh, rtol=1e-9, atol=1e-12, equal_nan=True)
    problems = [f"consumption {consumption_key(rows.iloc[i])}: stored {DERIVED[j]} {stored[i, j]:.6g} but its "
                f"quantity and factors give {fresh[i, j]:.6g} (a derived value was edited)"
                for i, j in zip(*np.nonzero(wrong), strict=True)]
    _named(result, problems, "derived values")
    _check_references(rows, again, result)


def _check_references(rows: pd.DataFrame, again: pd.DataFrame, result: Verification) -> None:
    """The factor ids and fallback flag each row names against those its conversion picks again."""
    from carbon.audit import consumption_key

    def comparable(frame: pd.DataFrame, name: str) -> np.ndarray:
        if name == "factor_fallback":  # stored as 0/1, converted as a bool; missing as -1
            return frame[name].astype(float).fillna(-1.0).to_numpy()
        return frame[name].astype(object).where(frame[name].notna(), None).to_numpy()

    stored = [comparable(rows, name) for name in REFERENCES]
    fresh = [comparable(again, name) for name in REFERENCES]
    problems = [f"consumption {consumption_key(rows.iloc[i])}: names {name} {stored[j][i]} but its conversion "
                f"uses {fresh[j][i]} (a factor reference was edited)"
                for j, name in enumerate(REFERENCES) for i in np.flatnonzero(stored[j] != fresh[j])]
    _named(result, problems, "factor references")


def _check_totals(store: Store, result: Verification) -> None:
    stored = store.stored_monthly_totals()
    fresh = store.monthly_totals_from_rows()
    merged = stored.merge(fresh, on=_TOTAL_KEY, how="outer", suffixes=("", "_rows"))
    values = [*DERIVED, "rows"]
    a = merged[values].to_numpy(float, na_value=0.0)
    b = merged[[f"{v}_rows" for v in values]].to_numpy(float, na_value=0.0)
    wrong = ~np.isclose(a, b, rtol=1e-9, atol=1e-6).all(axis=1)
    problems = [f"monthly total {'|'.join(str(merged.iloc[i][k]) for k in _TOTAL_KEY)}: stored "
                f"tce {a[i, 1]:.6g}, co2 {a[i, 3]:.6g}, rows {a[i, 4]:.0f} but the rows sum to tce {b[i, 1]:.6g}, "
                f"co2 {b[i, 3]:.6g}, rows {b[i, 4]:.0f} (the totals were edited)" for i in np.flatnonzero(wrong)]
    _named(result, problems, "monthly totals")


def _check_readings(store: Store, result: Verification, entries: Sequence[Mapping[str, Any]]) -> None:
    from carbon.audit import ContentDigest

    revisions: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry["action"] == "revise" and entry["entity"] == "readings":
            revisions[entry["entity_key"]].append({"seq": entry["seq"], "old": json.loads(entry["old"]),
                                                   "new": json.loads(entry["new"])})
    current = store.reading_rows([tuple(key.split("|", 1)) for key in revisions])  # type: ignore[misc]
    current.index = current["meter_id"] + "|" + current["ts"]
    _check_revised_readings(current, revisions, result)
    originals = _first_versions(current, revisions)
    for entry in entries:
        if entry["action"] != "batch" or entry["entity"] != "readings" or not entry.get("content_count"):
            continue
        result.batches_checked += 1
        rows = store.readings_for_batch(entry["batch_id"])
        # a revised reading carries the id of the batch that revised it: count it, as first stored, in its own
        rows = rows[~(rows["meter_id"] + "|" + rows["ts"]).isin(originals.index)] if len(rows) else rows
        mine = originals[originals["batch_id"] == entry["batch_id"]].drop(columns=["batch_id"])
        digest = ContentDigest("readings")
        digest.add(pd.concat([rows, mine], ignore_index=True) if len(mine) else rows)
        if (digest.count, digest.hexdigest) != (entry["content_count"], entry["content_hash"]):
            result.fail(entry["seq"], f"readings batch {entry['batch_id']} (entry {entry['seq']}): its readings no "
                                      f"longer match what was stored ({digest.count} now, {entry['content_count']} "
                                      "then) — a reading was edited or deleted outside the service")


def _check_revised_readings(current: pd.DataFrame, revisions: Mapping[str, list[Mapping[str, Any]]],
                            result: Verification) -> None:
    for key, history in revisions.items():
        latest = history[-1]
        if key not in current.index:
            result.fail(latest["seq"], f"readings batch of revision {latest['seq']}: reading {key} was deleted "
                                       "outside the service")
            continue
        row = current.loc[key]
        if float(row["value"]) != float(latest["new"]["value"]) or row["unit"] != latest["new"].get("unit"):
            result.fail(latest["seq"], f"readings batch of revision {latest['seq']}: reading {key} is "
                                       f"{row['value']} {row['unit']}, not {latest['new']['value']} as revised "
                                       "(edited outside the service)")


def _first_versions(current: pd.DataFrame, revisions: Mapping[str, list[Mapping[str, Any]]]) -> pd.DataFrame:
    """Revised readings as first stored: value and unit of the first revision's ``old``, in the batch named there."""
    out = []
    for key, row in current.iterrows():
        first = revisions[key][0]["old"]
        if first.get("batch_id"):
            out.append({"meter_id": row["meter_id"], "ts": row["ts"], "value": first.get("value"),
                        "unit": first.get("unit"), "kind": row["kind"], "batch_id": first["batch_id"], "key": key})
    columns = ["meter_id", "ts", "value", "unit", "kind", "batch_id"]
    return pd.DataFrame(out, columns=[*columns, "key"]).set_index("key")


def _check_tokens(store: Store, result: Verification, entries: Sequence[Mapping[str, Any]]) -> None:
    latest: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        if entry["action"] == "token":
            latest[entry["entity_key"]] = entry
    for row in store.token_rows():
        entry = latest.get(row["id"])
        if entry is None:
            result.fail(None, f"token {row['id']} ({row['role']}): no audit entry; it was added outside the service")
        elif json.loads(entry["new"]).get("digest") != token_digest(row):
            result.fail(entry["seq"], f"token {row['id']}: its role, enterprise, validity or secret differ from "
                                      f"audit entry {entry['seq']} (now role {row['role']}, enterprise "
                                      f"{row['enterprise_id']}) — edited outside the service")
