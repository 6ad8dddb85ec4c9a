// A proxy the root contract does not list: it runs an allowed image and deploys a genuine contract,
// but the network's owner never registered it. Clients and workers with billing check the root's
// registry (and that the proxy's contract is the genuine one) and refuse it by name; once the owner
// registers it, they use it without a restart.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {postJson, waitFor} from "../integration/lib/harness.mjs";
import {chat, startBillingNetwork} from "./lib/billing_network.mjs";

let net;
before(async () => {
    net = await startBillingNetwork("unregistered", {register: false});
});
after(async () => {
    await net?.stop();
});

test("clients and workers refuse a proxy the root does not list, naming why, until it is registered", async () => {
    const {cluster, proxy, worker, client} = net;
    const notListed = /proxy [0-9a-f]{64} is not registered in the root contract/;
    const account = await waitFor(async () => {
        const a = (await client.stats()).billing.accounts[0];
        return a?.proxy_refused ? a : null;
    }, {timeoutMs: 60_000, what: "the client to refuse the proxy", logs: () => cluster.logs()});
    assert.match(account.proxy_refused, notListed);
    assert.equal(account.ready, false);
    assert.equal(account.verified, false);
    assert.ok(client.logLine("refusing proxy", "is not registered in the root contract"), "logged");
    const w = await waitFor(async () => {
        const p = (await worker.stats()).billing.proxies[0];
        return p?.proxy_refused ? p : null;
    }, {timeoutMs: 60_000, what: "the worker to refuse the proxy", logs: () => cluster.logs()});
    assert.match(w.proxy_refused, notListed);
    assert.equal(w.verified, false);
    assert.ok(worker.logLine("refusing proxy", "is not registered in the root contract"), "logged");

    const r = await postJson(`${client.url}/v1/chat/completions`, chat("through an unlisted proxy?"));
    assert.notEqual(r.status, 200, r.text);
    assert.match(r.body.error.message, /is not registered in the root contract/);
    const b = (await proxy.stats()).billing;
    assert.equal(b.charged_tokens ?? 0, 0, "nothing was billed");

    // The network's owner registers it: both sides check again by themselves and use it.
    await cluster.registerProxy(proxy);
    await waitFor(async () => (await client.stats()).billing.accounts[0]?.ready, {timeoutMs: 60_000,
        what: "the client to accept the registered proxy", logs: () => cluster.logs()});
    await waitFor(async () => (await worker.stats()).billing.proxies[0]?.verified, {timeoutMs: 60_000,
        what: "the worker to accept the registered proxy", logs: () => cluster.logs()});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 30_000});
    const ok = await postJson(`${client.url}/v1/chat/completions`, chat("now listed"));
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await client.stats()).billing.accounts[0].proxy_refused, "");
    assert.equal((await worker.stats()).billing.proxies[0].proxy_refused, "");
});
