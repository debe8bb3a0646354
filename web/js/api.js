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
export async function request(method, path, { body, query, anonymous = false } = {}) {
  const headers = { 'Accept-Language': acceptLanguage(), Accept: 'application/json, application/problem+json' };
  if (!anonymous && token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(buildUrl(path, query), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await readBody(response);
  if (!response.ok) {
    const error = new ApiError(response.status, data && typeof data === 'object' ? data : { detail: data });
    if (response.status === 401 && !anonymous) goToLogin();  // expired or revoked: log in again, then come back
    throw error;
  }
  const pagination = response.headers.get('X-Pagination');
  return { data, pagination: pagination ? JSON.parse(pagination) : null };
}

export const api = {
  get: async (path, query) => (await request('GET', path, { query })).data,
  post: async (path, body) => (await request('POST', path, { body })).data,
  put: async (path, body) => (await request('PUT', path, { body })).data,
  delete: async (path) => (await request('DELETE', path)).data,
  // One page of a list: {items, total}.
  page: async (path, query) => {
    const { data, pagination } = await request('GET', path, { query });
    return { items: data || [], total: pagination ? pagination.total : (data || []).length };
  },
};
