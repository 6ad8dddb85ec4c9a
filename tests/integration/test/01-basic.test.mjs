// Streaming and non-streaming chat and completions through client -> proxy -> worker ->
// embedded engine: raw HTTP with exact SSE framing, and the official openai npm client.
import assert from "node:assert/strict";
import {after, before, describe, test} from "node:test";
import OpenAI from "openai";
import {MODEL, chunkText, parseSseStrict, postJson, startNetwork} from "../lib/harness.mjs";

let net;
before(async () => {
    net = await startNetwork({label: "basic", workers: 1});
});
after(async () => {
    await net?.cluster.stop();
});

const chatBody = (extra = {}) => ({
    model: MODEL,
    messages: [{role: "user", content: "Tell me about the network."}],
    max_tokens: 24,
    temperature: 0,
    ...extra,
});
const completionBody = (extra = {}) => ({model: MODEL, prompt: "Once upon a time", max_tokens: 24, temperature: 0, ...extra});

// Checks one streamed answer and returns {chunks, text, usage}.
function checkStream(res, kind, {includeUsage}) {
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type"), /^text\/event-stream/);
    assert.ok(res.headers.get("x-request-id"), "X-Request-Id header");
    const events = parseSseStrict(res.text);
    assert.ok(events.length >= 3, `only ${events.length} events`);
    const last = events.at(-1);
    assert.equal(last.done, true, "the last event must be data: [DONE]");
    assert.equal(events.filter((e) => e.done).length, 1, "exactly one [DONE]");
    const chunks = events.slice(0, -1).map((e) => e.json);
    const object = kind === "chat" ? "chat.completion.chunk" : "text_completion";
    const id = chunks[0].id;
    assert.equal(typeof id, "string");
    for (const c of chunks) {
        assert.equal(c.object, object);
        assert.equal(c.id, id, "all chunks share one id");
        assert.equal(c.model, MODEL);
        assert.equal(typeof c.created, "number");
        assert.ok(Array.isArray(c.choices));
        assert.equal(c.error, undefined);
    }
    let usage = null;
    let content = chunks;
    if (includeUsage) {
        const u = chunks.at(-1);
        assert.deepEqual(u.choices, [], "the usage chunk has no choices");
        assert.ok(u.usage && typeof u.usage === "object", "usage chunk carries usage");
        usage = u.usage;
        content = chunks.slice(0, -1);
        assert.ok(content.every((c) => c.usage == null), "only the last chunk carries usage");
    } else {
        assert.ok(chunks.every((c) => c.usage == null), "no usage without stream_options.include_usage");
    }
    for (const c of content) assert.equal(c.choices.length, 1);
    if (kind === "chat") assert.equal(content[0].choices[0].delta.role, "assistant");
    const finals = content.filter((c) => c.choices[0].finish_reason != null);
    assert.equal(finals.length, 1, "exactly one chunk has a finish_reason");
    assert.equal(finals[0], content.at(-1), "the finish_reason comes last");
    const text = content.map((c) => chunkText(c) ?? "").join("");
    assert.ok(text.length > 0, "some text was generated");
    return {chunks: content, text, usage, finishReason: finals[0].choices[0].finish_reason};
}

