"""Alerts the bureau should hear about before year-end, refreshed by a scheduled job.

Each kind is recomputed from the stored data and synchronised with the open alerts of that kind: new findings
open alerts, repeated ones update them (an acknowledgement stays), and findings that went away are resolved.

Kinds
-----
region_off_track
    A region's intensity is projected to miss its target (or is behind its path now).
quota_exceeded
    An enterprise is projected to use more than its energy-use quota (用能权) for the year.
missing_report
    A monthly report is missing past its deadline (:func:`flag_missing_reports`).
consumption_anomaly
    A month far above or below the enterprise's recent pattern (:func:`carbon.compliance.monthly_anomalies`).
telemetry_incomplete
    A meter's days under 90 % complete (GB/T 38692-2020).

Messages are in Chinese, then English (``中文 / English``). Besides the daily jobs, the kinds a consumption
batch can change are refreshed for its region after each committed batch (:func:`refresh_after_batch`), and for
every region when the service starts (:func:`refresh_data_alerts`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

import pandas as pd
from apscheduler.triggers.cron import CronTrigger

from carbon.compliance import REPORT_DEADLINE_DAY, last_due_month, missing_reports, monthly_anomalies, quota_status
from carbon.errors import CarbonError
from carbon.indicators.telemetry import daily_quality, interval_consumption
from carbon.jobs import TIMEZONE, job
from carbon.reports import region_intensity
from carbon.store import AlertSync, Scope, Store

__all__ = ["KINDS", "flag_missing_reports", "refresh_after_batch", "refresh_alerts", "refresh_data_alerts"]

KINDS = ("region_off_track", "quota_exceeded", "missing_report", "consumption_anomaly", "telemetry_incomplete")
RECENT_MONTHS = 3  # anomalies older than this many months of data are history, not alerts
ANOMALY_WINDOW = 12  # a month is judged against the median of this many previous reported months
# The kinds judged per enterprise: a batch re-judges its own enterprises only.
_PER_ENTERPRISE = frozenset({"quota_exceeded", "consumption_anomaly", "missing_report"})


def bilingual(chinese: str, english: str) -> str:
    """An alert message: Chinese first, then English."""
    return f"{chinese} / {english}"


def region_alerts(store: Store, region_code: str | None = None) -> list[dict[str, Any]]:
    alerts = []
    for region in store.list_regions():
        if region_code is not None and region["code"] != region_code:
            continue
        try:
            report = region_intensity(store, region["code"])
        except CarbonError:
            continue  # no targets or no statistics yet: nothing to judge
        target = report["target"]
        measured = [row for row in report["years"] if row.get("on_track") is not None]
        behind = bool(measured) and measured[-1]["on_track"] is False
        projected_miss = report.get("projected_on_track") is False
        if not (behind or projected_miss):
            continue
        required = report.get("required_annual_change_pct")
        parts = [f"{region['code']}: energy intensity"]
        chinese = [f"{region.get('name') or region['code']}能耗强度"]
        if projected_miss:
            parts.append(f"projected {report['projected_target_value']:.4f} tce/万元 in {target['target_year']} "
                         f"against the target {target['target_value']}")
            chinese.append(f"预计{target['target_year']}年为{report['projected_target_value']:.4f}吨标准煤/万元，"
                           f"目标{target['target_value']}")
        if behind:
            parts.append(f"behind its path in {measured[-1]['year']}")
            chinese.append(f"{measured[-1]['year']}年落后于目标路径")
        if required is not None:
            parts.append(f"{required:+.2f} %/yr now required (plan {target['annual_change_pct']:+.2f} %/yr)")
            chinese.append(f"现需每年{required:+.2f}%（规划{target['annual_change_pct']:+.2f}%/年）")
        alerts.append({
            "fingerprint": f"region_off_track|{region['code']}|{target['target_year']}",
            "severity": "critical" if projected_miss else "warning", "region": region["code"],
            "message": bilingual(chinese[0] + "：" + "；".join(chinese[1:]),
                                 "; ".join(parts[:1]) + " " + "; ".join(parts[1:])),
            "details": {key: report.get(key) for key in ("required_annual_change_pct", "projected_target_value",
                                                          "trend_annual_change_pct", "latest_year")},
        })
    return alerts


def _monthly_tce(store: Store, region: str | None, enterprise_ids: Collection[str] | None) -> pd.DataFrame:
    """tce per enterprise and month: of a region (or all), or of these enterprises only."""
    if enterprise_ids is None or region is None:
        return store.monthly_tce(Scope.everything(), region=region)
    return store.monthly_tce(Scope.everything(), region=region, enterprise_ids=sorted(enterprise_ids))


def quota_alerts(store: Store, region: str | None = None,
                 enterprise_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Quotas projected or found exceeded, in a region (or all); with ``enterprise_ids`` (and a region) only
    these enterprises' quotas are judged, over the years the region has data for (and only the enterprises with
    a quota have their months read)."""
    monthly = None
    if enterprise_ids is not None and region is not None:
        years = store.region_years(region)
    else:
        enterprise_ids = None
        monthly = _monthly_tce(store, region, None)
        if monthly.empty:
            return []
        years = sorted({int(p[:4]) for p in monthly["period"]})
    regions = store.enterprise_regions()
    quotas = [(year, quota) for year in years for quota in store.quotas(year)
              if (region is None or regions.get(quota["enterprise_id"]) == region)
              and (enterprise_ids is None or quota["enterprise_id"] in enterprise_ids)]
    if not quotas:
        return []
    if monthly is None:
        monthly = _monthly_tce(store, region, {quota["enterprise_id"] for _, quota in quotas})
    alerts = (_quota_alert(year, quota, monthly, regions.get(quota["enterprise_id"])) for year, quota in quotas)
    return [alert for alert in alerts if alert is not None]


