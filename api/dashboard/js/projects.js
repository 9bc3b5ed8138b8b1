// Energy and carbon review of proposed projects (节能审查 / 项目碳评价): the form, the review, saving it, the stored
// projects with their status, and the bureau's decision.

import { api } from './api.js';
import { num, pct } from './format.js';
import { carriers, lineEditor } from './submit.js';
import { badge, card, el, errorBox, fill, notice, spinner, table } from './ui.js';

const VERDICTS = { recommended: ['建议通过 recommended', 'good'], conditional: ['有条件 conditional', 'warn'],
  not_recommended: ['不建议 not recommended', 'bad'] };
const LEVELS = { exempt: '免于审查 exempt', local: '地方审查 local', provincial: '省级审查 provincial' };
const STATUS = { pending: ['待决定 pending', 'muted'], approved: ['已批准 approved', 'good'],
  approved_with_conditions: ['有条件批准 approved with conditions', 'warn'], rejected: ['不予批准 rejected', 'bad'] };
const SEVERITY = { blocking: 'bad', concern: 'warn', info: 'muted' };
const DECISIONS = [['approved', '批准 approve'], ['approved_with_conditions', '有条件批准 approve with conditions'],
  ['rejected', '不予批准 reject']];

const tagged = (map, key) => (map[key] ? badge(map[key][0], map[key][1]) : badge(key || '—', 'muted'));
const optional = (input) => (input.value.trim() === '' ? null : Number(input.value));

function productEditor() {
  const input = (name, label, attrs = {}) => el('input', { class: name, 'aria-label': label, placeholder: label,
    ...attrs });
  const row = el('div', { class: 'line product' }, input('product', '产品 product (cement_clinker…)'),
    input('quantity', '年产量 output', { type: 'number', min: '0', step: 'any' }), input('unit', '单位 unit (t)'),
    input('unit_energy', '单位产品能耗 unit energy', { type: 'number', min: '0', step: 'any' }));
  row.append(el('button', { type: 'button', class: 'btn small', title: '删除 remove', onclick: () => row.remove() },
    '×'));
  return row;
}

/** The request body the form describes (ProjectIn). */
function projectBody(fields, lines, products) {
  return {
    region: fields.region.value.trim(), name: fields.name.value.trim(), industry: fields.industry.value.trim() || null,
    kind: fields.kind.value, start_year: Number(fields.start_year.value),
    energy: [...lines.querySelectorAll('.line')].map((line) => ({ carrier: line.querySelector('.carrier').value,
      quantity: Number(line.querySelector('.quantity').value), unit: line.querySelector('.unit').value })),
    output_value: optional(fields.output_value), value_added: optional(fields.value_added),
    products: [...products.querySelectorAll('.line')].map((line) => ({ product: line.querySelector('.product').value,
      quantity: Number(line.querySelector('.quantity').value), unit: line.querySelector('.unit').value,
      unit_energy: Number(line.querySelector('.unit_energy').value) })),
  };
}

