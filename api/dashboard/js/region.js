// The region overview: intensity on its path, the change still required, CO2 and the peak, the LMDI
// decomposition, the largest consumers, data completeness, alerts and the exports.

import { api } from './api.js';
import {
  carbonOption, carrierOption, changeOption, completenessOption, decompositionOption, industryOption,
  intensityOption, topEnterprisesOption,
} from './charts.js';
import { PEAK_STATUS, SEVERITY, intensity, num, pct, wan } from './format.js';
import { renderReview } from './review.js';
import { badge, card, el, errorBox, exportButtons, fill, mountChart, notice, spinner } from './ui.js';

const enc = encodeURIComponent;
const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
const PEAKED = new Set(['peaked_provisional', 'peaked_confirmed']);

function kpi(label, value, { unit = '', sub = null, tone = '' } = {}) {
  return el('div', { class: `kpi ${tone}`.trim() },
    el('div', { class: 'kpi-label' }, label),
    el('div', { class: 'kpi-value' }, value, unit ? el('span', { class: 'kpi-unit' }, unit) : null),
    sub ? el('div', { class: 'kpi-sub' }, sub) : null);
}

function trackBadge(onTrack) {
  if (onTrack === true) return badge('达标 on track', 'good');
  if (onTrack === false) return badge('未达标 off track', 'bad');
  return badge('未定 unknown', 'muted');
}

function peakBadge(peak) {
  const status = PEAK_STATUS[peak.status] || { zh: peak.status, en: '', tone: 'muted' };
  return badge(`${status.zh} ${status.en}`.trim(), status.tone, peak.rule);
}

/** The headline numbers of the chosen year: where the intensity stood, what the target needs, CO2 and coverage. */
function renderKpis(container, data, carbon, year) {
  const target = data.target || {};
  const shown = year || data.latest_year;
  const latest = (data.years || []).find((row) => row.year === shown) || {};
  const adjusted = shown === data.latest_year ? data.latest_intensity_adjusted
    : latest.intensity_adjusted ?? latest.intensity;
  const items = [
    kpi(`${shown ?? ''} 能耗强度 · intensity`, intensity(adjusted, 4),
      { unit: 'tce/万元', tone: latest.on_track === false ? 'bad' : latest.on_track ? 'good' : '',
        sub: [`目标路径 path ${intensity(latest.target_path, 4)} · `, trackBadge(latest.on_track)] }),
    kpi(`${target.target_year ?? ''} 目标 · target`, intensity(target.target_value),
      { unit: 'tce/万元', sub: `基期 base ${target.base_year ?? ''}: ${intensity(target.base_value)} · `
        + `规划 plan ${pct(target.annual_change_pct)}/年` }),
    kpi('仍需年均变化 · required', pct(data.required_annual_change_pct),
      { unit: '/年', tone: isNumber(data.required_annual_change_pct) && isNumber(target.annual_change_pct)
        && data.required_annual_change_pct < target.annual_change_pct ? 'bad' : 'good',
      sub: `近期趋势 trend ${pct(data.trend_annual_change_pct)}/年` }),
    kpi(`${target.target_year ?? ''} 预测 · projected`, intensity(data.projected_target_value, 4),
      { unit: 'tce/万元', tone: data.projected_on_track ? 'good' : data.projected_on_track === false ? 'bad' : '',
        sub: trackBadge(data.projected_on_track) }),
  ];
  if (carbon && !(carbon instanceof Error)) {
    const last = (carbon.years || []).find((row) => row.year === shown) || (carbon.years || []).at(-1) || {};
    const peak = carbon.peak || {};
    items.push(kpi(`${last.year ?? ''} CO₂ 排放 · emissions`, wan(last.co2_t, 0), { unit: '万t',
      tone: (PEAK_STATUS[peak.status] || {}).tone || '',
      sub: [peakBadge(peak), peak.projected_peak_year ? ` 预计 ${peak.projected_peak_year} 达峰` : ''] }));
  }
  items.push(kpi('企业上报覆盖 · coverage', num(latest.coverage_pct, 0), { unit: '%',
    sub: `${num(latest.enterprises, 0)} 家企业 enterprises · ${wan(latest.energy_tce, 1)} 万tce` }));
  fill(container, ...items);
}

