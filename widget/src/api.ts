// HTTP client for the prefcenter v1 API: bearer token, retries with backoff, idempotency keys.

import type { InteractionPage, PreferenceCenter, Profile, Write } from "./types";

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
}

/** A failed request. status 0 = network failure or timeout. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  constructor(status: number, problem: Problem | null, message?: string) {
    super(message ?? problem?.title ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
  get retryable(): boolean {
    return isRetryable(this.status, this.problem);
  }
}

/** The problem type of a 409 that only means "the same write (same Idempotency-Key) is still running". */
export const IN_PROGRESS_PROBLEM = "https://prefcenter.dev/problems/idempotency-in-progress";

/** Worth trying again (with the same Idempotency-Key): network failures, timeouts, rate limits, server and
 * database outages (503, 507), and a write of ours the server is still processing (409 in progress). */
function isRetryable(status: number, problem: Problem | null = null): boolean {
  if (status === 409) return problem?.type === IN_PROGRESS_PROBLEM;
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

export interface ApiResult<T> {
  data: T;
  /** Profile revision from the ETag header or the body, when the response tells it. */
  revision: number | null;
}

export interface ApiOptions {
  api: string;
  token: string;
  subject: string;
  /** The widget's language, sent as Accept-Language: emails the server writes (double opt-in) use it. */
  locale?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  newKey?: () => string;
  /** Tries per request (first try included). */
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
}

export interface ApiClient {
  /** The first paint: catalog and profile in one request (the revision from the profile's ETag). */
  getPreferenceCenter(): Promise<ApiResult<PreferenceCenter>>;
  /** The profile alone: a reload after a consent write or a 412. */
  getProfile(): Promise<ApiResult<Profile>>;
  /** Agent mode: the customer's last five contacts across channels. */
  getRecentContacts(): Promise<ApiResult<InteractionPage>>;
  send(write: Write, revision: number | null): Promise<ApiResult<unknown>>;
  /** One answer to the effort question (CES, 1-7) asked after a save. */
  sendFeedback(score: number, touchpoint: string): Promise<ApiResult<unknown>>;
}

/** A random UUID; crypto.randomUUID is missing on insecure (http) origins. */
export function uuid(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  if (c && c.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseRevision(etag: string | null): number | null {
  const m = etag && /^(?:W\/)?"?(\d+)"?$/.exec(etag.trim());
  return m ? Number(m[1]) : null;
}

/** Method, path and body of one planned write. */
export function writeRequest(write: Write, subjectPath: string): { method: string; path: string; body: unknown } {
  switch (write.kind) {
    case "preferences":
      return { method: "PATCH", path: `${subjectPath}/preferences`, body: write.body };
    case "grant":
      return { method: "POST", path: `${subjectPath}/consents`, body: write.body };
    case "withdraw":
      return { method: "POST", path: `${subjectPath}/consents/${encodeURIComponent(write.consentId)}/withdraw`, body: write.body };
  }
}

export function createApiClient(opts: ApiOptions): ApiClient {
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const newKey = opts.newKey ?? uuid;
  const attempts = opts.attempts ?? 3;
  const baseDelay = opts.baseDelayMs ?? 500;
  const timeoutMs = opts.timeoutMs ?? 15000;
  const subjectPath = `/v1/subjects/${encodeURIComponent(opts.subject)}`;
  // Idempotency keys of writes not yet known to have landed, by request fingerprint, so a
  // retry (automatic or "Try again") of the same write reuses its key.
  const keys = new Map<string, string>();

  async function once(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
    const ctrl = typeof AbortController === "function" ? new AbortController() : null;
    const timer = ctrl ? setTimeout(() => ctrl.abort(), timeoutMs) : null;
    try {
      return await doFetch(opts.api + path, {
        method,
        headers,
        body,
        credentials: "omit",
        cache: "no-store",
        signal: ctrl?.signal,
      });
    } catch (err) {
      throw new ApiError(0, null, err instanceof Error ? err.message : "network error");
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function request<T>(method: string, path: string, body?: unknown, ifMatch?: number | null): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { Accept: "application/json", Authorization: `Bearer ${opts.token}` };
    if (opts.locale) headers["Accept-Language"] = opts.locale;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let fingerprint = "";
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (ifMatch != null) headers["If-Match"] = `"${ifMatch}"`;
      fingerprint = [method, path, ifMatch ?? "", payload ?? ""].join("\n");
      let key = keys.get(fingerprint);
      if (!key) keys.set(fingerprint, (key = newKey()));
      headers["Idempotency-Key"] = key;
    }
    let lastError: ApiError = new ApiError(0, null);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let delay = baseDelay * 2 ** (attempt - 1);
      try {
        const res = await once(method, path, headers, payload);
        const text = await res.text().catch(() => "");
        let data: unknown = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          data = null;
        }
        if (res.ok) {
          keys.delete(fingerprint);
          const fromBody = data && typeof (data as Profile).revision === "number" ? (data as Profile).revision : null;
          return { data: data as T, revision: parseRevision(res.headers.get("ETag")) ?? fromBody };
        }
        lastError = new ApiError(res.status, data && typeof data === "object" ? (data as Problem) : null);
        const retryAfter = Number(res.headers.get("Retry-After"));
        if (retryAfter > 0) delay = Math.min(retryAfter * 1000, 10000);
      } catch (err) {
        lastError = err instanceof ApiError ? err : new ApiError(0, null, String(err));
      }
      if (!lastError.retryable) break;
      if (attempt < attempts) await sleep(delay);
    }
    if (!lastError.retryable) keys.delete(fingerprint);
    throw lastError;
  }

  return {
    // The catalog's texts in the widget's language (the server falls back to its default locale per text).
    getPreferenceCenter: () =>
      request<PreferenceCenter>("GET", `${subjectPath}/preference-center${opts.locale ? `?locale=${encodeURIComponent(opts.locale)}` : ""}`),
    getProfile: () => request<Profile>("GET", `${subjectPath}/profile`),
    getRecentContacts: () => request<InteractionPage>("GET", `${subjectPath}/interactions?limit=5`),
    send(write, revision) {
      const { method, path, body } = writeRequest(write, subjectPath);
      return request(method, path, body, revision);
    },
    sendFeedback: (score, touchpoint) => request("POST", "/v1/feedback", { metric: "ces", score, channel: "web", touchpoint }),
  };
}
