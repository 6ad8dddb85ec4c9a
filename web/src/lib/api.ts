// HTTP helpers for the node's own API (same origin). Paths resolve against the app's root: the
// page is served at "/", "/app/" and "/dashboard" (also under a path prefix, behind a proxy).
import { fmtCost } from "./format";

/** The directory the app's pages hang off: "/" for "/app/", "/dashboard", "/"; "/x/" under "/x/". */
export function appRoot(pathname = location.pathname): string {
  return pathname.replace(/\/(app|dashboard)\/?$/, "/").replace(/[^/]*$/, "") || "/";
}

export function apiUrl(path: string): string {
  return new URL(appRoot() + path.replace(/^\//, ""), location.origin).toString();
}

/** An error answer from the node, or a network failure (status 0). */
export class ApiError extends Error {
  status: number;
  code: string;
  param: string;
  raw: string;
  constructor(status: number, code: string, message: string, param = "", raw = "") {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.param = param;
    this.raw = raw;
  }
  /** nanoTON the request was short of, from a 402 message ("... missing 123 nanoTON"). */
  get missingNano(): string | null {
    const m = /missing\s+(\d+)\s*nano/i.exec(this.message);
    return m ? m[1] : null;
  }
}

/** Reads an OpenAI-shaped error body ({"error": {message, code, param}}) into an ApiError. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    /* body gone */
  }
  let message = text.slice(0, 500) || res.statusText || `HTTP ${res.status}`;
  let code = "";
  let param = "";
  try {
    const j = JSON.parse(text);
    const e = j && typeof j === "object" ? (j.error ?? j) : null;
    if (e && typeof e === "object") {
      if (typeof e.message === "string") message = e.message;
      if (typeof e.code === "string") code = e.code;
      if (typeof e.param === "string") param = e.param;
    }
  } catch {
    /* not JSON: keep the text */
  }
  return new ApiError(res.status, code, message, param, text);
}

export type Need = "admin" | "apikey";

/** An error in words for people: what happened and what to do. */
export function describeError(err: unknown, need: Need = "admin"): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return `Cannot reach the node: ${err.message}`;
    if (err.status === 402) {
      const missing = err.missingNano;
      return missing
        ? `Not enough funds: ${fmtCost(missing)} missing. Top up the client contract (Wallet).`
        : `Payment needed: ${err.message}`;
    }
    if (err.status === 401)
      return need === "admin"
        ? "The admin token is needed: paste the node's admin token (the admin.token file in its state directory)."
        : `This node wants an API key: ${err.message}`;
    if (err.status === 403 && err.code === "origin_not_allowed")
      return `The node refuses requests from this page's origin (${location.origin}): add it to the node's cors_origins.`;
    if (err.status === 403) return "The admin token is needed or not accepted: " + err.message;
    if (err.status === 404 && err.code === "billing_disabled") return "Billing is off on this node (a free network): nothing to pay.";
    if (err.status === 429) return `The network is busy: ${err.message}. Try again in a moment.`;
    if (err.status === 400) return `Refused: ${err.message}`;
    return `${err.message} (HTTP ${err.status}${err.code ? ", " + err.code : ""})`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

export function authHeaders(token?: string): Record<string, string> {
  return token ? { Authorization: `Bearer ${token.trim()}` } : {};
}

async function send(path: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), init);
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

export async function getJson<T = unknown>(path: string, token?: string, signal?: AbortSignal): Promise<T> {
  const res = await send(path, { headers: { Accept: "application/json", ...authHeaders(token) }, signal, cache: "no-store" });
  return (await res.json()) as T;
}

export async function postJson<T = unknown>(path: string, token?: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...authHeaders(token) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await send(path, { method: "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}
