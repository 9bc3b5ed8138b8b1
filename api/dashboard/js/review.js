// The bureau's review queue: revisions held for confirmation, approved (applied) or rejected with a reason.

import { api } from './api.js';
import { carrierName, num, pct } from './format.js';
import { badge, el, errorBox, fill, notice, table } from './ui.js';

const enc = encodeURIComponent;
const REASONS = { change: '变化超过 50%', deadline: '已过截止日' };

const side = (value) => (value ? `${num(value.quantity, 2)} ${value.unit || ''}` : '—');

/** Fill the card `parts` with the held revisions; each row has a reason field and approve/reject buttons. */
export async function renderReview(parts) {
  let held;
  try {
    held = await api('/v1/revisions?status=held');
  } catch (error) {
    fill(parts.body, errorBox(error, '待审核修订 review queue'));
    return;
  }
  fill(parts.aside, badge(`${held.length} 条待审 held`, held.length ? 'warn' : 'good'));
  if (!held.length) {
    fill(parts.body, notice('没有待审核的修订 nothing to review', 'good'));
    return;
  }
  const status = el('div', { class: 'export-status' });
  const act = (row) => {
    const reason = el('input', { type: 'text', class: 'reason', maxlength: '500', placeholder: '审核意见 reason',
      'aria-label': `审核意见 reason for ${row.id}` });
    const decide = (verb, label, tone) => el('button', { type: 'button', class: `btn small ${tone}`,
      dataset: { action: verb, id: String(row.id) }, onclick: async () => {
        try {
          await api(`/v1/revisions/${enc(row.id)}/${verb}`, { method: 'POST',
            body: { reason: reason.value.trim() || null } });
          fill(status, notice(`${label} #${row.id}`, 'good'));
        } catch (error) {
          fill(status, errorBox(error, label));
        }
        renderReview(parts);
      } }, label);
    return el('span', { class: 'actions' }, reason, decide('approve', '批准 approve', 'primary'),
      decide('reject', '驳回 reject', ''));
  };
  fill(parts.body, el('div', { class: 'review' }, table(held.map((row) => ({ ...row, action: row })), [
    { key: 'enterprise_id', label: '企业 enterprise',
      format: (v) => el('a', { href: `#/enterprise/${enc(v)}` }, v) },
    { key: 'period', label: '统计期 month' },
    { key: 'carrier', label: '品种', format: (v) => carrierName(v) },
    { key: 'old', label: '原值 old', format: side, className: 'num' },
    { key: 'new', label: '新值 new', format: side, className: 'num' },
    { key: 'change_pct', label: '变化 (%)', format: (v) => pct(v), className: 'num' },
    { key: 'reasons', label: '原因 held because', format: (v) => (v || []).map((r) => REASONS[r] || r).join('；') },
    { key: 'action', label: '审核 review', format: act },
  ], { className: 'compact' })), status);
}
