// Pieces every role's dashboard shows: its own attestation, peers' attestation, chain jobs.
import { fmtBool, fmtInt, fmtTime, fmtUntil } from "../lib/format";
import { AutoKV, Badge, Hash, KV, Section } from "../ui";
import type { Stats } from "./feed";

export function obj(v: unknown): Record<string, any> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, any>) : {};
}
export function arr(v: unknown): Record<string, any>[] {
  return Array.isArray(v) ? v.filter((x) => x && typeof x === "object") : [];
}

/** A peer's attestation as the node checked it (workers on a proxy, proxies on a worker/client). */
export function PeerAttestation(props: { a: unknown }) {
  const a = obj(props.a);
  if (!Object.keys(a).length) return <span class="muted">—</span>;
  const tcb = typeof a.tcb_status === "string" ? a.tcb_status : "";
  return (
    <span class="att">
      {a.attested ? <Badge tone="ok">attested</Badge> : <Badge tone="bad">not attested</Badge>}{" "}
      {tcb && (
        <Badge tone={tcb === "UpToDate" ? "ok" : tcb === "NotChecked" ? "muted" : "warn"} title="TCB status of the quote">
          TCB {tcb}
        </Badge>
      )}
    </span>
  );
}

export function certExpiry(a: unknown): string {
  const v = obj(a).cert_not_after;
  return typeof v === "number" ? `${fmtTime(v)} (${fmtUntil(v)})` : "—";
}

export function OwnAttestation(props: { stats: Stats }) {
  const a = obj(props.stats.attestation);
  if (!Object.keys(a).length) return null;
  const reg = obj(a.registry);
  const gpu = obj(a.gpu);
  return (
    <Section title="Attestation">
      <KV
        rows={[
          ["Provider", a.provider ?? undefined],
          ["Image hash", a.image_hash ? <Hash value={a.image_hash} n={16} /> : "none (runs outside a TEE)"],
          ["Public key", <Hash value={a.public_key} n={16} />],
          ["Certificate expires", certExpiry(a)],
          ["Renewals", fmtInt(a.renewals)],
          a.last_renewal_error ? ["Last renewal error", <span class="warn-text">{a.last_renewal_error}</span>] : null,
          ["Trusted roots", Array.isArray(a.trust) ? a.trust.join(", ") : undefined],
          Object.keys(reg).length
            ? [
                "Registry",
                <>
                  {reg.fresh ? <Badge tone="ok">fresh</Badge> : <Badge tone="bad">stale</Badge>} {fmtInt(reg.worker_images)} worker image(s),{" "}
                  {fmtInt(reg.proxy_images)} proxy image(s), {fmtInt(reg.models)} model(s), read {fmtInt(reg.age_s)} s ago
                  {reg.problem ? <span class="warn-text"> — {reg.problem}</span> : null}
                </>,
              ]
            : null,
          Object.keys(gpu).length ? ["GPU evidence", `${gpu.presents ?? "none"}; required of workers: ${fmtBool(gpu.required_of_workers)}`] : null,
        ]}
      />
      <details class="small">
        <summary>Everything the node reports about attestation</summary>
        <AutoKV data={a} />
      </details>
    </Section>
  );
}

export function ChainJobs(props: { billing: Record<string, any> }) {
  const chain = obj(props.billing.chain);
  if (!Object.keys(chain).length) return null;
  return (
    <KV
      rows={[
        ["Jobs done", fmtInt(chain.jobs_done)],
        ["Jobs queued", fmtInt(chain.jobs_queued)],
        ["Jobs failed", chain.jobs_failed ? <span class="warn-text">{fmtInt(chain.jobs_failed)}</span> : fmtInt(chain.jobs_failed)],
        ["Messages sent", fmtInt(chain.messages_sent)],
        ["Wallet", <Hash value={chain.wallet} n={14} />],
        chain.last_error ? ["Last error", <span class="warn-text">{chain.last_error}</span>] : null,
      ]}
    />
  );
}
