// Live connections are checked again: the root contract's owner removes a model hash, then a proxy
// image hash, on the devnet while every node is connected. Within the registry refresh the nodes
// drop the live peers the chain no longer admits, naming the failed check on /stats and in their
// logs, and requests stop going to them; peers that still pass keep serving.
import assert from "node:assert/strict";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MOCK_MODEL, MODEL, expectOpenAiError, postJson, run, waitFor} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";

const ZEROS = "0".repeat(64);
// Static lists that admit nobody: only the chain's lists let the network work.
const STATIC = {allowed_proxy_images: [ZEROS], allowed_worker_images: [ZEROS], allowed_models: [ZEROS]};
const DROP_WITHIN_MS = 10_000;  // refresh_s = 1 in these configs; generous for a loaded machine

let cluster, devnet, proxy, dropped, kept, client, droppedEngine, keptEngine, ownerKey;
before(async () => {
    droppedEngine = await startMockEngine();
    keptEngine = await startMockEngine({model: MOCK_MODEL});
    cluster = new Cluster("live-rechecks");
    const a = cluster.attestation();
    devnet = await cluster.startDevnet({
        proxyImageHashes: [a.proxyImage],
        workerImageHashes: [a.workerImage],
        modelHashes: [cluster.modelHash(MODEL), cluster.modelHash(MOCK_MODEL)],
    });
    ownerKey = path.join(cluster.dir, "root-owner.wallet.json");
    run(BIN, ["wallet", "new", "--out", ownerKey, "--devnet-name", "root-owner"]);
    proxy = await cluster.startProxy({id: "proxy", attestation: STATIC});
    dropped = await cluster.startWorker({id: "worker-model", proxies: [proxy], model: MODEL,
        engine: {kind: "external", url: droppedEngine.url}, attestation: STATIC});
    kept = await cluster.startWorker({id: "worker-mock", proxies: [proxy], model: MOCK_MODEL,
        engine: {kind: "external", url: keptEngine.url}, attestation: STATIC});
    client = await cluster.startClient({proxies: [proxy], attestation: {allowed_proxy_images: [ZEROS]}});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
    await cluster.waitForWorkers(client, 1, {model: MOCK_MODEL, timeoutMs: 60_000});
});
after(async () => {
    await cluster?.stop();
    await droppedEngine?.close();
    await keptEngine?.close();
});

const chat = (model, content = "still there?") => ({model, messages: [{role: "user", content}], max_tokens: 3});
const dropsOf = async (node, check) => (await node.stats()).attestation.rechecks.connections_dropped[check] ?? 0;

function disallow(list, hash) {
    run(BIN, ["ton", "root", "disallow", "--key", ownerKey, "--endpoint", devnet.endpoint, "--address", devnet.root,
        "--list", list, "--hash", hash]);
}

test("removing a worker's model hash on chain drops the live worker; requests stop going to it", async () => {
    assert.equal((await postJson(`${client.url}/v1/chat/completions`, chat(MODEL))).status, 200);
    const servedBefore = droppedEngine.requests.length;
    assert.ok(servedBefore >= 1);

    disallow("model", cluster.modelHash(MODEL));
    const removedAt = Date.now();
    await waitFor(async () => (await dropsOf(proxy, "model_hash")) >= 1,
        {timeoutMs: DROP_WITHIN_MS, intervalMs: 200, what: "the proxy dropping the live worker on 'model_hash'", logs: () => cluster.logs()});
    assert.ok(Date.now() - removedAt < DROP_WITHIN_MS);
    assert.ok(proxy.logLine("dropping live worker worker-model", "'model_hash'"), "the proxy log names the worker and the check");
    const stats = await proxy.stats();
    assert.deepEqual(stats.workers.map((w) => w.id), ["worker-mock"], "only the still-admitted worker is connected");
    assert.equal(stats.models[MODEL], undefined);

    // Its reconnects are refused at the handshake, so the name has no worker any more.
    const r = await postJson(`${client.url}/v1/chat/completions`, chat(MODEL));
    expectOpenAiError(assert, r, 404, {code: "model_not_found"});
    await waitFor(async () => ((await dropped.stats()).proxies[0].last_error ?? "").includes("model_hash"),
        {what: "the dropped worker's last_error names model_hash"});
    assert.equal(droppedEngine.requests.length, servedBefore, "no request reached the dropped worker");
    // The other worker serves on.
    assert.equal((await postJson(`${client.url}/v1/chat/completions`, chat(MOCK_MODEL))).status, 200);
});

test("removing the proxy's image hash on chain: the worker and the client drop their live connections to it", async () => {
    const keptBefore = keptEngine.requests.length;
    disallow("proxy-image", proxy.imageHash);  // the image it runs: a registry proxy measures its endpoint
    await waitFor(async () => (await dropsOf(kept, "image_hash")) >= 1 && (await dropsOf(client, "image_hash")) >= 1,
        {timeoutMs: DROP_WITHIN_MS, intervalMs: 200, what: "worker and client dropping the proxy on 'image_hash'", logs: () => cluster.logs()});
    assert.ok(kept.logLine("dropping live proxy", "'image_hash'"));
    assert.ok(client.logLine("dropping live proxy", "'image_hash'"));
    const r = await postJson(`${client.url}/v1/chat/completions`, chat(MOCK_MODEL));
    assert.equal(r.status, 503, r.text);
    assert.equal(keptEngine.requests.length, keptBefore, "nothing is served through the refused proxy");
    for (const n of [proxy, kept, client]) assert.ok(n.alive, `${n.name} died:\n${n.logs()}`);
});