function renderReview(review) {
  const totals = el('div', { class: 'verdict', id: 'review-verdict' },
    el('div', {}, el('span', { class: 'verdict-label' }, '结论 verdict '), tagged(VERDICTS, review.verdict)),
    el('div', {}, el('span', { class: 'verdict-label' }, '审查级别 review level '),
      badge(LEVELS[review.review_level] || review.review_level, 'info')),
    el('p', { class: 'verdict-reason muted small' }, review.review_level_reason));
  const figures = table([
    { name: '年综合能耗（当量值）annual energy, electricity at 当量值', value: review.annual_tce_equivalent, unit: 'tce/a' },
    { name: '年综合能耗（等价值）annual energy, electricity at 等价值', value: review.annual_tce_equal, unit: 'tce/a' },
    { name: '年二氧化碳排放 annual CO2', value: review.annual_co2_t, unit: 't CO2/a' },
  ], [{ key: 'name', label: '项目 item' }, { key: 'value', label: '数值 value', className: 'num',
    format: (v) => num(v, 1) }, { key: 'unit', label: '单位 unit' }], { className: 'compact' });
  const parts = [totals, figures];
  if ((review.room || []).length) {
    parts.push(el('h3', {}, '占剩余空间 share of the room left (约束性指标 binding indicators)'), table(review.room, [
      { key: 'kind', label: '指标 indicator', format: (v, row) => `${v} (${row.plan || '—'}, ${row.year || '—'})` },
      { key: 'room', label: '剩余空间 room left', className: 'num', format: (v, row) => (v === null || v === undefined
        ? '—' : `${num(v, 0)} ${row.unit || ''}`) },
      { key: 'share_pct', label: '项目占比 project share', className: 'num',
        format: (v, row) => {
          if (!row.exceeds) return pct(v);
          return badge(v === null || v === undefined ? '无剩余空间 no room left' : `${pct(v)} 超出 exceeds`, 'bad');
        } },
      { key: 'assumption', label: '说明 note', format: (v) => v || '' },
    ], { className: 'compact room' }));
  }
  if ((review.products || []).length) {
    parts.push(el('h3', {}, '产品能耗限额 products against 能耗限额'), table(review.products, [
      { key: 'product', label: '产品 product' },
      { key: 'unit_energy', label: '单位产品能耗 unit energy', className: 'num', format: (v) => num(v, 2) },
      { key: 'grade', label: '等级 grade' }, { key: 'required', label: '要求 required' },
      { key: 'meets_required', label: '结果 result', format: (v) => (v ? badge('✓ 达标 meets', 'good')
        : badge('✗ 未达标 fails', 'bad')) },
    ], { className: 'compact' }));
  }
  parts.push(el('h3', {}, '理由 reasons'), el('ul', { class: 'reasons' }, (review.reasons || []).map((item) => el('li',
    {}, badge(item.severity, SEVERITY[item.severity] || 'muted'), ' ', item.reason))));
  for (const note of review.notes || []) parts.push(notice(note));
  return parts;
}

function decisionControls(project, ctx, reload) {
  if (project.status !== 'pending') return el('span', { class: 'muted small' }, project.decision_reason || '');
  if (ctx.role !== 'bureau' && ctx.role !== 'admin') return '—'; // finance reviews, the bureau decides
  const choice = el('select', { class: 'decision', 'aria-label': '决定 decision', dataset: { id: project.id } },
    DECISIONS.map(([value, label]) => el('option', { value }, label)));
  const reason = el('input', { class: 'reason', 'aria-label': '理由 reason', placeholder: '理由 reason',
    dataset: { id: project.id } });
  const status = el('span', { class: 'small' });
  const button = el('button', { type: 'button', class: 'btn small primary', dataset: { action: 'decide',
    id: project.id }, onclick: async () => {
    if (!reason.value.trim()) {
      fill(status, notice('请填写理由 a reason is needed', 'error'));
      return;
    }
    button.disabled = true;
    try {
      await api(`/v1/projects/${project.id}/decision`, { method: 'POST',
        body: { decision: choice.value, reason: reason.value.trim() } });
      await reload();
    } catch (error) {
      fill(status, errorBox(error, '决定 decision'));
      button.disabled = false;
    }
  } }, '确定 decide');
  return el('div', { class: 'actions' }, choice, reason, button, status);
}

async function renderList(body, ctx) {
  const reload = () => renderList(body, ctx);
  let projects;
  try {
    projects = await api('/v1/projects');
  } catch (error) {
    fill(body, errorBox(error, '项目 projects'));
    return;
  }
  if (!projects.length) {
    fill(body, notice('尚无保存的项目 no project stored yet'));
    return;
  }
  fill(body, table(projects, [
    { key: 'id', label: '编号 id', className: 'num' }, { key: 'name', label: '项目 project' },
    { key: 'region', label: '区域 region' }, { key: 'start_year', label: '投产 start', className: 'num' },
    { key: 'annual_tce_equal', label: 'tce/a (等价值)', className: 'num', format: (v) => num(v, 0) },
    { key: 'verdict', label: '结论 verdict', format: (v) => tagged(VERDICTS, v) },
    { key: 'status', label: '状态 status', format: (v) => tagged(STATUS, v) },
    { key: 'id', label: '决定 decision', format: (v, row) => decisionControls(row, ctx, reload) },
  ], { className: 'compact projects' }));
}

