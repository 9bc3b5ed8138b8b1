// ECharts options built from API answers: pure functions of the data, no DOM, no fetching.

import { COLORS, carrierName, intensity, num, pct, wan } from './format.js';

const AXIS = {
  axisLine: { lineStyle: { color: COLORS.grid } },
  axisTick: { show: false },
  axisLabel: { color: COLORS.muted },
  splitLine: { lineStyle: { color: COLORS.grid } },
};
const LEGEND = { top: 0, left: 0, itemWidth: 14, itemHeight: 8, textStyle: { color: COLORS.muted } };
const TOOLTIP = { trigger: 'axis', confine: true, backgroundColor: 'rgba(255,255,255,0.97)', borderColor: COLORS.grid,
  textStyle: { color: COLORS.ink } };

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

function tooltipRows(params, format) {
  const list = Array.isArray(params) ? params : [params];
  const title = list[0] ? list[0].axisValueLabel ?? list[0].name : '';
  const rows = list.filter((p) => isNumber(Array.isArray(p.value) ? p.value[1] : p.value))
    .map((p) => `${p.marker}${p.seriesName}: <b>${format(Array.isArray(p.value) ? p.value[1] : p.value, p)}</b>`);
  return [`<b>${title}</b>`, ...rows].join('<br>');
}

/** The years from the base year to the target year (and any later measured year). */
export function intensityYears(data) {
  const target = data.target || {};
  return (data.years || []).filter((row) => (target.base_year == null || row.year >= target.base_year)
    && (isNumber(row.intensity) || isNumber(row.target_path)));
}

/**
 * Energy intensity by year: raw and adjusted against the target path (dashed), the base value as a line, the
 * target point marked, and the trend's projection to the target year (red when off track).
 */
export function intensityOption(data) {
  const target = data.target || {};
  const years = intensityYears(data);
  const labels = years.map((row) => String(row.year));
  const at = (year) => labels.indexOf(String(year));
  const projectedColor = data.projected_on_track ? COLORS.good : COLORS.bad;
  const projection = labels.map(() => null);
  if (isNumber(data.projected_target_value) && at(data.latest_year) >= 0 && at(target.target_year) >= 0) {
    projection[at(data.latest_year)] = data.latest_intensity_adjusted;
    projection[at(target.target_year)] = data.projected_target_value;
  }
  const adjusted = years.map((row) => ({
    value: row.intensity_adjusted,
    itemStyle: { color: row.on_track === false ? COLORS.bad : row.on_track ? COLORS.good : COLORS.primary },
  }));
  const values = years.flatMap((row) => [row.intensity, row.intensity_adjusted, row.target_path])
    .concat([target.base_value, target.target_value, data.projected_target_value]).filter(isNumber);
  const low = Math.min(...values);
  const high = Math.max(...values);
  // round the axis to 0.005 steps so the labels are even (0.125, 0.130 … 0.155)
  const step = 0.005;
  const pad = (high - low) * 0.08 || step;
  return {
    color: [COLORS.raw, COLORS.primary, COLORS.path, projectedColor],
    legend: { ...LEGEND, data: ['原始强度 raw', '调整后 adjusted', '目标路径 target path', '趋势预测 projection'] },
    grid: { left: 8, right: 96, top: 40, bottom: 8, containLabel: true },
    tooltip: { ...TOOLTIP, formatter: (p) => tooltipRows(p, (v) => `${intensity(v, 4)} tce/万元`) },
    xAxis: { type: 'category', data: labels, ...AXIS, splitLine: { show: false } },
    yAxis: { type: 'value', min: Math.floor((low - pad) / step) * step, max: Math.ceil((high + pad) / step) * step,
      interval: step, ...AXIS,
      axisLabel: { color: COLORS.muted, formatter: (v) => v.toFixed(3) } },
    series: [
      { name: '原始强度 raw', type: 'line', data: years.map((row) => row.intensity), symbolSize: 6,
        lineStyle: { width: 2 },
        markPoint: isNumber(target.base_value) && at(target.base_year) >= 0 ? {
          symbol: 'circle', symbolSize: 11, itemStyle: { color: COLORS.ink },
          label: { show: true, position: 'top', distance: 6, color: COLORS.ink, fontWeight: 'bold',
            formatter: `基期 ${intensity(target.base_value)}` },
          data: [{ name: 'base', coord: [at(target.base_year), target.base_value] }],
        } : undefined,
        markLine: isNumber(target.base_value) ? {
          silent: true, symbol: 'none', lineStyle: { color: COLORS.muted, type: 'dotted' },
          label: { position: 'end', color: COLORS.muted, formatter: `规划基期 base\n${target.base_value}` },
          data: [{ yAxis: target.base_value }],
        } : undefined },
      { name: '调整后 adjusted', type: 'line', data: adjusted, symbolSize: 8, lineStyle: { width: 3 },
        label: { show: true, position: 'bottom', color: COLORS.primary, fontSize: 11, distance: 7,
          backgroundColor: 'rgba(255,255,255,0.85)', padding: [1, 3],
          formatter: (p) => (p.dataIndex > 0 && isNumber(p.value) ? intensity(p.value, 4) : '') } },
      { name: '目标路径 target path', type: 'line', data: years.map((row) => row.target_path), symbol: 'none',
        lineStyle: { type: 'dashed', width: 2 },
        markPoint: isNumber(target.target_value) && at(target.target_year) >= 0 ? {
          symbol: 'diamond', symbolSize: 16, itemStyle: { color: COLORS.path },
          label: { show: true, position: 'bottom', distance: 6, color: COLORS.path, fontWeight: 'bold',
            formatter: `目标 ${intensity(target.target_value)}` },
          data: [{ name: 'target', coord: [at(target.target_year), target.target_value] }],
        } : undefined },
      { name: '趋势预测 projection', type: 'line', data: projection, connectNulls: true, symbol: 'emptyCircle',
        symbolSize: 7, lineStyle: { type: [2, 4], width: 2 },
        label: { show: true, position: 'top', color: projectedColor, fontWeight: 'bold',
          formatter: (p) => (p.dataIndex === at(target.target_year) ? intensity(p.value, 4) : '') } },
    ],
  };
}

