// Browser storage that never throws (private modes and some webviews refuse it).

function store(kind: "local" | "session"): Storage | null {
  try {
    return kind === "local" ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

export function readJson<T>(kind: "local" | "session", key: string, fallback: T): T {
  try {
    const s = store(kind)?.getItem(key);
    return s ? (JSON.parse(s) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function writeJson(kind: "local" | "session", key: string, value: unknown): boolean {
  try {
    store(kind)?.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

export function readText(kind: "local" | "session", key: string): string {
  try {
    return store(kind)?.getItem(key) ?? "";
  } catch {
    return "";
  }
}

export function writeText(kind: "local" | "session", key: string, value: string): void {
  try {
    if (value) store(kind)?.setItem(key, value);
    else store(kind)?.removeItem(key);
  } catch {
    /* storage refused */
  }
}

/** The node's admin token: kept for this tab only (sessionStorage), never in localStorage. */
export const ADMIN_TOKEN_KEY = "chrysalis.adminToken";
/** An API key for /v1 when the client node sets api_keys. */
export const API_KEY_KEY = "chrysalis.apiKey";
