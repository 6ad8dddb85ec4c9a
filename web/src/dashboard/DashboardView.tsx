// The operator dashboard, served by every node at /dashboard: one view per role (proxy, worker,
// client), fed by the node's live /stats feed. Read-only without the node's admin token.
import { useState } from "preact/hooks";
import { appRoot } from "../lib/api";
import { readText, writeText, ADMIN_TOKEN_KEY } from "../lib/storage";
import { fmtInt, fmtMs, fmtNano, fmtNum, fmtUptime, nanoToTon, toBigNano } from "../lib/format";
import { AutoKV, Badge, Section, TokenForm } from "../ui";
import { Charts } from "./Charts";
import { ClientView } from "./ClientView";
import { arr, obj, OwnAttestation } from "./common";
import { type FeedMode, type Stats, useStatsFeed } from "./feed";
import { counter, counterSum, latency, outcomes, rate } from "./metrics";
import { ProxyView } from "./ProxyView";
import { WorkerView } from "./WorkerView";

function roleOf(s: Stats): string {
  if (typeof s.role === "string" && s.role) return s.role;
  if (Array.isArray(s.workers)) return "proxy";
  if (s.engine) return "worker";
  if (obj(s.billing).accounts || s.e2e) return "client";
  return "node";
}

const MODE_TEXT: Record<FeedMode, string> = {
  connecting: "connecting…",
  live: "live",
  polling: "updating every 2 s",
  offline: "offline",
};

function sumNano(rows: Record<string, any>[], key: string): bigint {
  return rows.reduce((a, r) => a + (toBigNano(r[key]) ?? 0n), 0n);
}

function Overview(props: { s: Stats; role: string; reqRate?: number; tokRate?: number }) {
  const { s, role } = props;
  const lat = latency(s, "request_latency");
  const ttft = latency(s, "time_to_first_token");
  const tokens = counter(s, "tokens");
  const billing = obj(s.billing);
  let money: [string, bigint | string | undefined, bigint?] | null = null;
  if (billing.enabled) {
    if (role === "proxy") money = ["Commission", billing.commission_nano];
    if (role === "worker") money = ["Earned (paid)", sumNano(arr(billing.proxies), "paid_nano"), sumNano(arr(billing.proxies), "unclaimed_nano")];
    if (role === "client") money = ["Spent", sumNano(arr(billing.accounts), "spent_nano")];
  }
  const cards: [string, string, string?][] = [
    ["Uptime", fmtUptime(s.uptime_s)],
    ["In flight", fmtInt(s.in_flight ?? s.running ?? 0)],
    ["Requests", fmtInt(counterSum(s, "requests")), outcomes(s)],
    ["Requests/s", props.reqRate === undefined ? "—" : fmtNum(props.reqRate, 2), "since the last update"],
    [
      "Tokens",
      fmtInt(counterSum(s, "tokens")),
      Object.entries(tokens)
        .map(([k, v]) => `${k.replace(/^kind=/, "")} ${v}`)
        .join(" · "),
    ],
    ["Tokens/s", props.tokRate === undefined ? "—" : fmtNum(props.tokRate, 1), "completion tokens, since the last update"],
    ["Latency p50 / p99", lat ? `${fmtMs(lat.p50)} / ${fmtMs(lat.p99)}` : "—", lat ? `${lat.count} request(s)` : undefined],
    ["First token p50", ttft ? fmtMs(ttft.p50) : "—"],
  ];
  if (money)
    cards.push([
      money[0],
      `${fmtNano(money[1])} nanoTON`,
      `${nanoToTon(money[1])} TON${money[2] !== undefined ? ` · ${fmtNano(money[2])} nanoTON unclaimed` : ""}`,
    ]);
  return (
    <div class="stat-cards" data-testid="overview">
      {cards.map(([label, value, hint]) => (
        <div class="stat" key={label} data-label={label}>
          <div class="muted small">{label}</div>
          <div class="stat-value">{value}</div>
          {hint && <div class="muted small hint">{hint}</div>}
        </div>
      ))}
    </div>
  );
}

export function DashboardView() {
  const feed = useStatsFeed();
  const [token, setTokenState] = useState(() => readText("session", ADMIN_TOKEN_KEY));
  const setToken = (t: string) => {
    writeText("session", ADMIN_TOKEN_KEY, t);
    setTokenState(t);
  };
  const s = feed.stats;
  const role = s ? roleOf(s) : "";
  const reqRate = rate(s, feed.prev, feed.at, (x) => counterSum(x, "requests"));
  const tokRate = rate(s, feed.prev, feed.at, (x) => counterSum(x, "tokens", (k) => k === "kind=completion"));
  const hasActions = role === "worker" || role === "client";

  return (
    <div class="dash">
      <header class="topbar">
        <h1 class="brand">
          <span class="logo" aria-hidden="true" />
          Chrysalis <span class="muted">dashboard</span>
        </h1>
        {s && (
          <span class="node-id" data-testid="node-role">
            <Badge tone="info">{role}</Badge> <strong>{String(s.id ?? "")}</strong>
          </span>
        )}
        <span class={"feed " + feed.mode} role="status" aria-live="polite" data-testid="feed-mode">
          <span class="dot" aria-hidden="true" /> {MODE_TEXT[feed.mode]}
        </span>
        {role === "client" && (
          <a class="btn ghost small" href={appRoot()}>
            Chat
          </a>
        )}
      </header>
      <main class="dash-main" id="main">
        {feed.error && (
          <p class="alert" role="alert">
            {feed.error}
          </p>
        )}
        {!s ? (
          <p class="muted">Reading the node's /stats…</p>
        ) : (
          <>
            <Overview s={s} role={role} reqRate={reqRate} tokRate={tokRate} />
            <Charts role={role} tick={feed.tick} />
            {hasActions && (
              <Section title="Admin" actions={<span class="muted small">{token ? "actions enabled" : "read-only"}</span>}>
                <TokenForm
                  token={token}
                  onToken={setToken}
                  idPrefix="dash"
                  hint={
                    <>
                      Read-only without it. The node's admin token is in <code>STATE_DIR/admin.token</code> (0600); it stays in
                      this tab only.
                    </>
                  }
                />
              </Section>
            )}
            {role === "proxy" && <ProxyView stats={s} />}
            {role === "worker" && <WorkerView stats={s} token={token} tokensPerS={tokRate} refresh={feed.refresh} />}
            {role === "client" && <ClientView stats={s} token={token} onToken={setToken} tick={feed.tick} />}
            <OwnAttestation stats={s} />
            {obj(s.web) && Object.keys(obj(s.web)).length > 0 && (
              <details class="card">
                <summary>
                  <h2>Web app</h2>
                </summary>
                <AutoKV data={s.web} />
              </details>
            )}
            <details class="card">
              <summary>
                <h2>All counters</h2>
              </summary>
              <AutoKV data={obj(s.metrics)} />
            </details>
            <details class="card raw">
              <summary>
                <h2>Raw /stats</h2>
              </summary>
              <pre>{JSON.stringify(s, null, 2)}</pre>
            </details>
          </>
        )}
      </main>
    </div>
  );
}