/** Year-on-year change of the adjusted intensity (bars, green when at least the plan's rate) and the plan's rate. */
export function changeOption(data) {
  const plan = data.path_annual_change_pct ?? (data.target || {}).annual_change_pct;
  const required = data.required_annual_change_pct;
  const years = (data.years || []).filter((row) => isNumber(row.change_pct) || isNumber(row.change_pct_raw));
  const lines = [];
  if (isNumber(plan)) {
    lines.push({ yAxis: plan, lineStyle: { color: COLORS.path, type: 'dashed', width: 2 },
      label: { formatter: `规划 plan\n${pct(plan)}/年`, color: COLORS.path } });
  }
  if (isNumber(required)) {
    lines.push({ yAxis: required, lineStyle: { color: COLORS.bad, type: 'dashed', width: 2 },
      label: { formatter: `仍需 required\n${pct(required)}/年`, color: COLORS.bad } });
  }
  const floor = Math.min(0, ...years.map((row) => row.change_pct).filter(isNumber), ...(isNumber(required)
    ? [required] : []));
  const step = [1, 2, 5, 10, 20, 50].find((candidate) => (0.5 - floor) / candidate <= 5) || 100;
  return {
    legend: { ...LEGEND, data: ['调整后 adjusted', '原始 raw'] },
    grid: { left: 8, right: 104, top: 40, bottom: 8, containLabel: true },
    tooltip: { ...TOOLTIP, formatter: (p) => tooltipRows(p, (v) => pct(v)) },
    xAxis: { type: 'category', data: years.map((row) => String(row.year)), ...AXIS, splitLine: { show: false } },
    // The lower end a whole number of steps below zero, so that no tick lands just beside the last one.
    yAxis: { type: 'value', max: 0, interval: step, min: -Math.ceil((0.5 - floor) / step) * step, ...AXIS,
      axisLabel: { color: COLORS.muted, formatter: '{value}%' } },
    series: [
      { name: '调整后 adjusted', type: 'bar', barMaxWidth: 38, color: COLORS.primary,
        data: years.map((row) => ({ value: row.change_pct,
          itemStyle: { color: isNumber(plan) && isNumber(row.change_pct)
            ? (row.change_pct <= plan ? COLORS.good : COLORS.bad) : COLORS.primary } })),
        label: { show: true, position: 'bottom', color: COLORS.ink, formatter: (p) => pct(p.value, 2, { space: false }) },
        markLine: { silent: true, symbol: 'none', label: { position: 'end' }, data: lines } },
      { name: '原始 raw', type: 'bar', barMaxWidth: 14, color: COLORS.raw,
        data: years.map((row) => row.change_pct_raw) },
    ],
  };
}

