// POST /v1/embeddings through client -> proxy -> worker -> embedded engine with the official openai
// SDK: the vectors' shape, determinism and order, base64 and float encodings, refusals by name,
// routing only to workers that announce embeddings, receipts that cover the vectors, and usage that
// counts input tokens only.
import assert from "node:assert/strict";
import {after, before, describe, test} from "node:test";
import OpenAI from "openai";
import {MODEL, postJson, startNetwork} from "../lib/harness.mjs";

const DIMENSIONS = 64;  // the test model's embedding size (chrysalis model make-test)

let net, plainClient, openai, plain, chatOnly;
before(async () => {
    net = await startNetwork({label: "embeddings", workers: 1});
    // A second worker whose engine does not embed: embeddings must never be routed to it.
    chatOnly = await net.cluster.startWorker({id: "chat-only", proxies: [net.proxy], engine: {kind: "embedded", embeddings: false}});
    plainClient = await net.cluster.startClient({id: "plain", proxies: [net.proxy], settings: {e2e: "off"}});
    await net.cluster.waitForWorkers(net.client, 2);
    await net.cluster.waitForWorkers(plainClient, 2);
    openai = new OpenAI({baseURL: `${net.client.url}/v1`, apiKey: "unused", maxRetries: 0});
    plain = new OpenAI({baseURL: `${plainClient.url}/v1`, apiKey: "unused", maxRetries: 0});
});
after(async () => {
    await net?.cluster.stop();
});

const norm = (v) => Math.hypot(...v);
const close = (a, b) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-6);

