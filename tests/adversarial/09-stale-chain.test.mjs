// A chain API that serves the proxy a stale view (as a lagging or lying toncenter node would): the
// proxy's contract seems to hold an older commit than the books sent, so the proxy refuses to serve,
// saying why. Once the view is current again, billing must recover by itself, without a restart.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {postJson, waitFor} from "../integration/lib/harness.mjs";
import {chat, startBillingNetwork} from "./lib/billing_network.mjs";

let net;
before(async () => {
    net = await startBillingNetwork("stale-chain", {staleRelay: true, worker: {claim_threshold_ton: "0.000000001"}});
});
after(async () => {
    await net?.stop();
});

const books = async () => (await net.proxy.stats()).billing;
const ask = (content) => postJson(`${net.client.url}/v1/chat/completions`, chat(content));

test("one stale chain read refuses serving for a while, then billing recovers by itself", async () => {
    const {cluster, proxy, relay} = net;
    let r = await ask("before");
    assert.equal(r.status, 200, r.text);
    await waitFor(async () => {
        const b = await books();
        return b.committed_seqno === b.seqno && b.committed_seqno > 0;
    }, {what: "the books committed", logs: () => proxy.logs()});

    relay.stale = true;  // from now on the proxy contract seems as deployed, with no commit
    r = await ask("during");  // served: its settlement's commit then meets the stale view
    assert.equal(r.status, 200, r.text);
    const problem = await waitFor(async () => {
        const b = await books();
        return b.chain_check.refused ? b.serving_problem : null;
    }, {what: "the refusal on the stale view", logs: () => proxy.logs()});
    assert.match(problem, /the chain view is stale/);
    r = await ask("refused");
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.error.code, "billing_unavailable");
    assert.match(r.body.error.message, /the chain view is stale/);
    assert.ok(relay.staleAnswers >= 1);

    relay.stale = false;
    const b = await waitFor(async () => {
        const s = await books();
        return s.serving_problem === "" && !s.chain_check.refused ? s : null;
    }, {timeoutMs: 30_000, what: "billing to recover by itself", logs: () => proxy.logs()});
    assert.ok(b.chain_check.recoveries >= 1);
    r = await ask("after");
    assert.equal(r.status, 200, r.text);
    const done = await waitFor(async () => {
        const s = await books();
        return s.committed_seqno === s.seqno && s.reserved_tokens === 0 ? s : null;
    }, {what: "the books committed again", logs: () => cluster.logs()});
    assert.deepEqual(done.invariant_violations, []);
});
