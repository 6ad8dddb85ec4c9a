// Every bad input gets its 4xx with an OpenAI-shaped body {"error":{"message","type","code"}},
// from the client, before anything reaches a worker.
import assert from "node:assert/strict";
import {after, before, describe, test} from "node:test";
import OpenAI from "openai";
import {Cluster, MODEL, expectOpenAiError, postJson} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

const KEY = "sk-chrysalis-test-key";
const LIMIT = 2048;
let cluster, client, mock;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("badinput");
    const proxy = await cluster.startProxy();
    await cluster.startWorker({proxies: [proxy], engine: {kind: "external", url: mock.url}});
    client = await cluster.startClient({proxies: [proxy], apiKeys: [KEY], maxBodyBytes: LIMIT, maxTokensLimit: 4096});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const auth = {Authorization: `Bearer ${KEY}`};
const chat = (extra = {}) => ({model: MODEL, messages: [{role: "user", content: "hi"}], max_tokens: 4, ...extra});
const without = (obj, key) => {
    const copy = {...obj};
    delete copy[key];
    return copy;
};

async function send(path, body, headers = auth) {
    return postJson(`${client.url}${path}`, body, {headers});
}

test("a valid request with the key succeeds (control)", async () => {
    const r = await send("/v1/chat/completions", chat());
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.usage.completion_tokens, 4);
});

describe("400 for malformed or invalid bodies", () => {
    const chatCases = [
        ["malformed JSON", '{"model": "chrysalis-test", "messages": [', "invalid_json"],
        ["empty body", "", "invalid_json"],
        ["a JSON array instead of an object", "[1, 2]", "invalid_json"],
        ["missing model", without(chat(), "model"), "missing_required_parameter", "model"],
        ["model of the wrong type", chat({model: 42}), "invalid_type", "model"],
        ["empty model", chat({model: ""}), "invalid_value", "model"],
        ["missing messages", without(chat(), "messages"), "missing_required_parameter", "messages"],
        ["messages not an array", chat({messages: "hello"}), "invalid_type", "messages"],
        ["messages empty", chat({messages: []}), "invalid_value", "messages"],
        ["message not an object", chat({messages: ["hello"]}), "invalid_type"],
        ["message with an unknown role", chat({messages: [{role: "wizard", content: "x"}]}), "invalid_value"],
        ["message without content", chat({messages: [{role: "user"}]}), "missing_required_parameter"],
        ["temperature a string", chat({temperature: "hot"}), "invalid_type", "temperature"],
        ["temperature out of range", chat({temperature: 7}), "invalid_value", "temperature"],
        ["top_p out of range", chat({top_p: 1.5}), "invalid_value", "top_p"],
        ["negative max_tokens", chat({max_tokens: -5}), "invalid_value", "max_tokens"],
        ["zero max_tokens", chat({max_tokens: 0}), "invalid_value", "max_tokens"],
        ["absurd max_tokens", chat({max_tokens: 1e12}), "invalid_value", "max_tokens"],
        ["max_tokens above the client's limit", chat({max_tokens: 5000}), "invalid_value", "max_tokens"],
        ["fractional max_tokens", chat({max_tokens: 2.5}), "invalid_type", "max_tokens"],
        ["max_tokens a string", chat({max_tokens: "10"}), "invalid_type", "max_tokens"],
        ["stream a string", chat({stream: "yes"}), "invalid_type", "stream"],
        ["stream_options not an object", chat({stream: true, stream_options: 3}), "invalid_type", "stream_options"],
        ["seed a string", chat({seed: "abc"}), "invalid_type", "seed"],
        ["stop of the wrong type", chat({stop: 5}), "invalid_type", "stop"],
    ];
    for (const [name, body, code, param] of chatCases) {
        test(`chat: ${name}`, async () => {
            const before = mock.requests.length;
            const r = await send("/v1/chat/completions", body);
            const error = expectOpenAiError(assert, r, 400, {code});
            assert.equal(error.type, "invalid_request_error");
            if (param) assert.equal(error.param, param);
            assert.equal(mock.requests.length, before, "an invalid request must not reach the engine");
        });
    }

    const completionCases = [
        ["missing prompt", {model: MODEL, max_tokens: 4}, "missing_required_parameter"],
        ["prompt of the wrong type", {model: MODEL, prompt: 12, max_tokens: 4}, "invalid_type"],
        ["negative max_tokens", {model: MODEL, prompt: "x", max_tokens: -1}, "invalid_value"],
    ];
    for (const [name, body, code] of completionCases) {
        test(`completion: ${name}`, async () => {
            const r = await send("/v1/completions", body);
            expectOpenAiError(assert, r, 400, {code});
        });
    }
});

