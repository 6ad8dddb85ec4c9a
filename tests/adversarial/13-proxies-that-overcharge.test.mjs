// A proxy that bills more than the worker's signed usage is worth. This proxy runs outside a TEE
// (its key in a plaintext key.pem), and its operator puts tools/e2e_relay.cpp in front of it: the
// relay presents the proxy's own key and certificate, passes everything through, and on each
// billed end doubles the tokens and nanoTON and countersigns the inflated charge with the proxy's
// key. Every signature holds; only the worker's signed receipt disagrees. The client must refuse
// to pay: it marks the receipt, counts the overcharge, drops the proxy naming why, and sends it no
// more paid requests.
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, freePort, postJson, waitFor} from "../integration/lib/harness.mjs";
import {chat, startBillingNetwork} from "./lib/billing_network.mjs";

const RELAY = path.join(path.dirname(BIN), "e2e_relay");
let net, relay;
before(async () => {
    net = await startBillingNetwork("overcharge", {proxyKeyOnDisk: true});
});
after(async () => {
    relay?.kill("SIGKILL");
    await net?.stop();
});

test("a client drops a proxy that charges more than the worker's signed usage, naming why", async () => {
    const {cluster, proxy, client, wallets} = net;
    // An honest answer first: its bill matches the worker's receipt.
    let r = await postJson(`${client.url}/v1/chat/completions`, chat("honest"));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.chrysalis.receipt.verified, true, JSON.stringify(r.body.chrysalis.receipt));

    // The victim: the same wallet, through the operator's relay. It starts first so that its TLS key
    // exists; the relay dials the proxy with it (the client's wallet proof names that key).
    const port = await freePort();
    const victim = await cluster.startClient({id: "victim", proxies: [{clientPort: port}], attestation: {allow_none: true},
        billing: {wallet: wallets.client, deposit_ton: "2", stake_ton: "1", topup_below_ton: "0.5"}});
    const lines = [];
    relay = spawn(RELAY, [proxy.config, BIN, String(port), "overcharge", path.join(cluster.dir, "overcharge.capture"),
        path.join(cluster.dir, "proxy"), path.join(cluster.dir, "victim")], {stdio: ["ignore", "pipe", "inherit"]});
    relay.stdout.on("data", (d) => lines.push(...d.toString().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))));
    await waitFor(async () => (await victim.stats()).billing.accounts.find((a) => a.ready) ?? null,
        {timeoutMs: 90_000, what: "the victim's contract ready through the relay", logs: () => cluster.logs() + JSON.stringify(lines)});

    r = await postJson(`${victim.url}/v1/chat/completions`, chat("overcharged"));
    assert.ok(lines.some((l) => l.tampered === "overcharge"), JSON.stringify(lines));
    const receipt = r.body?.chrysalis?.receipt;
    assert.ok(receipt, r.text);
    assert.equal(receipt.verified, false);
    assert.match(receipt.problem, /^charge: /);
    assert.ok(receipt.proxy.charged_tokens > receipt.worker.usage.prompt_tokens + receipt.worker.usage.completion_tokens,
        "the countersigned charge is the inflated one");
    const stats = await victim.stats();
    assert.equal(stats.metrics.counters.overcharges?.all ?? stats.metrics.counters.overcharges, 1, JSON.stringify(stats.metrics.counters));
    const account = stats.billing.accounts[0];
    assert.match(account.dropped, /charge/);
    assert.equal(account.ready, false);
    assert.ok(victim.logLine("dropping proxy"), "logged");
    // No more paid requests through it.
    r = await postJson(`${victim.url}/v1/chat/completions`, chat("again?"), {timeoutMs: 20_000});
    assert.notEqual(r.status, 200, r.text);
    assert.match(r.body.error.message, /no longer pays through the proxy/);
});
