// An app that disconnects in the middle of a streamed answer cancels the request all the way
// down: the worker ends it as "cancelled" and its engine connection is closed.
import assert from "node:assert/strict";
import fs from "node:fs";
import {after, before, test} from "node:test";
import {Cluster, MODEL, readSse, sleep, statsCounter, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

const MOCK_MODEL = "mock-model";
let cluster, client, mockWorker, embeddedWorker, proxy, mock;
before(async () => {
    mock = await startMockEngine({slowMs: 40, model: MOCK_MODEL});
    cluster = new Cluster("cancel");
    proxy = await cluster.startProxy();
    [mockWorker, embeddedWorker] = await Promise.all([
        cluster.startWorker({proxies: [proxy], model: MOCK_MODEL, engine: {kind: "external", url: mock.url}}),
        cluster.startWorker({proxies: [proxy]}),
    ]);
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
    await cluster.waitForWorkers(client, 1, {model: MOCK_MODEL});
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

// Starts a stream, reads `chunks` content chunks, then drops the connection.
async function streamThenDisconnect(body, chunks) {
    const controller = new AbortController();
    const res = await fetch(`${client.url}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({...body, stream: true}),
        signal: controller.signal,
    });
    assert.equal(res.status, 200);
    let seen = 0;
    const {ended} = await readSse(res, (e) => !e.done && e.json.choices?.length > 0 && ++seen >= chunks);
    assert.equal(ended, "stopped");
    controller.abort();
    return res;
}

test("disconnect mid-stream: the engine connection is closed and the worker counts it cancelled", async () => {
    const before = statsCounter(await mockWorker.stats(), "requests", "outcome=cancelled");
    const started = Date.now();
    await streamThenDisconnect({model: MOCK_MODEL, messages: [{role: "user", content: "mock:slow"}], max_tokens: 20_000}, 3);
    const record = mock.requests.at(-1);
    assert.equal(record.mode, "slow");
    const closedEarly = await Promise.race([record.closed, sleep(10_000).then(() => "still open after 10 s")]);
    assert.equal(closedEarly, true, "the engine saw its request closed before the end");
    assert.ok(Date.now() - started < 10_000);
    const sent = record.chunksSent;
    await sleep(300);
    assert.equal(record.chunksSent, sent, "the engine stopped producing");
    await waitFor(async () => statsCounter(await mockWorker.stats(), "requests", "outcome=cancelled") === before + 1,
        {timeoutMs: 5000, what: "worker outcome cancelled"});
    const s = await mockWorker.stats();
    assert.equal(s.running, 0);
    assert.match(await mockWorker.metrics(), /chrysalis_worker_requests_total\{outcome="cancelled"\} 1/);
    const clientStats = await client.stats();
    assert.ok(statsCounter(clientStats, "requests", "outcome=cancelled") >= 1, JSON.stringify(clientStats.metrics));
});

test("disconnect before any content arrives also cancels the engine request", async () => {
    const before = statsCounter(await mockWorker.stats(), "requests", "outcome=cancelled");
    const controller = new AbortController();
    const pending = fetch(`${client.url}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({model: MOCK_MODEL, messages: [{role: "user", content: "mock:stall"}], max_tokens: 10, stream: true}),
        signal: controller.signal,
    }).catch((e) => e);
    const count = mock.requests.length;
    await waitFor(() => mock.requests.length > count, {timeoutMs: 5000, what: "the request to reach the engine"});
    const record = mock.requests.at(-1);
    assert.equal(record.mode, "stall");
    controller.abort();
    await pending;
    const closedEarly = await Promise.race([record.closed, sleep(10_000).then(() => "still open after 10 s")]);
    assert.equal(closedEarly, true);
    await waitFor(async () => statsCounter(await mockWorker.stats(), "requests", "outcome=cancelled") === before + 1,
        {timeoutMs: 5000, what: "worker outcome cancelled"});
});

test("disconnect from an embedded-engine stream cancels the generation", async () => {
    const w = embeddedWorker;
    const before = await w.stats();
    const cancelledBefore = statsCounter(before, "requests", "outcome=cancelled");
    const okBefore = statsCounter(before, "requests", "outcome=ok");
    // ~1900 tokens take seconds on the tiny model; we leave after 3.
    await streamThenDisconnect({model: MODEL, messages: [{role: "user", content: "Write forever."}], max_tokens: 1900, temperature: 0}, 3);
    await waitFor(async () => statsCounter(await w.stats(), "requests", "outcome=cancelled") === cancelledBefore + 1,
        {timeoutMs: 10_000, what: "worker outcome cancelled"});
    const after = await w.stats();
    assert.equal(statsCounter(after, "requests", "outcome=ok"), okBefore, "the request must not complete normally");
    const completion = statsCounter(after, "tokens", "kind=completion") - statsCounter(before, "tokens", "kind=completion");
    assert.ok(completion < 1900, `the worker billed ${completion} completion tokens for a cancelled request`);
    // The engine itself saw the request go away (it logs status 499 for a client that left).
    await waitFor(() => /engine POST \/v1\/chat\/completions status=499/.test(fs.readFileSync(w.engineLog, "utf8")),
        {timeoutMs: 10_000, what: "status=499 in the engine log"});
    const health = await (await fetch(`${w.engineUrl}/healthz`)).json();
    assert.equal(health.busy, 0);
});

test("disconnect while the engine has not even answered its head cancels it too", async () => {
    const before = statsCounter(await mockWorker.stats(), "requests", "outcome=cancelled");
    const controller = new AbortController();
    const count = mock.requests.length;
    const pending = fetch(`${client.url}/v1/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({model: MOCK_MODEL, prompt: "mock:hang", max_tokens: 10, stream: false}),
        signal: controller.signal,
    }).catch((e) => e);
    await waitFor(() => mock.requests.length > count, {timeoutMs: 5000, what: "the request to reach the engine"});
    const record = mock.requests.at(-1);
    assert.equal(record.mode, "hang");
    await sleep(200);
    controller.abort();
    assert.equal((await pending).name, "AbortError");
    const closedEarly = await Promise.race([record.closed, sleep(10_000).then(() => "still open after 10 s")]);
    assert.equal(closedEarly, true, "the engine request was closed");
    await waitFor(async () => statsCounter(await mockWorker.stats(), "requests", "outcome=cancelled") === before + 1,
        {timeoutMs: 5000, what: "worker outcome cancelled"});
    assert.equal((await mockWorker.stats()).running, 0);
});