/** The next open year's energy budget, or a field for the GDP forecast it needs. */
function budgetLine(data, reload) {
  if (!data.budget_year) return null;
  if (isNumber(data.energy_budget_adjusted_tce)) {
    return el('div', { class: 'budget', title: data.budget_assumption || '' },
      `${data.budget_year} 年能耗预算 energy budget on the path: `,
      el('strong', {}, `${wan(data.energy_budget_adjusted_tce, 1)} 万tce`),
      ` (调整后 adjusted; GDP ${wan(data.budget_gdp_constant, 1)} 亿元)`);
  }
  const input = el('input', { type: 'number', min: '1', step: 'any', id: 'gdp-forecast', required: true,
    'aria-label': `${data.budget_year} 年 GDP 预测 (万元, 不变价)`, placeholder: '万元 (不变价)' });
  return el('form', { class: 'budget inline-form', onsubmit: (event) => {
    event.preventDefault();
    if (input.value) reload(Number(input.value));
  } }, el('label', { for: 'gdp-forecast' }, `${data.budget_year} 年 GDP 预测 forecast (万元, 不变价 constant prices) `),
  input, ' ', el('button', { class: 'btn', type: 'submit' }, '计算能耗预算 size the budget'));
}

function renderIntensity(parts, data, reload) {
  mountChart(parts.body, intensityOption(data), { height: 280 });
  // Notes addressed to API callers (how to pass a forecast) are replaced by the field above.
  const notes = (data.notes || []).filter((text) => !text.includes('gdp_forecast')).map((text) => el('li', {}, text));
  parts.body.append(el('div', { class: 'legend-note' },
    el('span', { class: 'dot good' }), '达到路径 on track ',
    el('span', { class: 'dot bad' }), '落后于路径 behind the path · ',
    '调整后 = 扣除原料用能与新增可再生能源 adjusted = minus feedstock and new renewables',
    notes.length ? el('ul', { class: 'notes' }, notes) : null, budgetLine(data, reload || (() => {}))));
}

function renderChange(parts, data) {
  const target = data.target || {};
  mountChart(parts.body, changeOption(data), { height: 200 });
  const required = data.required_annual_change_pct;
  const plan = data.path_annual_change_pct ?? target.annual_change_pct;
  const harder = isNumber(required) && isNumber(plan) && required < plan;
  parts.body.append(el('div', { class: 'callouts' },
    el('div', { class: `callout ${harder ? 'bad' : 'good'}` },
      el('div', { class: 'callout-label' }, `到 ${target.target_year ?? '—'} 年仍需年均 required per year`),
      el('div', { class: 'callout-value' }, pct(required)),
      el('div', { class: 'callout-sub' }, `规划匀速 plan's constant rate ${pct(plan)}/年`)),
    el('div', { class: `callout ${data.projected_on_track ? 'good' : 'bad'}` },
      el('div', { class: 'callout-label' }, `${target.target_year ?? '—'} 年预计 projected (趋势 ${pct(
        data.trend_annual_change_pct)}/年)`),
      el('div', { class: 'callout-value' }, intensity(data.projected_target_value, 4),
        el('span', { class: 'kpi-unit' }, ` / 目标 ${intensity(target.target_value)}`)),
      el('div', { class: 'callout-sub' }, data.projected_on_track ? '按当前趋势可达标 on track'
        : '按当前趋势无法达标 off track'))));
}

function renderCarbon(parts, data) {
  mountChart(parts.body, carbonOption(data), { height: 250 });
  const peak = data.peak || {};
  const aim = peak.aim_year ? [` · ${peak.aim_year} 年前达峰目标 aim: `,
    peak.meets_aim ? badge('可实现 met', 'good') : badge('未实现 not met', 'bad')] : [];
  parts.body.append(el('div', { class: 'legend-note' },
    '达峰状态 peak status: ', peakBadge(peak),
    peak.peak_year && PEAKED.has(peak.status) ? ` 峰值候选 candidate ${peak.peak_year}` : '',
    peak.status === 'plateau' && peak.peak_year ? ` 最高年 highest ${peak.peak_year}` : '',
    peak.projected_peak_year ? ` · 预计达峰 projected ${peak.projected_peak_year}` : '', ...aim,
    peak.projection_note && peak.status !== 'peaked_confirmed' ? el('div', { class: 'notes' }, peak.projection_note)
      : null,
    peak.rule ? el('details', { class: 'rule' }, el('summary', {}, '判定规则 the rule'), el('p', {}, peak.rule)) : null));
}

