// Under each answer: tokens by kind, cost, speed, and who served it (as the client verified it).
import type { AnswerMeta } from "../lib/chat";
import { fmtCost, fmtInt, fmtMs, fmtNum, nanoToTon } from "../lib/format";
import { Badge, Hash } from "../ui";

export function AnswerInfo(props: { meta: AnswerMeta; streaming: boolean }) {
  const { meta } = props;
  const u = meta.usage;
  const c = meta.chrysalis;
  const r = meta.route;
  const receipt = c?.receipt ?? undefined;
  const cached = u?.prompt_tokens_details?.cached_tokens;
  const reasoning = u?.completion_tokens_details?.reasoning_tokens;
  return (
    <div class="answer-info" data-testid="answer-info">
      <div class="chips">
        {meta.stopped && (
          <Badge testid="stopped" tone="warn" title="you stopped this answer; the node cancelled it upstream and bills only what was produced">
            stopped
          </Badge>
        )}
        {props.streaming && <Badge tone="info">answering…</Badge>}
        {meta.finishReason === "length" && <Badge tone="muted" title="the answer reached max_tokens">cut at max tokens</Badge>}
        {c?.resumed && c.resumed.length > 0 && (
          <Badge tone="warn" title="a worker failed mid-answer and another continued it; every token is paid once">
            resumed {c.resumed.length}×
          </Badge>
        )}
        {receipt && typeof receipt === "object" && (
          receipt.verified ? (
            <Badge tone="ok" title={receipt.summary}>
              receipt verified
            </Badge>
          ) : (
            <Badge tone="bad" title={receipt.problem}>
              receipt not verified{receipt.problem ? `: ${receipt.problem}` : ""}
            </Badge>
          )
        )}
        {r?.e2e && (
          <Badge tone={r.e2e === "on" ? "ok" : "warn"} title="end-to-end sealed to the attested worker">
            e2e {r.e2e}
          </Badge>
        )}
      </div>
      {u && (
        <p class="line" data-testid="usage" data-prompt={u.prompt_tokens} data-completion={u.completion_tokens} data-total={u.total_tokens}>
          <span class="label">Tokens</span> {fmtInt(u.prompt_tokens)} prompt · {fmtInt(u.completion_tokens)} completion
          {cached !== undefined && <> · {fmtInt(cached)} cached</>}
          {reasoning !== undefined && <> · {fmtInt(reasoning)} reasoning</>} · {fmtInt(u.total_tokens)} total
        </p>
      )}
      {c?.cost_nano !== undefined && (
        <p class="line" data-testid="cost" data-nano={c.cost_nano} data-charged={c.charged_tokens}>
          <span class="label">Cost</span> {fmtCost(c.cost_nano)}
          {c.charged_tokens !== undefined && <span class="muted"> for {fmtInt(c.charged_tokens)} charged tokens</span>}
          {c.capped && <span class="muted"> (capped)</span>}
        </p>
      )}
      {!props.streaming && u && c?.cost_nano === undefined && (
        <p class="line muted" data-testid="cost">
          <span class="label">Cost</span> free (this network does not bill)
        </p>
      )}
      {(meta.ttftMs !== undefined || meta.tokensPerS !== undefined) && (
        <p class="line" data-testid="speed">
          <span class="label">Speed</span> first token {fmtMs(meta.ttftMs)}
          {meta.tokensPerS !== undefined && <> · {fmtNum(meta.tokensPerS, 1)} tokens/s</>}
          {meta.totalMs !== undefined && <> · {fmtMs(meta.totalMs)} in all</>}
        </p>
      )}
      {r?.worker && (
        <p class="line" data-testid="worker">
          <span class="label">Worker</span> {r.worker}
          {r.workerKey && (
            <>
              {" "}
              (key <Hash value={r.workerKey} />)
            </>
          )}
          {r.proxy && <span class="muted"> via {r.proxy}</span>}
        </p>
      )}
      {meta.error && (
        <p class="alert" role="alert">
          {meta.error}
        </p>
      )}
      {(r || receipt) && !props.streaming && (
        <details class="small more">
          <summary>Details</summary>
          <dl class="kv">
            {r?.requestId && (
              <div class="kv-row">
                <dt>Request id</dt>
                <dd>
                  <code>{r.requestId}</code>
                </dd>
              </div>
            )}
            {r?.workerImage && (
              <div class="kv-row">
                <dt>Worker image</dt>
                <dd>
                  <Hash value={r.workerImage} n={16} />
                </dd>
              </div>
            )}
            {r?.workerModelHash && (
              <div class="kv-row">
                <dt>Model hash</dt>
                <dd>
                  <Hash value={r.workerModelHash} n={16} />
                </dd>
              </div>
            )}
            {r?.route && (
              <div class="kv-row">
                <dt>Route</dt>
                <dd>{r.route}</dd>
              </div>
            )}
            {receipt?.summary && (
              <div class="kv-row">
                <dt>Receipt</dt>
                <dd>{receipt.summary}</dd>
              </div>
            )}
            {c?.available_nano !== undefined && (
              <div class="kv-row">
                <dt>Available after</dt>
                <dd>{nanoToTon(c.available_nano)} TON</dd>
              </div>
            )}
            {(c?.resumed ?? []).map((p, i) => (
              <div class="kv-row" key={i}>
                <dt>Failed part {i + 1}</dt>
                <dd>
                  {p.worker}: {fmtInt(p.completion_tokens)} tokens, {fmtCost(p.cost_nano)} — {p.error}
                </dd>
              </div>
            ))}
          </dl>
        </details>
      )}
    </div>
  );
}