// The label pinned on the peak year, by peak status: 峰 (confirmed), 峰? (provisional), 高 (plateau: highest year).
const PEAK_PIN = { peaked_confirmed: '峰', peaked_provisional: '峰?', plateau: '高' };

/** CO2 by year (bars, 万t) with the peak (by status) marked and CO2 per GDP on a second axis. */
export function carbonOption(data) {
  const years = data.years || [];
  const labels = years.map((row) => String(row.year));
  const peak = data.peak || {};
  // Pin the peak only where the status says there is one: a pre-peak or too-short series has no peak yet, and
  // a plateau's highest year is a candidate, not a peak.
  const pin = PEAK_PIN[peak.status];
  const peakIndex = pin ? labels.indexOf(String(peak.peak_year)) : -1;
  return {
    legend: { ...LEGEND, data: ['CO₂ (万t)', 'CO₂/GDP (t/万元)'] },
    grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
    tooltip: { ...TOOLTIP, formatter: (p) => tooltipRows(p, (v, s) => (s.seriesIndex === 0 ? `${num(v, 1)} 万t`
      : `${v.toFixed(3)} t/万元`)) },
    xAxis: { type: 'category', data: labels, ...AXIS, splitLine: { show: false } },
    yAxis: [
      { type: 'value', ...AXIS },
      { type: 'value', scale: true, ...AXIS, splitLine: { show: false },
        axisLabel: { color: COLORS.muted,
          formatter: (v) => v.toFixed(2) } },
    ],
    series: [
      { name: 'CO₂ (万t)', type: 'bar', barMaxWidth: 44, color: '#475569',
        data: years.map((row, i) => ({ value: isNumber(row.co2_t) ? row.co2_t / 1e4 : null,
          itemStyle: { color: i === peakIndex ? '#b45309' : row.source === 'official' ? '#334155' : '#64748b' } })),
        label: { show: true, position: 'insideBottom', distance: 8, color: '#fff', fontSize: 11, formatter: (p) => num(p.value, 0) },
        markPoint: peakIndex >= 0 ? { symbol: 'pin', symbolSize: 40, itemStyle: { color: '#b45309' },
          label: { formatter: pin, color: '#fff' },
          data: [{ coord: [peakIndex, years[peakIndex].co2_t / 1e4] }] } : undefined },
      { name: 'CO₂/GDP (t/万元)', type: 'line', yAxisIndex: 1, color: COLORS.path, symbolSize: 6,
        data: years.map((row) => row.co2_per_gdp) },
    ],
  };
}

/** LMDI: the change of CO2 from the previous year split into GDP, energy-intensity and carbon-intensity effects. */
export function decompositionOption(rows) {
  const usable = (rows || []).filter((row) => row.status === 'ok' || isNumber(row.delta_co2));
  const labels = usable.map((row) => (row.from_year ? `${row.from_year}→${row.year}` : String(row.year)));
  const scaled = (key) => usable.map((row) => (isNumber(row[key]) ? row[key] / 1e4 : null));
  const effect = (name, key, color) => ({ name, type: 'bar', stack: 'effects', barMaxWidth: 46, color,
    data: scaled(key) });
  return {
    legend: { ...LEGEND, data: ['经济规模 GDP', '能耗强度 energy intensity', '碳强度 carbon intensity', '合计 total ΔCO₂'] },
    grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
    tooltip: { ...TOOLTIP, formatter: (p) => tooltipRows(p, (v) => `${v > 0 ? '+' : ''}${num(v, 1)} 万t`) },
    xAxis: { type: 'category', data: labels, ...AXIS, splitLine: { show: false } },
    yAxis: { type: 'value', ...AXIS },
    series: [
      effect('经济规模 GDP', 'gdp_effect', '#f59e0b'),
      effect('能耗强度 energy intensity', 'energy_intensity_effect', '#10b981'),
      effect('碳强度 carbon intensity', 'carbon_intensity_effect', '#3b82f6'),
      { name: '合计 total ΔCO₂', type: 'scatter', symbol: 'diamond', symbolSize: 16, color: COLORS.ink,
        z: 10, data: scaled('delta_co2'),
        label: { show: true, position: 'right', color: COLORS.ink, fontWeight: 'bold',
          formatter: (p) => `${p.value > 0 ? '+' : ''}${num(p.value, 0)}` } },
    ],
  };
}

