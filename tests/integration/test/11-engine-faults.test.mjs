// Fault injection with a mock engine behind a real worker: multi-byte UTF-8 split across reads,
// an engine that dies mid-stream, one that stalls, one that answers HTTP 500, embeddings that are
// not what was asked.
import assert from "node:assert/strict";
import fs from "node:fs";
import {after, before, test} from "node:test";
import {Cluster, MODEL, chunkText, expectOpenAiError, parseSseStrict, postJson, readSse, waitFor} from "../lib/harness.mjs";
import {EMBEDDING_DIMS, UTF8_TOKENS, mockVector, startMockEngine, tokenText} from "../lib/mock_engine.mjs";

const CAPACITY = 2;
let cluster, client, proxy, worker, mock;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("faults");
    proxy = await cluster.startProxy();
    worker = await cluster.startWorker({proxies: [proxy], engine: {kind: "external", url: mock.url, embeddings: true}, maxConcurrent: CAPACITY});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const chat = (content, extra = {}) => ({model: MODEL, messages: [{role: "user", content}], max_tokens: 50, ...extra});

test("multi-byte UTF-8 split across reads arrives intact, one chunk per token", async () => {
    const res = await fetch(`${client.url}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(chat("mock:utf8", {stream: true, stream_options: {include_usage: true}})),
    });
    assert.equal(res.status, 200);
    const raw = Buffer.from(await res.arrayBuffer());
    const text = new TextDecoder("utf-8", {fatal: true}).decode(raw);  // throws on broken UTF-8
    assert.ok(!text.includes("\uFFFD"), "no replacement characters");
    const events = parseSseStrict(text);
    assert.ok(events.at(-1).done);
    const chunks = events.slice(0, -1).map((e) => e.json);
    const tokenChunks = chunks.filter((c) => c.choices.length && c.choices[0].finish_reason == null);
    assert.deepEqual(tokenChunks.map(chunkText), UTF8_TOKENS);
    assert.equal(chunks.at(-1).usage.completion_tokens, UTF8_TOKENS.length);

    const whole = await postJson(`${client.url}/v1/chat/completions`, chat("mock:utf8"));
    assert.equal(whole.status, 200, whole.text);
    assert.equal(whole.body.choices[0].message.content, UTF8_TOKENS.join(""));
    assert.equal(whole.body.usage.completion_tokens, UTF8_TOKENS.length);
});

test("engine dying mid-stream: the tokens so far, then an error event, then the end", async () => {
    const res = await fetch(`${client.url}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(chat("mock:die", {stream: true})),
        signal: AbortSignal.timeout(20_000),
    });
    assert.equal(res.status, 200);
    const {events, ended} = await readSse(res);
    assert.equal(ended, "eof");
    const content = events.filter((e) => !e.done && e.json.choices?.length).map((e) => chunkText(e.json)).join("");
    assert.equal(content, [0, 1, 2, 3, 4].map(tokenText).join(""));
    const last = events.at(-1);
    assert.ok(!last.done && last.json.error, `last event: ${last.data}`);
    assert.equal(typeof last.json.error.message, "string");
    assert.match(last.json.error.message, /engine/);
    assert.equal(last.json.error.code, "engine_stream_broken");

    const whole = await postJson(`${client.url}/v1/chat/completions`, chat("mock:die"));
    expectOpenAiError(assert, whole, 502, {code: "engine_stream_broken"});
});

test("engine stalling: the request's timeout gives 504, not a hang", async () => {
    const started = Date.now();
    const r = await postJson(`${client.url}/v1/chat/completions`, chat("mock:stall", {timeout: 2}), {timeoutMs: 20_000});
    const elapsed = Date.now() - started;
    const error = expectOpenAiError(assert, r, 504);
    assert.match(error.message, /within|timed out/);
    assert.ok(elapsed >= 1500 && elapsed < 8000, `answered after ${elapsed} ms`);
    assert.equal(await mock.requests.at(-1).closed, true, "the worker hung up on the engine");
});

