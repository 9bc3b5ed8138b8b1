// One enterprise: monthly energy by carrier, CO2 per month, totals per year, meter telemetry, exports.

import { api } from './api.js';
import { monthlyCarrierOption, monthlyCo2Option, monthlyTotalOption } from './charts.js';
import { carrierName, num, wan } from './format.js';
import { mountSubmission } from './submit.js';
import { badge, card, el, errorBox, exportButtons, fill, mountChart, notice, spinner, table } from './ui.js';

const enc = encodeURIComponent;

function kpi(label, value, unit, sub) {
  return el('div', { class: 'kpi' }, el('div', { class: 'kpi-label' }, label),
    el('div', { class: 'kpi-value' }, value, el('span', { class: 'kpi-unit' }, unit)),
    sub ? el('div', { class: 'kpi-sub' }, sub) : null);
}

async function monthly(id) {
  try {
    return { carriers: true, rows: (await api(`/v1/enterprises/${enc(id)}/energy?by=month_carrier`)).rows };
  } catch (error) {
    // an API without the carrier split answers 422 (unknown `by`) or 404: fall back to the monthly totals
    if (error.status !== 422 && !error.unavailable) throw error;
    return { carriers: false, rows: (await api(`/v1/enterprises/${enc(id)}/energy?by=month`)).rows };
  }
}

/** A UTC timestamp in the viewer's local time, to the minute. */
function localTime(value) {
  if (!value) return '—';
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return value;
  const two = (n) => String(n).padStart(2, '0');
  return `${time.getFullYear()}-${two(time.getMonth() + 1)}-${two(time.getDate())} ${two(time.getHours())}:${
    two(time.getMinutes())}`;
}

function telemetryTable(summary) {
  const meters = Array.isArray(summary) ? summary : summary.meters || [];
  if (!meters.length) return notice('没有计量表数据 no meter telemetry for this enterprise');
  const count = (v) => num(v, 0);
  return table(meters, [
    { key: 'meter_id', label: '计量表 meter' },
    { key: 'carrier', label: '品种 carrier', format: (v) => carrierName(v) },
    { key: 'energy', label: '用量 use', format: (v, row) => `${num(v, 0)} ${row.unit || ''}`, className: 'num' },
    { key: 'first_ts', label: '起 from (本地时间 local)', format: localTime },
    { key: 'last_ts', label: '止 to (本地时间 local)', format: localTime },
    { key: 'complete_days', label: '完整天数 complete days', format: (v, row) => `${count(v)} / ${count(row.days)}`,
      className: 'num' },
    { key: 'lowest_completeness_pct', label: '最低完整率 lowest (%)', format: (v) => num(v, 1), className: 'num' },
    { key: 'gaps', label: '缺口 gaps', format: count, className: 'num' },
    { key: 'resets', label: '归零 resets', format: count, className: 'num' },
  ], { className: 'compact' });
}

