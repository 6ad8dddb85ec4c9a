// The client contract(s) behind this node: balance, available, spent; top-up and withdraw through
// the client's admin API (GET /admin/billing, POST /admin/topup|withdraw?amount=TON[&proxy=KEY]).
import { useCallback, useEffect, useState } from "preact/hooks";
import { describeError, getJson, postJson } from "../lib/api";
import { fmtCost, fmtInt, nanoToTon, tonToNano } from "../lib/format";
import { haptic } from "../telegram";
import { Badge, Hash, KV, TokenForm } from "../ui";

export interface Account {
  contract?: string;
  proxy_contract?: string;
  proxy_key?: string;
  balance_nano?: string;
  available_nano?: string;
  stake_nano?: string;
  spent_nano?: string;
  paid_requests?: number;
  topups?: number;
  state?: number | string;
  ready?: boolean;
  verified?: boolean;
  problem?: string;
  dropped?: string;
  proxy_refused?: string;
  overcharges?: number;
}

export interface Billing {
  accounts?: Account[];
  wallet?: string;
  enabled?: boolean;
  chain?: { last_error?: string; jobs_queued?: number; jobs_failed?: number; jobs_done?: number };
}

const STATES: Record<string, string> = { "0": "running", "1": "closing", "2": "closed" };

type Msg = { tone: "ok" | "bad"; text: string } | null;