def _quota_alert(year: int, quota: dict[str, Any], monthly: pd.DataFrame, region: str | None) -> dict[str, Any] | None:
    """The alert of one enterprise's quota for a year from its monthly tce, or None when it is kept."""
    rows = (monthly[monthly["enterprise_id"] == quota["enterprise_id"]] if len(monthly)
            else pd.DataFrame(columns=["period", "tce_equivalent", "tce_equal"]))
    column = "tce_equal" if quota["basis"] == "equal" else "tce_equivalent"
    status = quota_status(rows.set_index("period")[column], quota["quota_tce"], year)
    if not status.projected_over and status.used_tce <= status.quota_tce:
        return None
    over_now = status.used_tce > status.quota_tce
    return {
        "fingerprint": f"quota_exceeded|{quota['enterprise_id']}|{year}",
        "severity": "critical" if over_now else "warning", "enterprise_id": quota["enterprise_id"],
        "region": region, "period": str(year),
        "message": bilingual(
            f"{quota['enterprise_id']}：{year}年用能权额度已用{status.used_pct:.0f}%"
            + (f"，预计年底达{status.projected_pct:.0f}%" if status.projected_pct is not None else ""),
            f"{quota['enterprise_id']}: {status.used_pct:.0f} % of its {year} energy-use quota used"
            + (f", {status.projected_pct:.0f} % projected by year-end" if status.projected_pct is not None else "")),
        "details": status.to_dict(),
    }