describe("raw HTTP", () => {
    test("streaming chat with usage: exact SSE framing, chunks, usage chunk, [DONE] last", async () => {
        const res = await postJson(`${net.client.url}/v1/chat/completions`,
            chatBody({stream: true, stream_options: {include_usage: true}}));
        const {chunks, usage, finishReason} = checkStream(res, "chat", {includeUsage: true});
        assert.ok(usage.prompt_tokens > 0);
        assert.ok(usage.completion_tokens > 0 && usage.completion_tokens <= 24);
        assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
        assert.equal(typeof usage.prompt_tokens_details?.cached_tokens, "number");
        if (finishReason === "length") assert.equal(usage.completion_tokens, 24);
        // One chunk per generated token, plus the closing finish chunk.
        assert.equal(chunks.length, usage.completion_tokens + 1);
        assert.ok(res.headers.get("x-chrysalis-worker"), "worker id header");
    });

    test("streaming chat without include_usage has no usage chunk", async () => {
        const res = await postJson(`${net.client.url}/v1/chat/completions`, chatBody({stream: true}));
        checkStream(res, "chat", {includeUsage: false});
    });

    test("streaming completion with usage", async () => {
        const res = await postJson(`${net.client.url}/v1/completions`,
            completionBody({stream: true, stream_options: {include_usage: true}}));
        const {usage, chunks} = checkStream(res, "completion", {includeUsage: true});
        assert.ok(usage.completion_tokens > 0);
        assert.equal(chunks.length, usage.completion_tokens + 1);
    });

    test("non-streaming chat", async () => {
        const res = await postJson(`${net.client.url}/v1/chat/completions`, chatBody());
        assert.equal(res.status, 200, res.text);
        assert.match(res.headers.get("content-type"), /^application\/json/);
        const b = res.body;
        assert.equal(b.object, "chat.completion");
        assert.equal(typeof b.id, "string");
        assert.equal(b.model, MODEL);
        assert.equal(b.choices.length, 1);
        assert.equal(b.choices[0].message.role, "assistant");
        assert.equal(typeof b.choices[0].message.content, "string");
        assert.ok(b.choices[0].message.content.length > 0);
        assert.ok(["stop", "length"].includes(b.choices[0].finish_reason));
        assert.ok(b.usage.prompt_tokens > 0 && b.usage.completion_tokens > 0);
        assert.equal(b.usage.total_tokens, b.usage.prompt_tokens + b.usage.completion_tokens);
    });

    test("non-streaming completion", async () => {
        const res = await postJson(`${net.client.url}/v1/completions`, completionBody());
        assert.equal(res.status, 200, res.text);
        const b = res.body;
        assert.equal(b.object, "text_completion");
        assert.equal(b.choices.length, 1);
        assert.equal(typeof b.choices[0].text, "string");
        assert.ok(b.choices[0].text.length > 0);
        assert.ok(b.usage.completion_tokens > 0);
    });

    test("streamed and non-streamed answers agree at temperature 0", async () => {
        const whole = await postJson(`${net.client.url}/v1/chat/completions`, chatBody());
        const streamed = checkStream(await postJson(`${net.client.url}/v1/chat/completions`, chatBody({stream: true})),
            "chat", {includeUsage: false});
        assert.equal(streamed.text, whole.body.choices[0].message.content);
    });

    test("GET /v1/models lists the model with its workers and price range", async () => {
        const res = await fetch(`${net.client.url}/v1/models`);
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(body.object, "list");
        const m = body.data.find((x) => x.id === MODEL);
        assert.ok(m, JSON.stringify(body));
        assert.equal(m.object, "model");
        assert.equal(m.workers, 1);
        assert.equal(m.coefficient_min, 1000);
        assert.equal(m.coefficient_max, 1000);
    });

    test("every node serves /healthz, /stats and /metrics", async () => {
        for (const node of [net.client, net.proxy, net.workers[0]]) {
            const h = await fetch(`${node.url}/healthz`);
            assert.equal(h.status, 200, node.name);
            const stats = await node.stats();
            assert.equal(stats.role, node.role);
            // What the process holds: resident size, and malloc's heap in use against kept free.
            assert.ok(stats.memory.rss_bytes > 1 << 20, `${node.name} memory.rss_bytes`);
            assert.ok(stats.memory.heap_in_use_bytes > 0 && stats.memory.heap_in_use_bytes < stats.memory.rss_bytes * 4,
                      `${node.name} memory.heap_in_use_bytes`);
            assert.ok(stats.memory.heap_free_bytes >= 0, `${node.name} memory.heap_free_bytes`);
            const metrics = await node.metrics();
            assert.match(metrics, new RegExp(`chrysalis_${node.role}_`), `${node.name} metrics`);
        }
        const proxyStats = await net.proxy.stats();
        assert.equal(proxyStats.connections.workers, 1);
        assert.equal(proxyStats.connections.clients, 1);
        assert.deepEqual(proxyStats.workers_listed.total, 1);
    });

    test("the proxy pages its workers on /stats/workers and names a bad query", async () => {
        const page = await (await fetch(`${net.proxy.url}/stats/workers?offset=0&limit=5`)).json();
        assert.equal(page.total, 1);
        assert.equal(page.workers.length, 1);
        assert.equal(page.workers[0].id, net.workers[0].id);
        const past = await (await fetch(`${net.proxy.url}/stats/workers?offset=1`)).json();
        assert.deepEqual(past.workers, []);
        for (const [query, says] of [["limit=0", "limit must be"], ["limit=abc", "limit must be a non-negative integer"],
                                      ["limit=5000", "limit must be 1..1000"], ["page=2", "unknown query parameter 'page'"]]) {
            const r = await fetch(`${net.proxy.url}/stats/workers?${query}`);
            assert.equal(r.status, 400, query);
            const body = await r.json();
            assert.match(body.error.message, new RegExp(says.replace(/[.()]/g, "\\$&")), query);
        }
    });
});

