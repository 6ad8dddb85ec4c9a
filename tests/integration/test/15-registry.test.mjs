// Attestation allow-lists from the chain: the root contract on a local devnet lists the allowed
// proxy and worker images and models; nodes read it (and ignore their static lists), refuse a
// worker whose image the root does not list, and stop serving when the registry goes stale.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, postJson, run, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

const ZEROS = "0".repeat(64);
// Static lists that would refuse everyone: only the chain's lists can let the network work.
const STATIC = {allowed_proxy_images: [ZEROS], allowed_worker_images: [ZEROS], allowed_models: [ZEROS]};

let cluster, mock, proxy, worker, client, devnet;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("registry");
    const a = cluster.attestation();
    devnet = await cluster.startDevnet({
        proxyImageHashes: [a.proxyImage],
        workerImageHashes: [a.workerImage],
        modelHashes: [cluster.modelHash(MODEL)],
    });
    proxy = await cluster.startProxy({id: "proxy", attestation: STATIC});
    worker = await cluster.startWorker({id: "worker", proxies: [proxy], engine: {kind: "external", url: mock.url}, attestation: STATIC});
    client = await cluster.startClient({proxies: [proxy], attestation: {allowed_proxy_images: [ZEROS]}});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const chat = {model: MODEL, messages: [{role: "user", content: "on chain?"}], max_tokens: 3};

test("every hop checks its peers against the root contract's lists", async () => {
    const r = await postJson(`${client.url}/v1/chat/completions`, chat);
    assert.equal(r.status, 200, r.text);
    const stats = await proxy.stats();
    const reg = stats.attestation.registry;
    assert.equal(reg.fresh, true, JSON.stringify(reg));
    assert.equal(reg.root, devnet.root);
    assert.equal(reg.proxy_images, 2);  // the cluster's proxy image, static and reading this registry
    assert.equal(reg.worker_images, 1);
    assert.equal(reg.models, 1);
    assert.equal(stats.workers[0].attestation.image_hash, cluster.attestation().workerImage);
});

test("a worker whose image the root does not list is refused", async () => {
    // Another engine host changes what the worker measures, so its image hash differs.
    const other = await cluster.startWorker({id: "worker-unlisted", proxies: [proxy],
        engine: {kind: "external", url: mock.url.replace("127.0.0.1", "127.0.0.2")}, attestation: STATIC});
    await waitFor(async () => (await other.stats()).proxies[0].last_error, {what: "the unlisted worker refused"});
    await waitFor(() => proxy.logLine("attestation check 'image_hash' failed"), {what: "proxy log names image_hash"});
    assert.equal((await proxy.stats()).workers.length, 1);
});

test("chrysalis wallet: keys are created 0600, never overwritten silently, and read from the chain", async () => {
    const file = path.join(cluster.dir, "client-1.wallet.json");
    const made = JSON.parse(run(BIN, ["wallet", "new", "--out", file, "--devnet-name", "client-1"]));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const again = spawnSync(BIN, ["wallet", "new", "--out", file], {encoding: "utf8"});
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists/);
    assert.equal(JSON.parse(run(BIN, ["wallet", "address", "--key", file])).raw, made.raw);
    const status = JSON.parse(run(BIN, ["wallet", "status", "--key", file, "--endpoint", devnet.endpoint]));
    assert.equal(status.deployed, true, JSON.stringify(status));
    // The devnet funds client-1 with 1000 TON (devnet/config.json); its deploy fee came out of that.
    const balance = BigInt(status.balance_nano);
    assert.ok(balance > 999n * 10n ** 9n && balance <= 1000n * 10n ** 9n, status.balance_nano);
    const fresh = path.join(cluster.dir, "fresh.wallet.json");
    run(BIN, ["wallet", "new", "--out", fresh]);
    const empty = JSON.parse(run(BIN, ["wallet", "status", "--key", fresh, "--endpoint", devnet.endpoint]));
    assert.equal(empty.balance_nano, "0");
    assert.equal(empty.deployed, false);
    fs.writeFileSync(path.join(cluster.dir, "bad.json"), "{\"type\":\"chrysalis-wallet\",\"wallet\":\"v4r2\",\"seed\":\"xyz\"}", {mode: 0o600});
    const bad = spawnSync(BIN, ["wallet", "address", "--key", path.join(cluster.dir, "bad.json")], {encoding: "utf8"});
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /seed/);
});

test("with the chain unreachable the registry goes stale and the network stops serving, then recovers", async () => {
    devnet.node.expectedDead = true;
    await devnet.node.killGroup();
    // max_age_s = 5 in these configs.
    const refused = await waitFor(async () => {
        const r = await postJson(`${client.url}/v1/chat/completions`, chat);
        return r.status === 503 ? r : null;
    }, {timeoutMs: 30_000, intervalMs: 500, what: "requests refused on a stale registry"});
    // Whichever node noticed first refused: the worker (disabled), or the proxy.
    assert.match(refused.body.error.message, /registry|disabled/, refused.text);
    // Each node notices on its own clock: the proxy refuses with the reason, the worker disables itself.
    await waitFor(async () => (await proxy.stats()).attestation.registry.fresh === false, {what: "the proxy's registry stale"});
    await waitFor(async () => (await proxy.stats()).workers.every((w) => !w.enabled), {what: "the worker announced itself disabled"});
    const direct = await waitFor(async () => {
        const r = await postJson(`${client.url}/v1/chat/completions`, chat);
        return r.status === 503 && r.body.error.message.includes("registry") ? r : null;
    }, {what: "503 naming the registry"});
    assert.equal(direct.body.error.type, "server_error");

    // The chain comes back (same snapshot, same root): everything serves again.
    devnet.node.extraArgs = devnet.node.extraArgs.filter((a) => a !== "--reset");
    devnet.node.expectedDead = false;
    devnet.node.start();
    await waitFor(async () => {
        const r = await postJson(`${client.url}/v1/chat/completions`, chat);
        return r.status === 200;
    }, {timeoutMs: 90_000, intervalMs: 1000, what: "serving again after the chain returned", logs: () => cluster.logs()});
    assert.equal((await proxy.stats()).attestation.registry.fresh, true);
});
