// Small DOM helpers: elements, cards, spinners, errors, and the chart instances of the current view.

import { download } from './api.js';
import { FONT } from './format.js';

/** Create an element: el('div', {class: 'x', onclick: f}, 'text', child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace the children of `node`, skipping absent ones and flattening arrays (unlike replaceChildren). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((child) => child !== undefined && child !== null
    && child !== false && child !== ''));
  return node;
}

/** A titled card: {root, body, aside}. `title` in Chinese, `subtitle` in English. */
export function card({ id, title, subtitle, wide = false, className = '' }) {
  const body = el('div', { class: 'card-body' });
  const aside = el('div', { class: 'card-aside' });
  const root = el('section', { class: `card ${wide ? 'wide' : ''} ${className}`.trim(), id },
    el('header', { class: 'card-head' },
      el('div', {}, el('h2', {}, title), subtitle ? el('p', { class: 'sub' }, subtitle) : null),
      aside),
    body);
  return { root, body, aside };
}

export function spinner(text = '加载中 loading…') {
  return el('div', { class: 'loading', role: 'status' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }),
    el('span', {}, text));
}

/** An API error shown plainly: its `detail`, and what part of the page it concerns. */
export function errorBox(error, what = '') {
  if (error && error.unavailable) {
    return el('div', { class: 'notice muted' },
      `${what ? `${what}: ` : ''}此服务暂不提供 not available on this service (${error.path || ''})`);
  }
  const status = error && error.status ? ` (HTTP ${error.status})` : '';
  return el('div', { class: 'notice error', role: 'alert' },
    el('strong', {}, `${what || '出错 Error'}${status}: `), (error && (error.detail || error.message)) || String(error));
}

export function notice(text, tone = 'muted') {
  return el('div', { class: `notice ${tone}` }, text);
}

export function badge(text, tone = 'muted', title) {
  return el('span', { class: `badge ${tone}`, title }, text);
}

// The chart instances of the view on screen: disposed when the view changes, resized with the window.
const charts = new Set();

export function disposeCharts() {
  for (const chart of charts) chart.dispose();
  charts.clear();
}

window.addEventListener('resize', () => {
  for (const chart of charts) chart.resize();
});

/** Draw an ECharts option into `container` with the SVG renderer (its text stays in the DOM). */
export function mountChart(container, option, { height = 300, onClick } = {}) {
  if (!container.isConnected) return null; // the view changed while its data were loading
  const holder = el('div', { class: 'chart', style: `height:${height}px` });
  container.replaceChildren(holder);
  if (!window.echarts) {
    container.replaceChildren(notice('图表库未加载 the charting library did not load', 'error'));
    return null;
  }
  const chart = window.echarts.init(holder, null, { renderer: 'svg' });
  chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
  if (onClick) chart.on('click', onClick);
  charts.add(chart);
  return chart;
}

/** A small table from rows: columns = [{key, label, format, className}]. */
export function table(rows, columns, { className = '' } = {}) {
  return el('table', { class: `table ${className}`.trim() },
    el('thead', {}, el('tr', {}, columns.map((column) => el('th', { class: column.className }, column.label)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((column) => {
      const value = column.format ? column.format(row[column.key], row) : row[column.key];
      return el('td', { class: column.className }, value instanceof Node ? value : (value ?? '—'));
    })))));
}

/** Download buttons for one export (CSV and XLSX, or the `formats` given): `path` without its `format`. */
export function exportButtons(path, name, label, status, formats = ['csv', 'xlsx']) {
  const button = (format) => el('button', { class: 'btn', type: 'button', onclick: async (event) => {
    const target = event.currentTarget;
    target.disabled = true;
    fill(status, spinner('导出中 exporting…'));
    try {
      const saved = await download(`${path}${path.includes('?') ? '&' : '?'}format=${format}`,
        `${name}.${format}`);
      fill(status, notice(`已下载 downloaded ${saved}`, 'good'));
    } catch (error) {
      fill(status, errorBox(error, '导出 export'));
    } finally {
      target.disabled = false;
    }
  } }, `↓ ${label} ${format.toUpperCase()}`);
  return formats.map(button);
}