def _anomaly_message(row: Any) -> str:
    if pd.isna(row.ratio):  # after an idle history (a median of 0 tce) no multiple of it can be stated
        return bilingual(
            f"{row.enterprise_id}：{row.period}能耗{row.tce:,.1f}吨标准煤，此前各月为零；请核实报表或询问原因",
            f"{row.enterprise_id}: {row.tce:,.1f} tce in {row.period} after months of none; check the report or ask "
            "what changed")
    if row.direction == "drop":
        return bilingual(
            f"{row.enterprise_id}：{row.period}能耗{row.tce:,.1f}吨标准煤，仅为近期月中位数（{row.median_tce:,.1f}）的"
            f"{row.ratio * 100:.0f}%；请核实报表（单位？）或询问原因",
            f"{row.enterprise_id}: {row.tce:,.1f} tce in {row.period}, {row.ratio * 100:.0f} % of its median month "
            f"({row.median_tce:,.1f} tce); check the report (unit?) or ask what changed")
    return bilingual(
        f"{row.enterprise_id}：{row.period}能耗{row.tce:,.1f}吨标准煤，为近期月中位数（{row.median_tce:,.1f}）的"
        f"{row.ratio:.1f}倍；请核实报表（单位？）或询问原因",
        f"{row.enterprise_id}: {row.tce:,.1f} tce in {row.period}, {row.ratio:.1f}x its median month "
        f"({row.median_tce:,.1f} tce); check the report (unit?) or ask what changed")


def _judged_months(monthly: pd.DataFrame, recent: Collection[str]) -> pd.DataFrame:
    """Each enterprise's months from ``ANOMALY_WINDOW`` reported months before its first recent one on: all that
    judging the recent months looks at (the median and deviation of the previous reported months)."""
    if monthly.empty:
        return monthly
    frame = monthly.sort_values(["enterprise_id", "period"]).reset_index(drop=True)
    position = frame.groupby("enterprise_id").cumcount()
    is_recent = frame["period"].isin(list(recent))
    first_recent = position.where(is_recent).groupby(frame["enterprise_id"]).transform("min")
    return frame[first_recent.notna() & (position >= first_recent - ANOMALY_WINDOW)].reset_index(drop=True)


