// Hostile requests: what the HTTP API refuses, sent through it and as raw frames past it. Each
// attack is refused with a named reason, reaches no engine, and every node stays up and serving.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, expectOpenAiError, postJson, statsCounter} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";
import {rawRequest} from "./lib/adversary.mjs";

let cluster, proxy, worker, client, mock;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("hostile-requests");
    // Prefix affinity makes the proxy read (and hash) each body: the path a deep body once crashed.
    proxy = await cluster.startProxy({routing: {affinity_prefix_chars: 64}});
    worker = await cluster.startWorker({proxies: [proxy], engine: {kind: "external", url: mock.url}});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const deep = (levels) => `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"x":` +
    "[".repeat(levels) + "]".repeat(levels) + "}";
const chat = (content = "hi") => JSON.stringify({model: MODEL, messages: [{role: "user", content}]});

async function everyoneStillServes() {
    for (const n of [proxy, worker, client]) assert.ok(n.alive, `${n.name} died:\n${n.logs()}`);
    const r = await postJson(`${client.url}/v1/chat/completions`, {model: MODEL, messages: [{role: "user", content: "ok?"}],
        max_tokens: 3});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.usage.completion_tokens, 3);
}

test("a body nested 100,000 levels deep gets 400 from the client, which stays up", async () => {
    const r = await postJson(`${client.url}/v1/chat/completions`, deep(100_000));
    expectOpenAiError(assert, r, 400, {code: "invalid_json", messageIncludes: "nests deeper than 64 levels"});
    await everyoneStillServes();
});

test("the same body as a raw frame is refused by the proxy and never reaches a worker", async () => {
    const before = mock.requests.length;
    const frames = await rawRequest(client, proxy, cluster.dir, {body: deep(100_000)});
    const error = frames.at(-1).error;
    assert.ok(error, JSON.stringify(frames));
    assert.equal(error.httpStatus, 400);
    assert.equal(error.code, "invalid_body");
    assert.equal(error.hop, "proxy");
    assert.match(error.message, /nests deeper than 64 levels/);
    assert.equal(mock.requests.length, before);
    await everyoneStillServes();
});

test("max_tokens = 0, a foreign engine path and an inflated prompt estimate are refused by name", async () => {
    const pathsBefore = mock.paths.length;
    const cases = [
        [{maxTokens: 0, body: chat()}, "invalid_max_tokens", /between 1 and 32768, got 0/],
        [{maxTokens: 1_000_000, body: chat()}, "invalid_max_tokens", /got 1000000/],
        [{path: "/api/pull", body: chat()}, "invalid_path", /got '\/api\/pull'/],
        [{path: "/v1/load_lora_adapter", body: chat()}, "invalid_path", /load_lora_adapter/],
        [{estimate: 1e12, body: chat()}, "invalid_prompt_estimate", /exceeds what the body can hold/],
        [{body: "[1,2,3]"}, "invalid_body", /must be a JSON object/],
    ];
    for (const [request, code, message] of cases) {
        const frames = await rawRequest(client, proxy, cluster.dir, request);
        const error = frames.at(-1).error;
        assert.ok(error, `${code}: ${JSON.stringify(frames)}`);
        assert.equal(error.code, code);
        assert.equal(error.httpStatus, 400);
        assert.match(error.message, message);
    }
    assert.deepEqual(mock.paths.slice(pathsBefore).filter((p) => p.startsWith("POST")), [],
        "nothing reached the engine");
    const stats = await proxy.stats();
    assert.equal(statsCounter(stats, "requests_refused", "reason=invalid_path"), 2);
    await everyoneStillServes();
});

test("a worker whose engine claims a billion tokens is held to what the request could use", async () => {
    const content = "mock:inflate_usage";
    const r = await postJson(`${client.url}/v1/chat/completions`, {model: MODEL, messages: [{role: "user", content}],
        max_tokens: 5});
    assert.equal(r.status, 200, r.text);
    const bodyBytes = Buffer.byteLength(JSON.stringify({model: MODEL, messages: [{role: "user", content}]}));
    assert.ok(r.body.usage.completion_tokens <= 5, JSON.stringify(r.body.usage));
    // The network's bound on any prompt: the normalized body's bytes plus chat framing.
    assert.ok(r.body.usage.prompt_tokens <= bodyBytes + 200 + 128, JSON.stringify(r.body.usage));
    assert.ok((r.body.usage.prompt_tokens_details?.cached_tokens ?? 0) <= r.body.usage.prompt_tokens);
    await everyoneStillServes();
});