function projectForm(ctx, resultBody, listBody) {
  const input = (name, attrs = {}) => el('input', { name, ...attrs });
  const fields = {
    region: input('region', { required: true, value: ctx.region || 'gz-htz' }),
    name: input('name', { required: true, maxlength: '200' }),
    industry: input('industry', { maxlength: '16', placeholder: 'GB/T 4754 e.g. I6450' }),
    kind: el('select', { name: 'kind' }, el('option', { value: 'new' }, '新建 new'),
      el('option', { value: 'rebuild' }, '改扩建 rebuild')),
    start_year: input('start_year', { type: 'number', min: '2000', max: '2100', required: true,
      value: String(new Date().getFullYear() + 1) }),
    output_value: input('output_value', { type: 'number', min: '0', step: 'any' }),
    value_added: input('value_added', { type: 'number', min: '0', step: 'any' }),
  };
  const lines = el('div', { class: 'lines', id: 'project-lines' });
  const products = el('div', { class: 'lines', id: 'project-products' });
  const send = async (path, what, show) => {
    const form = fields.name.form;
    if (!form.reportValidity()) return;
    fill(resultBody, spinner(`${what}…`));
    try {
      show(await api(path, { method: 'POST', body: projectBody(fields, lines, products) }));
    } catch (error) {
      fill(resultBody, errorBox(error, what));
    }
  };
  const review = () => send('/v1/projects/review', '审查 review', (answer) => fill(resultBody, renderReview(answer)));
  const save = () => send('/v1/projects', '保存 save', async (stored) => {
    fill(resultBody, notice(`已保存 saved: 项目 ${stored.id} ${stored.name}`, 'good'), renderReview(stored.review));
    await renderList(listBody, ctx);
  });
  const label = (text, node) => el('label', {}, text, node);
  const form = el('form', { class: 'form submit-form project-form', onsubmit: (event) => {
    event.preventDefault();
    review();
  } },
  el('div', { class: 'pair' }, label('区域 region', fields.region), label('项目名称 name', fields.name)),
  el('div', { class: 'pair' }, label('行业 industry', fields.industry), label('类型 kind', fields.kind),
    label('投产年份 start year', fields.start_year)),
  el('div', { class: 'pair' }, label('工业总产值 output value (万元/a)', fields.output_value),
    label('工业增加值 value added (万元/a)', fields.value_added)),
  el('h3', {}, '年能源消费 annual energy'), lines,
  el('h3', {}, '产品（可选）products, optional'), products,
  el('div', { class: 'form-actions' },
    el('button', { type: 'button', class: 'btn', onclick: async () => lines.append(lineEditor(await carriers(),
      { withPurpose: false })) }, '+ 能源 energy line'),
    el('button', { type: 'button', class: 'btn', onclick: () => products.append(productEditor()) }, '+ 产品 product'),
    el('button', { type: 'submit', class: 'btn primary', id: 'project-review' }, '审查 review'),
    el('button', { type: 'button', class: 'btn', id: 'project-save', onclick: save }, '保存 save')));
  carriers().then((list) => lines.append(lineEditor(list, { withPurpose: false })))
    .catch((error) => fill(lines, errorBox(error, '能源品种 carriers')));
  return form;
}

/** Render the project-review page into `main`. */
export async function renderProjects(main, ctx) {
  const form = card({ id: 'card-project-form', title: '拟建项目', subtitle: 'A proposed project' });
  const result = card({ id: 'card-project-review', title: '节能审查结果', subtitle: 'Energy and carbon review' });
  const list = card({ id: 'card-projects', title: '已保存的项目', subtitle: 'Stored projects and decisions',
    wide: true });
  fill(result.body, notice('填写左侧表格后点击“审查” fill in the form and press “review”'));
  fill(list.body, spinner());
  fill(main,
    el('div', { class: 'view-head' }, el('div', {}, el('h1', {}, '项目节能审查'),
      el('p', { class: 'sub' }, 'Energy and carbon review of proposed projects'))),
    el('div', { class: 'grid' }, el('div', { class: 'span-5' }, form.root), el('div', { class: 'span-7' },
      result.root), el('div', { class: 'span-12' }, list.root)));
  fill(form.body, projectForm(ctx, result.body, list.body));
  await renderList(list.body, ctx);
}
