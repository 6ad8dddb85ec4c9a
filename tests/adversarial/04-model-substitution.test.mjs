// Model substitution: a worker whose certificate attests one model (here MOCK_MODEL's hash)
// announces another name (MODEL) to take its requests. The proxy routes a name only to workers
// attesting the hash [attestation] models maps it to, so the substitute is refused with a named
// reason, its engine sees nothing, and the name is served by the honest worker alone.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MOCK_MODEL, MODEL, expectOpenAiError, postJson, statsCounter, waitFor} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";

let cluster, proxy, client, honestEngine, hostileEngine, hostile;
before(async () => {
    honestEngine = await startMockEngine();
    hostileEngine = await startMockEngine();
    cluster = new Cluster("model-substitution");
    proxy = await cluster.startProxy();
    hostile = await cluster.startWorker({id: "substitute", proxies: [proxy], model: MODEL,
        engine: {kind: "external", url: hostileEngine.url, modelSha256: cluster.modelHash(MOCK_MODEL)}});
    client = await cluster.startClient({proxies: [proxy]});
});
after(async () => {
    await cluster?.stop();
    await honestEngine?.close();
    await hostileEngine?.close();
});

const chat = (content) => ({model: MODEL, messages: [{role: "user", content}], max_tokens: 3});

test("a worker announcing a name its attested model hash does not match is refused, naming why", async () => {
    await waitFor(async () => statsCounter(await proxy.stats(), "workers_refused", "reason=model_hash_mismatch") > 0,
        {what: "the substitute refused as model_hash_mismatch", logs: () => cluster.logs()});
    assert.ok(proxy.logLine("refused (model_hash_mismatch)"), "the proxy log names the reason");
    assert.ok(proxy.logLine(cluster.modelHash(MOCK_MODEL)), "the proxy log names the attested hash");
    // The substitute hears why it was dropped.
    await waitFor(async () => ((await hostile.stats()).proxies[0].last_error ?? "").includes("model_hash_mismatch"),
        {what: "the substitute's last_error names model_hash_mismatch"});
    const stats = await proxy.stats();
    assert.equal(stats.workers.filter((w) => w.model === MODEL).length, 0, JSON.stringify(stats.workers));
    assert.equal(stats.model_hashes[MODEL], cluster.modelHash(MODEL));
});

test("with only the substitute connected, a client asking for its announced model gets a clear error", async () => {
    const r = await postJson(`${client.url}/v1/chat/completions`, chat("who serves?"));
    expectOpenAiError(assert, r, 404, {code: "model_not_found"});
    assert.equal(hostileEngine.requests.length, 0, "no prompt reached the substitute's engine");
});

test("an honest worker for the name serves every request; the substitute gets none", async () => {
    await cluster.startWorker({id: "honest", proxies: [proxy], model: MODEL, engine: {kind: "external", url: honestEngine.url}});
    await cluster.waitForWorkers(client, 1);
    for (let i = 0; i < 8; i++) {
        const r = await postJson(`${client.url}/v1/chat/completions`, chat(`question ${i}`));
        assert.equal(r.status, 200, r.text);
    }
    assert.equal(honestEngine.requests.length, 8);
    assert.equal(hostileEngine.requests.length, 0, "no prompt reached the substitute's engine");
    const workers = (await proxy.stats()).workers;
    assert.deepEqual(workers.map((w) => [w.id, w.model_hash]), [["honest", cluster.modelHash(MODEL)]]);
    assert.ok(hostile.alive && proxy.alive, "every node stays up");
});

test("a worker announcing a name the proxy does not map is refused as model_unknown", async () => {
    const unnamed = "not-in-the-map";
    await cluster.startWorker({id: "unnamed", proxies: [proxy], model: unnamed,
        engine: {kind: "external", url: hostileEngine.url, modelSha256: cluster.modelHash(unnamed)}});
    await waitFor(async () => statsCounter(await proxy.stats(), "workers_refused", "reason=model_unknown") > 0,
        {what: "the unmapped worker refused as model_unknown"});
    const r = await postJson(`${client.url}/v1/chat/completions`, {...chat("x"), model: unnamed});
    expectOpenAiError(assert, r, 404, {code: "model_not_found"});
    assert.equal(hostileEngine.requests.length, 0);
});
