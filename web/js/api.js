// The one module that talks to the REST API. Pages call api.get/post/put and never fetch() themselves,
// so the bearer token, the language and the problem+json error shape are handled in one place.
import { acceptLanguage } from './i18n.js';

const BASE = '/api/v1';
const TOKEN_KEY = 'citybpm.token';
const USER_KEY = 'citybpm.user';

// A refused request: `status`, the server's `code`, its localised `message` and the field `errors`
// ([{field, message, ...}]) of a 422, so pages can put each message next to its field.
export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code || null;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

// sessionStorage, not localStorage: a shared command-centre PC forgets the login with the tab.
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

// {username, display_name, roles, orgs} as the login answer gave it, or null.
export function currentUser() {
  const stored = sessionStorage.getItem(USER_KEY);
  return stored ? JSON.parse(stored) : null;
}

export function goToLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login.html?next=${encodeURIComponent(next)}`);
}

// Pages with data call this first: without a token every API call would fail anyway.
export function requireLogin() {
  if (!token()) {
    goToLogin();
    return false;
  }
  return true;
}

export async function login(username, password) {
  const { data } = await request('POST', '/auth/login', { body: { username, password }, anonymous: true });
  sessionStorage.setItem(TOKEN_KEY, data.token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(data.user || { username }));
  return data.user;
}

export function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  location.assign('/login.html');
}

function buildUrl(path, query) {
  const url = new URL(BASE + path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  return url;
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? JSON.parse(text) : text;
}

// The full answer: body plus the X-Pagination header that flask-smorest adds to lists.
// `body` is sent as JSON, except a FormData (multipart uploads), which the browser encodes itself.
export async function request(method, path, { body, query, anonymous = false, headers: extra = {} } = {}) {
  const headers = { 'Accept-Language': acceptLanguage(), Accept: 'application/json, application/problem+json', ...extra };
  if (!anonymous && token()) headers.Authorization = `Bearer ${token()}`;
  const multipart = body instanceof FormData;
  if (body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
  const response = await fetch(buildUrl(path, query), {
    method, headers, body: body === undefined || multipart ? body : JSON.stringify(body),
  });
  const data = await readBody(response);
  if (!response.ok) {
    const error = new ApiError(response.status, data && typeof data === 'object' ? data : { detail: data });
    if (response.status === 401 && !anonymous) goToLogin();  // expired or revoked: log in again, then come back
    throw error;
  }
  const pagination = response.headers.get('X-Pagination');
  // status: some answers differ only by it (a deploy: 201 new version, 200 same content as before)
  return { data, pagination: pagination ? JSON.parse(pagination) : null, status: response.status };
}

export const api = {
  get: async (path, query) => (await request('GET', path, { query })).data,
  post: async (path, body) => (await request('POST', path, { body })).data,
  put: async (path, body) => (await request('PUT', path, { body })).data,
  patch: async (path, body) => (await request('PATCH', path, { body })).data,
  delete: async (path) => (await request('DELETE', path)).data,
  // A POST with extra headers, e.g. {'Idempotency-Key': …} when starting a case.
  postWithHeaders: async (path, body, headers) => (await request('POST', path, { body, headers })).data,
  // One file as multipart field `file` (POST /attachments).
  upload: async (path, file) => {
    const form = new FormData();
    form.append('file', file);
    return (await request('POST', path, { body: form })).data;
  },
  // One page of a list: {items, total}.
  page: async (path, query) => {
    const { data, pagination } = await request('GET', path, { query });
    return { items: data || [], total: pagination ? pagination.total : (data || []).length };
  },
};

// A long-lived GET read as server-sent events (EventSource cannot send the bearer header): calls
// onEvent(type, data) per event until the server ends the response or `signal` aborts; resolves then.
export async function streamEvents(path, onEvent, { signal } = {}) {
  const headers = { Accept: 'text/event-stream', 'Accept-Language': acceptLanguage() };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const response = await fetch(buildUrl(path), { headers, signal, cache: 'no-store' });
  if (!response.ok || !response.body) {
    if (response.status === 401) goToLogin();
    throw new ApiError(response.status, { detail: `HTTP ${response.status}` });
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message';
      const lines = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;  // comments are keep-alive pings
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = text;
        else if (field === 'data') lines.push(text);
      }
      if (!lines.length) continue;
      let data = lines.join('\n');
      try { data = JSON.parse(data); } catch { /* plain text event */ }
      onEvent(type, data);
    }
  }
}
