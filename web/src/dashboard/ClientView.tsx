// A client node: the proxies it uses, the models they offer, what it spent; with the admin
// token the wallet actions (top-up, withdraw).
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../lib/api";
import { fmtCost, fmtInt, fmtMs, fmtPct, nanoToTon } from "../lib/format";
import type { ModelEntry } from "../chat/ModelCard";
import { priceRange } from "../chat/ModelCard";
import { Wallet } from "../chat/Wallet";
import { AutoKV, Badge, Hash, KV, Section, Table } from "../ui";
import { arr, certExpiry, ChainJobs, obj, PeerAttestation } from "./common";
import type { Stats } from "./feed";

export function ClientView(props: { stats: Stats; token: string; onToken: (t: string) => void; tick: number }) {
  const s = props.stats;
  const billing = obj(s.billing);
  const accounts = arr(billing.accounts);
  const [models, setModels] = useState<ModelEntry[] | null>(null);
  useEffect(() => {
    getJson<{ data?: ModelEntry[] }>("v1/models")
      .then((r) => setModels(Array.isArray(r.data) ? r.data : []))
      .catch(() => setModels(null)); // an API key may be required: the section stays hidden
  }, [Math.floor(props.tick / 15)]);
  return (
    <>
      <Section title="Proxies">
        <Table
          caption="Proxies this client uses"
          rows={arr(s.proxies)}
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
            { label: "Last error", cell: (p) => p.last_error || "—" },
          ]}
        />
      </Section>

      {models && (
        <Section title="Models">
          <Table
            caption="Models offered through the connected proxies"
            rows={models}
            rowKey={(m) => m.id}
            empty="No model offered."
            columns={[
              { label: "Model", cell: (m) => <strong>{m.id}</strong> },
              { label: "Workers", class: "num", cell: (m) => fmtInt(m.workers) },
              { label: "In flight", class: "num", cell: (m) => `${fmtInt(m.running)} / ${fmtInt(m.capacity)}` },
              { label: "Price", cell: (m) => priceRange(m) },
              { label: "Best reputation", class: "num", cell: (m) => fmtPct(m.reputation_best) },
              { label: "Verified by this client", class: "num", cell: (m) => `${fmtInt(m.verified_by_client?.workers?.length ?? 0)} worker(s), ${fmtInt(m.verified_by_client?.answers ?? 0)} answer(s)` },
            ]}
          />
        </Section>
      )}

      {billing.enabled && (
        <Section title="Spending">
          <Table
            caption="Client contracts, one per proxy"
            rows={accounts}
            rowKey={(a, i) => String(a.contract ?? i)}
            empty="No client contract yet."
            columns={[
              { label: "Contract", cell: (a) => <Hash value={a.contract} n={12} /> },
              { label: "Balance", class: "num", cell: (a) => `${nanoToTon(a.balance_nano)} TON` },
              { label: "Available", class: "num", cell: (a) => `${nanoToTon(a.available_nano)} TON` },
              { label: "Spent", class: "num", cell: (a) => fmtCost(a.spent_nano) },
              { label: "Paid requests", class: "num", cell: (a) => fmtInt(a.paid_requests) },
              { label: "Checks", cell: (a) => (a.ready && a.verified ? <Badge tone="ok">ready, verified</Badge> : <Badge tone="warn">{a.problem || "not ready"}</Badge>) },
            ]}
          />
          <h3>Chain jobs</h3>
          <ChainJobs billing={billing} />
          <h3>Wallet actions</h3>
          <Wallet token={props.token} onToken={props.onToken} idPrefix="dash-wallet" refreshKey={Math.floor(props.tick / 10)} hideTokenForm />
        </Section>
      )}

      <Section title="Privacy and receipts">
        <KV
          rows={[
            ["End-to-end sealing", obj(s.e2e).mode ?? undefined],
            ["Receipts kept", obj(s.receipts).kept !== undefined ? `${fmtInt(obj(s.receipts).kept)} of ${fmtInt(obj(s.receipts).limit)} (${fmtInt(obj(s.receipts).seen)} seen)` : undefined],
            ["Workers verified", obj(s.verified_workers).workers !== undefined ? `${fmtInt(obj(s.verified_workers).workers)} worker(s) for ${fmtInt(obj(s.verified_workers).models)} model(s)` : undefined],
            ["Own key", <Hash value={obj(s.attestation).public_key} n={16} />],
          ]}
        />
        <details class="small">
          <summary>More</summary>
          <AutoKV data={{ e2e: s.e2e, receipts: s.receipts, verified_workers: s.verified_workers, resume: s.resume, reputation_tables: s.reputation_tables }} />
        </details>
      </Section>
    </>
  );
}