function renderDecomposition(parts, rows) {
  if (!rows || rows.length === 0) {
    fill(parts.body, notice('至少需要两年数据 needs two years of data'));
    return;
  }
  mountChart(parts.body, decompositionOption(rows), { height: 250 });
  const skipped = rows.filter((row) => row.status && row.status !== 'ok');
  parts.body.append(el('div', { class: 'legend-note' },
    'LMDI（对数平均迪氏指数）: ΔCO₂ = GDP 效应 + 能耗强度效应 + 碳强度效应; ◆ = 合计 total',
    skipped.length ? el('ul', { class: 'notes' }, skipped.map((row) => el('li', {}, `${row.year}: ${row.reason}`)))
      : null));
}

function renderAlerts(parts, alerts, ctx, reload) {
  if (!alerts.length) {
    fill(parts.body, notice('没有未处理的预警 no open alerts', 'good'));
    return;
  }
  const open = alerts.filter((alert) => !alert.acknowledged_at).length;
  fill(parts.aside, badge(`${open} 未确认 open`, open ? 'warn' : 'good'));
  const canAck = !ctx.role || ctx.role === 'bureau' || ctx.role === 'admin';
  const ordered = [...alerts.filter((alert) => !alert.acknowledged_at), ...alerts.filter((alert) => alert.acknowledged_at)];
  const items = ordered.map((alert) => {
    const tone = SEVERITY[alert.severity] || 'info';
    const status = el('div', { class: 'alert-status' });
    if (alert.acknowledged_at) {
      status.append(`已确认 acknowledged ${alert.acknowledged_by ? `by ${alert.acknowledged_by} ` : ''}`
        + `${String(alert.acknowledged_at).slice(0, 10)}`);
    } else if (canAck) {
      status.append(el('button', { class: 'btn small', type: 'button', onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        button.textContent = '…';
        try {
          await api(`/v1/alerts/${enc(alert.id)}/acknowledge`, { method: 'POST' });
          reload();
        } catch (error) {
          fill(status, errorBox(error, '确认失败 could not acknowledge'));
        }
      } }, '确认 acknowledge'));
    }
    return el('li', { class: `alert ${tone} ${alert.acknowledged_at ? 'done' : ''}`.trim() },
      el('div', { class: 'alert-main' },
        el('div', { class: 'alert-title' }, badge(alert.severity || '—', tone), ' ', el('b', {}, alert.kind || ''),
          alert.period ? ` · ${alert.period}` : '',
          alert.enterprise_id ? [' · ', el('a', { href: `#/enterprise/${enc(alert.enterprise_id)}` },
            alert.enterprise_id)] : ''),
        el('div', { class: 'alert-message' }, alert.message || '')),
      status);
  });
  fill(parts.body, el('ul', { class: 'alerts' }, items));
}

function fail(parts, error, what) {
  fill(parts.body, errorBox(error, what));
}

