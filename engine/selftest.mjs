#!/usr/bin/env node
// Self-test of the embedded engine: generates a test model with `chrysalis model make-test`,
// starts server.mjs on it and checks the OpenAI surface end to end. Every check can fail.
//   node engine/selftest.mjs [--model PATH.gguf]      (or env CHRYSALIS_TEST_MODEL / CHRYSALIS_BIN)
import {spawn, execFileSync} from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OVERALL_TIMEOUT_MS = 90_000;
const MODEL_NAME = "chrysalis-test";

const results = [];
async function check(name, fn) {
    const t0 = performance.now();
    try {
        await fn();
        results.push({name, ok: true});
        console.log(`ok - ${name} (${(performance.now() - t0).toFixed(0)} ms)`);
    } catch (e) {
        results.push({name, ok: false});
        console.log(`not ok - ${name}: ${e?.message || e}`);
    }
}

function assert(cond, message) {
    if (!cond) throw new Error(message);
}

function assertEq(actual, expected, what) {
    const a = JSON.stringify(actual), b = JSON.stringify(expected);
    if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

// ---------- model and server ----------

function prepareModel(tmp) {
    const i = process.argv.indexOf("--model");
    if (i !== -1) return process.argv[i + 1];
    if (process.env.CHRYSALIS_TEST_MODEL) return process.env.CHRYSALIS_TEST_MODEL;
    const bin = process.env.CHRYSALIS_BIN || path.resolve(HERE, "../build/chrysalis");
    if (!fs.existsSync(bin)) throw new Error(`no model given and ${bin} not built (run the C++ build first, or set CHRYSALIS_BIN)`);
    const out = path.join(tmp, "model.gguf");
    // A longer context than the default so the abort check has thousands of tokens to cut short.
    execFileSync(bin, ["model", "make-test", "--out", out, "--context", "4096"], {stdio: "inherit"});
    return out;
}

function startServer(modelPath, extraArgs = []) {
    const child = spawn(process.execPath, [path.join(HERE, "server.mjs"), "--model", modelPath, "--port", "0",
        "--parallel", "2", "--threads", "1", "--context", "4096", "--name", MODEL_NAME, ...extraArgs], {stdio: ["ignore", "pipe", "pipe"]});
    const logLines = [];
    child.stderr.on("data", (d) => process.stderr.write(`[server] ${d}`));
    const ready = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("server did not become ready in 30 s")), 30_000);
        let buffered = "";
        child.stdout.on("data", (d) => {
            buffered += d;
            let nl;
            while ((nl = buffered.indexOf("\n")) !== -1) {
                const line = buffered.slice(0, nl);
                buffered = buffered.slice(nl + 1);
                logLines.push(line);
                const m = /engine ready: .* url=(\S+)/.exec(line);
                if (m) {
                    clearTimeout(timer);
                    resolve({child, base: m[1], logLines});
                }
            }
        });
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`server exited early with code ${code}`));
        });
    });
    ready.child = child;  // to stop it whether or not it became ready
    return ready;
}

// ---------- HTTP helpers ----------

let BASE;