export function Wallet(props: { token: string; onToken: (t: string) => void; idPrefix?: string; refreshKey?: number; hideTokenForm?: boolean }) {
  const prefix = props.idPrefix ?? "wallet";
  const [billing, setBilling] = useState<Billing | null>(null);
  const [loadError, setLoadError] = useState("");
  const [amount, setAmount] = useState("0.1");
  const [proxy, setProxy] = useState("");
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<Msg>(null);

  const load = useCallback(async () => {
    if (!props.token) {
      setBilling(null);
      return;
    }
    try {
      setBilling(await getJson<Billing>("admin/billing", props.token));
      setLoadError("");
    } catch (e) {
      setLoadError(describeError(e, "admin"));
    }
  }, [props.token]);

  useEffect(() => {
    load();
    const t = setInterval(load, 15_000);
    return () => clearInterval(t);
  }, [load, props.refreshKey]);

  const act = async (action: "topup" | "withdraw") => {
    setMsg(null);
    if (!amount.trim()) {
      setMsg({ tone: "bad", text: "Type an amount in TON first (for example 0.5)." });
      return;
    }
    setBusy(true);
    const q = new URLSearchParams({ amount: amount.trim() });
    if (proxy) q.set("proxy", proxy);
    try {
      const r = await postJson<{ accounts?: Account[] }>(`admin/${action}?${q}`, props.token);
      if (r.accounts) setBilling((b) => ({ ...(b ?? {}), accounts: r.accounts }));
      const nano = tonToNano(amount);
      const what = nano !== null ? `${nanoToTon(nano.toString())} TON` : amount;
      setMsg({ tone: "ok", text: action === "topup" ? `Topped up ${what}.` : `Withdrew ${what} to the owner's wallet.` });
      haptic("success");
      load();
    } catch (e) {
      setMsg({ tone: "bad", text: describeError(e, "admin") });
      haptic("error");
    } finally {
      setBusy(false);
    }
  };

  const fund = async () => {
    setMsg(null);
    const contract = (billing?.accounts ?? []).find((a) => !proxy || a.proxy_key === proxy)?.contract;
    const nano = tonToNano(amount);
    if (!contract || nano === null || nano === 0n) {
      setMsg({ tone: "bad", text: "Need a client contract and a positive amount in TON." });
      return;
    }
    setBusy(true);
    try {
      const { fundWithTonConnect } = await import("../ton/tonconnect");
      await fundWithTonConnect(contract, nano);
      setMsg({ tone: "ok", text: "Sent from your wallet; the balance updates once the chain has it." });
    } catch (e) {
      setMsg({ tone: "bad", text: "TON Connect: " + describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const accounts = billing?.accounts ?? [];
  return (
    <div class="wallet" data-testid="wallet">
      {props.hideTokenForm ? (
        !props.token && <p class="muted small">With the client's admin token (above): top up and withdraw.</p>
      ) : (
      <TokenForm
        token={props.token}
        onToken={props.onToken}
        idPrefix={prefix}
        hint={
          <>
            The wallet needs the client node's admin token: <code>chrysalis local up</code> prints it, and it is in{" "}
            <code>STATE_DIR/client/admin.token</code>. It stays in this tab only.
          </>
        }
      />
      )}
      {loadError && (
        <p class="alert" role="alert">
          {loadError}
        </p>
      )}
      {props.token && billing && !accounts.length && <p class="muted">No client contract yet (billing {billing.enabled === false ? "is off" : "is starting"}).</p>}
      {accounts.map((a, i) => (
        <div class="account" key={a.contract ?? i} data-testid="account">
          <div class="balance-line">
            <div>
              <div class="muted small">Available</div>
              <div class="big" data-testid="available">
                {nanoToTon(a.available_nano)} TON
              </div>
            </div>
            <div>
              <div class="muted small">Balance</div>
              <div class="big" data-testid="balance" data-nano={a.balance_nano}>
                {nanoToTon(a.balance_nano)} TON
              </div>
            </div>
          </div>
          <KV
            class="compact"
            rows={[
              ["Spent", fmtCost(a.spent_nano)],
              ["Stake", a.stake_nano !== undefined ? `${nanoToTon(a.stake_nano)} TON` : undefined],
              ["Paid requests", a.paid_requests !== undefined ? fmtInt(a.paid_requests) : undefined],
              ["Top-ups", a.topups !== undefined ? fmtInt(a.topups) : undefined],
              ["State", a.state !== undefined ? (STATES[String(a.state)] ?? String(a.state)) : undefined],
              [
                "Checks",
                <>
                  {a.ready ? <Badge tone="ok">ready</Badge> : <Badge tone="warn">not ready</Badge>}{" "}
                  {a.verified ? <Badge tone="ok">contract verified</Badge> : <Badge tone="warn">unverified</Badge>}
                </>,
              ],
              ["Contract", <Hash value={a.contract} n={12} />],
              ["Proxy", <Hash value={a.proxy_key} n={12} />],
              a.problem ? ["Problem", <span class="warn-text">{a.problem}</span>] : null,
              a.dropped ? ["Dropped", <span class="warn-text">{a.dropped}</span>] : null,
            ]}
          />
        </div>
      ))}
      {props.token && billing?.chain?.last_error && (
        <details class="small">
          <summary>Last chain error</summary>
          <p class="muted">{billing.chain.last_error}</p>
        </details>
      )}
      {props.token && (
        <form
          class="wallet-actions"
          onSubmit={(e) => {
            e.preventDefault();
            act("topup");
          }}
        >
          <label for={prefix + "-amount"}>Amount (TON)</label>
          <div class="row">
            <input
              id={prefix + "-amount"}
              inputMode="decimal"
              autocomplete="off"
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
            />
            <button type="submit" class="btn" disabled={busy}>
              Top up
            </button>
            <button type="button" class="btn secondary" disabled={busy} onClick={() => act("withdraw")}>
              Withdraw
            </button>
          </div>
          {accounts.length > 1 && (
            <>
              <label for={prefix + "-proxy"}>Contract</label>
              <select id={prefix + "-proxy"} value={proxy} onChange={(e) => setProxy(e.currentTarget.value)}>
                <option value="">every proxy (top-up) / the first (withdraw)</option>
                {accounts.map((a) => (
                  <option value={a.proxy_key} key={a.proxy_key}>
                    proxy {a.proxy_key?.slice(0, 12)}…
                  </option>
                ))}
              </select>
            </>
          )}
          <p class="muted small">
            Top-up and withdraw are sent on chain by the client node from its owner's wallet (the devnet in the demo).
          </p>
          {msg && (
            <p class={msg.tone === "ok" ? "notice" : "alert"} role={msg.tone === "ok" ? "status" : "alert"} data-testid="wallet-message">
              {msg.text}
            </p>
          )}
          {accounts.length > 0 && (
            <div class="tonconnect">
              <button type="button" class="btn ghost" disabled={busy} onClick={fund}>
                Fund with TON Connect
              </button>
              <p class="muted small">From your own TON wallet (loads TON Connect on demand; needs a real TON network).</p>
            </div>
          )}
        </form>
      )}
    </div>
  );
}