/** Render the overview of region `ctx.code` into `main`. */
export async function renderRegion(main, ctx) {
  const code = ctx.code;
  const title = el('h1', {}, code);
  const subtitle = el('p', { class: 'sub' }, '区域总览 · region overview');
  const regionSelect = el('select', { 'aria-label': '区域 region', onchange: (event) => ctx.navigate(
    `#/region/${enc(event.target.value)}`) }, el('option', { value: code }, code));
  const yearSelect = el('select', { 'aria-label': '年份 year', onchange: (event) => ctx.navigate(
    `#/region/${enc(code)}?year=${event.target.value}`) });
  const exportStatus = el('div', { class: 'export-status' });
  const head = el('div', { class: 'view-head' },
    el('div', {}, title, subtitle),
    el('div', { class: 'controls' },
      el('label', {}, '区域 region ', regionSelect),
      el('label', {}, '年份 year ', yearSelect),
      ...exportButtons(`/v1/regions/${enc(code)}/report`, `${code}-report`, '区域报告', exportStatus,
        ['csv', 'xlsx', 'docx'])),
    exportStatus);
  const kpis = el('div', { class: 'kpis', id: 'kpis' }, spinner());
  const cards = {
    intensity: card({ id: 'card-intensity', title: '能耗强度与目标路径',
      subtitle: 'Energy intensity (tce/万元 GDP, constant prices) against the target path' }),
    change: card({ id: 'card-change', title: '能耗强度年度变化', subtitle: 'Year-on-year change of the intensity (% per year)' }),
    carbon: card({ id: 'card-carbon', title: '二氧化碳排放与达峰', subtitle: 'CO₂ by year (万t), CO₂ per GDP (t/万元) and the peak status' }),
    lmdi: card({ id: 'card-lmdi', title: '排放变化因素分解 (LMDI)',
      subtitle: 'Change of CO₂ from the previous year by driver (万t CO₂)' }),
    top: card({ id: 'card-top', title: '重点用能企业', subtitle: 'Top enterprises by energy (tce) — click one' }),
    carriers: card({ id: 'card-carriers', title: '能源品种结构', subtitle: 'Energy by carrier (tce)' }),
    industry: card({ id: 'card-industry', title: '行业用能', subtitle: 'Energy by industry (tce)' }),
    completeness: card({ id: 'card-completeness', title: '数据报送完整性',
      subtitle: 'Monthly reports received / late / missing (enterprises)' }),
    alerts: card({ id: 'card-alerts', title: '预警', subtitle: 'Alerts' }),
    review: card({ id: 'card-review', title: '待审核修订', subtitle: 'Held revisions to review (approve applies)' }),
  };
  // Alerts and the review queue are the bureau's: other roles (finance) are not asked for them.
  const overseer = !ctx.role || ctx.role === 'bureau' || ctx.role === 'admin';
  for (const parts of Object.values(cards)) fill(parts.body, spinner());
  const chartSlots = (...names) => names.map((name) => cards[name].root);
  fill(main, head, kpis,
    el('div', { class: 'grid' },
      el('div', { class: 'span-7' }, chartSlots('intensity')), el('div', { class: 'span-5' }, chartSlots('change')),
      el('div', { class: 'span-6' }, chartSlots('carbon')), el('div', { class: 'span-6' }, chartSlots('lmdi')),
      el('div', { class: 'span-5' }, chartSlots('top')), el('div', { class: 'span-3' }, chartSlots('carriers')),
      el('div', { class: 'span-4' }, chartSlots('industry')),
      el('div', { class: overseer ? 'span-7' : 'span-12' }, chartSlots('completeness')),
      overseer ? el('div', { class: 'span-5' }, chartSlots('alerts')) : null,
      overseer ? el('div', { class: 'span-12' }, chartSlots('review')) : null));

  api('/v1/regions').then((regions) => {
    fill(regionSelect, ...regions.map((region) => el('option', { value: region.code,
      selected: region.code === code }, `${region.name} (${region.code})`)));
    if (!regions.some((region) => region.code === code)) {
      regionSelect.prepend(el('option', { value: code, selected: true }, code));
    }
  }).catch(() => { /* the selector keeps the current code */ });

  const intensityP = api(`/v1/regions/${enc(code)}/intensity`);
  const carbonP = api(`/v1/regions/${enc(code)}/carbon`);
  const [intensityR, carbonR] = await Promise.allSettled([intensityP, carbonP]);
  const data = intensityR.status === 'fulfilled' ? intensityR.value : intensityR.reason;
  const carbon = carbonR.status === 'fulfilled' ? carbonR.value : carbonR.reason;

  let year = ctx.year;
  if (data instanceof Error) {
    fill(kpis, errorBox(data, '能耗强度 intensity'));
    fail(cards.intensity, data, '能耗强度 intensity');
    fail(cards.change, data, '能耗强度 intensity');
  } else {
    title.textContent = data.name || code;
    subtitle.textContent = `${code} · 区域总览 region overview · 单位 ${data.unit || 'tce/万元'}`;
    year = year || data.latest_year;
    const years = (data.years || []).filter((row) => isNumber(row.energy_tce) || isNumber(row.bottom_up_tce))
      .map((row) => row.year);
    fill(yearSelect, ...years.map((y) => el('option', { value: y, selected: y === year },
      `${y}${y === data.latest_year ? '' : (data.open_years || []).includes(y) ? ' (进行中 open)' : ''}`)));
    renderKpis(kpis, data, carbon, year);
    const reload = async (gdp) => {
      try {
        const again = await api(`/v1/regions/${enc(code)}/intensity?gdp_forecast=${enc(gdp)}`);
        renderIntensity(cards.intensity, again, reload);
      } catch (error) {
        fail(cards.intensity, error, '能耗强度 intensity');
      }
    };
    renderIntensity(cards.intensity, data, reload);
    renderChange(cards.change, data);
  }
  if (carbon instanceof Error) {
    fail(cards.carbon, carbon, 'CO₂');
    fail(cards.lmdi, carbon, 'LMDI');
  } else {
    renderCarbon(cards.carbon, carbon);
    renderDecomposition(cards.lmdi, carbon.decomposition);
  }
  year = year || new Date().getFullYear() - 1;
  fill(cards.top.aside, badge(String(year), 'muted'));
  fill(cards.carriers.aside, badge(String(year), 'muted'));
  fill(cards.industry.aside, badge(String(year), 'muted'));

  const loadAlerts = () => api(`/v1/alerts?region=${enc(code)}`)
    .then((alerts) => renderAlerts(cards.alerts, alerts, ctx, loadAlerts))
    .catch((error) => fail(cards.alerts, error, '预警 alerts'));
  if (overseer) {
    loadAlerts();
    renderReview(cards.review);
  }

  try {
    const overview = await api(`/v1/regions/${enc(code)}/overview?year=${enc(year)}`);
    renderOverview(cards, overview, ctx);
  } catch (error) {
    for (const name of ['top', 'industry', 'completeness']) fail(cards[name], error, '概览 overview');
    const byCarrier = carbon instanceof Error ? [] : (carbon.by_carrier || []).filter((row) => row.year === year);
    if (byCarrier.length) mountChart(cards.carriers.body, carrierOption(byCarrier), { height: 280 });
    else fail(cards.carriers, error, '概览 overview');
  }
}

