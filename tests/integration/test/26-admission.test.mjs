// Admission: when every worker for a model is busy, a request waits for the next free slot instead
// of being refused (proxy/admission_queue.h). 40 requests at concurrency 8 on one worker of
// capacity 4 all succeed; a queue that is full answers 429 with Retry-After, at once.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson, startNetwork} from "../lib/harness.mjs";

const CAPACITY = 4;
const QUEUE_PER_CLIENT = 4;
let net;
before(async () => {
    net = await startNetwork({label: "admission", workers: 1, worker: {maxConcurrent: CAPACITY},
        proxy: {settings: {queue_per_client: QUEUE_PER_CLIENT}}});
});
after(async () => {
    await net?.cluster.stop();
});

function ask(i, maxTokens) {
    return postJson(`${net.client.url}/v1/chat/completions`, {
        model: MODEL, max_tokens: maxTokens, temperature: 0,
        messages: [{role: "user", content: `Request ${i}: count to ten.`}],
    }, {timeoutMs: 120_000});
}

async function proxyStats() {
    return (await fetch(`${net.proxy.url}/stats`)).json();
}

test("40 requests at concurrency 8 on one worker of capacity 4 all succeed, the surplus waiting its turn", async () => {
    const statuses = [];
    let next = 0;
    async function lane() {
        while (next < 40) {
            const i = next++;
            const res = await ask(i, 24);
            statuses.push(res.status);
            assert.equal(res.status, 200, `request ${i}: ${res.text}`);
            assert.ok(res.body.usage.completion_tokens > 0);
        }
    }
    await Promise.all(Array.from({length: 8}, lane));
    assert.equal(statuses.length, 40);

    const stats = await proxyStats();
    const admission = stats.admission;
    assert.ok(admission.queued > 0, `nothing ever waited: ${JSON.stringify(admission)}`);
    assert.equal(admission.waiting, 0, "nobody is left in line");
    assert.equal(admission.refused_full + admission.refused_wait, 0, JSON.stringify(admission));
    assert.equal(admission.max_per_client, QUEUE_PER_CLIENT);
    const waits = stats.metrics.latency_ms?.queue_wait;
    assert.ok(waits && Object.values(waits).some((h) => h.count > 0), `no queue wait measured: ${JSON.stringify(stats.metrics.latency_ms)}`);
    const worker = stats.workers[0];
    assert.equal(worker.running, 0);
    assert.equal(worker.served, 40);
});

test("a full queue answers 429 at once, with Retry-After, and the requests it took still succeed", async () => {
    // 4 run, 4 wait (this client's share), the other 8 find the queue full.
    const started = Date.now();
    const results = await Promise.all(Array.from({length: 16}, (_, i) => ask(100 + i, 200).then((r) => ({...r, at: Date.now()}))));
    const refused = results.filter((r) => r.status === 429);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(refused.length + ok.length, 16, results.map((r) => `${r.status} ${r.text.slice(0, 200)}`).join("\n"));
    assert.ok(ok.length >= CAPACITY + QUEUE_PER_CLIENT, `only ${ok.length} were served`);
    assert.ok(refused.length >= 1, "nothing was refused");
    for (const r of refused) {
        assert.equal(r.body.error.code, "queue_full", r.text);
        assert.match(r.body.error.message, /this client's share of the queue already holds 4 waiting requests/);
        const retryAfter = Number(r.headers.get("retry-after"));
        assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${r.headers.get("retry-after")}`);
        assert.ok(r.at - started < 5_000, "a refusal is immediate, not after waiting");
    }
    const admission = (await proxyStats()).admission;
    assert.equal(admission.refused_full, refused.length, JSON.stringify(admission));
    assert.equal(admission.waiting, 0);
});

test("a proxy without a free worker hands the request back, and the client takes it to another proxy", async () => {
    // Two proxies that refuse at once when full (no queue), two slots each: four requests at once
    // fit only if the client moves a refused one to the other proxy.
    const cluster = new Cluster("admission-failover");
    try {
        const proxies = [];
        for (let i = 0; i < 2; ++i) proxies.push(await cluster.startProxy({settings: {queue_per_model: 0}}));
        for (const p of proxies) await cluster.startWorker({proxies: [p], maxConcurrent: 2});
        const client = await cluster.startClient({proxies});
        await cluster.waitForWorkers(client, 2, {timeoutMs: 60_000});
        const results = await Promise.all(Array.from({length: 4}, (_, i) => postJson(`${client.url}/v1/chat/completions`,
            {model: MODEL, max_tokens: 48, temperature: 0, messages: [{role: "user", content: `Failover ${i}: count to ten.`}]},
            {timeoutMs: 120_000})));
        for (const r of results) assert.equal(r.status, 200, r.text);
        let served = 0;
        for (const p of proxies) served += (await p.stats()).workers.reduce((n, w) => n + w.served, 0);
        assert.equal(served, 4);
        const failovers = (await client.stats()).metrics.counters.proxy_capacity_failovers?.all ?? 0;
        console.log(`capacity failovers: ${failovers}`);
    } finally {
        await cluster.stop();
    }
});
