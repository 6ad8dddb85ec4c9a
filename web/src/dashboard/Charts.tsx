// The last hour from GET /stats/history, drawn as small SVG line charts (no chart library: the
// first load stays small). Hidden, with a note, where the node has no history endpoint.
import { useEffect, useState } from "preact/hooks";
import { ApiError, getJson } from "../lib/api";
import { fmtNum } from "../lib/format";
import { Section } from "../ui";

export interface History {
  resolution_s?: number;
  window_s?: number;
  t?: number[];
  series?: Record<string, (number | null)[]>;
}

interface Line {
  name: string;
  values: (number | null)[];
  cls: string;
}

function Chart(props: { title: string; unit: string; t: number[]; lines: Line[]; digits?: number }) {
  const W = 600;
  const H = 140;
  const { t, lines } = props;
  const all = lines.flatMap((l) => l.values.filter((v): v is number => typeof v === "number" && Number.isFinite(v)));
  const max = Math.max(0, ...all);
  const top = max > 0 ? max * 1.1 : 1;
  const t0 = t[0] ?? 0;
  const t1 = t[t.length - 1] ?? 1;
  const x = (ts: number) => (t1 > t0 ? ((ts - t0) / (t1 - t0)) * W : 0);
  const y = (v: number) => H - (v / top) * H;
  // Runs of values become lines; a value alone between gaps becomes a dot (a round-capped stub).
  const path = (vals: (number | null)[]) => {
    let d = "";
    let run = 0;
    const ok = (i: number) => typeof vals[i] === "number" && Number.isFinite(vals[i] as number) && t[i] !== undefined;
    vals.forEach((v, i) => {
      if (!ok(i)) {
        run = 0;
        return;
      }
      d += `${run ? "L" : "M"}${x(t[i]).toFixed(1)},${y(v as number).toFixed(1)}`;
      run++;
      if (run === 1 && !ok(i + 1)) d += "l0.01,0";
    });
    return d;
  };
  const latest = lines.map((l) => {
    for (let i = l.values.length - 1; i >= 0; i--) {
      const v = l.values[i];
      if (typeof v === "number" && Number.isFinite(v)) return `${l.name} ${fmtNum(v, props.digits ?? 2)}`;
    }
    return `${l.name} —`;
  });
  const short = t1 - t0 < 600; // under ten minutes: seconds matter
  const time = (ts: number) =>
    new Date(ts * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", ...(short ? { second: "2-digit" } : {}) });
  return (
    <figure class="chart" data-testid="chart">
      <figcaption>
        <span class="chart-title">{props.title}</span>
        <span class="muted small"> {props.unit}</span>
        <span class="legend" aria-hidden="true">
          {lines.map((l, i) => (
            <span class={"key " + l.cls} key={l.name}>
              {latest[i]}
            </span>
          ))}
        </span>
      </figcaption>
      <div class="plot">
        <span class="ymax muted small">{fmtNum(max, props.digits ?? 2)}</span>
        <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${props.title}, ${props.unit}, last hour: now ${latest.join(", ")}; highest ${fmtNum(max)}`}>
          <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
          <line x1="0" y1={H / 2} x2={W} y2={H / 2} class="grid" />
          {lines.map((l) => (
            <path key={l.name} d={path(l.values)} class={"series " + l.cls} vector-effect="non-scaling-stroke" />
          ))}
        </svg>
        <div class="xaxis muted small">
          <span>{t.length ? time(t0) : ""}</span>
          <span>{t.length ? time(t1) : ""}</span>
        </div>
      </div>
    </figure>
  );
}

const perSecond = (vals: (number | null)[] | undefined, res: number) => (vals ?? []).map((v) => (typeof v === "number" ? v / res : null));
// An interval without requests has no latency: the node writes 0 there, drawn as a gap.
const latencies = (vals: (number | null)[] | undefined) => (vals ?? []).map((v) => (typeof v === "number" && v > 0 ? v : null));
const anyAbove0 = (vals: (number | null)[] | undefined) => (vals ?? []).some((v) => typeof v === "number" && v > 0);

export function Charts(props: { role: string; tick: number }) {
  const [history, setHistory] = useState<History | null>(null);
  const [state, setState] = useState<"loading" | "ok" | "missing" | "error">("loading");
  const [error, setError] = useState("");

  useEffect(() => {
    if (state === "missing") return; // the node has no history: do not ask again
    let cancelled = false;
    getJson<History>("stats/history")
      .then((h) => {
        if (cancelled) return;
        setHistory(h);
        setState("ok");
      })
      .catch((e) => {
        if (cancelled) return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 405)) setState("missing");
        else {
          setState("error");
          setError(e instanceof Error ? e.message : String(e));
        }
      });
    return () => {
      cancelled = true;
    };
    // Refresh every 10th tick of the live feed (about every 10 s).
  }, [Math.floor(props.tick / 10)]);

  if (state === "loading") return null;
  if (state === "missing")
    return (
      <p class="muted small note" data-testid="charts-missing">
        Charts of the last hour appear when the node serves <code>/stats/history</code>; this one does not (yet).
      </p>
    );
  if (state === "error" || !history)
    return (
      <p class="muted small note" role="status">
        History unavailable: {error}
      </p>
    );
  const t = Array.isArray(history.t) ? history.t : [];
  const s = history.series ?? {};
  const res = history.resolution_s && history.resolution_s > 0 ? history.resolution_s : 10;
  const charts = [];
  if (s.requests || s.errors)
    charts.push(
      <Chart
        key="req"
        title="Requests"
        unit="per second"
        t={t}
        lines={[
          { name: "requests", values: perSecond(s.requests, res), cls: "c1" },
          ...(s.errors ? [{ name: "errors", values: perSecond(s.errors, res), cls: "c3" }] : []),
        ]}
      />,
    );
  if (s.latency_p50_ms || s.latency_p99_ms || s.ttft_p50_ms)
    charts.push(
      <Chart
        key="lat"
        title="Latency"
        unit="ms"
        digits={0}
        t={t}
        lines={[
          ...(s.latency_p50_ms ? [{ name: "p50", values: latencies(s.latency_p50_ms), cls: "c1" }] : []),
          ...(s.latency_p99_ms ? [{ name: "p99", values: latencies(s.latency_p99_ms), cls: "c2" }] : []),
          ...(s.ttft_p50_ms ? [{ name: "first token p50", values: latencies(s.ttft_p50_ms), cls: "c4" }] : []),
        ]}
      />,
    );
  if (s.tokens) charts.push(<Chart key="tok" title="Tokens" unit="completion, per second" t={t} lines={[{ name: "tokens/s", values: perSecond(s.tokens, res), cls: "c1" }]} />);
  // Money: what the proxy billed ("billed_nanoton"), or what a node earned or spent
  // ("earned_nanoton"); a series that is all zero on a role that does not bill is left out.
  const money = s.billed_nanoton ?? s.earned_nanoton;
  if (money && (props.role === "proxy" || anyAbove0(money)))
    charts.push(
      <Chart
        key="money"
        title={s.billed_nanoton ? "Billed" : props.role === "client" ? "Spent" : "Earned"}
        unit={`nanoTON per ${res} s`}
        digits={0}
        t={t}
        lines={[{ name: "nanoTON", values: money, cls: "c4" }]}
      />,
    );
  return (
    <Section title="Last hour" id="s-history">
      {charts.length ? <div class="charts">{charts}</div> : <p class="muted">No series reported.</p>}
    </Section>
  );
}