describe("other 4xx", () => {
    test("unknown model: 404 model_not_found", async () => {
        const r = await send("/v1/chat/completions", chat({model: "no-such-model"}));
        const error = expectOpenAiError(assert, r, 404, {code: "model_not_found"});
        assert.match(error.message, /no-such-model/);
    });

    test("body over max_body_bytes: 413", async () => {
        const r = await send("/v1/chat/completions", chat({messages: [{role: "user", content: "x".repeat(LIMIT * 2)}]}));
        const error = expectOpenAiError(assert, r, 413);
        assert.match(error.message, new RegExp(String(LIMIT)));
        // A body just under the limit still passes.
        const ok = await send("/v1/chat/completions", chat({messages: [{role: "user", content: "x".repeat(LIMIT - 200)}]}));
        assert.equal(ok.status, 200, ok.text);
    });

    test("missing API key: 401", async () => {
        const r = await send("/v1/chat/completions", chat(), {});
        expectOpenAiError(assert, r, 401, {code: "invalid_api_key"});
        const models = await fetch(`${client.url}/v1/models`);
        assert.equal(models.status, 401);
    });

    test("wrong API key or scheme: 401", async () => {
        for (const header of [`Bearer ${KEY}x`, `Bearer `, `Basic ${KEY}`, KEY]) {
            const r = await send("/v1/completions", {model: MODEL, prompt: "x", max_tokens: 2}, {Authorization: header});
            expectOpenAiError(assert, r, 401, {code: "invalid_api_key"});
        }
    });

    test("unknown path: 404", async () => {
        for (const path of ["/v1/nothing-here", "/v2/chat/completions", "/"]) {
            const r = await send(path, chat());
            expectOpenAiError(assert, r, 404);
        }
        const get = await fetch(`${client.url}/v1/images/generations`, {headers: auth});
        const text = await get.text();
        expectOpenAiError(assert, {status: get.status, text, body: JSON.parse(text)}, 404);
    });

    test("wrong method on a known path: 405", async () => {
        for (const path of ["/v1/chat/completions", "/v1/embeddings", "/v1/responses"]) {
            const res = await fetch(`${client.url}${path}`, {headers: auth});
            const text = await res.text();
            expectOpenAiError(assert, {status: res.status, text, body: JSON.parse(text)}, 405);
        }
    });

    test("what the network does not offer, or cannot bound, is refused up front by name", async () => {
        const refused = [
            ["/v1/chat/completions", chat({n: 17}), "n"],
            ["/v1/chat/completions", chat({functions: [{name: "f"}]}), "functions"],
            ["/v1/chat/completions", chat({tools: [{type: "function", function: {name: "two words"}}]}), "tools[0].function.name"],
            ["/v1/chat/completions", chat({tool_choice: "required"}), "tool_choice"],
            ["/v1/completions", {model: MODEL, prompt: "x", best_of: 3}, "best_of"],
            ["/v1/completions", {model: MODEL, prompt: "x", echo: true}, "echo"],
            ["/v1/completions", {model: MODEL, prompt: "x", suffix: "!"}, "suffix"],
        ];
        for (const [path, body, param] of refused) {
            const error = expectOpenAiError(assert, await send(path, body), 400);
            assert.equal(error.param, param, JSON.stringify(body));
        }
    });
});

describe("as seen by the openai npm client", () => {
    test("errors map to the client's error classes", async () => {
        const good = new OpenAI({baseURL: client.baseURL, apiKey: KEY, maxRetries: 0});
        const bad = new OpenAI({baseURL: client.baseURL, apiKey: "wrong", maxRetries: 0});
        await assert.rejects(bad.chat.completions.create(chat()), OpenAI.AuthenticationError);
        await assert.rejects(good.chat.completions.create(chat({model: "nope"})), OpenAI.NotFoundError);
        await assert.rejects(good.chat.completions.create(chat({max_tokens: -1})),
            (e) => e instanceof OpenAI.BadRequestError && e.code === "invalid_value" && e.param === "max_tokens");
        const ok = await good.chat.completions.create(chat());
        assert.equal(ok.usage.completion_tokens, 4);
    });
});