describe("official openai npm client", () => {
    let openai;
    before(() => {
        openai = new OpenAI({baseURL: net.client.baseURL, apiKey: "not-needed", maxRetries: 0, timeout: 60_000});
    });

    test("chat.completions.create, stream false", async () => {
        const r = await openai.chat.completions.create({
            model: MODEL, messages: [{role: "user", content: "Hello there"}], max_tokens: 16, temperature: 0,
        });
        assert.equal(r.object, "chat.completion");
        assert.equal(r.choices[0].message.role, "assistant");
        assert.ok(r.choices[0].message.content.length > 0);
        assert.ok(r.usage.completion_tokens > 0 && r.usage.completion_tokens <= 16);
    });

    test("chat.completions.create, stream true with usage", async () => {
        const stream = await openai.chat.completions.create({
            model: MODEL, messages: [{role: "user", content: "Hello there"}], max_tokens: 16, temperature: 0,
            stream: true, stream_options: {include_usage: true},
        });
        let text = "";
        let usage = null;
        let chunks = 0;
        for await (const chunk of stream) {
            chunks++;
            assert.equal(chunk.object, "chat.completion.chunk");
            if (chunk.usage) usage = chunk.usage;
            text += chunk.choices[0]?.delta?.content ?? "";
        }
        assert.ok(text.length > 0);
        assert.ok(usage, "usage chunk");
        assert.ok(usage.completion_tokens > 0 && usage.completion_tokens <= 16);
        assert.equal(chunks, usage.completion_tokens + 2);  // tokens + finish chunk + usage chunk
        // Same text as the non-streaming call (temperature 0).
        const whole = await openai.chat.completions.create({
            model: MODEL, messages: [{role: "user", content: "Hello there"}], max_tokens: 16, temperature: 0,
        });
        assert.equal(text, whole.choices[0].message.content);
    });

    test("completions.create, stream false and true", async () => {
        const r = await openai.completions.create({model: MODEL, prompt: "The quick brown fox", max_tokens: 12, temperature: 0});
        assert.equal(r.object, "text_completion");
        assert.ok(r.choices[0].text.length > 0);
        assert.ok(r.usage.completion_tokens > 0);
        const stream = await openai.completions.create({
            model: MODEL, prompt: "The quick brown fox", max_tokens: 12, temperature: 0, stream: true,
        });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
        assert.equal(text, r.choices[0].text);
    });

    test("models.list", async () => {
        const models = [];
        for await (const m of openai.models.list()) models.push(m);
        const m = models.find((x) => x.id === MODEL);
        assert.ok(m, JSON.stringify(models));
        assert.equal(m.workers, 1);
    });

    test("errors arrive as openai APIError with status and code", async () => {
        await assert.rejects(
            openai.chat.completions.create({model: "no-such-model", messages: [{role: "user", content: "x"}], max_tokens: 4}),
            (e) => e instanceof OpenAI.APIError && e.status === 404 && e.code === "model_not_found");
    });
});