test("engine answering HTTP 500: 502 naming the engine and its message", async () => {
    const r = await postJson(`${client.url}/v1/completions`, {model: MODEL, prompt: "mock:http500", max_tokens: 4});
    const error = expectOpenAiError(assert, r, 502);
    assert.match(error.message, /mock engine exploded/);
    assert.match(error.message, /engine/);
});

test("requests beyond every worker's max_concurrent wait for a free slot instead of being refused", async () => {
    const slow = () => postJson(`${client.url}/v1/completions`, {model: MODEL, prompt: "mock:slow", max_tokens: 25});
    const running = Array.from({length: CAPACITY}, slow);  // 25 x 50 ms each
    const count = mock.requests.length;
    await waitFor(() => mock.requests.length === count + CAPACITY, {timeoutMs: 5000, what: "the slow requests to start"});
    const queuedBefore = (await proxy.stats()).admission.queued;
    const extra = await postJson(`${client.url}/v1/completions`, {model: MODEL, prompt: "mock:count", max_tokens: 2});
    assert.equal(extra.status, 200, extra.text);
    const slowOnes = await Promise.all(running);
    for (const r of slowOnes) assert.equal(r.status, 200, r.text);
    const admission = (await proxy.stats()).admission;
    assert.equal(admission.queued, queuedBefore + 1, `it waited in line: ${JSON.stringify(admission)}`);
    assert.equal(admission.waiting, 0);
    // It reached the engine only once a slow one had finished (the worker never ran more than it can).
    assert.equal(mock.requests.length, count + CAPACITY + 1);
});

test("the request id follows the request to the engine and through every node's log", async () => {
    const r = await postJson(`${client.url}/v1/chat/completions`, chat("mock:count", {max_tokens: 2}));
    assert.equal(r.status, 200, r.text);
    const rid = r.headers.get("x-request-id");
    assert.ok(rid && rid.length >= 8, `X-Request-Id ${rid}`);
    assert.equal(mock.requests.at(-1).headers["x-request-id"], rid, "the engine got the same request id");
    // Nodes log a request's summary line just after answering it, so give the logs a moment.
    for (const node of cluster.nodes) {
        const deadline = Date.now() + 5000;
        while (!fs.readFileSync(node.log, "utf8").includes(rid) && Date.now() < deadline)
            await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(fs.readFileSync(node.log, "utf8").includes(rid), `${node.name} log mentions ${rid}`);
    }
});

test("an external engine's embeddings pass through; a wrong answer is a 502 naming the problem", async () => {
    const ok = await postJson(`${client.url}/v1/embeddings`, {model: MODEL, input: ["one", "three"], encoding_format: "float"});
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.data.length, 2);
    assert.equal(ok.body.data[0].embedding.length, EMBEDDING_DIMS);
    for (const [i, text] of ["one", "three"].entries())
        ok.body.data[i].embedding.forEach((x, j) => assert.ok(Math.abs(x - mockVector(text)[j]) < 1e-9));
    assert.equal(ok.body.usage.prompt_tokens, 6, "the engine's count");
    const problems = {
        short: "the engine answered 1 embeddings for 2 inputs",
        ragged: "embedding 1: has 7 dimensions; the ones before it have 8",
        swapped: "embedding 0: 'index' must be 0",
        junk: "embedding 0: 'embedding' holds a value that is not a finite number",
    };
    for (const [mode, problem] of Object.entries(problems)) {
        const r = await postJson(`${client.url}/v1/embeddings`, {model: MODEL, input: [`mock:${mode}`, "b"], encoding_format: "float"});
        expectOpenAiError(assert, r, 502);
        assert.ok(r.body.error.message.includes(problem), `${mode}: ${r.body.error.message}`);
    }
    const stats = await worker.stats();
    assert.ok(JSON.stringify(stats).includes("engine_error"), "the worker counts them as engine errors");
});