function renderOverview(cards, overview, ctx) {
  const top = overview.top_enterprises || [];
  if (top.length) {
    mountChart(cards.top.body, topEnterprisesOption(top), { height: 280, onClick: (params) => {
      if (params.data && params.data.enterprise_id) ctx.navigate(`#/enterprise/${enc(params.data.enterprise_id)}`);
    } });
  } else {
    fill(cards.top.body, notice('该年没有企业数据 no enterprise data for this year'));
  }
  if ((overview.by_carrier || []).length) {
    mountChart(cards.carriers.body, carrierOption(overview.by_carrier), { height: 280 });
  } else {
    fill(cards.carriers.body, notice('没有数据 no data'));
  }
  if ((overview.by_industry || []).length) {
    mountChart(cards.industry.body, industryOption(overview.by_industry), { height: 280 });
  } else {
    fill(cards.industry.body, notice('没有数据 no data'));
  }
  const completeness = overview.completeness || {};
  if ((completeness.by_month || []).length) {
    mountChart(cards.completeness.body, completenessOption(completeness.by_month), { height: 230 });
    fill(cards.completeness.aside, 
      badge(`应报 expected ${num(completeness.expected, 0)}`, 'muted'), ' ',
      badge(`按时 on time ${num(completeness.on_time, 0)}`, 'good'), ' ',
      badge(`迟报 ${num(completeness.late, 0)}`, 'warn'), ' ',
      badge(`缺报 ${num(completeness.missing, 0)}`, completeness.missing ? 'bad' : 'good'));
  } else {
    fill(cards.completeness.body, notice('没有数据 no data'));
  }
}
