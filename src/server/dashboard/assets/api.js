// The JSON API as the dashboard uses it: the token (kept in this tab's sessionStorage, sent only as
// `Authorization: Bearer` to this origin's /api) and GET requests that turn the API's error shape
// into ApiError. See src/server/dashboard/mod.rs for why the token is not a cookie.

const TOKEN_KEY = "briefwatch.api-token";

/** An answer other than 2xx: `status`, the API's stable `code` and its `message`. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The token of this tab, or null. */
export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Keeps `value` as this tab's token. */
export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** Forgets the token. */
export function clearToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: nothing was kept.
  }
}

/** The headers of an API request. */
export function authHeaders(extra = {}) {
  return { Accept: "application/json", Authorization: `Bearer ${token() ?? ""}`, ...extra };
}

/** `/api/PATH?params` with empty parameters left out (the API refuses empty values). */
export function apiUrl(path, params = {}) {
  const url = new URL(`/api/${path}`, location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && String(v).trim() !== "") url.searchParams.set(k, String(v));
  }
  return url;
}

/** GETs `/api/PATH` and returns the parsed JSON, or throws ApiError. */
export async function apiGet(path, params = {}, signal = undefined) {
  let r;
  try {
    r = await fetch(apiUrl(path, params), {
      headers: authHeaders(),
      credentials: "omit",
      cache: "no-store",
      signal,
    });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "The daemon did not answer. Is it running?");
  }
  if (r.ok) return r.json();
  let code = "http_" + r.status;
  let message = `The API answered ${r.status}.`;
  try {
    const body = await r.json();
    if (body && body.error) {
      code = String(body.error.code);
      message = String(body.error.message);
    }
  } catch {
    // Not the API's error shape: keep the status.
  }
  throw new ApiError(r.status, code, message);
}