describe("embeddings", () => {
    test("one input: a unit vector of the model's size, usage counting input tokens only", async () => {
        const r = await openai.embeddings.create({model: MODEL, input: "a butterfly in the rain"});
        assert.equal(r.object, "list");
        assert.equal(r.model, MODEL);
        assert.equal(r.data.length, 1);
        assert.equal(r.data[0].object, "embedding");
        assert.equal(r.data[0].index, 0);
        assert.equal(r.data[0].embedding.length, DIMENSIONS);
        assert.ok(Math.abs(norm(r.data[0].embedding) - 1) < 1e-4, `norm ${norm(r.data[0].embedding)}`);
        assert.ok(r.usage.prompt_tokens > 0);
        assert.equal(r.usage.total_tokens, r.usage.prompt_tokens);
        assert.equal(r.chrysalis.receipt.verified, true, JSON.stringify(r.chrysalis.receipt));
        assert.equal(r.chrysalis.receipt.worker.usage.completion_tokens ?? 0, 0);
    });

    test("deterministic, and a batch answers in input order with the same vectors", async () => {
        const texts = ["something else", "a butterfly in the rain", "the proxy", "a butterfly in the rain"];
        const single = await openai.embeddings.create({model: MODEL, input: texts[1], encoding_format: "float"});
        const again = await openai.embeddings.create({model: MODEL, input: texts[1], encoding_format: "float"});
        assert.deepEqual(again.data[0].embedding, single.data[0].embedding, "the same input embeds the same");
        const batch = await openai.embeddings.create({model: MODEL, input: texts, encoding_format: "float"});
        assert.deepEqual(batch.data.map((d) => d.index), [0, 1, 2, 3]);
        assert.ok(close(batch.data[1].embedding, single.data[0].embedding), "batched like alone");
        assert.ok(close(batch.data[3].embedding, single.data[0].embedding));
        assert.ok(!close(batch.data[0].embedding, single.data[0].embedding), "different texts embed differently");
        assert.ok(batch.usage.prompt_tokens > single.usage.prompt_tokens * 2, "the batch counts every input's tokens");
    });

    test("base64 answers decode to the float answers; token-id input is embedded too", async () => {
        const asFloat = await openai.embeddings.create({model: MODEL, input: "the proxy", encoding_format: "float"});
        const raw = await postJson(`${net.client.url}/v1/embeddings`, {model: MODEL, input: "the proxy", encoding_format: "base64"});
        assert.equal(raw.status, 200, raw.text);
        const bytes = Buffer.from(raw.body.data[0].embedding, "base64");
        const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
        assert.ok(close(decoded, asFloat.data[0].embedding));
        const tokens = await openai.embeddings.create({model: MODEL, input: [[5, 6, 7], [8, 9]], encoding_format: "float"});
        assert.equal(tokens.data.length, 2);
        assert.equal(tokens.usage.prompt_tokens, 5, "token ids are counted as given");
    });

    test("dimensions: the model's own size is accepted, another is refused by name", async () => {
        const r = await openai.embeddings.create({model: MODEL, input: "x", dimensions: DIMENSIONS});
        assert.equal(r.data[0].embedding.length, DIMENSIONS);
        await assert.rejects(openai.embeddings.create({model: MODEL, input: "x", dimensions: 32}),
            (e) => e.status === 400 && /dimensions/.test(e.message));
    });

    test("bad input is refused by name before it leaves the client", async () => {
        const refusals = [
            [{input: ""}, "input"],
            [{input: []}, "input"],
            [{input: ["a", ""]}, "input[1]"],
            [{input: ["a", 7]}, "input[1]"],
            [{input: Array(2049).fill("t")}, "input"],
            [{input: "a", encoding_format: "int8"}, "encoding_format"],
            [{input: "a", dimensions: 0}, "dimensions"],
            [{}, "input"],
        ];
        for (const [body, param] of refusals) {
            const r = await postJson(`${net.client.url}/v1/embeddings`, {model: MODEL, ...body});
            assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
            assert.equal(r.body.error.param, param, r.text);
        }
    });

    test("only workers that announce embeddings get them", async () => {
        const stats = await net.proxy.stats();
        const flags = Object.fromEntries(stats.workers.map((w) => [w.id, w.embeddings]));
        assert.equal(flags["chat-only"], false);
        assert.equal(Object.values(flags).filter(Boolean).length, 1);
        const embedder = stats.workers.find((w) => w.embeddings).id;
        const engine = (await net.workers[0].stats()).engine;
        assert.equal(engine.embeddings, true);
        assert.equal(engine.max_embeddings_answer_bytes, 160 * 1024 * 1024, "the answer bound is on /stats");
        for (let i = 0; i < 6; i++) {
            const r = await postJson(`${net.client.url}/v1/embeddings`, {model: MODEL, input: `text ${i}`});
            assert.equal(r.status, 200, r.text);
            assert.equal(r.headers.get("x-chrysalis-worker"), embedder);
        }
        // Chat still reaches both: two at a time, so the routing policy (which may prefer the
        // quicker of two idle workers) has a reason to use the other one.
        const seen = new Set();
        for (let i = 0; i < 8 && seen.size < 2; i++) {
            const answers = await Promise.all([0, 1].map((j) => postJson(`${net.client.url}/v1/chat/completions`,
                {model: MODEL, messages: [{role: "user", content: `hi ${i}.${j}`}], max_tokens: 8})));
            for (const r of answers) {
                assert.equal(r.status, 200, r.text);
                seen.add(r.headers.get("x-chrysalis-worker"));
            }
        }
        assert.equal(seen.size, 2, "chat is served by both workers");
    });

    test("in plaintext the receipt covers the vectors too", async () => {
        const r = await plain.embeddings.create({model: MODEL, input: ["one", "two"], encoding_format: "float"});
        assert.equal(r.data.length, 2);
        assert.equal(r.chrysalis.receipt.verified, true, JSON.stringify(r.chrysalis.receipt));
        const e2e = await openai.embeddings.create({model: MODEL, input: ["one", "two"], encoding_format: "float"});
        assert.ok(close(r.data[1].embedding, e2e.data[1].embedding), "sealed or not, the same vectors");
    });
});
