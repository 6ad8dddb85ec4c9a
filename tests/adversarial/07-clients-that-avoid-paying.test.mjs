// A client that tries to leave without paying: it spends below the proxy's charge threshold,
// asks its contract to close (which would refund balance and stake to it after the delay) and
// keeps sending requests. The proxy must give a closing contract no more credit and charge what
// it owes on chain at once, before the close can complete; the books then balance to the nanoTON.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {getJson, postJson, waitFor} from "../integration/lib/harness.mjs";
import {adversary} from "./lib/adversary.mjs";
import {FEE, NANO, PRICE, chat, startBillingNetwork} from "./lib/billing_network.mjs";

let net;
before(async () => {
    // Charges on chain only above 0.1 TON unpaid: this client's few answers stay far below it.
    net = await startBillingNetwork("avoid-paying", {proxy: {charge_threshold_ton: "0.1"},
        worker: {claim_threshold_ton: "0.000000001"}});
});
after(async () => {
    await net?.stop();
});

const books = async () => (await net.proxy.stats()).billing;

test("a closing client gets no more credit and what it owes is charged on chain before the close completes", async () => {
    const {cluster, proxy, client, worker, wallets, devnet} = net;
    let seen = 0n;
    for (let i = 0; i < 4; ++i) {
        const r = await postJson(`${client.url}/v1/chat/completions`, chat(`spend ${i}`, {max_tokens: 20}));
        assert.equal(r.status, 200, r.text);
        seen += BigInt(r.body.chrysalis.cost_nano);
    }
    const owed = await waitFor(async () => {
        const c = (await books()).clients.find((x) => x.committed_tokens > 0 && x.committed_tokens === x.charged_tokens);
        return c ?? null;
    }, {what: "the client's usage committed", logs: () => cluster.logs()});
    assert.equal(BigInt(owed.charged_nano), seen);
    assert.equal(owed.charged_on_chain_tokens, 0, "below the threshold: nothing charged on chain yet");

    // The owner starts closing the contract: after the delay it would get balance and stake back.
    const close = await postJson(`${client.url}/admin/close`, "", {headers: client.adminHeaders});
    assert.equal(close.status, 200, close.text);
    assert.equal(close.body.accounts[0].state, 1, "closing");
    // Nothing is in flight and the usage is committed, so the proxy may send its final refund and
    // see the contract closed before a poll catches "closing".
    await waitFor(async () => ["closing", "closed"].includes((await books()).clients.find((x) => x.contract === owed.contract)?.state),
        {what: "the proxy to see the contract closing", logs: () => proxy.logs()});

    // The honest client stops; a hostile one with the same wallet keeps asking for credit.
    const body = path.join(cluster.dir, "closing-request.json");
    fs.writeFileSync(body, JSON.stringify(chat("one more on credit")));
    const frames = await adversary(client, proxy, ["paid-request", wallets.client.file, "/v1/chat/completions", 8, 0, body]);
    const error = frames.at(-1).error;
    assert.ok(error, `the request was served: ${JSON.stringify(frames)}`);
    assert.equal(error.httpStatus, 402);
    // Closing, or already closed by the proxy's final refund: either way no credit.
    assert.match(error.code, /^client_contract_clos(ing|ed)$/);
    assert.match(error.message, /is clos(ing|ed)/);
    const b1 = await books();
    assert.equal(b1.clients.find((x) => x.contract === owed.contract).charged_tokens, owed.charged_tokens,
        "nothing more was charged to the books");
    assert.ok(b1.credit_refused >= 1);

    // Settled on chain at once, although far below the threshold: the proxy's final refund charges
    // what is owed and pays the rest back, closing the contract long before its unlock time.
    const cc = await waitFor(async () => {
        const c = cluster.contract("client", owed.contract);
        return BigInt(c.tokens_used) === BigInt(owed.charged_tokens) ? c : null;
    }, {what: "the owed tokens charged on chain", logs: () => proxy.logs()});
    assert.equal(cc.state, 2, "closed by the proxy's final refund");
    assert.equal(cc.balance, "0");
    assert.equal(cc.stake, "0");
    assert.ok((await books()).final_refunds_sent >= 1);
    const now = (await getJson(`${devnet.base}/devnet/info`)).body.result.now;
    assert.ok(Number(cc.unlock_ts) > now, `closed before its unlock at ${cc.unlock_ts}, chain time ${now}`);

    // Books, proxy contract and worker agree to the nanoTON.
    const b = await waitFor(async () => {
        const s = await books();
        const w = (await worker.stats()).billing.proxies[0];
        return s.committed_seqno === s.seqno && w?.claimed_tokens === s.earned_tokens ? s : null;
    }, {what: "the worker's pay claimed", logs: () => cluster.logs()});
    assert.deepEqual(b.invariant_violations, []);
    const pc = cluster.contract("proxy", (await proxy.stats()).billing.proxy_contract);
    const charged = BigInt(b.charged_tokens), earned = BigInt(b.earned_tokens);
    assert.equal(charged, BigInt(owed.charged_tokens));
    assert.equal(BigInt(pc.client_tokens), charged);
    assert.equal(BigInt(pc.worker_tokens), earned);
    assert.equal(BigInt(pc.balance) + BigInt(pc.stake), NANO + charged * PRICE - earned * FEE);
    assert.equal(BigInt(b.charged_nano), BigInt(b.worker_fees_nano) + BigInt(b.commission_nano));
});

test("a BillingHello flood with made-up wallets is cut at the per-connection limit and binds at most that many", async () => {
    const {proxy, client} = net;
    const before = (await proxy.stats()).billing.limits;
    const [out] = await adversary(client, proxy, ["flood-hello", 200]);
    assert.match(out.goodbye, /BillingHello limit: at most 4 per connection/, JSON.stringify(out));
    const stats = await proxy.stats();
    assert.equal(stats.billing.limits.max_hellos_per_connection, 4);
    // Each made-up wallet derives a contract the proxy would follow; at most the 4 accepted hellos bound one.
    assert.ok(stats.billing.limits.bound_clients <= before.bound_clients + 4, JSON.stringify(stats.billing.limits));
    assert.ok(proxy.alive, proxy.logs());
    const health = await getJson(`${proxy.url}/healthz`);
    assert.equal(health.status, 200);
});