/** Render the page of enterprise `ctx.id` into `main`. */
export async function renderEnterprise(main, ctx) {
  const id = ctx.id;
  const title = el('h1', {}, id);
  const subtitle = el('p', { class: 'sub' }, '企业 · enterprise');
  const exportStatus = el('div', { class: 'export-status' });
  const controls = el('div', { class: 'controls' },
    ...exportButtons(`/v1/enterprises/${enc(id)}/consumption`, `${id}-consumption`, '能耗数据', exportStatus));
  const head = el('div', { class: 'view-head' }, el('div', {}, title, subtitle), controls, exportStatus);
  const kpis = el('div', { class: 'kpis', id: 'kpis' }, spinner());
  const cards = {
    monthly: card({ id: 'card-monthly', title: '月度能耗（按能源品种）',
      subtitle: 'Monthly energy by carrier (tce, equivalent basis)' }),
    co2: card({ id: 'card-co2', title: '月度二氧化碳排放', subtitle: 'CO₂ per month (t)' }),
    years: card({ id: 'card-years', title: '年度合计', subtitle: 'Totals per year' }),
    carriers: card({ id: 'card-ent-carriers', title: '能源品种合计', subtitle: 'Totals by carrier' }),
    telemetry: card({ id: 'card-telemetry', title: '计量表遥测', subtitle: 'Meter telemetry summary' }),
  };
  for (const parts of Object.values(cards)) fill(parts.body, spinner());
  const grid = el('div', { class: 'grid' },
    el('div', { class: 'span-12' }, cards.monthly.root),
    el('div', { class: 'span-7' }, cards.co2.root), el('div', { class: 'span-5' }, cards.years.root),
    el('div', { class: 'span-5' }, cards.carriers.root), el('div', { class: 'span-7' }, cards.telemetry.root));
  fill(main, head, kpis, grid);

  let enterprise;
  try {
    enterprise = await api(`/v1/enterprises/${enc(id)}`);
  } catch (error) {
    fill(kpis, errorBox(error, '企业 enterprise'));
    for (const parts of Object.values(cards)) fill(parts.body);
    return;
  }
  title.textContent = enterprise.name || id;
  mountSubmission(grid, id, ctx);
  fill(subtitle, `${id} · 行业 industry ${enterprise.industry || '—'} · 区域 region `,
    ctx.role === 'enterprise' ? enterprise.region : el('a', { href: `#/region/${enc(enterprise.region)}` },
      enterprise.region),
    enterprise.synthetic ? [' ', badge('示例数据 synthetic demo data', 'warn')] : '');
  if (ctx.role !== 'enterprise') {
    const picker = el('select', { 'aria-label': '企业 enterprise',
      onchange: (event) => ctx.navigate(`#/enterprise/${enc(event.target.value)}`) },
    el('option', { value: id }, `${enterprise.name} (${id})`));
    controls.prepend(el('label', {}, '企业 enterprise ', picker));
    api(`/v1/enterprises?region=${enc(enterprise.region)}`).then((list) => {
      fill(picker, ...list.map((item) => el('option', { value: item.id, selected: item.id === id },
        `${item.name} (${item.id})`)));
    }).catch(() => { /* keep the current one */ });
  }

  const [monthlyR, yearsR, carriersR, telemetryR] = await Promise.allSettled([
    monthly(id),
    api(`/v1/enterprises/${enc(id)}/energy?by=year`),
    api(`/v1/enterprises/${enc(id)}/energy?by=carrier`),
    enterprise.telemetry ? Promise.resolve(enterprise.telemetry)
      : api(`/v1/enterprises/${enc(id)}/telemetry`),
  ]);

  if (monthlyR.status === 'fulfilled') {
    const { carriers, rows } = monthlyR.value;
    if (!rows.length) {
      fill(cards.monthly.body, notice('尚无上报数据 nothing reported yet'));
      fill(cards.co2.body, notice('尚无上报数据 nothing reported yet'));
    } else {
      mountChart(cards.monthly.body, carriers ? monthlyCarrierOption(rows) : monthlyTotalOption(rows),
        { height: 320 });
      if (!carriers) fill(cards.monthly.aside, badge('仅合计 totals only', 'muted'));
      const byPeriod = new Map();
      for (const row of rows) {
        const entry = byPeriod.get(row.key.period) || { key: { period: row.key.period }, co2_t: 0 };
        entry.co2_t += row.co2_t || 0;
        byPeriod.set(row.key.period, entry);
      }
      mountChart(cards.co2.body, monthlyCo2Option([...byPeriod.values()].sort((a, b) => (a.key.period
        < b.key.period ? -1 : 1))), { height: 260 });
    }
  } else {
    fill(cards.monthly.body, errorBox(monthlyR.reason, '月度能耗 monthly energy'));
    fill(cards.co2.body, errorBox(monthlyR.reason, 'CO₂'));
  }

  const months = new Map();
  if (monthlyR.status === 'fulfilled') {
    for (const period of new Set(monthlyR.value.rows.map((row) => row.key.period))) {
      const year = Number(period.slice(0, 4));
      months.set(year, (months.get(year) || 0) + 1);
    }
  }
  if (yearsR.status === 'fulfilled') {
    const rows = yearsR.value.rows.map((row) => ({ ...row, year: row.key.year }));
    fill(cards.years.body, table(rows, [
      { key: 'year', label: '年 year' },
      { key: 'tce_equivalent', label: 'tce (当量)', format: (v) => num(v, 0), className: 'num' },
      { key: 'tce_equal', label: 'tce (等价)', format: (v) => num(v, 0), className: 'num' },
      { key: 'co2_t', label: 't CO₂', format: (v) => num(v, 0), className: 'num' },
      { key: 'year', label: '月数 months', format: (v) => ((months.get(v) || 0) >= 12 ? '12'
        : badge(`${months.get(v) || 0} 部分 partial`, 'warn')), className: 'num' },
    ]));
    // the latest year with all twelve months reported; the latest year of all when none is complete
    const latest = rows.filter((row) => (months.get(row.year) || 0) >= 12).at(-1) || rows.at(-1);
    const total = yearsR.value.total || {};
    fill(kpis, 
      kpi(`${latest ? latest.year : ''} 综合能耗 · energy`, wan(latest && latest.tce_equivalent, 2), '万tce',
        `等价值 equal basis ${wan(latest && latest.tce_equal, 2)} 万tce`),
      kpi(`${latest ? latest.year : ''} CO₂`, wan(latest && latest.co2_t, 2), '万t', null),
      kpi('累计 · all years', wan(total.tce_equivalent, 1), '万tce', `${wan(total.co2_t, 1)} 万t CO₂`),
      kpi('上报记录 · records', num(total.rows, 0), '条', `${rows.length} 年 years`));
  } else {
    fill(cards.years.body, errorBox(yearsR.reason, '年度合计 totals'));
    fill(kpis, errorBox(yearsR.reason, '年度合计 totals'));
  }

  if (carriersR.status === 'fulfilled') {
    const total = (carriersR.value.total || {}).tce_equivalent || 0;
    const rows = carriersR.value.rows.map((row) => ({ ...row, name: carrierName(row.key.carrier, row.carrier_zh),
      share: total ? (100 * row.tce_equivalent) / total : null }))
      .sort((a, b) => b.tce_equivalent - a.tce_equivalent);
    fill(cards.carriers.body, table(rows, [
      { key: 'name', label: '品种 carrier' },
      { key: 'tce_equivalent', label: 'tce (当量)', format: (v) => num(v, 0), className: 'num' },
      { key: 'share', label: '占比 share', format: (v) => `${num(v, 1)} %`, className: 'num' },
      { key: 'co2_t', label: 't CO₂', format: (v) => num(v, 0), className: 'num' },
    ]));
  } else {
    fill(cards.carriers.body, errorBox(carriersR.reason, '能源品种 carriers'));
  }

  if (telemetryR.status === 'fulfilled') fill(cards.telemetry.body, telemetryTable(telemetryR.value));
  else fill(cards.telemetry.body, errorBox(telemetryR.reason, '遥测 telemetry'));
}
