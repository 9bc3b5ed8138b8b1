// An enterprise's working day: submit a month, upload a file, see every accepted and rejected row, confirm or
// withdraw held revisions, follow the quota, download templates.

import { api, download, upload } from './api.js';
import { carrierName, num, pct } from './format.js';
import { badge, card, el, errorBox, fill, notice, spinner, table } from './ui.js';

const enc = encodeURIComponent;
const PURPOSES = [['fuel', '燃料/动力 energy use'], ['feedstock', '原料用能 feedstock']];
const REASONS = { change: '变化超过 50% change over 50 %', deadline: '已过报送截止日 past the deadline' };

let catalogue = null;

/** The carrier catalogue (GET /v1/carriers), fetched once. */
export async function carriers() {
  catalogue = catalogue || await api('/v1/carriers');
  return catalogue;
}

/** The month whose report is due now (the previous month), as YYYY-MM. */
function dueMonth() {
  const now = new Date();
  const month = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${month.getFullYear()}-${String(month.getMonth() + 1).padStart(2, '0')}`;
}

function side(value) {
  return value ? `${num(value.quantity, 2)} ${value.unit || ''}` : '—';
}

function revisionRows(rows, { withReasons = false } = {}) {
  return table(rows, [
    { key: 'period', label: '统计期 month' },
    { key: 'carrier', label: '能源品种 carrier', format: (v) => carrierName(v) },
    { key: 'old', label: '原值 old', format: side, className: 'num' },
    { key: 'new', label: '新值 new', format: side, className: 'num' },
    { key: 'change_pct', label: '变化 change (%)', format: (v) => pct(v), className: 'num' },
    ...(withReasons ? [{ key: 'reasons', label: '暂缓原因 held because',
      format: (v) => (v || []).map((r) => REASONS[r] || r).join('；') }] : []),
  ], { className: 'compact' });
}

/** What a submission did: counts, each rejected row with its reason, revisions applied and held. */
export function renderReply(reply, onHeld) {
  const counts = el('div', { class: 'reply-counts' },
    badge(`读取 read ${reply.read}`, 'muted'), ' ', badge(`新增 accepted ${reply.accepted}`, 'good'), ' ',
    badge(`未变 unchanged ${reply.unchanged}`, 'muted'), ' ', badge(`修订 revised ${reply.revised}`, 'info'), ' ',
    badge(`退回 rejected ${reply.rejected_count}`, reply.rejected_count ? 'bad' : 'good'), ' ',
    badge(`待确认 held ${(reply.held || []).length}`, (reply.held || []).length ? 'warn' : 'good'));
  const parts = [counts];
  if (reply.rejected_count) {
    parts.push(el('h3', {}, '退回的行 rejected rows'), table(reply.rejected, [
      { key: 'index', label: '行 row', className: 'num' }, { key: 'field', label: '字段 field' },
      { key: 'reason', label: '原因 reason' }, { key: 'value', label: '值 value' },
    ], { className: 'compact rejections' }));
  }
  if ((reply.revisions || []).length) {
    parts.push(el('h3', {}, '已修订 revisions applied (原值 → 新值)'), revisionRows(reply.revisions));
  }
  if ((reply.held || []).length) {
    parts.push(el('h3', {}, '暂缓，待确认 held for confirmation'), revisionRows(reply.held, { withReasons: true }),
      notice('这些修订未生效：在下方“待确认的修订”中填写原因确认，或撤回；也可等待主管部门审核。 Not applied: '
        + 'confirm with a reason or withdraw below, or wait for the bureau\'s review.', 'warn'));
    if (onHeld) onHeld();
  }
  return el('div', { class: 'reply', id: 'submit-reply' }, parts);
}

/** An energy line: carrier, quantity, unit (the carrier's units), and its purpose unless `withPurpose` is false. */
export function lineEditor(list, { withPurpose = true } = {}) {
  const carrier = el('select', { 'aria-label': '能源品种 carrier', class: 'carrier' },
    list.map((item) => el('option', { value: item.id }, `${item.name_zh} ${item.name_en}`)));
  const unit = el('select', { 'aria-label': '计量单位 unit', class: 'unit' });
  const setUnits = () => {
    const item = list.find((entry) => entry.id === carrier.value) || list[0];
    fill(unit, item.units.map((name) => el('option', { value: name }, name)));
  };
  carrier.addEventListener('change', setUnits);
  setUnits();
  const quantity = el('input', { type: 'number', min: '0', step: 'any', required: true, class: 'quantity',
    'aria-label': '消费量 quantity', placeholder: '消费量 quantity' });
  const purpose = withPurpose ? el('select', { 'aria-label': '用途 purpose', class: 'purpose' },
    PURPOSES.map(([value, label]) => el('option', { value }, label))) : null;
  const row = el('div', { class: 'line' }, carrier, quantity, unit, purpose);
  row.append(el('button', { type: 'button', class: 'btn small', title: '删除 remove', onclick: () => row.remove() }, '×'));
  return row;
}

function submitCard(id, result, reloadHeld) {
  const parts = card({ id: 'card-submit', title: '报送月度能耗', subtitle: 'Submit a month (units of the statistics forms)' });
  const period = el('input', { type: 'month', id: 'submit-period', value: dueMonth(), required: true,
    'aria-label': '统计期 month' });
  const lines = el('div', { class: 'lines' });
  const form = el('form', { class: 'submit-form', onsubmit: async (event) => {
    event.preventDefault();
    const records = [...lines.querySelectorAll('.line')].map((line) => ({ period: period.value,
      carrier: line.querySelector('.carrier').value, quantity: Number(line.querySelector('.quantity').value),
      unit: line.querySelector('.unit').value, purpose: line.querySelector('.purpose').value }));
    fill(result, spinner('提交中 submitting…'));
    try {
      const reply = await api(`/v1/enterprises/${enc(id)}/consumption`, { method: 'POST', body: { records } });
      fill(result, renderReply(reply, reloadHeld));
    } catch (error) {
      fill(result, errorBox(error, '报送 submission'));
    }
  } }, el('label', {}, '统计期 month ', period), lines,
  el('div', { class: 'form-actions' },
    el('button', { type: 'button', class: 'btn', onclick: async () => lines.append(lineEditor(await carriers())) },
      '+ 添加一行 add a line'),
    el('button', { type: 'submit', class: 'btn primary', id: 'submit-month' }, '提交 submit')));
  fill(parts.body, form);
  carriers().then((list) => lines.append(lineEditor(list)))
    .catch((error) => fill(lines, errorBox(error, '能源品种 carriers')));
  return parts;
}

const POLL_MS = 1000;
const JOB_STATES = { queued: '排队中 queued', running: '处理中 processing' };

/** Follow a queued upload at its status URL, showing its state and the rows read so far; the reply when it is
 * done, null (with the reason shown) when it failed. */
async function followJob(job, result) {
  let current = job;
  for (;;) {
    if (current.status === 'done') return current.result;
    if (current.status === 'failed') {
      fill(result, el('div', { class: 'notice error', role: 'alert', id: 'upload-failed' },
        el('strong', {}, `上传失败 upload failed (${current.source}): `), current.error || ''));
      return null;
    }
    const rows = current.progress ? ` · 已读 ${num(current.progress.rows_read, 0)} 行 rows read` : '';
    fill(result, el('div', { id: 'upload-job', dataset: { status: current.status } },
      spinner(`${JOB_STATES[current.status] || current.status}: ${current.source} (${num(current.bytes / 1048576, 1)}`
        + ` MB)${rows}`),
      el('p', { class: 'muted small' }, '大文件在后台处理，可留在本页等待结果 a large file is processed in the background; '
        + 'the result shows here')));
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
    current = await api(current.status_url);
  }
}

function uploadCard(id, result, reloadHeld) {
  const parts = card({ id: 'card-upload', title: '上传文件', subtitle: 'Upload CSV, XLSX, JSON or form 205-1' });
  const file = el('input', { type: 'file', id: 'upload-file', accept: '.csv,.xlsx,.json,.txt', required: true,
    'aria-label': '文件 file' });
  const status = el('div', { class: 'export-status' });
  const template = (kind, label, ext) => el('button', { type: 'button', class: 'btn small', onclick: async () => {
    try {
      const saved = await download(`/v1/enterprises/${enc(id)}/templates/${kind}`, `${id}-template.${ext}`);
      fill(status, notice(`已下载 downloaded ${saved}`, 'good'));
    } catch (error) {
      fill(status, errorBox(error, '模板 template'));
    }
  } }, `↓ ${label}`);
  const form = el('form', { class: 'upload-form', onsubmit: async (event) => {
    event.preventDefault();
    if (!file.files.length) return;
    const data = new FormData();
    data.append('file', file.files[0]);
    fill(result, spinner('上传中 uploading…'));
    try {
      const reply = await upload(`/v1/enterprises/${enc(id)}/uploads`, data);
      // a large file is queued (202): follow its status URL until it is done or failed
      const done = reply.status_url ? await followJob(reply, result) : reply;
      if (done) fill(result, renderReply(done, reloadHeld));
    } catch (error) {
      fill(result, errorBox(error, '上传 upload'));
    }
  } }, file, ' ', el('button', { type: 'submit', class: 'btn primary', id: 'upload-submit' }, '上传 upload'));
  fill(parts.body, form, el('div', { class: 'templates' }, '模板 templates: ', template('csv', 'CSV', 'csv'), ' ',
    template('xlsx', 'XLSX', 'xlsx'), ' ', template('form205', '205-1 表 XLSX', 'xlsx')), status);
  return parts;
}

/** Held revisions of one enterprise: confirm each with a reason (sends it again), or withdraw it. */
async function renderHeld(parts, id, result) {
  let held;
  try {
    held = await api(`/v1/revisions?status=held&enterprise_id=${enc(id)}`);
  } catch (error) {
    fill(parts.body, errorBox(error, '待确认 held'));
    return;
  }
  fill(parts.aside, badge(`${held.length} 条 held`, held.length ? 'warn' : 'good'));
  if (!held.length) {
    fill(parts.body, notice('没有待确认的修订 nothing held'));
    return;
  }
  const reload = () => renderHeld(parts, id, result);
  const act = (row) => {
    const reason = el('input', { type: 'text', class: 'reason', minlength: '3', maxlength: '500',
      placeholder: '修订原因 reason', 'aria-label': `修订原因 reason for ${row.id}` });
    const confirm = el('button', { type: 'button', class: 'btn small primary', dataset: { action: 'confirm' },
      onclick: async () => {
        if (reason.value.trim().length < 3) {
          reason.focus();
          reason.setCustomValidity('请填写原因 give a reason');
          reason.reportValidity();
          return;
        }
        try {
          const reply = await api(`/v1/enterprises/${enc(id)}/consumption`, { method: 'POST',
            body: { records: [row.record], confirm: true, reason: reason.value.trim() } });
          fill(result, renderReply(reply));
        } catch (error) {
          fill(result, errorBox(error, '确认 confirm'));
        }
        reload();
      } }, '确认 confirm');
    const withdraw = el('button', { type: 'button', class: 'btn small', dataset: { action: 'withdraw' },
      onclick: async () => {
        try {
          await api(`/v1/revisions/${row.id}/withdraw`, { method: 'POST', body: { reason: reason.value || null } });
        } catch (error) {
          fill(result, errorBox(error, '撤回 withdraw'));
        }
        reload();
      } }, '撤回 withdraw');
    return el('span', { class: 'actions' }, reason, ' ', confirm, ' ', withdraw);
  };
  fill(parts.body, table(held.map((row) => ({ ...row, action: row })), [
    { key: 'period', label: '统计期 month' },
    { key: 'carrier', label: '能源品种', format: (v) => carrierName(v) },
    { key: 'old', label: '原值 old', format: side, className: 'num' },
    { key: 'new', label: '新值 new', format: side, className: 'num' },
    { key: 'change_pct', label: '变化 (%)', format: (v) => pct(v), className: 'num' },
    { key: 'action', label: '操作 action', format: act },
  ], { className: 'compact held' }));
}

/** Quota use and its year-end projection, from the compliance report of the year. */
async function renderQuota(parts, id) {
  const year = new Date().getFullYear();
  const years = [year, year - 1];
  for (const candidate of years) {
    let report;
    try {
      report = await api(`/v1/enterprises/${enc(id)}/compliance?year=${candidate}`);
    } catch (error) {
      fill(parts.body, errorBox(error, '用能权 quota'));
      return;
    }
    if (!report.tce_equivalent && candidate !== years.at(-1)) continue;
    const quota = report.quota;
    const coverage = report.coverage || {};
    fill(parts.aside, badge(String(candidate), 'muted'));
    if (!quota) {
      fill(parts.body, el('p', {}, `${candidate} 年已用 used ${num(report.tce_equivalent, 0)} tce（当量值）· `
        + `已报 ${(coverage.measured || []).length} 个月 months reported`),
      notice('尚未设定用能权额度 no energy-use quota set for this year (主管部门设定 set by the bureau)'));
      return;
    }
    const tone = quota.projected_over ? 'bad' : 'good';
    fill(parts.body, el('div', { class: 'quota' },
      el('div', { class: 'meter' }, el('div', { class: `meter-fill ${quota.used_pct > 100 ? 'bad' : 'good'}`,
        style: `width:${Math.min(100, quota.used_pct || 0)}%` })),
      el('p', {}, `已用 used ${num(quota.used_tce, 0)} / 额度 quota ${num(quota.quota_tce, 0)} tce `,
        el('strong', {}, `(${num(quota.used_pct, 1)} %)`)),
      el('p', {}, '年底预计 projected ', quota.projected_tce == null ? '—（已报月份不足 too few months）'
        : [`${num(quota.projected_tce, 0)} tce `, badge(`${num(quota.projected_pct, 1)} %`, tone)]),
      el('p', { class: 'muted small' }, quota.method || '')));
    return;
  }
}

/** The work panels of an enterprise page, appended to `grid`. */
export function mountSubmission(grid, id, ctx) {
  const canSubmit = !ctx.role || ['enterprise', 'bureau', 'admin'].includes(ctx.role);
  const quota = card({ id: 'card-quota', title: '用能权额度', subtitle: 'Energy-use quota: use and projection' });
  fill(quota.body, spinner());
  renderQuota(quota, id);
  if (!canSubmit) {
    grid.append(el('div', { class: 'span-12' }, quota.root));
    return;
  }
  const result = el('div', { class: 'reply-slot', id: 'reply-slot' });
  const held = card({ id: 'card-held', title: '待确认的修订', subtitle: 'Held revisions: confirm with a reason, or withdraw' });
  fill(held.body, spinner());
  const reloadHeld = () => renderHeld(held, id, result);
  reloadHeld();
  const submit = submitCard(id, result, reloadHeld);
  const uploadParts = uploadCard(id, result, reloadHeld);
  const replyCard = card({ id: 'card-reply', title: '报送结果', subtitle: 'What the last submission did, row by row' });
  fill(replyCard.body, result);
  fill(result, notice('提交或上传后在此显示每一行的结果 each row\'s result shows here'));
  grid.append(el('div', { class: 'span-7' }, submit.root), el('div', { class: 'span-5' }, uploadParts.root),
    el('div', { class: 'span-12' }, replyCard.root), el('div', { class: 'span-7' }, held.root),
    el('div', { class: 'span-5' }, quota.root));
}
