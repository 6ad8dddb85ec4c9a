// Many requests at once over several workers: all succeed, and they are spread over workers.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {MODEL, chunkText, parseSseStrict, postJson, startNetwork} from "../lib/harness.mjs";

const WORKERS = 3;
const REQUESTS = 12;
let net;
before(async () => {
    // 3 x 5 slots: 12 requests in flight at once cannot all fit on one (or two) workers.
    net = await startNetwork({label: "concurrency", workers: WORKERS, worker: {maxConcurrent: 5}});
});
after(async () => {
    await net?.cluster.stop();
});

async function one(i) {
    const stream = i % 2 === 0;
    const chat = i % 3 !== 0;
    const path = chat ? "/v1/chat/completions" : "/v1/completions";
    const body = chat
        ? {model: MODEL, messages: [{role: "user", content: `Request number ${i}, tell me a story.`}]}
        : {model: MODEL, prompt: `Story number ${i}:`};
    Object.assign(body, {max_tokens: 64, temperature: 0, stream, stream_options: stream ? {include_usage: true} : undefined});
    const res = await postJson(`${net.client.url}${path}`, body, {timeoutMs: 120_000});
    assert.equal(res.status, 200, `request ${i}: ${res.text}`);
    let usage, text;
    if (stream) {
        const events = parseSseStrict(res.text);
        assert.ok(events.at(-1).done, `request ${i} ends with [DONE]`);
        const chunks = events.slice(0, -1).map((e) => e.json);
        assert.ok(chunks.every((c) => !c.error), `request ${i} had an error event`);
        usage = chunks.at(-1).usage;
        text = chunks.map((c) => chunkText(c) ?? "").join("");
    } else {
        usage = res.body.usage;
        text = chat ? res.body.choices[0].message.content : res.body.choices[0].text;
    }
    assert.ok(usage && usage.completion_tokens > 0 && usage.completion_tokens <= 64, `request ${i} usage ${JSON.stringify(usage)}`);
    assert.ok(text.length > 0, `request ${i} text`);
    return {worker: res.headers.get("x-chrysalis-worker"), text, body: {...body, stream: false, stream_options: undefined}, path};
}

test(`${REQUESTS} concurrent requests over ${WORKERS} workers all succeed and spread over workers`, async () => {
    const results = await Promise.all(Array.from({length: REQUESTS}, (_, i) => one(i)));
    const byWorker = new Map();
    for (const r of results) byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
    assert.ok(byWorker.size >= 2, `all requests went to one worker: ${JSON.stringify([...byWorker])}`);
    for (const id of byWorker.keys()) assert.ok(net.workers.some((w) => w.id === id), `unknown worker header ${id}`);

    // Answers under load equal the same requests made one at a time (temperature 0).
    for (const r of results.slice(0, 4)) {
        const again = await postJson(`${net.client.url}${r.path}`, r.body);
        const text = r.path.includes("chat") ? again.body.choices[0].message.content : again.body.choices[0].text;
        assert.equal(r.text, text);
    }

    // The workers' own counters agree.
    let served = 0;
    for (const w of net.workers) {
        const s = await w.stats();
        served += s.metrics?.counters?.requests?.["outcome=ok"] ?? 0;
        assert.equal(s.running, 0, `${w.id} still running requests`);
    }
    assert.ok(served >= REQUESTS, `workers report ${served} ok requests`);
});

test("the proxy's /stats shows more than one worker served", async () => {
    const res = await fetch(`${net.proxy.url}/stats`);
    const text = await res.text();
    assert.equal(res.status, 200, `proxy /stats: HTTP ${res.status} ${text}`);
    const stats = JSON.parse(text);
    assert.equal(stats.workers.length, WORKERS);
    const servedWorkers = stats.workers.filter((w) => w.served > 0);
    assert.ok(servedWorkers.length >= 2, `served: ${JSON.stringify(stats.workers.map((w) => [w.id, w.served]))}`);
    const total = stats.workers.reduce((sum, w) => sum + w.served, 0);
    assert.ok(total >= REQUESTS, `proxy counted ${total} served requests`);
    assert.equal(stats.in_flight, 0);
});

test("workers keep their engine connections alive and the client checks each worker's certificate once", async () => {
    // A few more, one after another: each worker's engine connection of the last one is still idle.
    for (let i = 0; i < 2 * WORKERS; ++i) await one(100 + i);
    let reused = 0, opened = 0;
    for (const w of net.workers) {
        const pool = (await w.stats()).engine.connections;
        assert.ok(pool.idle <= pool.max_idle_per_host, `${w.id}: ${JSON.stringify(pool)}`);
        reused += pool.reused;
        opened += pool.opened;
    }
    assert.ok(reused > 0, `no engine connection was reused (opened ${opened})`);
    // The client seals each request for the worker the proxy picked, after checking its certificate:
    // a worker seen before is not verified again while the policy is the same.
    const cache = (await net.client.stats()).attestation?.certificate_cache;
    if (cache) {  // a client with attestation (e2e): its cache answered most checks
        assert.ok(cache.hits > 0, `certificate cache: ${JSON.stringify(cache)}`);
        assert.ok(cache.misses < cache.hits + WORKERS * 2, `certificate cache: ${JSON.stringify(cache)}`);
    }
});