/** Top enterprises by tce, largest at the top; each bar carries its enterprise id for the click. */
export function topEnterprisesOption(rows, limit = 10) {
  const top = (rows || []).slice(0, limit).reverse();
  return {
    grid: { left: 8, right: 80, top: 8, bottom: 8, containLabel: true },
    tooltip: { ...TOOLTIP, trigger: 'item', formatter: (p) => `<b>${p.data.name}</b> (${p.data.enterprise_id})<br>`
      + `${num(p.data.value, 0)} tce · ${num(p.data.co2_t, 0)} t CO₂<br>占比 share ${num(p.data.share_pct, 1)} %` },
    xAxis: { type: 'value', ...AXIS, axisLabel: { color: COLORS.muted, formatter: (v) => `${num(v / 1e4, 0)}万` } },
    yAxis: { type: 'category', data: top.map((row) => row.name || row.enterprise_id), ...AXIS,
      axisLabel: { color: COLORS.ink, width: 190, overflow: 'truncate' } },
    series: [{ type: 'bar', barMaxWidth: 18, color: COLORS.primary, cursor: 'pointer',
      data: top.map((row) => ({ value: row.tce_equivalent, name: row.name || row.enterprise_id,
        enterprise_id: row.enterprise_id, co2_t: row.co2_t, share_pct: row.share_pct })),
      label: { show: true, position: 'right', color: COLORS.muted,
        formatter: (p) => (isNumber(p.data.share_pct) ? `${num(p.data.share_pct, 1)}%` : `${wan(p.value)}万`) } }],
  };
}

/** Energy by carrier as a donut (tce, equivalent basis). */
export function carrierOption(rows) {
  const data = (rows || []).filter((row) => isNumber(row.tce_equivalent) && row.tce_equivalent > 0)
    .sort((a, b) => b.tce_equivalent - a.tce_equivalent)
    .map((row) => ({ name: carrierName(row.carrier, row.carrier_zh), value: row.tce_equivalent, co2_t: row.co2_t }));
  const total = data.reduce((sum, row) => sum + row.value, 0);
  for (const row of data) {
    const shown = total > 0 && row.value / total >= 0.08;
    Object.assign(row, { label: { show: shown }, labelLine: { show: shown } });
  }
  return {
    color: COLORS.palette,
    tooltip: { trigger: 'item', confine: true, formatter: (p) => `<b>${p.name}</b><br>${num(p.value, 0)} tce `
      + `(${p.percent} %)<br>${num(p.data.co2_t, 0)} t CO₂` },
    legend: { bottom: 0, left: 'center', itemWidth: 10, itemHeight: 10, itemGap: 8,
      textStyle: { color: COLORS.ink, fontSize: 11 } },
    // Small slices are named in the legend and the tooltip only: their labels would crowd the large ones.
    series: [{ type: 'pie', radius: ['32%', '54%'], center: ['50%', '38%'], avoidLabelOverlap: true,
      itemStyle: { borderColor: '#fff', borderWidth: 2 }, labelLayout: { hideOverlap: true },
      label: { formatter: (p) => (p.percent >= 8 ? `${p.name}\n${p.percent.toFixed(0)}%` : ''), color: COLORS.ink,
        fontSize: 11 },
      labelLine: { length: 6, length2: 6 }, data }],
  };
}

/** Energy by industry (GB/T 4754 code), largest at the top. */
export function industryOption(rows, limit = 10) {
  const top = (rows || []).slice().sort((a, b) => b.tce_equivalent - a.tce_equivalent).slice(0, limit).reverse();
  return {
    grid: { left: 8, right: 64, top: 8, bottom: 8, containLabel: true },
    tooltip: { ...TOOLTIP, trigger: 'item', formatter: (p) => `<b>${p.name}</b><br>${num(p.value, 0)} tce<br>`
      + `${num(p.data.co2_t, 0)} t CO₂ · ${num(p.data.enterprises, 0)} 家 enterprises` },
    xAxis: { type: 'value', ...AXIS, axisLabel: { color: COLORS.muted, formatter: (v) => `${num(v / 1e4, 0)}万` } },
    yAxis: { type: 'category', data: top.map((row) => row.industry_name || row.industry || '—'), ...AXIS,
      axisLabel: { color: COLORS.ink, width: 150, overflow: 'truncate' } },
    series: [{ type: 'bar', barMaxWidth: 16, color: COLORS.path,
      data: top.map((row) => ({ value: row.tce_equivalent, name: row.industry_name || row.industry || '—',
        co2_t: row.co2_t, enterprises: row.enterprises })),
      label: { show: true, position: 'right', color: COLORS.muted, formatter: (p) => `${wan(p.value)}万` } }],
  };
}

