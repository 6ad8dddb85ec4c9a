// A proxy operator who leaves: it signed the worker's pay but charged its client only below the
// threshold, then asks to close its contract (after the delay the owner would get the stake back,
// and only what clients paid on chain would stay for the workers). The worker watches the proxy's
// contract and claims everything signed at once, while the contract still pays from its stake.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {BIN, postJson, run, waitFor} from "../integration/lib/harness.mjs";
import {FEE, NANO, PRICE, chat, startBillingNetwork} from "./lib/billing_network.mjs";

let net;
before(async () => {
    // Neither the proxy nor the worker would settle on chain for a long time: 0.1 and 1 TON thresholds.
    net = await startBillingNetwork("operators-leave", {proxy: {charge_threshold_ton: "0.1"},
        worker: {claim_threshold_ton: "1", proxy_watch_s: 1}});
});
after(async () => {
    await net?.stop();
});

const books = async () => (await net.proxy.stats()).billing;

test("a worker claims everything its proxy signed as soon as the proxy's contract starts closing", async () => {
    const {cluster, proxy, worker, client, wallets, devnet} = net;
    for (let i = 0; i < 3; ++i) {
        const r = await postJson(`${client.url}/v1/chat/completions`, chat(`work ${i}`, {max_tokens: 20}));
        assert.equal(r.status, 200, r.text);
    }
    const signed = await waitFor(async () => {
        const b = await books();
        const w = (await worker.stats()).billing.proxies[0];
        return b.earned_tokens > 0 && w?.signed_tokens === b.earned_tokens && w.contract_state === "running" ? w : null;
    }, {what: "the worker holding its signed pay", logs: () => cluster.logs()});
    assert.equal(signed.claimed_tokens, 0, "below the claim threshold: nothing claimed yet");
    const b0 = await books();
    const pcAddress = b0.proxy_contract, wcAddress = b0.workers[0].contract;
    assert.equal(BigInt(cluster.contract("proxy", pcAddress).client_tokens), 0n, "nothing charged on chain either");

    // The operator asks to close: after the delay the stake would go back to it.
    const closing = JSON.parse(run(BIN, ["wallet", "proxy-close", "--key", wallets.proxy.file, "--endpoint", devnet.endpoint,
        "--proxy-contract", pcAddress]));
    assert.equal(closing.state, 1);

    const wc = await waitFor(async () => {
        const c = cluster.contract("worker", wcAddress);
        return BigInt(c.tokens) === BigInt(signed.signed_tokens) ? c : null;
    }, {what: "the worker's claim on chain", logs: () => worker.logs()});
    assert.ok(wc);
    const pc = cluster.contract("proxy", pcAddress);
    assert.equal(pc.state, 1, "claimed while the proxy contract was still closing");
    assert.equal(BigInt(pc.worker_tokens), BigInt(signed.signed_tokens));
    // Paid from the proxy's stake: nothing charged from clients, every signed token paid to the worker.
    assert.equal(BigInt(pc.balance) + BigInt(pc.stake), NANO + BigInt(pc.client_tokens) * PRICE - BigInt(pc.worker_tokens) * FEE);
    const w = await waitFor(async () => {
        const x = (await worker.stats()).billing.proxies[0];
        return x.claimed_tokens === signed.signed_tokens ? x : null;
    }, {what: "the worker's books to show the claim"});
    assert.equal(w.contract_state, "closing");
    assert.equal(w.unclaimed_nano, "0");
    assert.equal(BigInt(w.paid_nano), BigInt(signed.signed_tokens) * FEE);
});
