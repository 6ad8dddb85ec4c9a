// A worker: engine health, its state and price (with the admin token: enable, disable, set the
// coefficient, claim), earnings and claims per proxy, the proxies it serves.
import { useState } from "preact/hooks";
import { describeError, postJson } from "../lib/api";
import { fmtCost, fmtInt, fmtMs } from "../lib/format";
import { Badge, Hash, KV, Section, Table } from "../ui";
import { arr, certExpiry, ChainJobs, obj, PeerAttestation } from "./common";
import type { Stats } from "./feed";

function WorkerActions(props: { stats: Stats; token: string; onDone: () => void }) {
  const [coef, setCoef] = useState("");
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const call = async (path: string, done: (r: any) => string) => {
    setBusy(true);
    setMsg(null);
    try {
      const r = await postJson<any>(path, props.token);
      setMsg({ ok: true, text: done(r) });
      props.onDone();
    } catch (e) {
      setMsg({ ok: false, text: describeError(e, "admin") });
    } finally {
      setBusy(false);
    }
  };
  const enabled = props.stats.enabled !== false;
  return (
    <div class="actions" data-testid="worker-actions">
      <div class="row wrap">
        {enabled ? (
          <button type="button" class="btn secondary" disabled={busy} onClick={() => call("admin/disable", () => "Disabled: the proxies stop sending new requests.")}>
            Disable
          </button>
        ) : (
          <button type="button" class="btn" disabled={busy} onClick={() => call("admin/enable", () => "Enabled.")}>
            Enable
          </button>
        )}
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            call(`admin/coefficient?value=${encodeURIComponent(coef.trim())}`, (r) => `Coefficient set to ${r.coefficient}.`);
          }}
        >
          <label for="coef-input">Coefficient</label>
          <input id="coef-input" inputMode="numeric" placeholder={String(props.stats.coefficient ?? 1000)} value={coef} onInput={(e) => setCoef(e.currentTarget.value)} />
          <button type="submit" class="btn secondary" disabled={busy || !coef.trim()}>
            Set
          </button>
        </form>
        {obj(props.stats.billing).enabled && (
          <button
            type="button"
            class="btn secondary"
            disabled={busy}
            onClick={() => call("admin/claim", (r) => `Claim sent: ${Array.isArray(r.claims) ? r.claims.length : 0} claim(s).`)}
          >
            Claim now
          </button>
        )}
      </div>
      {msg && (
        <p class={msg.ok ? "notice" : "alert"} role={msg.ok ? "status" : "alert"} data-testid="action-message">
          {msg.text}
        </p>
      )}
    </div>
  );
}

export function WorkerView(props: { stats: Stats; token: string; tokensPerS?: number; refresh: () => void }) {
  const s = props.stats;
  const engine = obj(s.engine);
  const billing = obj(s.billing);
  const proxies = arr(s.proxies);
  const payouts = arr(billing.proxies);
  return (
    <>
      <Section title="Worker">
        <KV
          rows={[
            [
              "State",
              s.enabled === false ? (
                <Badge tone="warn">disabled{s.disabled_reason ? `: ${s.disabled_reason}` : ""}</Badge>
              ) : (
                <Badge tone="ok">enabled</Badge>
              ),
            ],
            ["Model", s.model ?? undefined],
            ["Price coefficient", typeof s.coefficient === "number" ? `${s.coefficient} (${(s.coefficient / 1000).toFixed(2)}×)` : undefined],
            ["In flight", `${fmtInt(s.running)} of ${fmtInt(s.max_concurrent)}`],
          ]}
        />
        {props.token ? (
          <WorkerActions stats={s} token={props.token} onDone={props.refresh} />
        ) : (
          <p class="muted small">With the worker's admin token: enable, disable, set the price coefficient, claim earnings.</p>
        )}
      </Section>

      <Section title="Engine">
        <KV
          rows={[
            ["Health", engine.healthy === undefined ? undefined : engine.healthy ? <Badge tone="ok">healthy</Badge> : <Badge tone="bad">unhealthy</Badge>],
            ["Kind", engine.kind ?? undefined],
            ["URL", engine.url ?? undefined],
            ["Restarts", fmtInt(engine.restarts)],
            ["Embeddings", engine.embeddings === undefined ? undefined : engine.embeddings ? "yes" : "no"],
            engine.problem ? ["Problem", <span class="warn-text">{engine.problem}</span>] : null,
          ]}
        />
      </Section>

      {billing.enabled && (
        <Section title="Earnings and claims">
          <Table
            caption="What each proxy owes and paid this worker"
            rows={payouts}
            rowKey={(p, i) => String(p.proxy_key ?? i)}
            empty="No proxy has signed a payout yet."
            columns={[
              { label: "Proxy", cell: (p) => <Hash value={p.proxy_key} /> },
              { label: "Signed tokens", class: "num", cell: (p) => fmtInt(p.signed_tokens) },
              { label: "Claimed tokens", class: "num", cell: (p) => fmtInt(p.claimed_tokens) },
              { label: "Paid", class: "num", cell: (p) => fmtCost(p.paid_nano) },
              { label: "Unclaimed", class: "num", cell: (p) => fmtCost(p.unclaimed_nano) },
              { label: "Claims", class: "num", cell: (p) => `${fmtInt(p.claims)}${p.claim_failures ? ` (${p.claim_failures} failed)` : ""}` },
              {
                label: "State",
                cell: (p) =>
                  p.dropped ? (
                    <Badge tone="bad" title={p.drop_reason}>
                      dropped
                    </Badge>
                  ) : p.verified ? (
                    <Badge tone="ok">verified</Badge>
                  ) : (
                    <Badge tone="warn">unverified</Badge>
                  ),
              },
              { label: "Problem", cell: (p) => p.problem || p.last_claim_error || "—" },
            ]}
          />
          <KV rows={[["Claim threshold", fmtCost(billing.claim_threshold_nano)], ["Wallet", <Hash value={billing.wallet} n={14} />]]} />
          <h3>Chain jobs</h3>
          <ChainJobs billing={billing} />
        </Section>
      )}

      <Section title="Proxies served">
        <Table
          caption="Proxies this worker is connected to"
          rows={proxies}
          rowKey={(p, i) => String(p.target ?? i)}
          empty="No proxy configured."
          columns={[
            { label: "Proxy", cell: (p) => <strong>{p.proxy_id || p.target || "?"}</strong> },
            { label: "Address", cell: (p) => p.target ?? "—" },
            { label: "Connected", cell: (p) => (p.connected ? <Badge tone="ok">yes</Badge> : <Badge tone="bad">no</Badge>) },
            { label: "RTT", class: "num", cell: (p) => fmtMs(p.rtt_ms) },
            { label: "Attestation", cell: (p) => <PeerAttestation a={p.attestation} /> },
            { label: "Image", cell: (p) => <Hash value={obj(p.attestation).image_hash} /> },
            { label: "Cert expires", cell: (p) => certExpiry(p.attestation) },
            {
              label: "Market",
              cell: (p) => {
                const m = obj(p.market);
                return Object.keys(m).length
                  ? `${fmtInt(m.workers)} workers, ${fmtInt(m.running)}/${fmtInt(m.capacity)} busy, coefficients ${fmtInt(m.min_coefficient)}–${fmtInt(m.max_coefficient)}`
                  : "—";
              },
            },
            { label: "Last error", cell: (p) => p.last_error || "—" },
          ]}
        />
      </Section>
    </>
  );
}