/** Reports on time, late and missing per month, stacked to the reports expected (a partition). */
export function completenessOption(byMonth) {
  const rows = byMonth || [];
  const series = (name, key, color) => ({ name, type: 'bar', stack: 'reports', color, barMaxWidth: 22,
    data: rows.map((row) => row[key] ?? 0) });
  return {
    legend: { ...LEGEND, data: ['按时 on time', '迟报 late', '缺报 missing'] },
    grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
    tooltip: { ...TOOLTIP, formatter: (p) => tooltipRows(p, (v) => num(v, 0)) },
    xAxis: { type: 'category', data: rows.map((row) => row.period), ...AXIS, splitLine: { show: false } },
    yAxis: { type: 'value', minInterval: 1, ...AXIS },
    series: [series('按时 on time', 'on_time', COLORS.good), series('迟报 late', 'late', COLORS.warn),
      series('缺报 missing', 'missing', COLORS.bad)],
  };
}

/** Monthly energy of one enterprise by carrier (stacked bars, tce). */
export function monthlyCarrierOption(rows) {
  const periods = [...new Set(rows.map((row) => row.key.period))].sort();
  const totals = new Map();
  for (const row of rows) {
    totals.set(row.key.carrier, (totals.get(row.key.carrier) || 0) + (row.tce_equivalent || 0));
  }
  const carriers = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a));
  const cell = new Map(rows.map((row) => [`${row.key.period}|${row.key.carrier}`, row.tce_equivalent]));
  const start = periods.length > 24 ? Math.round((1 - 24 / periods.length) * 100) : 0;
  return {
    color: COLORS.palette,
    legend: { ...LEGEND, data: carriers.map((id) => carrierName(id)) },
    grid: { left: 8, right: 8, top: 40, bottom: 44, containLabel: true },
    tooltip: { ...TOOLTIP, formatter: (p) => tooltipRows(p, (v) => `${num(v, 1)} tce`) },
    dataZoom: [{ type: 'inside', start }, { type: 'slider', start, height: 18, bottom: 6 }],
    xAxis: { type: 'category', data: periods, ...AXIS, splitLine: { show: false } },
    yAxis: { type: 'value', ...AXIS },
    series: carriers.map((id) => ({ name: carrierName(id), type: 'bar', stack: 'tce', barMaxWidth: 28,
      data: periods.map((period) => cell.get(`${period}|${id}`) ?? 0) })),
  };
}

/** Monthly energy of one enterprise when the API has no carrier split: one bar per month. */
export function monthlyTotalOption(rows) {
  return monthlyCarrierOption(rows.map((row) => ({ ...row, key: { period: row.key.period, carrier: '合计 total' } })));
}

/** CO2 per month of one enterprise (line, t). */
export function monthlyCo2Option(rows) {
  const start = rows.length > 24 ? Math.round((1 - 24 / rows.length) * 100) : 0;
  return {
    grid: { left: 8, right: 8, top: 24, bottom: 44, containLabel: true },
    tooltip: { ...TOOLTIP, formatter: (p) => tooltipRows(p, (v) => `${num(v, 1)} t CO₂`) },
    dataZoom: [{ type: 'inside', start }, { type: 'slider', start, height: 18, bottom: 6 }],
    xAxis: { type: 'category', data: rows.map((row) => row.key.period), boundaryGap: false, ...AXIS,
      splitLine: { show: false } },
    yAxis: { type: 'value', ...AXIS },
    series: [{ name: 'CO₂', type: 'line', color: '#475569', symbolSize: 4, areaStyle: { opacity: 0.08 },
      data: rows.map((row) => row.co2_t) }],
  };
}
