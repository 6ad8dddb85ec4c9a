// A proxy: its workers (price, capacity, load, reputation, attestation), clients and their
// balances, the books, chain jobs, queue and limits.
import { fmtCost, fmtInt, fmtMs, fmtNum, fmtPct, nanoToTon } from "../lib/format";
import { AutoKV, Badge, Hash, KV, Section, Table } from "../ui";
import { arr, certExpiry, ChainJobs, obj, PeerAttestation } from "./common";
import type { Stats } from "./feed";

export function ProxyView(props: { stats: Stats }) {
  const s = props.stats;
  const workers = arr(s.workers);
  // /stats lists the first 100 workers; the rest are paged through /stats/workers.
  const listed = obj(s.workers_listed);
  const partial = typeof listed.total === "number" && listed.total > workers.length;
  const billing = obj(s.billing);
  const models = obj(s.models);
  const clients = arr(s.clients);
  const clientBooks = arr(billing.clients);
  const workerBooks = arr(billing.workers);
  const violations = Array.isArray(billing.invariant_violations) ? billing.invariant_violations : null;
  return (
    <>
      <Section title="Workers" id="s-workers">
        {partial && (
          <p class="small" data-testid="workers-partial">
            The first {fmtInt(workers.length)} of {fmtInt(listed.total)} workers; all of them page by page at{" "}
            <a href="/stats/workers?offset=0&limit=1000">/stats/workers</a>.
          </p>
        )}
        <Table
          caption="Workers connected to this proxy"
          testid="workers-table"
          rows={workers}
          rowKey={(w, i) => String(w.id ?? w.public_key ?? i)}
          empty="No worker connected."
          columns={[
            {
              label: "Worker",
              cell: (w) => (
                <>
                  <strong data-testid="worker-id">{w.id ?? "?"}</strong>
                  <div class="small">
                    <Hash value={w.public_key} />
                  </div>
                </>
              ),
            },
            { label: "Model", cell: (w) => w.model ?? "—" },
            {
              label: "State",
              cell: (w) =>
                w.enabled === false ? (
                  <Badge tone="warn" title={w.disabled_reason}>
                    disabled{w.disabled_reason ? `: ${w.disabled_reason}` : ""}
                  </Badge>
                ) : (
                  <Badge tone="ok">enabled</Badge>
                ),
            },
            { label: "Price", class: "num", cell: (w) => (typeof w.coefficient === "number" ? `${(w.coefficient / 1000).toFixed(2)}×` : "—"), title: (w) => `coefficient ${w.coefficient}` },
            { label: "In flight", class: "num", cell: (w) => `${fmtInt(w.running)} / ${fmtInt(w.max_concurrent)}` },
            { label: "Served", class: "num", cell: (w) => fmtInt(w.served) },
            { label: "Failed", class: "num", cell: (w) => fmtInt(w.failed) },
            { label: "Tokens", class: "num", cell: (w) => fmtInt(w.tokens) },
            {
              label: "Reputation",
              class: "num",
              cell: (w) => {
                const r = obj(w.reputation);
                return (
                  <>
                    {fmtPct(r.score)}
                    {r.trial ? (
                      <>
                        {" "}
                        <Badge tone="muted" title="still on trial: measured with a small share of requests">
                          trial
                        </Badge>
                      </>
                    ) : null}
                  </>
                );
              },
              title: (w) => {
                const r = obj(w.reputation);
                return `reliability ${fmtPct(r.reliability)}, honesty ${fmtPct(r.honesty)}, trust ${fmtPct(r.trust)}, outcomes ${fmtPct(r.outcomes)}`;
              },
            },
            { label: "Tokens/s", class: "num", cell: (w) => fmtNum(obj(w.reputation).tokens_per_s, 1) },
            { label: "TTFT", class: "num", cell: (w) => fmtMs(w.avg_ttft_ms ?? obj(w.reputation).ttft_ms) },
            { label: "RTT", class: "num", cell: (w) => fmtMs(w.rtt_ms) },
            { label: "Attestation", cell: (w) => <PeerAttestation a={w.attestation} /> },
            { label: "Image", cell: (w) => <Hash value={obj(w.attestation).image_hash} /> },
            { label: "Cert expires", cell: (w) => certExpiry(w.attestation) },
            {
              label: "Owner",
              cell: (w) => (
                <>
                  <Hash value={w.owner} />
                  {w.owner_proven ? <Badge tone="ok">proven</Badge> : null}
                </>
              ),
            },
          ]}
        />
      </Section>

      {Object.keys(models).length > 0 && (
        <Section title="Models">
          <Table
            caption="Models served through this proxy"
            rows={Object.entries(models).map(([name, m]): Record<string, any> => ({ ...obj(m), name }))}
            rowKey={(m) => m.name}
            columns={[
              { label: "Model", cell: (m) => <strong>{m.name}</strong> },
              { label: "Workers", class: "num", cell: (m) => `${fmtInt(m.enabled)} enabled of ${fmtInt(m.workers)}` },
              { label: "In flight", class: "num", cell: (m) => `${fmtInt(m.running)} / ${fmtInt(m.capacity)}` },
              { label: "Reputation best / median", class: "num", cell: (m) => `${fmtPct(obj(m.reputation).best)} / ${fmtPct(obj(m.reputation).median)}` },
              { label: "Model hash", cell: (m) => <Hash value={m.model_hash} /> },
            ]}
          />
        </Section>
      )}

      <Section title="Clients">
        <h3>Connected</h3>
        <Table
          caption="Client nodes connected to this proxy"
          rows={clients}
          rowKey={(c, i) => String(c.public_key ?? i)}
          empty="No client connected."
          columns={[
            { label: "Client", cell: (c) => <strong>{c.id ?? "?"}</strong> },
            { label: "Key", cell: (c) => <Hash value={c.public_key} /> },
            { label: "Remote", cell: (c) => c.remote ?? "—" },
            { label: "RTT", class: "num", cell: (c) => fmtMs(c.rtt_ms) },
          ]}
        />
        {billing.enabled && (
          <>
            <h3>Balances (the books)</h3>
            <Table
              caption="Client contracts and their balances in this proxy's books"
              rows={clientBooks}
              rowKey={(c, i) => String(c.contract ?? i)}
              empty="No client contract known."
              columns={[
                { label: "Contract", cell: (c) => <Hash value={c.contract} n={12} /> },
                { label: "State", cell: (c) => c.state ?? "—" },
                { label: "Balance", class: "num", cell: (c) => `${nanoToTon(c.balance_nano)} TON` },
                { label: "Available", class: "num", cell: (c) => `${nanoToTon(c.available_nano)} TON` },
                { label: "Stake", class: "num", cell: (c) => `${nanoToTon(c.stake_nano)} TON` },
                { label: "Charged", class: "num", cell: (c) => fmtCost(c.charged_nano), title: (c) => `${c.charged_tokens} tokens` },
                { label: "Reserved tokens", class: "num", cell: (c) => fmtInt(c.reserved_tokens) },
              ]}
            />
          </>
        )}
      </Section>

      {billing.enabled && (
        <Section title="Books">
          <KV
            rows={[
              ["Charged to clients", fmtCost(billing.charged_nano), `${billing.charged_tokens} tokens`],
              ["Earned by workers", fmtCost(billing.worker_fees_nano)],
              ["Commission", fmtCost(billing.commission_nano)],
              ["Reserved", `${fmtCost(billing.reserved_nano)} · ${fmtInt(billing.reserved_tokens)} tokens`],
              ["Seqno / committed", `${fmtInt(billing.seqno)} / ${fmtInt(billing.committed_seqno)}`],
              ["Commits", `${fmtInt(billing.commits)}${billing.commit_failures ? `, ${billing.commit_failures} failed` : ""}`],
              ["Last commit took", fmtMs(billing.last_commit_ms)],
              ["Price per token", billing.price_per_token !== undefined ? `${fmtInt(billing.price_per_token)} nanoTON (worker fee ${fmtInt(billing.worker_fee_per_token)})` : undefined],
              [
                "Invariant check",
                violations === null ? undefined : violations.length === 0 ? (
                  <Badge tone="ok">holds</Badge>
                ) : (
                  <span class="warn-text" data-testid="invariant-violations">
                    {violations.length} violation(s): {violations.map((v: unknown) => (typeof v === "string" ? v : JSON.stringify(v))).join("; ")}
                  </span>
                ),
              ],
              billing.serving_problem ? ["Serving problem", <span class="warn-text">{billing.serving_problem}</span>] : null,
              ["Proxy contract", <Hash value={billing.proxy_contract} n={14} />],
              obj(billing.receipts).stored !== undefined
                ? ["Receipts", `${fmtInt(obj(billing.receipts).stored)} stored, ${fmtInt(obj(billing.receipts).waiting_for_commit)} waiting for a commit`]
                : null,
            ]}
          />
          <h3>Owed to workers</h3>
          <Table
            caption="Worker contracts and what they earned"
            rows={workerBooks}
            rowKey={(w, i) => String(w.contract ?? i)}
            empty="No worker has earned yet."
            columns={[
              { label: "Contract", cell: (w) => <Hash value={w.contract} n={12} /> },
              { label: "Earned", class: "num", cell: (w) => fmtCost(w.earned_nano) },
              { label: "Tokens earned / signed / committed", class: "num", cell: (w) => `${fmtInt(w.earned_tokens)} / ${fmtInt(w.signed_tokens)} / ${fmtInt(w.committed_tokens)}` },
            ]}
          />
        </Section>
      )}

      {billing.enabled && (
        <Section title="Chain jobs">
          <ChainJobs billing={billing} />
          {obj(billing.chain_check).refused ? <p class="alert">The chain check refuses to serve: the books disagree with the chain.</p> : null}
        </Section>
      )}

      <Section title="Queue and limits">
        <KV
          rows={[
            ["In flight", fmtInt(s.in_flight)],
            ["Waiting for a slot", obj(s.admission).waiting !== undefined ? `${fmtInt(obj(s.admission).waiting)} (at most ${fmtInt(obj(s.admission).max_per_model)} per model, ${fmtInt(obj(s.admission).max_per_client)} per client); ${fmtInt(obj(s.admission).queued)} waited, ${fmtInt(obj(s.admission).refused_full)} refused full, ${fmtInt(obj(s.admission).refused_wait)} refused for the wait` : undefined],
            ["Connections", obj(s.connections).workers !== undefined ? `${fmtInt(obj(s.connections).workers)} workers, ${fmtInt(obj(s.connections).clients)} clients, ${fmtInt(obj(s.connections).refused)} refused` : undefined],
            ["Max streams per client", fmtInt(obj(s.limits).max_streams_per_client)],
            ["Max clients", fmtInt(obj(s.limits).max_clients)],
            ["Max tokens", fmtInt(obj(s.limits).max_tokens)],
            ["Resumes held", obj(s.resumes).held !== undefined ? `${fmtInt(obj(s.resumes).held)} of ${fmtInt(obj(s.resumes).limit)}` : undefined],
            ["Spot checks", obj(s.spot_checks).running !== undefined ? `${fmtInt(obj(s.spot_checks).running)} running, ${fmtInt(obj(s.spot_checks).open_cases)} open case(s)` : undefined],
          ]}
        />
        <details class="small">
          <summary>Routing and every limit</summary>
          <h3>Routing</h3>
          <AutoKV data={s.routing} />
          <h3>Limits</h3>
          <AutoKV data={s.limits} />
          <h3>Admission</h3>
          <AutoKV data={s.admission} />
        </details>
      </Section>
    </>
  );
}
