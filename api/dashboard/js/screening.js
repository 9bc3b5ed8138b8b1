// Green-finance screening: a framework, an activity and its metrics (or an enterprise and a year), and the
// verdict criterion by criterion with its source.

import { api } from './api.js';
import { FRAMEWORKS, num } from './format.js';
import { badge, card, el, errorBox, fill, notice, spinner, table } from './ui.js';

/** A metric as the API lists it: a bare name, or an object with a name, unit and label. */
function metricSpec(metric) {
  if (typeof metric === 'string') return { name: metric, unit: '', label: '' };
  return { name: metric.metric || metric.name || metric.id, unit: metric.unit || '',
    label: metric.name_zh || metric.label || metric.description || '' };
}

/** The typed value of a metric field: a number, a yes/no, or a string with its unit ("350 g/kWh"). */
function metricValue(text) {
  const value = text.trim();
  if (value === '') return undefined;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return Number(value);
  if (/^(true|yes|是)$/i.test(value)) return true;
  if (/^(false|no|否)$/i.test(value)) return false;
  return value;
}

function verdict(passed, missing) {
  if (missing) return badge('缺数据 missing', 'warn');
  if (passed === true) return badge('✓ 通过 passed', 'good');
  if (passed === false) return badge('✗ 未通过 failed', 'bad');
  return badge('—', 'muted');
}

function formatValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return num(value, Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 3);
  if (typeof value === 'boolean') return value ? '是 yes' : '否 no';
  return String(value);
}

function renderResult(container, result) {
  const criteria = result.criteria || [];
  const summary = el('div', { class: 'verdict' },
    el('div', {}, el('span', { class: 'verdict-label' }, '适用 eligible '),
      result.covered === false ? badge('未覆盖 not covered by this service', 'muted')
        : result.eligible ? badge('是 yes', 'good') : badge('否 no', 'bad')),
    el('div', {}, el('span', { class: 'verdict-label' }, '达标 aligned '),
      result.aligned ? badge('是 yes', 'good') : badge('否 no', 'bad')),
    result.reason ? el('p', { class: 'verdict-reason' }, result.reason) : null);
  const parts = [summary];
  if (criteria.length) {
    parts.push(table(criteria, [
      { key: 'name', label: '判据 criterion', format: (v, row) => [el('div', {}, v || row.id),
        el('div', { class: 'muted small' }, row.metric)] },
      { key: 'value', label: '数值 value', format: formatValue, className: 'num' },
      { key: 'threshold', label: '门槛 threshold', className: 'num',
        format: (v, row) => `${row.operator || ''} ${formatValue(v)}` },
      { key: 'unit', label: '单位 unit' },
      { key: 'passed', label: '结果 result', format: (v, row) => verdict(v, row.missing) },
      { key: 'source', label: '来源 source', format: (v, row) => [v || '—',
        row.status === 'unverified' ? [' ', badge('未核实 unverified', 'warn', row.note || '')] : ''] },
    ], { className: 'criteria' }));
  }
  if (result.metrics_from_data && Object.keys(result.metrics_from_data).length) {
    parts.push(el('div', { class: 'legend-note' }, `企业 ${result.enterprise_id} ${result.year} 年数据 metrics from `
      + 'stored data: ', Object.entries(result.metrics_from_data).map(([key, value]) => `${key} = ${formatValue(value)}`)
      .join(' · ')));
  }
  if (result.coverage && typeof result.coverage === 'object') {
    parts.push(el('div', { class: 'legend-note' }, '数据覆盖 coverage: ', Object.entries(result.coverage)
      .map(([key, value]) => `${key} ${Array.isArray(value) ? `${value.length} 月` : key === 'year' ? value
        : formatValue(value)}`).join(' · ')));
  }
  for (const note of result.notes || []) parts.push(notice(note, 'warn'));
  parts.push(el('div', { class: 'form-actions' }, el('button', { type: 'button', class: 'btn', id: 'screening-csv',
    onclick: () => saveResult(result) }, '↓ 筛选记录 CSV (the record to file)')));
  const fromData = new Set(Object.keys(result.metrics_from_data || {}));
  const ignored = (result.ignored_metrics || []).filter((name) => !fromData.has(name));
  if (ignored.length) parts.push(notice(`未使用的指标 metrics no criterion reads: ${ignored.join(', ')}`, 'warn'));
  fill(container, ...parts);
}

