// What the network offers for a model (GET /v1/models, with Chrysalis' extras) and what this
// client verified about its workers itself.
import { fmtInt, fmtNum, fmtPct, fmtTime } from "../lib/format";
import { Badge, Hash } from "../ui";

export interface VerifiedWorker {
  key?: string;
  image_hash?: string;
  model_hash?: string;
  answers?: number;
  first_verified_ms?: number;
  last_verified_ms?: number;
}

export interface ProxyReputation {
  proxy?: string;
  requests?: number;
  success_rate?: number;
  verified?: boolean;
  subjects?: number;
  mid_stream_errors?: number;
  spot_disagreements?: number;
  root?: string;
}

export interface ModelEntry {
  id: string;
  object?: string;
  owned_by?: string;
  workers?: number;
  capacity?: number;
  running?: number;
  proxies?: number;
  coefficient_min?: number;
  coefficient_max?: number;
  reputation_best?: number;
  reputation?: ProxyReputation[];
  verified_by_client?: { answers?: number; workers?: VerifiedWorker[] };
  [k: string]: unknown;
}

const KNOWN = new Set([
  "id", "object", "owned_by", "created", "workers", "capacity", "running", "proxies", "coefficient_min",
  "coefficient_max", "reputation_best", "reputation", "verified_by_client",
]);

function coef(c: unknown): string {
  return typeof c === "number" ? (c / 1000).toFixed(2) + "×" : "?";
}

export function priceRange(m: ModelEntry): string {
  if (typeof m.coefficient_min !== "number" && typeof m.coefficient_max !== "number") return "—";
  if (m.coefficient_min === m.coefficient_max) return `${coef(m.coefficient_min)} the base price`;
  return `${coef(m.coefficient_min)} – ${coef(m.coefficient_max)} the base price`;
}

export function ModelCard(props: { model: ModelEntry | undefined }) {
  const m = props.model;
  if (!m) return null;
  const verified = m.verified_by_client?.workers ?? [];
  const extras = Object.entries(m).filter(([k, v]) => !KNOWN.has(k) && (typeof v !== "object" || v === null));
  return (
    <details class="model-card" data-testid="model-card">
      <summary>
        <span class="model-name">{m.id}</span>
        <span class="chips">
          <Badge tone="info">{fmtInt(m.workers ?? 0)} worker{m.workers === 1 ? "" : "s"}</Badge>
          <Badge tone="muted" title="worker price coefficient range; 1.00× = the network's base price per token">
            {priceRange(m)}
          </Badge>
          {verified.length > 0 ? (
            <Badge tone="ok" title="workers whose attestation, model hash and signed receipts this client checked itself">
              verified by this client: {verified.length}
            </Badge>
          ) : (
            <Badge tone="muted">not yet verified by this client</Badge>
          )}
        </span>
      </summary>
      <div class="model-details">
        <dl class="kv">
          <div class="kv-row">
            <dt>Capacity</dt>
            <dd>
              {fmtInt(m.running ?? 0)} running of {fmtInt(m.capacity)} slots, via {fmtInt(m.proxies)} prox{m.proxies === 1 ? "y" : "ies"}
            </dd>
          </div>
          <div class="kv-row">
            <dt>Price coefficient</dt>
            <dd>
              {fmtInt(m.coefficient_min)} – {fmtInt(m.coefficient_max)} (1000 = 1.0×)
            </dd>
          </div>
          <div class="kv-row">
            <dt>Best reputation</dt>
            <dd>{fmtPct(m.reputation_best)}</dd>
          </div>
          {extras.map(([k, v]) => (
            <div class="kv-row" key={k}>
              <dt>{k.replace(/_/g, " ")}</dt>
              <dd>{String(v)}</dd>
            </div>
          ))}
        </dl>
        {(m.reputation ?? []).length > 0 && (
          <>
            <h3>Reputation published by proxies</h3>
            <ul class="plain">
              {(m.reputation ?? []).map((r, i) => (
                <li key={r.proxy ?? i}>
                  <strong>{r.proxy ?? "proxy"}</strong>: {fmtInt(r.requests)} requests, success {fmtPct(r.success_rate)}
                  {r.mid_stream_errors ? `, ${r.mid_stream_errors} mid-stream errors` : ""}
                  {r.spot_disagreements ? `, ${r.spot_disagreements} spot-check disagreements` : ""}{" "}
                  {r.verified ? <Badge tone="ok">table verified</Badge> : <Badge tone="warn">table not verified</Badge>}
                </li>
              ))}
            </ul>
          </>
        )}
        <h3>Verified by this client</h3>
        {verified.length === 0 ? (
          <p class="muted small">No answer checked yet: after the first answer the serving worker's certificate and receipt are listed here.</p>
        ) : (
          <ul class="plain verified-list">
            {verified.map((w, i) => (
              <li key={w.key ?? i}>
                <Badge tone="ok">attested</Badge> worker <Hash value={w.key} /> · image <Hash value={w.image_hash} /> · model{" "}
                <Hash value={w.model_hash} /> · {fmtNum(w.answers ?? 0)} answer(s), last {fmtTime(w.last_verified_ms)}
              </li>
            ))}
          </ul>
        )}
      </div>
    </details>
  );
}
