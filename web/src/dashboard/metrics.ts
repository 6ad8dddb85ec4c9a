// Reading the `metrics` block every node puts in /stats:
// {counters: {name: {"label=value" | "all": n}}, gauges: {...}, latency_ms: {name: {label: {count, p50, p90, p99}}}}
import type { Stats } from "./feed";

type Labelled = Record<string, number>;

function obj(v: unknown): Record<string, any> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, any>) : {};
}

export function counter(stats: Stats | null | undefined, name: string): Labelled {
  const c = obj(obj(obj(stats).metrics).counters)[name];
  const out: Labelled = {};
  for (const [k, v] of Object.entries(obj(c))) if (typeof v === "number") out[k] = v;
  return out;
}

export function counterSum(stats: Stats | null | undefined, name: string, filter?: (label: string) => boolean): number {
  return Object.entries(counter(stats, name))
    .filter(([k]) => !filter || filter(k))
    .reduce((a, [, v]) => a + v, 0);
}

export interface Percentiles {
  count?: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

export function latency(stats: Stats | null | undefined, name: string, label = "all"): Percentiles | undefined {
  const l = obj(obj(obj(stats).metrics).latency_ms)[name];
  const v = obj(l)[label];
  return v && typeof v === "object" ? (v as Percentiles) : undefined;
}

/** Per-second rate of a counter between two samples; undefined without two samples. */
export function rate(
  now: Stats | null,
  prev: { stats: Stats; at: number } | null,
  at: number,
  read: (s: Stats) => number,
): number | undefined {
  if (!now || !prev || at <= prev.at) return undefined;
  const d = read(now) - read(prev.stats);
  if (d < 0) return undefined; // the node restarted
  return d / ((at - prev.at) / 1000);
}

/** "outcome=ok" → "ok" */
export function labelValue(label: string): string {
  const i = label.indexOf("=");
  return i < 0 ? label : label.slice(i + 1);
}

export function outcomes(stats: Stats | null | undefined): string {
  const by = counter(stats, "requests");
  const parts = Object.entries(by)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${labelValue(k)} ${v}`);
  return parts.length ? parts.join(" · ") : "none yet";
}
