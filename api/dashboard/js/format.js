// Numbers and labels as a Chinese reader expects them: 万 for large quantities, signed percentages, names.

export const COLORS = {
  ink: '#0f172a',
  muted: '#64748b',
  grid: '#e2e8f0',
  primary: '#1d4ed8',
  raw: '#94a3b8',
  path: '#0f766e',
  good: '#15803d',
  bad: '#dc2626',
  warn: '#d97706',
  info: '#2563eb',
  palette: ['#1d4ed8', '#0f766e', '#f59e0b', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#ea580c', '#475569',
    '#a16207'],
};

export const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
  + '"WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif';

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

/** A number with a fixed count of decimals, grouped in thousands; '—' when absent. */
export function num(value, digits = 0) {
  if (!isNumber(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A quantity in 万 (10 000) of its unit: 7 161 600 tce → "716.2". */
export function wan(value, digits = 1) {
  return isNumber(value) ? num(value / 1e4, digits) : '—';
}

/** A signed percentage: −2.82 → "−2.82 %". */
export function pct(value, digits = 2, { space = true } = {}) {
  if (!isNumber(value)) return '—';
  const text = Math.abs(value).toFixed(digits);
  const sign = value > 0 ? '+' : value < 0 ? '−' : '';
  return `${sign}${text}${space ? ' ' : ''}%`;
}

/** An intensity in tce/万元, three decimals by default (0.150, 0.130). */
export function intensity(value, digits = 3) {
  return isNumber(value) ? value.toFixed(digits) : '—';
}

export const PEAK_STATUS = {
  pre_peak: { zh: '未达峰', en: 'pre-peak', tone: 'bad' },
  plateau: { zh: '平台期', en: 'plateau', tone: 'warn' },
  peaked_provisional: { zh: '初步达峰', en: 'peaked (provisional)', tone: 'good' },
  peaked_confirmed: { zh: '已达峰', en: 'peaked (confirmed)', tone: 'good' },
  insufficient_data: { zh: '数据不足', en: 'insufficient data', tone: 'muted' },
};

// Display names only; the carrier catalogue (carbon/carriers.py) is the reference and the API's `carrier_zh`
// wins whenever it is sent.
const CARRIER_ZH = {
  electricity: '电力', electricity_renewable: '自发自用可再生电力', raw_coal: '原煤', washed_coal: '洗精煤',
  middlings: '洗中煤', coal_slime: '煤泥', coke: '焦炭', crude_oil: '原油', fuel_oil: '燃料油', gasoline: '汽油',
  kerosene: '煤油', diesel: '柴油', lpg: '液化石油气', refinery_gas: '炼厂干气', natural_gas: '天然气',
  lng: '液化天然气', coke_oven_gas: '焦炉煤气', blast_furnace_gas: '高炉煤气', heat: '热力', steam: '蒸汽',
};

export function carrierName(id, zh) {
  return zh || CARRIER_ZH[id] || id;
}

export const FRAMEWORKS = {
  cn_green_finance_2025: '绿色金融支持项目目录(2025年版) · China green finance catalogue 2025',
  eu_taxonomy: '欧盟可持续分类法 · EU Taxonomy (climate mitigation)',
};

export const SEVERITY = {
  critical: 'bad', high: 'bad', error: 'bad', warning: 'warn', medium: 'warn', low: 'info', info: 'info',
};
