// The JSON API of the local server. State-changing requests carry the token
// the server embedded in the page (CSRF protection, DESIGN §6).
const token = document.querySelector('meta[name="clientele-token"]')?.content ?? '';

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (method !== 'GET') opts.headers['X-Clientele-Token'] = token;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    throw new ApiError(0, 'offline', 'clientele is not answering: is "clientele serve" still running?');
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    const e = data?.error;
    if (res.status === 403 && method !== 'GET') // the server's secret changed (another data folder?)
      throw new ApiError(403, 'denied', 'This page is out of date for the running clientele: reload it (Ctrl+R); what you typed is still here.');
    throw new ApiError(res.status, e?.code ?? 'error', e?.message ?? `the server answered ${res.status}`);
  }
  return data;
}

export const get = (path) => api('GET', path);

// Records by id, fetched once per page view (labels of references).
const cache = new Map();
export function clearCache() { cache.clear(); }
export async function record(id) {
  // ?deleted=1: a reference to a deleted record is no error, just "(deleted record)"
  if (!cache.has(id)) cache.set(id, get(`/api/records/${encodeURIComponent(id)}?deleted=1`).then((r) => r.deleted ? null : r, () => null));
  return cache.get(id);
}