const csvCell = (value) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The result as the record a bank files: what was screened, the verdict, and each criterion (CSV, UTF-8). */
function saveResult(result) {
  const head = [['框架 framework', result.framework], ['活动 activity', result.activity],
    ['企业 enterprise', result.enterprise_id || ''], ['年份 year', result.year || ''],
    ['适用 eligible', result.eligible ? '是' : '否'], ['达标 aligned', result.aligned ? '是' : '否'],
    ['说明 reason', result.reason || ''], ['规则版本 rules version', result.rules_version || result.version || ''],
    ['筛选时间 screened at', new Date().toISOString()], []];
  const rows = (result.criteria || []).map((row) => [row.name || row.id, row.metric, row.value, row.operator,
    row.threshold, row.unit, row.missing ? '缺数据 missing' : row.passed ? '通过 pass' : '未通过 fail', row.source]);
  const lines = [...head, ['判据 criterion', '指标 metric', '数值 value', '比较 operator', '门槛 threshold',
    '单位 unit', '结果 result', '来源 source'], ...rows].map((line) => line.map(csvCell).join(','));
  const blob = new Blob([`\ufeff${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
  const link = el('a', { href: URL.createObjectURL(blob),
    download: `screening-${result.framework}-${result.activity}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

/** Render the screening form into `main`. */
export async function renderScreening(main, ctx) {
  const form = card({ id: 'card-screening-form', title: '绿色金融项目筛选',
    subtitle: 'Green-finance screening: framework, activity, metrics' });
  const result = card({ id: 'card-screening-result', title: '筛选结果', subtitle: 'Result, criterion by criterion' });
  fill(result.body, notice('填写左侧表格后点击“筛选” fill in the form and press “screen”'));
  fill(main, 
    el('div', { class: 'view-head' }, el('div', {}, el('h1', {}, '绿色金融筛选'),
      el('p', { class: 'sub' }, 'Screening against the green-finance catalogues'))),
    el('div', { class: 'grid' }, el('div', { class: 'span-5' }, form.root), el('div', { class: 'span-7' },
      result.root)));
  fill(form.body, spinner());

  let activities;
  try {
    activities = await api('/v1/screenings/activities');
  } catch (error) {
    fill(form.body, errorBox(error, '筛选目录 activities'));
    return;
  }
  const frameworks = [...new Set(activities.map((item) => item.framework))];
  const frameworkSelect = el('select', { name: 'framework', required: true },
    frameworks.map((id) => el('option', { value: id }, FRAMEWORKS[id] || id)));
  const activitySelect = el('select', { name: 'activity', required: true });
  const activityInfo = el('div', { class: 'muted small' });
  const metricsBox = el('div', { class: 'metrics' });
  const enterpriseSelect = el('select', { name: 'enterprise_id' }, el('option', { value: '' }, '—'));
  const yearInput = el('input', { name: 'year', type: 'number', min: '1990', max: '2100',
    value: String(new Date().getFullYear() - 1) });
  const modeMetrics = el('input', { type: 'radio', name: 'mode', value: 'metrics', checked: true });
  const modeStored = el('input', { type: 'radio', name: 'mode', value: 'stored' });
  const storedBox = el('div', { class: 'stored', hidden: true },
    el('label', {}, '企业 enterprise', enterpriseSelect), el('label', {}, '年份 year', yearInput));

  const metricsHint = el('p', { class: 'muted small', hidden: true },
    '可选：填写的指标补充或覆盖企业数据 optional: metrics stated here complete or override the stored data');

  const current = () => activities.find((item) => item.framework === frameworkSelect.value
    && item.activity === activitySelect.value);
  const fillActivities = () => {
    const groups = new Map();
    for (const item of activities.filter((a) => a.framework === frameworkSelect.value)) {
      const level1 = item.category && item.category.level1 ? `${item.category.level1.code} ${item.category.level1.name}`
        : '其他 other';
      if (!groups.has(level1)) groups.set(level1, []);
      groups.get(level1).push(item);
    }
    fill(activitySelect, ...[...groups].map(([label, items]) => el('optgroup', { label },
      items.map((item) => el('option', { value: item.activity }, `${item.name_zh || item.activity}`
        + `${item.name_en ? ` · ${item.name_en}` : ''}`)))));
    fillMetrics();
  };
  const fillMetrics = () => {
    const activity = current();
    if (!activity) {
      fill(metricsBox);
      return;
    }
    fill(activityInfo, `${activity.activity}`, activity.source ? ` · ${activity.source}` : '',
      activity.status === 'unverified' ? [' ', badge('未核实 unverified', 'warn')] : '');
    const specs = (activity.metric_details || activity.metrics || []).map(metricSpec);
    fill(metricsBox, ...(specs.length ? specs.map((spec) => el('label', {},
      el('span', {}, spec.label ? `${spec.label} ` : '', el('code', {}, spec.name),
        spec.unit ? el('span', { class: 'muted' }, ` [${spec.unit}]`) : ''),
      el('input', { type: 'text', name: `metric:${spec.name}`, dataset: { metric: spec.name },
        placeholder: spec.unit ? `数值 (${spec.unit}) 或带单位` : '数值或带单位 e.g. 250 g/kWh · 是/否' })))
      : [notice('此活动无定量判据 no quantitative criteria: eligibility only')]));
  };
  const toggleMode = () => {
    const stored = modeStored.checked;
    storedBox.hidden = !stored;
    metricsHint.hidden = !stored;
    if (stored && enterpriseSelect.options.length <= 1) {
      api('/v1/enterprises').then((list) => enterpriseSelect.append(...list.map((item) => el('option',
        { value: item.id }, `${item.name} (${item.id})`)))).catch((error) => storedBox.append(errorBox(error,
        '企业 enterprises')));
    }
  };
  frameworkSelect.addEventListener('change', fillActivities);
  activitySelect.addEventListener('change', fillMetrics);
  modeMetrics.addEventListener('change', toggleMode);
  modeStored.addEventListener('change', toggleMode);

  const submit = el('button', { class: 'btn primary', type: 'submit' }, '筛选 screen');
  const formNode = el('form', { class: 'form', onsubmit: async (event) => {
    event.preventDefault();
    const body = { framework: frameworkSelect.value, activity: activitySelect.value };
    if (modeStored.checked) {
      if (!enterpriseSelect.value) {
        fill(result.body, notice('请选择企业 choose an enterprise', 'error'));
        return;
      }
      body.enterprise_id = enterpriseSelect.value;
      body.year = Number(yearInput.value);
    }
    const metrics = {};
    for (const input of metricsBox.querySelectorAll('input[data-metric]')) {
      const value = metricValue(input.value);
      if (value !== undefined) metrics[input.dataset.metric] = value;
    }
    // with stored data, stated metrics complete or override the measured ones
    if (!modeStored.checked || Object.keys(metrics).length) body.metrics = metrics;
    submit.disabled = true;
    fill(result.body, spinner('筛选中 screening…'));
    try {
      renderResult(result.body, await api('/v1/screenings', { method: 'POST', body }));
    } catch (error) {
      fill(result.body, errorBox(error, '筛选 screening'));
    } finally {
      submit.disabled = false;
    }
  } },
  el('label', {}, '框架 framework', frameworkSelect),
  el('label', {}, '活动 activity', activitySelect), activityInfo,
  el('fieldset', { class: 'mode' }, el('legend', {}, '依据 based on'),
    el('label', { class: 'inline' }, modeMetrics, ' 项目指标 project metrics'),
    el('label', { class: 'inline' }, modeStored, ' 企业已报数据 an enterprise\'s stored data')),
  storedBox, metricsHint, metricsBox, el('div', { class: 'form-actions' }, submit));
  fill(form.body, formNode);
  if (ctx.enterprise) {
    modeStored.checked = true;
    enterpriseSelect.append(el('option', { value: ctx.enterprise, selected: true }, ctx.enterprise));
  }
  fillActivities();
  toggleMode();
}