def anomaly_alerts(store: Store, region: str | None = None,
                   enterprise_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
    if enterprise_ids is not None and region is not None:  # only these enterprises' months can have changed
        recent = store.region_recent_periods(region, RECENT_MONTHS)
        monthly = _monthly_tce(store, region, enterprise_ids)
        if monthly.empty:
            return []
    else:
        monthly = store.monthly_tce(Scope.everything(), region=region)
        if monthly.empty:
            return []
        recent = sorted(monthly["period"].unique())[-RECENT_MONTHS:]
        if enterprise_ids is not None:
            monthly = monthly[monthly["enterprise_id"].isin(list(enterprise_ids))]
    monthly = _judged_months(monthly.rename(columns={"tce_equivalent": "tce"})[["enterprise_id", "period", "tce"]],
                             recent)
    flagged = monthly_anomalies(monthly, window=ANOMALY_WINDOW)
    flagged = flagged[flagged["period"].isin(recent)]
    regions = store.enterprise_regions()
    return [{
        "fingerprint": f"consumption_anomaly|{row.enterprise_id}|{row.period}", "severity": "warning",
        "enterprise_id": row.enterprise_id, "region": regions.get(row.enterprise_id), "period": row.period,
        "message": _anomaly_message(row),
        "details": {"tce": row.tce, "median_tce": row.median_tce, "ratio": None if pd.isna(row.ratio) else row.ratio,
                    "direction": row.direction,
                    "robust_z": None if pd.isna(row.robust_z) else row.robust_z},
    } for row in flagged.itertuples(index=False)]


def telemetry_alerts(store: Store) -> list[dict[str, Any]]:
    readings = store.readings(Scope.everything())
    if readings.empty:
        return []
    quality = daily_quality(interval_consumption(readings))
    owners = readings.drop_duplicates("meter_id").set_index("meter_id")["enterprise_id"]
    regions = store.enterprise_regions()
    quality["month"] = pd.to_datetime(quality["day"]).dt.strftime("%Y-%m")
    incomplete = quality[~quality["complete"]]
    alerts = []
    for (meter, month), days in incomplete.groupby(["meter_id", "month"]):
        enterprise = owners.get(meter)
        alerts.append({
            "fingerprint": f"telemetry_incomplete|{meter}|{month}", "severity": "warning",
            "enterprise_id": enterprise, "region": regions.get(enterprise), "period": month,
            "message": bilingual(
                f"计量表{meter}（{enterprise}）：{month}有{len(days)}天数据完整率低于90%"
                f"（最低{days['completeness'].min() * 100:.0f}%）；请检查通信链路",
                f"meter {meter} ({enterprise}): {len(days)} day(s) under 90 % complete in {month} "
                f"(lowest {days['completeness'].min() * 100:.0f} %); check the meter's link"),
            "details": {"days": [str(d) for d in days["day"]],
                        "lowest_completeness": float(days["completeness"].min())},
        })
    return alerts


@job("refresh_alerts", lambda: CronTrigger(hour=8, minute=15, timezone=TIMEZONE),
     "alert on regions off their intensity path, quotas, unusual months, incomplete telemetry")
def refresh_alerts(store: Store) -> dict[str, Any]:
    """Recompute every alert kind but missing reports (their own job) and synchronise the stored alerts."""
    counts = {}
    for kind, finder in (("region_off_track", region_alerts), ("quota_exceeded", quota_alerts),
                         ("consumption_anomaly", anomaly_alerts), ("telemetry_incomplete", telemetry_alerts)):
        counts[kind] = store.sync_alerts(kind, finder(store))
    return counts


@job("flag_missing_reports", lambda: CronTrigger(hour=8, minute=0, timezone=TIMEZONE),
     "alert on monthly reports missing past their deadline")
def flag_missing_reports(store: Store, *, today: date | None = None, region: str | None = None) -> dict[str, Any]:
    """Open an alert for each missing monthly report past its deadline; resolve the ones since received."""
    alerts = missing_report_alerts(store, today=today, region=region)
    result = store.sync_alerts("missing_report", alerts, scope_region=region)
    return {"missing": len(alerts), **result}


def missing_report_alerts(store: Store, *, today: date | None = None, region: str | None = None,
                          enterprise_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The missing monthly reports past their deadline, as findings: of a region (or all), or — with
    ``enterprise_ids`` and a region — of these enterprises only, measured against the region's newest month."""
    if enterprise_ids is None or region is None:
        return _missing_findings(store, store.reported_periods(region=region), None, today)
    reported = store.reported_periods(region=region, enterprise_ids=sorted(enterprise_ids))
    own = str(reported["period"].max()) if len(reported) else None
    return _missing_findings(store, reported, _newest(own, store.newest_period_of_others(region, enterprise_ids)),
                             today)


def _newest(own: str | None, others: str | None) -> str | None:
    """The region's newest month from some enterprises' newest (``own``) and the others': None without ``own``."""
    return max(own, others or "") if own is not None else None


def _missing_findings(store: Store, reported: pd.DataFrame, newest: str | None,
                      today: date | None) -> list[dict[str, Any]]:
    """The findings of the months missing from ``reported`` (see :func:`missing_reports`)."""
    missing = missing_reports(reported, store.enterprise_regions(), last_due=last_due_month(today or date.today()),
                              newest=newest)
    return [{
        "fingerprint": f"missing_report|{row.enterprise_id}|{row.period}", "severity": "warning",
        "region": row.region, "enterprise_id": row.enterprise_id, "period": row.period,
        "message": bilingual(
            f"{row.enterprise_id}：{row.period}能源报表未报送（应于次月{REPORT_DEADLINE_DAY}日前报送）；请督促企业报送",
            f"{row.enterprise_id}: no energy report for {row.period} (due by day {REPORT_DEADLINE_DAY} of "
            "the following month); ask the enterprise to submit it"),
        "details": {"deadline_day": REPORT_DEADLINE_DAY},
    } for row in missing.itertuples(index=False)]


def refresh_data_alerts(store: Store, *, region: str | None = None,
                        enterprise_ids: Collection[str] | None = None) -> dict[str, Any]:
    """Recompute the alert kinds consumption data drives (off track, quota, unusual months), for one region or all.

    With ``enterprise_ids`` the quotas and unusual months are judged for these enterprises only (the others' open
    alerts stay as they are): cheap enough to run after each batch, so an alert never waits for the daily job.
    """
    regions = [region] if region is not None else [r["code"] for r in store.list_regions()]
    counts: dict[str, Any] = {}
    for code in regions:
        syncs = [_sync(kind, alerts, code, enterprise_ids)
                 for kind, alerts in _data_findings(store, code, enterprise_ids).items()]
        counts.update({f"{code}:{sync.kind}": result
                       for sync, result in zip(syncs, store.sync_alert_kinds(syncs), strict=True)})
    return counts


def _data_findings(store: Store, region: str,
                   enterprise_ids: Collection[str] | None) -> dict[str, list[dict[str, Any]]]:
    """The findings of the data-driven kinds in a region; with ``enterprise_ids``, of the kinds judged per
    enterprise only these enterprises' (made before any write lock is taken)."""
    return {"region_off_track": region_alerts(store, region),
            "quota_exceeded": quota_alerts(store, region, enterprise_ids),
            "consumption_anomaly": anomaly_alerts(store, region, enterprise_ids)}


def _sync(kind: str, findings: list[dict[str, Any]], region: str, enterprise_ids: Collection[str] | None) -> AlertSync:
    """A region's open alerts of a kind to synchronise with findings; with ``enterprise_ids``, of a kind judged
    per enterprise, only these enterprises' open alerts (the others' stay as they are)."""
    return AlertSync(kind, findings, region, enterprise_ids if kind in _PER_ENTERPRISE else None)


def refresh_after_batch(store: Store, enterprise_ids: Iterable[str], *, today: date | None = None) -> dict[str, Any]:
    """After a committed batch that changed data: refresh the data-driven alerts and missing reports of the
    regions of the batch's enterprises.

    Only what the batch can change is recomputed: the region's intensity position, and the quotas, unusual months
    and missing reports of the batch's enterprises (the others' open alerts stay). When the batch reported a month
    newer than any other enterprise of its region, every enterprise's missing reports are measured again (that
    month is now due from all of them). The alerts are written in one short transaction that leaves every cached
    report valid.
    """
    home = store.enterprise_regions()
    enterprise_ids = set(enterprise_ids)
    counts: dict[str, Any] = {}
    for region in sorted({home[e] for e in enterprise_ids if e in home}):
        mine = {e for e in enterprise_ids if home.get(e) == region}
        syncs = [_sync(kind, alerts, region, mine) for kind, alerts in _data_findings(store, region, mine).items()]
        missing, missing_scope = _missing_after_batch(store, region, mine, today)
        syncs.append(_sync("missing_report", missing, region, missing_scope))
        counts.update({f"{region}:{sync.kind}": result
                       for sync, result in zip(syncs, store.sync_alert_kinds(syncs), strict=True)})
        counts[f"{region}:missing_report"] = {"missing": len(missing), **counts[f"{region}:missing_report"]}
    return counts


def _missing_after_batch(store: Store, region: str, enterprise_ids: Collection[str],
                         today: date | None) -> tuple[list[dict[str, Any]], Collection[str] | None]:
    """Missing-report findings of a region after a batch of these enterprises, and the enterprises whose open
    alerts they replace: the whole region (None) when the batch moved the region's newest month (which makes a
    month due from everyone), else the batch's enterprises only."""
    others = store.newest_period_of_others(region, enterprise_ids)
    reported = store.reported_periods(region=region, enterprise_ids=sorted(enterprise_ids))
    own = str(reported["period"].max()) if len(reported) else None
    if own is not None and (others is None or own > others):
        return missing_report_alerts(store, today=today, region=region), None
    return _missing_findings(store, reported, _newest(own, others), today), enterprise_ids
