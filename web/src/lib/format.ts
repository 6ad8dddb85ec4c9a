// Number, money, hash and time formatting. Every function accepts missing or malformed input and
// answers "—" rather than throwing: /stats fields differ between roles and versions.

export const DASH = "—";

export type Num = number | string | bigint | null | undefined;

/** nanoTON as an exact integer (strings from the node may exceed 2^53). */
export function toBigNano(v: Num): bigint | null {
  if (v === null || v === undefined || v === "") return null;
  try {
    if (typeof v === "bigint") return v;
    if (typeof v === "number") return Number.isFinite(v) ? BigInt(Math.round(v)) : null;
    const s = String(v).trim();
    if (!/^-?\d+$/.test(s)) return null;
    return BigInt(s);
  } catch {
    return null;
  }
}

function groupDigits(s: string): string {
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

/** "1 999 999 802" */
export function fmtNano(v: Num): string {
  const n = toBigNano(v);
  if (n === null) return DASH;
  const neg = n < 0n;
  return (neg ? "-" : "") + groupDigits((neg ? -n : n).toString());
}

/** nanoTON → "1.999999802" TON, exact, trailing zeros trimmed. */
export function nanoToTon(v: Num): string {
  const n = toBigNano(v);
  if (n === null) return DASH;
  const neg = n < 0n;
  const a = neg ? -n : n;
  const whole = a / 1_000_000_000n;
  const frac = (a % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return (neg ? "-" : "") + groupDigits(whole.toString()) + (frac ? "." + frac : "");
}

/** "42 nanoTON (0.000000042 TON)" */
export function fmtCost(v: Num): string {
  if (toBigNano(v) === null) return DASH;
  return `${fmtNano(v)} nanoTON (${nanoToTon(v)} TON)`;
}

/** TON → nanoTON for amounts typed by the user: "1.5" → 1500000000n; null when not an amount. */
export function tonToNano(s: string): bigint | null {
  const t = s.trim();
  const m = /^(\d+)(?:\.(\d{0,9}))?$/.exec(t);
  if (!m) return null;
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] || "").padEnd(9, "0") || "0");
}

export function fmtInt(v: unknown): string {
  if (typeof v === "bigint") return groupDigits(v.toString());
  if (typeof v === "string" && /^-?\d+$/.test(v)) return fmtNano(v);
  if (typeof v !== "number" || !Number.isFinite(v)) return DASH;
  return groupDigits(Math.round(v).toString());
}

/** Up to `digits` significant fraction digits for small numbers. */
export function fmtNum(v: unknown, digits = 2): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return DASH;
  if (Number.isInteger(v)) return fmtInt(v);
  const abs = Math.abs(v);
  const d = abs >= 100 ? Math.min(digits, 1) : abs >= 1 ? digits : digits + 1;
  return v.toFixed(d);
}

export function fmtMs(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return DASH;
  if (v >= 10_000) return (v / 1000).toFixed(1) + " s";
  if (v >= 100) return Math.round(v) + " ms";
  return v.toFixed(1) + " ms";
}

export function fmtPct(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return DASH;
  return (v * 100).toFixed(v >= 0.995 || v === 0 ? 0 : 1) + " %";
}

export function fmtUptime(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return DASH;
  const s = Math.max(0, Math.floor(v));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** Unix seconds or milliseconds → local date-time. */
export function fmtTime(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return DASH;
  const ms = v > 1e12 ? v : v * 1000;
  const d = new Date(ms);
  return d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

/** Time until a unix-seconds instant: "in 5h 50m", "expired 3m ago". */
export function fmtUntil(unixSeconds: unknown, nowMs = Date.now()): string {
  if (typeof unixSeconds !== "number" || !Number.isFinite(unixSeconds) || unixSeconds <= 0) return DASH;
  const left = unixSeconds - nowMs / 1000;
  return left >= 0 ? `in ${fmtUptime(left)}` : `expired ${fmtUptime(-left)} ago`;
}

export function shortHash(v: unknown, n = 10): string {
  if (typeof v !== "string" || !v) return DASH;
  return v.length > n + 1 ? v.slice(0, n) + "…" : v;
}

export function fmtBool(v: unknown, yes = "yes", no = "no"): string {
  if (typeof v !== "boolean") return DASH;
  return v ? yes : no;
}

/** Any JSON value in one short line (generic tables). */
export function fmtAny(v: unknown): string {
  if (v === null || v === undefined || v === "") return DASH;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") return fmtNum(v);
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.length === 0 ? "none" : v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ");
  return JSON.stringify(v);
}
