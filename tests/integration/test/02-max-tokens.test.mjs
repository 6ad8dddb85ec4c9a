// max_tokens is honoured exactly: by the embedded engine through the network, and by the
// worker itself when a (mock) engine ignores max_tokens or reports no usage.
import assert from "node:assert/strict";
import {after, before, describe, test} from "node:test";
import {Cluster, MODEL, chunkText, parseSseStrict, postJson} from "../lib/harness.mjs";
import {startMockEngine, tokenText} from "../lib/mock_engine.mjs";

const MOCK_MODEL = "mock-model";
let cluster, client, mock;

before(async () => {
    mock = await startMockEngine({model: MOCK_MODEL});
    cluster = new Cluster("maxtokens");
    const proxy = await cluster.startProxy();
    await Promise.all([
        cluster.startWorker({proxies: [proxy]}),
        cluster.startWorker({proxies: [proxy], model: MOCK_MODEL, engine: {kind: "external", url: mock.url}}),
    ]);
    client = await cluster.startClient({proxies: [proxy], defaultMaxTokens: 40});
    await cluster.waitForWorkers(client, 1);
    await cluster.waitForWorkers(client, 1, {model: MOCK_MODEL});
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

async function stream(path, body) {
    const res = await postJson(`${client.url}${path}`, {...body, stream: true, stream_options: {include_usage: true}});
    assert.equal(res.status, 200, res.text);
    const events = parseSseStrict(res.text);
    assert.ok(events.at(-1).done, "ends with [DONE]");
    const chunks = events.slice(0, -1).map((e) => e.json);
    const usage = chunks.at(-1).usage;
    assert.ok(usage, "usage chunk");
    const answer = chunks.slice(0, -1);
    const tokenChunks = answer.filter((c) => c.choices.length && c.choices[0].finish_reason == null);
    const final = answer.filter((c) => c.choices.length && c.choices[0].finish_reason != null);
    assert.equal(final.length, 1, "one finish chunk");
    return {usage, tokenChunks, finishReason: final[0].choices[0].finish_reason,
        text: answer.map((c) => chunkText(c) ?? "").join("")};
}

describe("embedded engine", () => {
    for (const n of [1, 7, 200]) {
        test(`chat stream, max_tokens ${n}: exactly ${n} tokens and ${n} token chunks`, async () => {
            const r = await stream("/v1/chat/completions", {
                model: MODEL, messages: [{role: "user", content: "Write a very long story about everything."}],
                max_tokens: n, temperature: 0,
            });
            assert.equal(r.finishReason, "length", "the generation must be cut by max_tokens");
            assert.equal(r.usage.completion_tokens, n);
            assert.equal(r.tokenChunks.length, n);
        });
    }

    test("completion stream and non-stream, max_tokens 150", async () => {
        const body = {model: MODEL, prompt: "hello", max_tokens: 150, temperature: 0};
        const r = await stream("/v1/completions", body);
        assert.equal(r.finishReason, "length");
        assert.equal(r.usage.completion_tokens, 150);
        assert.equal(r.tokenChunks.length, 150);
        const whole = await postJson(`${client.url}/v1/completions`, body);
        assert.equal(whole.status, 200, whole.text);
        assert.equal(whole.body.usage.completion_tokens, 150);
        assert.equal(whole.body.choices[0].finish_reason, "length");
        assert.equal(whole.body.choices[0].text, r.text);
    });

    test("max_completion_tokens is honoured like max_tokens", async () => {
        const r = await stream("/v1/chat/completions", {
            model: MODEL, messages: [{role: "user", content: "Go on and on."}], max_completion_tokens: 9, temperature: 0,
        });
        assert.equal(r.usage.completion_tokens, 9);
        assert.equal(r.tokenChunks.length, 9);
    });

    test("without max_tokens the client's default_max_tokens (40) applies", async () => {
        const r = await stream("/v1/completions", {model: MODEL, prompt: "hello", temperature: 0});
        assert.equal(r.finishReason, "length");
        assert.equal(r.usage.completion_tokens, 40);
        assert.equal(r.tokenChunks.length, 40);
    });
});

describe("engine that ignores max_tokens: the worker cuts the stream", () => {
    const expected = (n) => Array.from({length: n}, (_, i) => tokenText(i)).join("");

    test("chat stream, max_tokens 7", async () => {
        const before = mock.requests.length;
        const r = await stream("/v1/chat/completions", {
            model: MOCK_MODEL, messages: [{role: "user", content: "mock:ignore_max"}], max_tokens: 7,
        });
        assert.equal(mock.requests.length, before + 1);
        assert.equal(mock.requests.at(-1).body.max_tokens, 7, "the engine was asked for 7");
        assert.ok(mock.requests.at(-1).body.stream_options?.include_usage, "the worker forces include_usage");
        assert.equal(r.tokenChunks.length, 7);
        assert.equal(r.text, expected(7));
        assert.equal(r.finishReason, "length");
        assert.equal(r.usage.completion_tokens, 7);
        assert.ok(r.usage.prompt_tokens > 0);
    });

    test("completion non-stream, max_tokens 5", async () => {
        const res = await postJson(`${client.url}/v1/completions`, {model: MOCK_MODEL, prompt: "mock:ignore_max", max_tokens: 5});
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.choices[0].text, expected(5));
        assert.equal(res.body.choices[0].finish_reason, "length");
        assert.equal(res.body.usage.completion_tokens, 5);
    });
});

describe("engine that reports no usage: the worker counts tokens itself", () => {
    test("chat stream, max_tokens 9", async () => {
        const r = await stream("/v1/chat/completions", {
            model: MOCK_MODEL, messages: [{role: "user", content: "mock:no_usage please count"}], max_tokens: 9,
        });
        assert.equal(r.tokenChunks.length, 9);
        assert.equal(r.usage.completion_tokens, 9, "completion tokens counted by the worker");
        assert.ok(r.usage.prompt_tokens > 0, "prompt tokens estimated by the worker");
        assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 9);
    });

    test("completion non-stream, max_tokens 4", async () => {
        const res = await postJson(`${client.url}/v1/completions`, {model: MOCK_MODEL, prompt: "mock:no_usage", max_tokens: 4});
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.usage.completion_tokens, 4);
        assert.ok(res.body.usage.prompt_tokens > 0);
    });
});
