// Talking to the service: the bearer token, JSON calls, problem documents, file downloads.

const TOKEN_KEY = 'carbon.token';

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    localStorage.setItem(TOKEN_KEY, token.trim());
  } catch {
    // storage refused (private mode): the token lives for this page only
  }
  sessionToken = token.trim();
}

export function clearToken() {
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
  sessionToken = '';
}

let sessionToken = '';

function currentToken() {
  return getToken() || sessionToken;
}

/**
 * Take the token from the address (`#token=…`, or `#/enterprise/E1?token=…` to open a view), keep it, and remove
 * it from the address bar and the history.
 */
export function tokenFromFragment() {
  const hash = window.location.hash.replace(/^#/, '');
  const routed = hash.startsWith('/');
  const [path, query] = routed ? [hash.split('?')[0], hash.split('?').slice(1).join('?')] : ['', hash];
  const params = new URLSearchParams(query);
  const token = params.get('token');
  if (!token) return false;
  params.delete('token');
  const rest = params.toString();
  const fragment = routed ? `${path}${rest ? `?${rest}` : ''}` : rest;
  history.replaceState(null, '', window.location.pathname + window.location.search + (fragment ? `#${fragment}` : ''));
  setToken(token);
  return true;
}

/** An error answer of the API, with the problem document's `detail`. */
export class ApiError extends Error {
  constructor(status, detail, path) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.path = path;
  }

  /** The endpoint is not part of this service (yet): an unknown route, not a missing record. */
  get unavailable() {
    return (this.status === 404 && this.detail === 'Not Found') || this.status === 405 || this.status === 501;
  }
}

async function problemDetail(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === 'string') return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((item) => item.msg || JSON.stringify(item)).join('; ');
    return body.title || response.statusText;
  } catch {
    return `${response.status} ${response.statusText}`.trim();
  }
}

async function send(path, { method = 'GET', body, accept = 'application/json' } = {}) {
  const headers = { Accept: accept, Authorization: `Bearer ${currentToken()}` };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `服务没有应答 the service did not answer (${error.message}); is \`carbon serve\` running?`,
      path);
  }
  if (!response.ok) throw new ApiError(response.status, await problemDetail(response), path);
  return response;
}

/** GET or POST a JSON endpoint; throws ApiError with the problem's `detail`. */
export async function api(path, options = {}) {
  const response = await send(path, options);
  if (response.status === 204) return null;
  return response.json();
}

function fileName(response, fallback) {
  const disposition = response.headers.get('Content-Disposition') || '';
  const encoded = disposition.match(/filename\*=UTF-8''([^;]+)/i);
  if (encoded) return decodeURIComponent(encoded[1]);
  const plain = disposition.match(/filename="?([^";]+)"?/i);
  return plain ? plain[1] : fallback;
}

/** Fetch a file with the bearer header and hand it to the browser through a Blob URL (links cannot send it). */
export async function download(path, fallbackName) {
  const response = await send(path, { accept: '*/*' });
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName(response, fallbackName);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return link.download;
}

/** POST a multipart form (a file upload) and return the JSON answer; throws ApiError like `api`. */
export async function upload(path, form) {
  let response;
  try {
    response = await fetch(path, { method: 'POST', body: form, cache: 'no-store',
      headers: { Accept: 'application/json', Authorization: `Bearer ${currentToken()}` } });
  } catch (error) {
    throw new ApiError(0, `服务没有应答 the service did not answer (${error.message})`, path);
  }
  if (!response.ok) throw new ApiError(response.status, await problemDetail(response), path);
  return response.json();
}