async function post(pathname, body, {raw = false, base = BASE} = {}) {
    const res = await fetch(base + pathname, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return {status: res.status, headers: res.headers, text, json};
}

async function getJson(pathname) {
    const res = await fetch(BASE + pathname);
    return {status: res.status, json: await res.json()};
}

// Splits an SSE body into events; asserts the exact "data: ...\n\n" framing on the way.
function parseSse(text) {
    assert(text.endsWith("data: [DONE]\n\n"), `stream must end with "data: [DONE]\\n\\n", ends with ${JSON.stringify(text.slice(-40))}`);
    const events = text.split("\n\n").slice(0, -1);
    for (const e of events) assert(e.startsWith("data: "), `bad SSE event ${JSON.stringify(e.slice(0, 60))}`);
    const payloads = events.map((e) => e.slice(6));
    assertEq(payloads.at(-1), "[DONE]", "last event");
    return payloads.slice(0, -1).map((p) => JSON.parse(p));
}

async function stream(pathname, body, options) {
    const r = await post(pathname, {...body, stream: true}, options);
    assertEq(r.status, 200, `status of streaming ${pathname} (${r.text.slice(0, 200)})`);
    assert(r.headers.get("content-type").startsWith("text/event-stream"), "content-type must be text/event-stream");
    return parseSse(r.text);
}

const chat = (content, extra = {}) => ({model: MODEL_NAME, messages: [{role: "user", content}], ...extra});

function checkUsage(usage, {completion}) {
    assert(usage && Number.isInteger(usage.prompt_tokens) && usage.prompt_tokens > 0, "usage.prompt_tokens must be > 0");
    if (completion !== undefined) assertEq(usage.completion_tokens, completion, "usage.completion_tokens");
    assertEq(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, "usage.total_tokens");
    assert(Number.isInteger(usage.prompt_tokens_details?.cached_tokens), "usage.prompt_tokens_details.cached_tokens missing");
    assertEq(usage.completion_tokens_details?.reasoning_tokens, 0, "usage.completion_tokens_details.reasoning_tokens");
}

// ---------- the checks ----------

async function runChecks() {
    await check("GET /healthz answers ok", async () => {
        const r = await getJson("/healthz");
        assertEq(r.status, 200, "status");
        assertEq(r.json.status, "ok", "health status");
        assertEq(r.json.busy, 0, "busy");
        assertEq(r.json.grammars.capacity, 32, "the grammar cache's bound is shown");
    });

    await check("GET /v1/models lists the served model", async () => {
        const r = await getJson("/v1/models");
        assertEq(r.status, 200, "status");
        assertEq(r.json.object, "list", "object");
        assertEq(r.json.data.map((m) => m.id), [MODEL_NAME], "model ids");
        assertEq((await getJson(`/v1/models/${MODEL_NAME}`)).json.id, MODEL_NAME, "GET /v1/models/{id}");
    });

    let greedyText;
    await check("chat completion (non-streaming): shape, max_tokens, usage", async () => {
        const r = await post("/v1/chat/completions", chat("Hello, who are you?", {max_tokens: 24, temperature: 0}));
        assertEq(r.status, 200, "status");
        const j = r.json;
        assertEq(j.object, "chat.completion", "object");
        assert(/^chatcmpl-/.test(j.id), "id must start with chatcmpl-");
        assertEq(j.model, MODEL_NAME, "model");
        assert(Number.isInteger(j.created), "created");
        assertEq(j.choices.length, 1, "choices");
        assertEq(j.choices[0].message.role, "assistant", "role");
        assertEq(j.choices[0].finish_reason, "length", "finish_reason");
        assert(typeof j.choices[0].message.content === "string" && j.choices[0].message.content.length > 0, "content must be non-empty");
        checkUsage(j.usage, {completion: 24});
        greedyText = j.choices[0].message.content;
    });

    await check("chat completion (streaming): one token per chunk, finish, usage, [DONE]", async () => {
        const chunks = await stream("/v1/chat/completions",
            chat("Hello, who are you?", {max_tokens: 24, temperature: 0, stream_options: {include_usage: true}}));
        const usageChunk = chunks.at(-1);
        const finishChunk = chunks.at(-2);
        const tokenChunks = chunks.slice(0, -2);
        assertEq(usageChunk.choices, [], "usage chunk choices");
        checkUsage(usageChunk.usage, {completion: 24});
        assertEq(tokenChunks.length, 24, "token chunk count");
        assertEq(finishChunk.choices[0].finish_reason, "length", "final finish_reason");
        for (const c of chunks) {
            assertEq(c.object, "chat.completion.chunk", "chunk object");
            assertEq(c.id, chunks[0].id, "chunk id");
            assertEq(c.model, MODEL_NAME, "chunk model");
        }
        for (const c of tokenChunks) {
            assertEq(c.choices[0].finish_reason, null, "finish_reason of a token chunk");
            assert(typeof c.choices[0].delta.content === "string", "token chunk delta.content must be a string");
        }
        assertEq(tokenChunks[0].choices[0].delta.role, "assistant", "first chunk role");
        const text = tokenChunks.map((c) => c.choices[0].delta.content).join("") + (finishChunk.choices[0].delta.content ?? "");
        if (greedyText !== undefined) assertEq(text, greedyText, "streamed text vs non-streamed text");
    });

    await check("streaming without include_usage sends no usage chunk", async () => {
        const chunks = await stream("/v1/chat/completions", chat("Hi", {max_tokens: 3, temperature: 0}));
        assertEq(chunks.length, 4, "chunks (3 tokens + final)");
        assert(chunks.every((c) => c.usage === undefined && c.choices.length === 1), "no usage anywhere");
    });

    await check("temperature 0 is deterministic", async () => {
        const body = chat("Tell me a story", {max_tokens: 40, temperature: 0});
        const a = await post("/v1/chat/completions", body);
        const b = await post("/v1/chat/completions", body);
        assertEq(b.json.choices[0].message.content, a.json.choices[0].message.content, "second answer");
    });

    await check("same seed reproduces, another seed differs", async () => {
        const body = (seed) => chat("Tell me a story", {max_tokens: 40, temperature: 1, seed});
        const a = (await post("/v1/chat/completions", body(7))).json.choices[0].message.content;
        const b = (await post("/v1/chat/completions", body(7))).json.choices[0].message.content;
        const c = (await post("/v1/chat/completions", body(8))).json.choices[0].message.content;
        assertEq(b, a, "same seed");
        assert(c !== a, "different seeds gave the same 40 tokens");
    });

    await check("max_completion_tokens is honoured", async () => {
        const r = await post("/v1/chat/completions", chat("Hi", {max_completion_tokens: 5}));
        assertEq(r.json.usage.completion_tokens, 5, "completion_tokens");
        assertEq(r.json.choices[0].finish_reason, "length", "finish_reason");
    });

    await check("text completion (non-streaming and streaming)", async () => {
        const r = await post("/v1/completions", {model: MODEL_NAME, prompt: "Once upon a time", max_tokens: 10, temperature: 0});
        assertEq(r.status, 200, "status");
        assertEq(r.json.object, "text_completion", "object");
        assert(/^cmpl-/.test(r.json.id), "id must start with cmpl-");
        assertEq(r.json.choices[0].finish_reason, "length", "finish_reason");
        checkUsage(r.json.usage, {completion: 10});
        const chunks = await stream("/v1/completions",
            {model: MODEL_NAME, prompt: "Once upon a time", max_tokens: 10, temperature: 0, stream_options: {include_usage: true}});
        assertEq(chunks.length, 12, "10 token chunks + final + usage");
        assert(chunks.slice(0, -1).every((c) => c.object === "text_completion" && typeof c.choices[0].text === "string"), "chunk shape");
        assertEq(chunks.slice(0, 11).map((c) => c.choices[0].text).join(""), r.json.choices[0].text, "streamed text");
        checkUsage(chunks.at(-1).usage, {completion: 10});
    });

    await check("stop strings cut the output and finish with 'stop'", async () => {
        const base = {model: MODEL_NAME, prompt: "The answer is", max_tokens: 60, temperature: 0};
        const full = (await post("/v1/completions", base)).json.choices[0].text;
        const stop = full.slice(20, 23);
        assert(stop.length === 3, `greedy output too short to pick a stop string: ${JSON.stringify(full)}`);
        const cut = (await post("/v1/completions", {...base, stop: [stop]})).json;
        assertEq(cut.choices[0].finish_reason, "stop", "finish_reason");
        assertEq(cut.choices[0].text, full.slice(0, full.indexOf(stop)), "text before the stop string");
        const chunks = await stream("/v1/completions", {...base, stop: stop});
        assertEq(chunks.map((c) => c.choices[0].text).join(""), cut.choices[0].text, "streamed text with stop");
        assertEq(chunks.at(-1).choices[0].finish_reason, "stop", "streamed finish_reason");
    });

    await check("a repeated prompt reports cached tokens", async () => {
        const body = chat("A long shared system prompt, repeated verbatim by every request.", {max_tokens: 2});
        await post("/v1/chat/completions", body);
        const r = await post("/v1/chat/completions", body);
        assert(r.json.usage.prompt_tokens_details.cached_tokens > 0, "cached_tokens should be > 0 on a repeated prompt");
        assert(r.json.usage.prompt_tokens_details.cached_tokens < r.json.usage.prompt_tokens, "cached_tokens < prompt_tokens");
    });

    await check("generated text is clean UTF-8 (no replacement characters)", async () => {
        const r = await post("/v1/chat/completions", chat("Write a lot.", {max_tokens: 400, temperature: 1.5, seed: 3}));
        const text = r.json.choices[0].message.content;
        assert(!text.includes("\uFFFD"), "output contains U+FFFD");
        assert(Buffer.from(text, "utf8").toString("utf8") === text, "output does not round-trip through UTF-8");
    });

    await check("bad requests get OpenAI-shaped 400/404 errors", async () => {
        const expectError = async (r, status, what) => {
            assertEq(r.status, status, `${what}: status`);
            assert(r.json?.error && typeof r.json.error.message === "string" && typeof r.json.error.type === "string",
                `${what}: body must be {"error":{"message","type",...}}, got ${r.text.slice(0, 120)}`);
            assert("code" in r.json.error, `${what}: error.code missing`);
        };
        await expectError(await post("/v1/chat/completions", "{not json", {raw: true}), 400, "bad JSON");
        await expectError(await post("/v1/chat/completions", {model: MODEL_NAME}), 400, "missing messages");
        await expectError(await post("/v1/chat/completions", {messages: []}), 400, "empty messages");
        await expectError(await post("/v1/completions", {model: MODEL_NAME}), 400, "missing prompt");
        await expectError(await post("/v1/chat/completions", chat("hi", {temperature: 9})), 400, "temperature out of range");
        await expectError(await post("/v1/chat/completions", chat("hi", {max_tokens: 0})), 400, "max_tokens 0");
        await expectError(await post("/v1/chat/completions", {...chat("hi"), model: "no-such-model"}), 404, "unknown model");
        await expectError(await post("/v1/nothing-here", {}), 404, "unknown path");
        const notFound = await fetch(BASE + "/v1/unknown");
        assertEq(notFound.status, 404, "GET unknown path");
    });

    await check("response_format json_object: every finished answer is a JSON object", async () => {
        // The test model's strings run on for hundreds of tokens; a bias towards '"' (token 329 in its
        // vocabulary) lets them close, so that most answers finish within the budget.
        let finished = 0;
        for (let seed = 1; seed <= 8; seed++) {
            const body = chat("Reply in JSON.", {response_format: {type: "json_object"}, max_tokens: 200, seed, logit_bias: {"329": 6}});
            const r = await post("/v1/chat/completions", body);
            assertEq(r.status, 200, `status (${r.text.slice(0, 200)})`);
            const {content} = r.json.choices[0].message;
            if (r.json.choices[0].finish_reason !== "stop") continue;
            finished++;
            const value = JSON.parse(content);
            assert(value !== null && typeof value === "object" && !Array.isArray(value), `not an object: ${content}`);
        }
        assert(finished >= 4, `only ${finished} of 8 JSON answers finished within 200 tokens`);
    });

    await check("response_format json_schema: every answer matches the schema, streamed too", async () => {
        const schema = {
            type: "object",
            properties: {
                mood: {enum: ["calm", "busy", "lost"]},
                ok: {type: "boolean"},
                name: {type: "string", maxLength: 8},
                tags: {type: "array", items: {type: "string", maxLength: 4}, maxItems: 2},
                size: {anyOf: [{type: "null"}, {const: 7}]},
            },
            required: ["mood", "ok", "name", "tags", "size"],
            additionalProperties: false,
        };
        const format = {type: "json_schema", json_schema: {name: "status", strict: true, schema}};
        for (let seed = 1; seed <= 6; seed++) {
            const body = chat("Status?", {response_format: format, max_tokens: 200, seed, temperature: 1});
            const r = await post("/v1/chat/completions", body);
            assertEq(r.json.choices[0].finish_reason, "stop", `finish_reason (${r.json.choices[0].message.content})`);
            const value = JSON.parse(r.json.choices[0].message.content);
            assertEq(Object.keys(value), ["mood", "ok", "name", "tags", "size"], "keys in schema order");
            assert(["calm", "busy", "lost"].includes(value.mood), `mood ${value.mood}`);
            assert(typeof value.ok === "boolean", "ok is a boolean");
            assert(typeof value.name === "string" && value.name.length <= 8, `name ${value.name}`);
            assert(Array.isArray(value.tags) && value.tags.length <= 2 && value.tags.every((t) => typeof t === "string" && t.length <= 4), "tags");
            assert(value.size === null || value.size === 7, `size ${value.size}`);
            const chunks = await stream("/v1/chat/completions", body);
            assertEq(chunks.map((c) => c.choices[0].delta.content ?? "").join(""), r.json.choices[0].message.content, "streamed = whole");
        }
    });

    await check("a schema the grammar cannot enforce is a 400 naming the keyword", async () => {
        const refused = async (schema, param) => {
            const r = await post("/v1/chat/completions", chat("x", {response_format: {type: "json_schema", json_schema: {name: "s", schema}}}));
            assertEq(r.status, 400, `status for ${JSON.stringify(schema)}`);
            assertEq(r.json.error.param, param, "error.param");
            assert(r.json.error.message.includes(param), `message names ${param}: ${r.json.error.message}`);
        };
        await refused({type: "object", properties: {a: {type: "string", pattern: "^a"}}, required: ["a"]}, "response_format.json_schema.schema.properties.a.pattern");
        await refused({type: "integer", minimum: 3}, "response_format.json_schema.schema.minimum");
        await refused({type: "object", properties: {a: {type: "string"}, b: {type: "string"}}, required: ["a"]}, "response_format.json_schema.schema.required");
        await refused({$ref: "#/$defs/missing"}, "response_format.json_schema.schema.$ref");
        const bad = await post("/v1/chat/completions", chat("x", {response_format: {type: "yaml"}}));
        assertEq(bad.status, 400, "unknown response_format.type");
    });

    await check("logit_bias: +100 forces a token, -100 bans it", async () => {
        const forced = async (bias) => {
            const chunks = await stream("/v1/completions", {model: MODEL_NAME, prompt: "Once", max_tokens: 4, temperature: 0, logit_bias: bias});
            const pieces = chunks.slice(0, 4).map((c) => c.choices[0].text);
            assert(pieces.every((p) => p === pieces[0]) && pieces[0] !== "", `not one forced token: ${JSON.stringify(pieces)}`);
            return pieces[0];
        };
        // Biases add to logits: +100 wins over any logit of this model, -100 takes the token out.
        const a = await forced({"400": 100});
        const b = await forced({"400": -100, "401": 100});
        const c = await forced({"401": 100});
        assert(a !== b, `banning token 400 must change the forced token (${JSON.stringify(a)})`);
        assertEq(b, c, "the token forced once 400 is banned");
        const r = await post("/v1/completions", {model: MODEL_NAME, prompt: "x", logit_bias: {"99999999": 1}});
        assertEq(r.status, 400, "a token outside the vocabulary");
    });

    await check("logprobs: one entry per token, consistent with the text, whole and streamed", async () => {
        const body = chat("Say something.", {max_tokens: 24, temperature: 0, logprobs: true, top_logprobs: 3});
        const r = await post("/v1/chat/completions", body);
        const {content} = r.json.choices[0].message;
        const entries = r.json.choices[0].logprobs.content;
        assertEq(entries.length, r.json.usage.completion_tokens, "one entry per completion token");
        assertEq(entries.map((e) => e.token).join(""), content, "entries spell the answer");
        for (const e of entries) {
            assert(e.logprob <= 0 && e.logprob > -9999, `logprob ${e.logprob}`);
            assertEq(e.bytes, [...Buffer.from(e.token, "utf8")], "bytes of the token");
            assertEq(e.top_logprobs.length, 3, "top_logprobs count");
            assert(e.top_logprobs.every((t, i) => i === 0 || t.logprob <= e.top_logprobs[i - 1].logprob), "alternatives sorted");
            assertEq(e.top_logprobs[0].token, e.token, "greedy picks the most likely token");
        }
        const chunks = await stream("/v1/chat/completions", body);
        const streamed = chunks.flatMap((c) => c.choices[0].logprobs?.content ?? []);
        // The same tokens; probabilities agree to float noise (a cached prefix changes the batch).
        assertEq(streamed.map((e) => e.token), entries.map((e) => e.token), "streamed tokens");
        assert(streamed.every((e, i) => Math.abs(e.logprob - entries[i].logprob) < 1e-3), "streamed logprobs");
        const plain = await post("/v1/chat/completions", chat("Say something.", {max_tokens: 24, temperature: 0}));
        assertEq(plain.json.choices[0].logprobs, null, "no logprobs unless asked");
        assertEq(plain.json.choices[0].message.content, content, "asking for logprobs changes no text");

        const c = await post("/v1/completions", {model: MODEL_NAME, prompt: "Once", max_tokens: 10, temperature: 0, logprobs: 2});
        const lp = c.json.choices[0].logprobs;
        assertEq(lp.tokens.join(""), c.json.choices[0].text, "completion tokens spell the text");
        assertEq(lp.text_offset, lp.tokens.map((_, i) => lp.tokens.slice(0, i).join("").length), "text_offset");
        assert(lp.top_logprobs.every((alts) => Object.keys(alts).length >= 1 && Object.keys(alts).length <= 2), "at most 2 alternatives");
        for (const [field, value] of [["logprobs", 6], ["logprobs", true]]) {
            const bad = await post("/v1/completions", {model: MODEL_NAME, prompt: "x", [field]: value});
            assertEq(bad.status, 400, `completions ${field}=${value}`);
        }
        const orphan = await post("/v1/chat/completions", chat("x", {top_logprobs: 2}));
        assertEq(orphan.json.error?.param, "top_logprobs", "top_logprobs without logprobs");
        const many = await post("/v1/chat/completions", chat("x", {logprobs: true, top_logprobs: 21}));
        assertEq(many.status, 400, "top_logprobs 21");
    });

    await check("n = 3: three choices, each its own generation, usage covers all", async () => {
        const body = chat("Three ways.", {max_tokens: 12, n: 3, temperature: 1, seed: 5});
        const r = await post("/v1/chat/completions", body);
        assertEq(r.json.choices.map((c) => c.index), [0, 1, 2], "indices");
        const texts = r.json.choices.map((c) => c.message.content);
        assert(new Set(texts).size > 1, `choices differ when sampling: ${JSON.stringify(texts)}`);
        const one = await post("/v1/chat/completions", chat("Three ways.", {max_tokens: 12, temperature: 1, seed: 5}));
        assertEq(texts[0], one.json.choices[0].message.content, "choice 0 is the n = 1 answer");
        assertEq(r.json.usage.completion_tokens, 36, "completion tokens of all three");
        assertEq(r.json.usage.prompt_tokens, one.json.usage.prompt_tokens, "the prompt counts once");
        const chunks = await stream("/v1/chat/completions", {...body, stream_options: {include_usage: true}});
        for (let i = 0; i < 3; i++) {
            const mine = chunks.filter((c) => c.choices[0]?.index === i);
            assertEq(mine.map((c) => c.choices[0].delta.content ?? "").join(""), texts[i], `streamed choice ${i}`);
            assertEq(mine.filter((c) => c.choices[0].finish_reason).length, 1, `one finish for choice ${i}`);
            assertEq(mine[0].choices[0].delta.role, "assistant", `role on choice ${i}'s first chunk`);
        }
        assertEq(chunks.at(-1).usage.completion_tokens, 36, "streamed usage");
        const bad = await post("/v1/chat/completions", chat("x", {n: 17}));
        assertEq(bad.json.error?.param, "n", "n above 16");
    });

    await check("tools: forced calls match their schema, whole and streamed, and a tool result continues the turn", async () => {
        const weather = {type: "function", function: {name: "get_weather", description: "Weather for a city",
            parameters: {type: "object", properties: {city: {type: "string", maxLength: 10}, units: {enum: ["c", "f"]}},
                required: ["city", "units"], additionalProperties: false}}};
        const noop = {type: "function", function: {name: "noop"}};
        const ask = (extra) => chat("Weather in Paris?", {tools: [weather, noop], max_tokens: 80, parallel_tool_calls: false, ...extra});
        for (let seed = 1; seed <= 4; seed++) {
            const r = await post("/v1/chat/completions", ask({tool_choice: "required", seed, temperature: 1}));
            const choice = r.json.choices[0];
            assertEq(choice.finish_reason, "tool_calls", `finish (${JSON.stringify(choice.message)})`);
            assertEq(choice.message.content, null, "no text beside the call");
            assertEq(choice.message.tool_calls.length, 1, "one call without parallel_tool_calls");
            const [call] = choice.message.tool_calls;
            assert(/^call_[0-9a-f]{24}$/.test(call.id) && call.type === "function", `call ${JSON.stringify(call)}`);
            assert(["get_weather", "noop"].includes(call.function.name), `name ${call.function.name}`);
            const args = JSON.parse(call.function.arguments);
            if (call.function.name === "get_weather") {
                assertEq(Object.keys(args), ["city", "units"], "arguments follow the schema");
                assert(args.city.length <= 10 && ["c", "f"].includes(args.units), `arguments ${call.function.arguments}`);
            }
        }
        const named = ask({tool_choice: {type: "function", function: {name: "get_weather"}}, seed: 9, temperature: 1});
        const whole = (await post("/v1/chat/completions", named)).json.choices[0].message.tool_calls[0];
        assertEq(whole.function.name, "get_weather", "the named tool");
        const chunks = await stream("/v1/chat/completions", named);
        const deltas = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
        assertEq(deltas[0].function.name, "get_weather", "the first delta names the call");
        assert(deltas[0].id && deltas.slice(1).every((d) => d.id === undefined && d.index === 0), "later deltas carry only arguments");
        assertEq(deltas.map((d) => d.function.arguments).join(""), whole.function.arguments, "streamed arguments");
        assertEq(chunks.at(-1).choices[0].finish_reason, "tool_calls", "streamed finish");

        const conversation = [{role: "user", content: "Weather in Paris?"},
            {role: "assistant", content: null, tool_calls: [{id: "call_1", type: "function", function: {name: "get_weather", arguments: '{"city":"Paris","units":"c"}'}}]},
            {role: "tool", tool_call_id: "call_1", content: '{"temperature": 21}'}];
        const answer = await post("/v1/chat/completions", {model: MODEL_NAME, messages: conversation, tools: [weather], tool_choice: "none", max_tokens: 8});
        assertEq(answer.status, 200, answer.text);
        assert(typeof answer.json.choices[0].message.content === "string" && !answer.json.choices[0].message.tool_calls, "a text answer");
        const shorter = await post("/v1/chat/completions", {model: MODEL_NAME, messages: conversation.slice(0, 1), max_tokens: 8});
        assert(answer.json.usage.prompt_tokens > shorter.json.usage.prompt_tokens + 10, "the call and its result are in the prompt");

        for (const [body, param] of [
            [ask({tool_choice: {type: "function", function: {name: "nope"}}}), "tool_choice"],
            [chat("x", {tools: [{type: "function", function: {name: "f", parameters: {type: "object", properties: {a: {type: "string", pattern: "x"}}}}}]}),
                "tools[0].function.parameters.properties.a.pattern"],
            [{model: MODEL_NAME, messages: [{role: "tool", tool_call_id: "zz", content: "1"}]}, "messages[0].tool_call_id"],
            [{model: MODEL_NAME, messages: conversation.slice(0, 2)}, "messages[1].tool_calls"],
        ]) {
            const bad = await post("/v1/chat/completions", body);
            assertEq([bad.status, bad.json.error?.param], [400, param], `refusal of ${param}`);
        }
    });

    await check("embeddings: unit length, deterministic, batched in order, float and base64", async () => {
        const one = await post("/v1/embeddings", {model: MODEL_NAME, input: "a butterfly"});
        assertEq(one.status, 200, one.text);
        const vector = one.json.data[0].embedding;
        assert(vector.length === 64 && vector.every(Number.isFinite), `dimension ${vector.length}`);
        assert(Math.abs(Math.hypot(...vector) - 1) < 1e-4, "unit length");
        assert(one.json.usage.prompt_tokens > 0 && one.json.usage.total_tokens === one.json.usage.prompt_tokens, "usage");
        const batch = await post("/v1/embeddings", {model: MODEL_NAME, input: ["something else", "a butterfly"]});
        assertEq(batch.json.data.map((d) => d.index), [0, 1], "indices");
        assertEq(batch.json.data[1].embedding, vector, "the same text embeds the same, wherever it stands in a batch");
        assert(batch.json.data[0].embedding.some((x, i) => x !== vector[i]), "another text embeds differently");
        const packed = await post("/v1/embeddings", {model: MODEL_NAME, input: "a butterfly", encoding_format: "base64"});
        const bytes = Buffer.from(packed.json.data[0].embedding, "base64");
        const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        assert(floats.length === 64 && floats.every((x, i) => Math.abs(x - vector[i]) < 1e-6), "base64 holds the same float32 values");
        for (const [body, param] of [[{input: ""}, "input"], [{input: []}, "input"], [{input: "x", dimensions: 8}, "dimensions"],
            [{input: "x", encoding_format: "int8"}, "encoding_format"], [{input: [[99999999]]}, "input"]]) {
            const bad = await post("/v1/embeddings", body);
            assertEq([bad.status, bad.json.error?.param], [400, param], `refusal of ${JSON.stringify(body)}`);
        }
    });

    // Resuming an answer whose worker died: the text streamed so far goes back as an assistant prefill
    // (chat) or at the end of the prompt (completions), and the continuation is the rest of the answer.
    const CUTS = [1, 10, 25];
    await check("continue_final_message: a continuation from the first 1, 10, 25 chunks is the rest of the answer", async () => {
        const messages = [{role: "user", content: "Tell me about the network."}];
        const chunks = await stream("/v1/chat/completions", {model: MODEL_NAME, messages, max_tokens: 40, temperature: 0,
            stream_options: {include_usage: true}});
        const pieces = chunks.slice(0, 40).map((c) => c.choices[0].delta.content);
        assertEq(pieces.length, 40, "token chunks of the uninterrupted answer");
        const promptTokens = chunks.at(-1).usage.prompt_tokens;
        for (const cut of CUTS) {
            const prefill = pieces.slice(0, cut).join("");
            const body = {model: MODEL_NAME, messages: [...messages, {role: "assistant", content: prefill}], continue_final_message: true,
                add_generation_prompt: false, max_tokens: 40 - cut, temperature: 0};
            const r = await post("/v1/chat/completions", body);
            assertEq(r.status, 200, `status at cut ${cut} (${r.text.slice(0, 200)})`);
            assertEq(r.json.choices[0].message.content, pieces.slice(cut).join(""), `continuation after ${cut} chunks`);
            // The prefill is read back as the tokens the answer had: one per chunk.
            assertEq(r.json.usage.prompt_tokens, promptTokens + cut, `prompt_tokens with ${cut} prefill tokens`);
            assertEq(r.json.usage.completion_tokens, 40 - cut, "completion_tokens");
        }
        const streamed = await stream("/v1/chat/completions", {model: MODEL_NAME, temperature: 0, max_tokens: 30, continue_final_message: true,
            messages: [...messages, {role: "assistant", content: pieces.slice(0, 10).join("")}]});
        assertEq(streamed.length, 31, "30 token chunks + final");
        assertEq(streamed[0].choices[0].delta.role, "assistant", "role on the first chunk");
        assertEq(streamed.map((c) => c.choices[0].delta.content ?? "").join(""), pieces.slice(10).join(""), "streamed continuation");
    });

    await check("completions: prompt + the first 1, 10, 25 chunks (prefill_bytes) continues as the rest of the answer", async () => {
        const prompt = "Once upon a time";
        const chunks = await stream("/v1/completions", {model: MODEL_NAME, prompt, max_tokens: 40, temperature: 0, stream_options: {include_usage: true}});
        const pieces = chunks.slice(0, 40).map((c) => c.choices[0].text);
        const promptTokens = chunks.at(-1).usage.prompt_tokens;
        for (const cut of CUTS) {
            const prefill = pieces.slice(0, cut).join("");
            const r = await post("/v1/completions", {model: MODEL_NAME, prompt: prompt + prefill, prefill_bytes: Buffer.byteLength(prefill),
                max_tokens: 40 - cut, temperature: 0});
            assertEq(r.status, 200, `status at cut ${cut} (${r.text.slice(0, 200)})`);
            assertEq(r.json.choices[0].text, pieces.slice(cut).join(""), `continuation after ${cut} chunks`);
            assertEq(r.json.usage.prompt_tokens, promptTokens + cut, `prompt_tokens with ${cut} prefill tokens`);
        }
    });

    await check("continue_final_message and add_generation_prompt: misuse is a 400 naming the field", async () => {
        const user = {role: "user", content: "Hi"};
        const prefill = {role: "assistant", content: "Hello"};
        const call = {role: "assistant", content: "x", tool_calls: [{id: "c1", type: "function", function: {name: "f", arguments: "{}"}}]};
        const tool = {type: "function", function: {name: "f"}};
        const cases = [
            [{messages: [user], continue_final_message: true}, "continue_final_message"],
            [{messages: [user, {role: "assistant", content: ""}], continue_final_message: true}, "continue_final_message"],
            [{messages: [user, call, {role: "tool", tool_call_id: "c1", content: "1"}, call], continue_final_message: true}, "continue_final_message"],
            [{messages: [user, prefill], continue_final_message: "yes"}, "continue_final_message"],
            [{messages: [user, prefill], add_generation_prompt: false}, "add_generation_prompt"],
            [{messages: [user, prefill], continue_final_message: true, add_generation_prompt: true}, "add_generation_prompt"],
            [{messages: [user, prefill], continue_final_message: true, n: 2}, "continue_final_message"],
            [{messages: [user, prefill], continue_final_message: true, tools: [tool]}, "continue_final_message"],
            [{messages: [user, prefill], continue_final_message: true, response_format: {type: "json_object"}}, "continue_final_message"],
            [{messages: [user, prefill], prefill_bytes: 3}, "prefill_bytes"],
        ];
        for (const [body, param] of cases) {
            const r = await post("/v1/chat/completions", {model: MODEL_NAME, max_tokens: 2, ...body});
            assertEq([r.status, r.json?.error?.param], [400, param], `refusal of ${JSON.stringify(body).slice(0, 140)}`);
            assert(r.json.error.message.includes(param), `the message names ${param}: ${r.json.error.message}`);
        }
        for (const [body, param] of [[{continue_final_message: true}, "continue_final_message"], [{prefill_bytes: 99}, "prefill_bytes"],
            [{prompt: "x\u00e9", prefill_bytes: 1}, "prefill_bytes"], [{prompt: [1, 2], prefill_bytes: 1}, "prefill_bytes"]]) {
            const r = await post("/v1/completions", {model: MODEL_NAME, prompt: "x", max_tokens: 2, ...body});
            assertEq([r.status, r.json?.error?.param], [400, param], `completions refusal of ${JSON.stringify(body)}`);
        }
        for (const body of [{messages: [user, prefill], continue_final_message: true, tools: [tool], tool_choice: "none"},
            {messages: [user, prefill], continue_final_message: true, response_format: {type: "text"}, add_generation_prompt: false},
            {messages: [user], add_generation_prompt: true}]) {
            const r = await post("/v1/chat/completions", {model: MODEL_NAME, max_tokens: 2, ...body});
            assertEq(r.status, 200, `accepted: ${JSON.stringify(body).slice(0, 140)} (${r.text.slice(0, 160)})`);
        }
    });

    await check("fields the engine cannot honour are refused by name", async () => {
        for (const [field, value, path] of [["echo", true, "/v1/completions"], ["suffix", "end", "/v1/completions"],
            ["best_of", 3, "/v1/completions"], ["tools", [{type: "function", function: {name: "f"}}], "/v1/completions"],
            ["functions", [{name: "f"}], "/v1/chat/completions"]]) {
            const body = path === "/v1/completions" ? {model: MODEL_NAME, prompt: "x", [field]: value} : chat("x", {[field]: value});
            const r = await post(path, body);
            assertEq(r.status, 400, `${field}: status`);
            assertEq(r.json.error.param, field, `${field}: param`);
        }
    });

    await check("parallel requests are served concurrently and queued beyond --parallel", async () => {
        let maxBusy = 0, sawQueue = false, polling = true;
        const poller = (async () => {
            while (polling) {
                const h = (await getJson("/healthz")).json;
                maxBusy = Math.max(maxBusy, h.busy);
                sawQueue ||= h.queued > 0;
                await new Promise((r) => setTimeout(r, 5));
            }
        })();
        const runs = await Promise.all([0, 1, 2, 3].map((i) =>
            stream("/v1/chat/completions", chat(`Request number ${i}`, {max_tokens: 150, temperature: 0, stream_options: {include_usage: true}}))));
        polling = false;
        await poller;
        for (const chunks of runs) assertEq(chunks.at(-1).usage.completion_tokens, 150, "completion_tokens of each run");
        assertEq(maxBusy, 2, "max sequences busy at once");
        assert(sawQueue, "no request was ever seen queued");
    });

    await check("client disconnect aborts generation at once", async () => {
        const started = performance.now();
        await new Promise((resolve, reject) => {
            const req = http.request(BASE + "/v1/chat/completions", {method: "POST", headers: {"Content-Type": "application/json"}}, (res) => {
                res.once("data", () => {
                    req.destroy();  // hang up after the first chunk; ~4000 tokens were still to come
                    resolve();
                });
            });
            req.on("error", () => {});
            req.end(JSON.stringify(chat("Go on forever", {stream: true, temperature: 0})));
            setTimeout(() => reject(new Error("no first chunk within 10 s")), 10_000);
        });
        let busy = -1;
        for (let i = 0; i < 40 && busy !== 0; ++i) {
            await new Promise((r) => setTimeout(r, 25));
            busy = (await getJson("/healthz")).json.busy;
        }
        assertEq(busy, 0, "sequences still busy 1 s after the disconnect");
        assert(performance.now() - started < 5000, "abort took too long");
    });
}

// --pace-ms on a second engine (started beside the first): the least time between two tokens of an
// answer, without holding up another answer decoded at the same time.
const PACE_MS = 30;
async function runPaceCheck(paced) {
    await check(`--pace-ms ${PACE_MS}: 10 tokens take >= ${9 * PACE_MS} ms, and two answers pace side by side`, async () => {
        const ask = (i) => {
            const t0 = performance.now();
            return stream("/v1/chat/completions", chat(`Paced ${i}`, {max_tokens: 10, temperature: 0}), {base: paced.base})
                .then((chunks) => ({chunks, ms: performance.now() - t0}));
        };
        const one = await ask(0);
        assertEq(one.chunks.length, 11, "10 token chunks + final");
        assert(one.ms >= 9 * PACE_MS, `10 tokens took ${one.ms.toFixed(0)} ms`);
        const t0 = performance.now();
        const both = await Promise.all([ask(1), ask(2)]);
        const ms = performance.now() - t0;
        assert(both.every((b) => b.ms >= 9 * PACE_MS), `each took ${both.map((b) => b.ms.toFixed(0))} ms`);
        assert(ms < 18 * PACE_MS, `two answers at once took ${ms.toFixed(0)} ms: one waited for the other`);
    });
}

async function main() {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chrysalis-engine-selftest-"));
    const deadline = setTimeout(() => {
        console.log(`not ok - self-test exceeded ${OVERALL_TIMEOUT_MS / 1000} s`);
        process.exit(1);
    }, OVERALL_TIMEOUT_MS);
    let server, paced, pacedStart;
    try {
        const modelPath = prepareModel(tmp);
        server = await startServer(modelPath);
        BASE = server.base;
        // The paced engine loads while the checks run (two loading at once slow each other down).
        pacedStart = startServer(modelPath, ["--pace-ms", String(PACE_MS)]);
        pacedStart.catch(() => {});  // reported by the pace check
        await runChecks();
        try {
            paced = await pacedStart;
        } catch (e) {
            throw new Error(`the --pace-ms engine: ${e.message}`);
        }
        await runPaceCheck(paced);
        await check("one log line per request on stdout", async () => {
            const lines = server.logLines.filter((l) => / engine (GET|POST) \//.test(l));
            assert(lines.length >= 30, `only ${lines.length} request log lines`);
            assert(lines.some((l) => /status=499/.test(l)), "the aborted request was not logged with status=499");
        });
        await check("SIGTERM exits cleanly", async () => {
            const code = await new Promise((resolve) => {
                server.child.once("exit", (c, sig) => resolve(sig ?? c));
                server.child.kill("SIGTERM");
            });
            server = undefined;
            assertEq(code, 0, "exit code");
        });
    } catch (e) {
        results.push({name: "setup", ok: false});
        console.log(`not ok - setup: ${e?.message || e}`);
    } finally {
        server?.child.kill("SIGKILL");
        pacedStart?.child.kill("SIGKILL");
        clearTimeout(deadline);
        fs.rmSync(tmp, {recursive: true, force: true});
    }
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 ? 0 : 1);
}

main();
