// A proxy that lowers the charge it signs (a rolled-back, cloned or cheating proxy): the real
// proxy's key and certificate in a hand-written server (tools/rogue_proxy.cpp) that signs a charge
// for 1000 tokens, then one for 400. Workers drop a proxy whose signed payout goes down; the
// client must notice too: it drops the proxy by name (/stats, log) and sends it no more paid requests.
import assert from "node:assert/strict";
import {spawn} from "node:child_process";
import path from "node:path";
import {after, before, test} from "node:test";
import {freePort, postJson, waitFor} from "../integration/lib/harness.mjs";
import {ADVERSARY} from "./lib/adversary.mjs";
import {chat, startBillingNetwork} from "./lib/billing_network.mjs";

const ROGUE = path.join(path.dirname(ADVERSARY), "rogue_proxy");
let net, rogue;
before(async () => {
    // A proxy in a TEE keeps its key sealed (06-hostile-operator): no operator can take it. This
    // one runs outside a TEE, as a rolled-back, cloned or development proxy might, so the rogue
    // server can hold its key.
    net = await startBillingNetwork("lower-charges", {proxyKeyOnDisk: true});
});
after(async () => {
    rogue?.kill("SIGKILL");
    await net?.stop();
});

test("a client drops a proxy whose signed charge goes down, naming why", async () => {
    const {cluster, proxy, client, wallets, devnet} = net;
    const account = (await client.stats()).billing.accounts[0];
    const proxyContract = (await proxy.stats()).billing.proxy_contract;
    const port = await freePort();
    const lines = [];
    rogue = spawn(ROGUE, [path.join(cluster.dir, "proxy"), port, devnet.root, proxyContract, account.contract,
        account.balance_nano, account.stake_nano, 1000, 400], {stdio: ["ignore", "pipe", "inherit"]});
    rogue.stdout.on("data", (d) => lines.push(...d.toString().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))));
    await waitFor(() => lines.find((l) => l.listening), {what: "the rogue proxy listening"});

    // A second client of the same wallet (so the same client contract) talks to the rogue proxy.
    const victim = await cluster.startClient({id: "victim", proxies: [{clientPort: port}], attestation: {allow_none: true},
        billing: {wallet: wallets.client, deposit_ton: "2", stake_ton: "1", topup_below_ton: "0.5"}});
    const dropped = await waitFor(async () => {
        const a = (await victim.stats()).billing.accounts[0];
        return a?.dropped ? a : null;
    }, {timeoutMs: 60_000, what: "the client to drop the proxy", logs: () => cluster.logs() + JSON.stringify(lines)});
    assert.ok(lines.some((l) => l.signed_charge_sent === 400), JSON.stringify(lines));
    assert.match(dropped.dropped, /signed charge went down to 400 tokens, below the 1000 it signed before/);
    assert.equal(dropped.lowered_charges, 1);
    assert.equal(dropped.signed_charge_tokens, 1000, "the best signed amount is kept");
    assert.equal(dropped.ready, false);
    assert.equal(dropped.verified, true, "the proxy passed every chain check before it cheated");
    assert.ok(victim.logLine("dropping proxy", "signed charge went down"), "logged");
    const r = await postJson(`${victim.url}/v1/chat/completions`, chat("still there?"), {timeoutMs: 20_000});
    assert.notEqual(r.status, 200, r.text);
    assert.match(r.body.error.message, /no longer pays through the proxy: its signed charge went down/);
});
