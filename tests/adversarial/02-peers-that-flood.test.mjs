// Peers that cost the proxy without limit: a client that floods ModelsQuery frames, one that asks
// and never reads the answers (the queue bound), one whose socket stops taking bytes (the write
// deadline). Each is disconnected by the bound with its reason counted on /stats; the proxy's
// memory stays bounded and it keeps serving an honest client. A worker streaming faster than its
// rate is throttled instead (read more slowly): its answers in flight all complete.
import assert from "node:assert/strict";
import fs from "node:fs";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson, waitFor} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";
import {adversary} from "./lib/adversary.mjs";

let cluster, mock;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("flood");
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

function rssMiB(node) {
    const status = fs.readFileSync(`/proc/${node.child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

// A proxy with one worker (so each ModelsReply has a model in it) and an honest client.
async function network(settings) {
    const proxy = await cluster.startProxy({settings});
    await cluster.startWorker({proxies: [proxy], engine: {kind: "external", url: mock.url}});
    const client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
    return {proxy, client};
}

async function stillServes(proxy, client) {
    assert.ok(proxy.alive, proxy.logs());
    const r = await postJson(`${client.url}/v1/chat/completions`, {model: MODEL, messages: [{role: "user", content: "ok?"}],
        max_tokens: 3});
    assert.equal(r.status, 200, r.text);
}

const disconnected = async (proxy) => (await proxy.stats()).limits.client_connections.disconnected;

test("a client sending frames faster than its rate is disconnected", async () => {
    const {proxy, client} = await network({client_frames_per_s: 200});
    const [result] = await adversary(client, proxy, ["flood-models", 200_000]);
    assert.ok(result.stopped, `the proxy never hung up: ${JSON.stringify(result)}`);
    await waitFor(async () => (await disconnected(proxy)).frame_rate >= 1, {what: "frame_rate disconnect"});
    assert.equal((await proxy.stats()).limits.client_connections.max_frames_per_s, 200);
    await stillServes(proxy, client);
});

test("a client that never reads is dropped when its send queue passes the bound", async () => {
    const {proxy, client} = await network({client_frames_per_s: 0, max_queued_bytes: 1048576});
    const rssBefore = rssMiB(proxy);
    const [result] = await adversary(client, proxy, ["flood-models", 3_000_000]);
    assert.ok(result.stopped, `the proxy never hung up: ${JSON.stringify(result)}`);
    const stats = await proxy.stats();
    assert.ok(stats.limits.client_connections.disconnected.send_queue_full >= 1, JSON.stringify(stats.limits));
    assert.ok(stats.limits.client_connections.peak_queued_bytes <= 1048576);
    assert.ok(rssMiB(proxy) - rssBefore < 100, `proxy memory grew by ${rssMiB(proxy) - rssBefore} MiB`);
    await stillServes(proxy, client);
});

test("a client whose socket stops taking bytes is dropped at the write deadline", async () => {
    const {proxy, client} = await network({client_frames_per_s: 0, max_queued_bytes: 4294967296,
        write_timeout_ms: 1500});
    const [result] = await adversary(client, proxy, ["flood-models", 3_000_000]);
    assert.ok(result.stopped, `the proxy never hung up: ${JSON.stringify(result)}`);
    const stats = await proxy.stats();
    assert.ok(stats.limits.client_connections.disconnected.write_timeout >= 1, JSON.stringify(stats.limits));
    await stillServes(proxy, client);
});

test("a worker streaming faster than its frame rate is read more slowly, and every answer completes", async () => {
    // 4 answers (the worker's capacity) of 400 chunks at once: ~1,600 frames against a bucket of
    // 300/s (600 of burst).
    const {proxy, client} = await network({worker_frames_per_s: 300});
    const answers = await Promise.all(Array.from({length: 4}, () =>
        postJson(`${client.url}/v1/chat/completions`, {model: MODEL, messages: [{role: "user", content: "long"}],
            max_tokens: 400})));
    for (const r of answers) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.usage.completion_tokens, 400);
    }
    const limits = (await proxy.stats()).limits.worker_connections;
    assert.equal(limits.above_frame_rate, "throttle");
    assert.ok(limits.frame_rate_pauses >= 1, JSON.stringify(limits));
    assert.equal(limits.disconnected.frame_rate, 0, "the honest worker was never cut off");
    assert.equal((await proxy.stats()).limits.client_connections.above_frame_rate, "disconnect");
});
