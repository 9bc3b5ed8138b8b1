// The dashboard's entry point: the token, who it belongs to, and which view the address asks for.
//   #/region/<code>?year=YYYY   region overview (bureau, admin, finance)
//   #/enterprise/<id>           one enterprise (an enterprise token sees only its own)
//   #/screening                 green-finance screening form
//   #/projects                  energy and carbon review of proposed projects (bureau, admin, finance)
//   #token=<token>              taken once, stored, and removed from the address bar

import { api, clearToken, getToken, setToken, tokenFromFragment } from './api.js';
import { renderEnterprise } from './enterprise.js';
import { renderProjects } from './projects.js';
import { renderRegion } from './region.js';
import { renderScreening } from './screening.js';
import { badge, disposeCharts, el, errorBox, fill, spinner } from './ui.js';

const DEFAULT_REGION = 'gz-htz';
const ROLE_NAMES = { admin: '管理员 admin', bureau: '主管部门 bureau', finance: '金融机构 finance',
  enterprise: '企业 enterprise' };

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

let principal = null;
let lastRegion = DEFAULT_REGION;

function parseRoute(hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { view: parts[0] || '', arg: parts[1] || '', params: new URLSearchParams(query) };
}

function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

/** The caller's role and enterprise; on a service without /v1/whoami, inferred from what the token may read. */
async function whoami() {
  try {
    return await api('/v1/whoami');
  } catch (error) {
    if (!error.unavailable) throw error;
  }
  try {
    await api('/v1/regions');
    return { role: null, enterprise_id: null };
  } catch (error) {
    if (error.status !== 403) throw error;
  }
  const list = await api('/v1/enterprises');
  return { role: 'enterprise', enterprise_id: list.length === 1 ? list[0].id : null };
}

function showTokenForm(error) {
  disposeCharts();
  fill(nav);
  fill(who);
  const input = el('input', { type: 'password', name: 'token', autocomplete: 'off', required: true,
    placeholder: 'cbt_…', 'aria-label': '访问令牌 token' });
  fill(main, el('section', { class: 'card token-card', id: 'token-form' },
    el('h2', {}, '访问令牌 Access token'),
    el('p', {}, '请粘贴管理员发给您的令牌（只需一次，保存在本浏览器）。 Paste the token you were given; it is kept in '
      + 'this browser only.'),
    el('p', { class: 'muted small' }, '创建 create one: ', el('code', {}, 'carbon token create --role bureau')),
    error ? errorBox(error, '令牌无效 token refused') : null,
    el('form', { class: 'token-row', onsubmit: (event) => {
      event.preventDefault();
      setToken(input.value);
      start();
    } }, input, el('button', { class: 'btn primary', type: 'submit' }, '保存 Save'))));
  input.focus();
}

function renderNav(view) {
  const link = (hash, label, active) => el('a', { href: hash, class: active ? 'active' : '' }, label);
  if (principal.role === 'enterprise') {
    fill(nav, link(`#/enterprise/${encodeURIComponent(principal.enterprise_id || '')}`,
      '我的企业 My enterprise', true));
  } else {
    fill(nav, 
      link(`#/region/${encodeURIComponent(lastRegion)}`, '区域总览 Region', view === 'region' || view === ''),
      view === 'enterprise' ? link(window.location.hash, '企业 Enterprise', true) : null,
      link('#/screening', '绿色金融筛选 Screening', view === 'screening'),
      link('#/projects', '项目审查 Project review', view === 'projects'));
  }
  fill(who, 
    principal.role ? badge(ROLE_NAMES[principal.role] || principal.role, 'info') : null,
    principal.enterprise_id ? el('span', { class: 'muted small' }, ` ${principal.enterprise_id}`) : null,
    el('button', { class: 'btn ghost small', type: 'button', onclick: () => showTokenForm() }, '更换令牌 token'),
    el('button', { class: 'btn ghost small', type: 'button', onclick: () => {
      clearToken();
      showTokenForm();
    } }, '退出 sign out'));
}

async function route() {
  if (!principal) return;
  disposeCharts();
  let { view, arg, params } = parseRoute(window.location.hash);
  if (principal.role === 'enterprise') {
    // an enterprise token has one page: its own (the API refuses the others anyway)
    if (!principal.enterprise_id) {
      fill(main, errorBox({ detail: '此令牌未绑定企业 this token is bound to no enterprise' }));
      return;
    }
    view = 'enterprise';
    arg = principal.enterprise_id;
  }
  renderNav(view);
  const ctx = { role: principal.role, navigate };
  fill(main, spinner());
  try {
    if (view === 'enterprise' && arg) {
      await renderEnterprise(main, { ...ctx, id: arg });
    } else if (view === 'screening') {
      await renderScreening(main, { ...ctx, enterprise: params.get('enterprise') });
    } else if (view === 'projects') {
      await renderProjects(main, { ...ctx, region: lastRegion });
    } else {
      lastRegion = arg || lastRegion;
      await renderRegion(main, { ...ctx, code: lastRegion, year: Number(params.get('year')) || null });
    }
  } catch (error) {
    fill(main, errorBox(error));
  }
  document.body.dataset.ready = view || 'region';
}

async function start() {
  tokenFromFragment();
  principal = null;
  if (!getToken()) {
    showTokenForm();
    return;
  }
  fill(main, spinner());
  try {
    principal = await whoami();
  } catch (error) {
    if (error.status === 401) showTokenForm(error);
    else fill(main, errorBox(error, '服务 service'));
    return;
  }
  await route();
}

window.addEventListener('hashchange', () => {
  if (tokenFromFragment()) start();
  else route();
});

start();
