// The OpenAI surface beyond plain chat, through client -> proxy -> worker -> embedded engine with
// the official openai SDK (docs/openai-surface.md): JSON mode and JSON schemas enforced by grammar,
// logit_bias, models.retrieve, and the fields that are refused by name instead of ignored.
import assert from "node:assert/strict";
import fs from "node:fs";
import {after, before, describe, test} from "node:test";
import Ajv from "ajv";
import OpenAI from "openai";
import {MODEL, startNetwork, waitFor} from "../lib/harness.mjs";

let net;
let openai;
before(async () => {
    net = await startNetwork({label: "surface", workers: 1});
    openai = new OpenAI({baseURL: `${net.client.url}/v1`, apiKey: "unused", maxRetries: 0});
});
after(async () => {
    await net?.cluster.stop();
});

const ask = (extra) => ({model: MODEL, messages: [{role: "user", content: "Describe the network as JSON."}], ...extra});

async function streamedText(params) {
    const stream = await openai.chat.completions.create({...params, stream: true, stream_options: {include_usage: true}});
    let text = "", finish = null, usage = null;
    for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        text += choice.delta?.content ?? "";
        finish = choice.finish_reason ?? finish;
    }
    return {text, finish, usage};
}

// Every property required, as OpenAI's strict mode asks; bounded strings and arrays keep the
// random test model's answers short enough to finish.
const STATUS_SCHEMA = {
    type: "object",
    properties: {
        mood: {type: "string", enum: ["calm", "busy", "lost"]},
        healthy: {type: "boolean"},
        worker: {type: "string", maxLength: 10},
        load: {type: "array", items: {type: "integer"}, maxItems: 3},
        owner: {anyOf: [{type: "null"}, {type: "object", properties: {id: {type: "string", maxLength: 6}}, required: ["id"], additionalProperties: false}]},
    },
    required: ["mood", "healthy", "worker", "load", "owner"],
    additionalProperties: false,
};

describe("structured output", () => {
    test("json_schema: whole and streamed answers parse and validate, for many seeds", async () => {
        const validate = new Ajv({strict: true}).compile(STATUS_SCHEMA);
        const response_format = {type: "json_schema", json_schema: {name: "status", strict: true, schema: STATUS_SCHEMA}};
        for (let seed = 1; seed <= 8; seed++) {
            const params = ask({response_format, max_tokens: 200, temperature: 1, seed});
            const whole = await openai.chat.completions.create(params);
            const {content} = whole.choices[0].message;
            assert.equal(whole.choices[0].finish_reason, "stop", `seed ${seed}: ${content}`);
            const value = JSON.parse(content);
            assert.ok(validate(value), `seed ${seed}: ${content} fails the schema: ${JSON.stringify(validate.errors)}`);
            assert.deepEqual(Object.keys(value), Object.keys(STATUS_SCHEMA.properties), "properties in the schema's order");
            const streamed = await streamedText(params);
            assert.equal(streamed.text, content, "the streamed answer is the whole answer");
            assert.equal(streamed.usage.completion_tokens, whole.usage.completion_tokens, "usage counts the same tokens");
        }
    });

    test("json_object: every finished answer is a JSON object", async () => {
        // The test model's strings run on; a bias towards '"' (token 329 of its vocabulary) lets them close.
        let finished = 0;
        for (let seed = 1; seed <= 8; seed++) {
            const body = ask({response_format: {type: "json_object"}, max_tokens: 200, seed, logit_bias: {"329": 6}});
            const r = await openai.chat.completions.create(body);
            if (r.choices[0].finish_reason !== "stop") {
                assert.equal(r.choices[0].finish_reason, "length");
                assert.equal(r.usage.completion_tokens, 200);
                continue;
            }
            finished++;
            const value = JSON.parse(r.choices[0].message.content);
            assert.equal(typeof value, "object");
            assert.ok(value !== null && !Array.isArray(value), r.choices[0].message.content);
        }
        assert.ok(finished >= 4, `only ${finished} of 8 answers finished`);
    });

    test("a schema keyword the grammar cannot enforce is a 400 that names it", async () => {
        const schema = {type: "object", properties: {code: {type: "string", pattern: "^[A-Z]+$"}}, required: ["code"]};
        await assert.rejects(
            openai.chat.completions.create(ask({response_format: {type: "json_schema", json_schema: {name: "c", schema}}})),
            (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /properties\.code\.pattern/.test(e.message));
        await assert.rejects(
            openai.chat.completions.create(ask({response_format: {type: "json_schema", json_schema: {schema}}})),
            (e) => e.status === 400 && e.param === "response_format.json_schema.name");
    });
});

const WEATHER = {type: "function", function: {name: "get_weather", description: "Weather for a city",
    parameters: {type: "object", properties: {city: {type: "string", maxLength: 10}, units: {type: "string", enum: ["c", "f"]}},
        required: ["city", "units"], additionalProperties: false}}};
const NOOP = {type: "function", function: {name: "noop", parameters: {type: "object", properties: {}, additionalProperties: false}}};

describe("tool calling", () => {
    const toolAsk = (extra) => ask({tools: [WEATHER, NOOP], max_tokens: 80, parallel_tool_calls: false, temperature: 1, ...extra});

    test("a tool call round trip: tool_calls, a tool message, an answer; streamed like whole", async () => {
        const validate = new Ajv({strict: false}).compile(WEATHER.function.parameters);
        const params = toolAsk({tool_choice: "required", seed: 2});
        const whole = await openai.chat.completions.create(params);
        const message = whole.choices[0].message;
        assert.equal(whole.choices[0].finish_reason, "tool_calls");
        assert.equal(message.content, null);
        assert.equal(message.tool_calls.length, 1);
        const [call] = message.tool_calls;
        assert.ok(["get_weather", "noop"].includes(call.function.name));
        const args = JSON.parse(call.function.arguments);
        if (call.function.name === "get_weather") assert.ok(validate(args), call.function.arguments);
        assert.ok(whole.usage.completion_tokens > 3, "the call's tokens are billed");

        const stream = await openai.chat.completions.create({...params, stream: true, stream_options: {include_usage: true}});
        let name = "", id = "", argsText = "", finish = null, usage = null;
        for await (const chunk of stream) {
            if (chunk.usage) usage = chunk.usage;
            for (const c of chunk.choices) {
                for (const d of c.delta?.tool_calls ?? []) {
                    id += d.id ?? "";
                    name += d.function?.name ?? "";
                    argsText += d.function?.arguments ?? "";
                }
                finish = c.finish_reason ?? finish;
            }
        }
        assert.deepEqual([name, argsText, finish], [call.function.name, call.function.arguments, "tool_calls"]);
        assert.match(id, /^call_/);
        assert.equal(usage.completion_tokens, whole.usage.completion_tokens);

        const conversation = [...params.messages, message, {role: "tool", tool_call_id: call.id, content: JSON.stringify({temperature: 21})}];
        const answer = await openai.chat.completions.create(ask({messages: conversation, tools: [WEATHER, NOOP], tool_choice: "none", max_tokens: 6}));
        assert.equal(typeof answer.choices[0].message.content, "string");
        assert.equal(answer.choices[0].message.tool_calls, undefined);
        const before = await openai.chat.completions.create(ask({tools: [WEATHER, NOOP], tool_choice: "none", max_tokens: 2}));
        assert.ok(answer.usage.prompt_tokens > before.usage.prompt_tokens + 10, "the call and its result are part of the prompt");
    });

    test("a named tool_choice calls that tool; bad tool fields are 400s naming them", async () => {
        const r = await openai.chat.completions.create(toolAsk({tool_choice: {type: "function", function: {name: "get_weather"}}, seed: 5}));
        assert.equal(r.choices[0].message.tool_calls[0].function.name, "get_weather");
        await assert.rejects(openai.chat.completions.create(toolAsk({tool_choice: {type: "function", function: {name: "nope"}}})),
            (e) => e.status === 400 && e.param === "tool_choice");
        await assert.rejects(openai.chat.completions.create(ask({tools: [{type: "function", function: {name: "bad name"}}]})),
            (e) => e.status === 400 && e.param === "tools[0].function.name");
        const patterned = {type: "function", function: {name: "f", parameters: {type: "object", properties: {a: {type: "string", pattern: "^x"}}}}};
        await assert.rejects(openai.chat.completions.create(ask({tools: [patterned], max_tokens: 4})),
            (e) => e.status === 400 && /tools\[0\]\.function\.parameters\.properties\.a\.pattern/.test(e.message));
        await assert.rejects(openai.chat.completions.create(ask({messages: [{role: "tool", tool_call_id: "x", content: "1"}], max_tokens: 4})),
            (e) => e.status === 400 && /answers no earlier tool call/.test(e.message));
    });
});

describe("sampling fields", () => {
    test("logit_bias forces and bans tokens through the network", async () => {
        const forced = async (logit_bias) => {
            const r = await openai.completions.create({model: MODEL, prompt: "Once", max_tokens: 6, temperature: 0, logit_bias});
            assert.equal(r.usage.completion_tokens, 6);
            return r.choices[0].text;
        };
        // Biases add to logits: +100 beats any logit of this model, -100 takes the token out.
        const a = await forced({"400": 100});
        const b = await forced({"400": -100, "401": 100});
        const piece = a.slice(0, a.length / 6);
        assert.equal(a, piece.repeat(6), `token 400 forced six times: ${JSON.stringify(a)}`);
        assert.notEqual(b, a, "banning token 400 lets token 401 win");
        assert.equal(b, await forced({"401": 100}), "token 401 forced");
        await assert.rejects(
            openai.completions.create({model: MODEL, prompt: "x", max_tokens: 2, logit_bias: {"99999999": 5}}),
            (e) => e.status === 400 && /vocabulary/.test(e.message));
        await assert.rejects(
            openai.completions.create({model: MODEL, prompt: "x", max_tokens: 2, logit_bias: {"7": 500}}),
            (e) => e.status === 400 && e.param === "logit_bias");
    });

    test("logprobs: one entry per token, spelling the answer, whole and streamed", async () => {
        const params = ask({max_tokens: 16, temperature: 0, logprobs: true, top_logprobs: 2});
        const whole = await openai.chat.completions.create(params);
        const entries = whole.choices[0].logprobs.content;
        assert.equal(entries.length, whole.usage.completion_tokens);
        assert.equal(entries.map((e) => e.token).join(""), whole.choices[0].message.content);
        for (const e of entries) {
            assert.ok(e.logprob <= 0, `logprob ${e.logprob}`);
            assert.equal(e.top_logprobs.length, 2);
            assert.equal(e.top_logprobs[0].token, e.token, "temperature 0 takes the most likely token");
        }
        const stream = await openai.chat.completions.create({...params, stream: true});
        const streamed = [];
        for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
        assert.deepEqual(streamed.map((e) => e.token), entries.map((e) => e.token));

        const text = await openai.completions.create({model: MODEL, prompt: "Once", max_tokens: 8, temperature: 0, logprobs: 3});
        const lp = text.choices[0].logprobs;
        assert.equal(lp.tokens.length, text.usage.completion_tokens);
        assert.equal(lp.tokens.join(""), text.choices[0].text);
        assert.deepEqual(lp.text_offset, lp.tokens.map((_, i) => lp.tokens.slice(0, i).join("").length));
        assert.ok(lp.top_logprobs.every((alts) => Object.keys(alts).length <= 3));
        const plain = await openai.chat.completions.create(ask({max_tokens: 4}));
        assert.equal(plain.choices[0].logprobs, null);
        await assert.rejects(openai.chat.completions.create(ask({max_tokens: 2, top_logprobs: 2})),
            (e) => e.status === 400 && e.param === "top_logprobs");
        await assert.rejects(openai.completions.create({model: MODEL, prompt: "x", max_tokens: 2, logprobs: 6}),
            (e) => e.status === 400 && e.param === "logprobs");
    });

    test("n = 3: three choices whole and streamed, usage for all of them", async () => {
        const params = ask({max_tokens: 10, n: 3, temperature: 1, seed: 11});
        const whole = await openai.chat.completions.create(params);
        assert.deepEqual(whole.choices.map((c) => c.index), [0, 1, 2]);
        const texts = whole.choices.map((c) => c.message.content);
        assert.ok(new Set(texts).size > 1, `sampled choices differ: ${JSON.stringify(texts)}`);
        const stream = await openai.chat.completions.create({...params, stream: true, stream_options: {include_usage: true}});
        const streamed = ["", "", ""], finishes = [0, 0, 0];
        let usage;
        for await (const chunk of stream) {
            if (chunk.usage) usage = chunk.usage;
            for (const c of chunk.choices) {
                streamed[c.index] += c.delta?.content ?? "";
                if (c.finish_reason) finishes[c.index]++;
            }
        }
        assert.deepEqual(streamed, texts, "each streamed choice is its whole counterpart");
        assert.deepEqual(finishes, [1, 1, 1]);
        assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
        assert.ok(whole.usage.completion_tokens > 10 && whole.usage.completion_tokens <= 30, `${whole.usage.completion_tokens}`);
        const completions = await openai.completions.create({model: MODEL, prompt: "Once", max_tokens: 4, n: 2, best_of: 2, temperature: 0});
        assert.equal(completions.choices.length, 2);
        assert.equal(completions.choices[0].text, completions.choices[1].text, "temperature 0: the choices agree");
        await assert.rejects(openai.chat.completions.create(ask({n: 4, max_tokens: 10000})),
            (e) => e.status === 400 && e.param === "n" && /limit/.test(e.message));
        await assert.rejects(openai.completions.create({model: MODEL, prompt: "x", max_tokens: 2, best_of: 3}),
            (e) => e.status === 400 && e.param === "best_of");
    });

    test("fields the network cannot honour are refused by name", async () => {
        const refused = [
            ["echo", true, "completions"], ["suffix", "!", "completions"],
            ["functions", [{name: "f", parameters: {type: "object"}}], "chat"],
        ];
        for (const [field, value, kind] of refused) {
            const call = kind === "chat"
                ? openai.chat.completions.create(ask({[field]: value, max_tokens: 2}))
                : openai.completions.create({model: MODEL, prompt: "x", max_tokens: 2, [field]: value});
            await assert.rejects(call, (e) => e.status === 400 && e.param === field && e.code === "unsupported_parameter",
                `${field} must be refused`);
        }
        await assert.rejects(
            openai.chat.completions.create(ask({stop: ["a", "b", "c", "d", "e"], max_tokens: 2})),
            (e) => e.status === 400 && e.param === "stop");
    });
});

describe("models", () => {
    test("models.retrieve returns the served model and 404s an unknown one", async () => {
        const m = await openai.models.retrieve(MODEL);
        assert.equal(m.id, MODEL);
        assert.equal(m.object, "model");
        assert.equal(m.workers, 1);
        await assert.rejects(openai.models.retrieve("no-such-model"),
            (e) => e instanceof OpenAI.NotFoundError && e.code === "model_not_found");
    });
});

describe("request ids", () => {
    test("an app's X-Request-Id comes back and is in every node's log", async () => {
        const appId = `app-${process.pid}.surface`;
        const {data, response} = await openai.chat.completions
            .create(ask({max_tokens: 3}), {headers: {"X-Request-Id": appId}}).withResponse();
        assert.equal(data.choices.length, 1);
        assert.equal(response.headers.get("x-request-id"), appId);
        const networkId = response.headers.get("x-chrysalis-request-id");
        assert.ok(networkId.startsWith(`${appId}~`), networkId);
        // Each node logs the request as it finishes, which may be just after the app has its answer.
        for (const node of [net.client, net.proxy, ...net.workers]) {
            await waitFor(() => fs.readFileSync(node.log, "utf8").includes(`rid=${networkId}`),
                {timeoutMs: 5000, what: `${node.name}'s log naming ${networkId}`});
        }
        // Errors carry it too; a malformed one is refused by name.
        const bad = await fetch(`${net.client.url}/v1/chat/completions`, {method: "POST",
            headers: {"Content-Type": "application/json", "X-Request-Id": appId}, body: "{"});
        assert.equal(bad.status, 400);
        assert.equal(bad.headers.get("x-request-id"), appId);
        await assert.rejects(openai.chat.completions.create(ask({max_tokens: 2}), {headers: {"X-Request-Id": "two words"}}),
            (e) => e.status === 400 && e.param === "X-Request-Id");
    });
});

// POST /v1/responses runs as a chat request through the network and answers in Responses' shape.
describe("responses", () => {
    const FLAT_WEATHER = {type: "function", name: "get_weather", description: WEATHER.function.description,
        parameters: WEATHER.function.parameters};

    test("text, whole and streamed: the same answer, events in OpenAI's order, usage and a receipt", async () => {
        const params = {model: MODEL, instructions: "Be brief.", input: "Describe the network.", max_output_tokens: 12, temperature: 0};
        const whole = await openai.responses.create(params);
        assert.equal(whole.object, "response");
        assert.match(whole.id, /^resp_/);
        assert.ok(["completed", "incomplete"].includes(whole.status), whole.status);
        if (whole.status === "incomplete") assert.equal(whole.incomplete_details.reason, "max_output_tokens");
        assert.equal(whole.output[0].type, "message");
        assert.equal(whole.output[0].content[0].type, "output_text");
        assert.equal(whole.output_text, whole.output[0].content[0].text, "the SDK's output_text is the message text");
        assert.ok(whole.usage.input_tokens > 3 && whole.usage.output_tokens <= 12);
        assert.equal(whole.usage.total_tokens, whole.usage.input_tokens + whole.usage.output_tokens);
        assert.equal(whole.instructions, "Be brief.");
        assert.equal(whole.max_output_tokens, 12);
        assert.equal(whole.chrysalis.receipt.verified, true);

        const stream = await openai.responses.create({...params, stream: true});
        const types = [];
        let deltas = "", done = null, last = null, sequence = -1;
        for await (const event of stream) {
            types.push(event.type);
            assert.equal(event.sequence_number, sequence + 1, "sequence numbers count up from 0");
            sequence = event.sequence_number;
            if (event.type === "response.output_text.delta") deltas += event.delta;
            if (event.type === "response.output_text.done") done = event.text;
            if (event.type === "response.completed" || event.type === "response.incomplete") last = event.response;
        }
        assert.deepEqual(types.slice(0, 4), ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
        assert.deepEqual(types.slice(-4), ["response.output_text.done", "response.content_part.done", "response.output_item.done",
            whole.status === "completed" ? "response.completed" : "response.incomplete"]);
        assert.equal(deltas, done);
        assert.equal(done, whole.output_text, "temperature 0: the streamed answer is the whole answer");
        assert.equal(last.output[0].content[0].text, done);
        assert.deepEqual([last.usage.input_tokens, last.usage.output_tokens], [whole.usage.input_tokens, whole.usage.output_tokens]);
        assert.equal(last.chrysalis.receipt.verified, true);
    });

    test("tools: a required call, its output sent back, then an answer; streamed arguments join up", async () => {
        const validate = new Ajv({strict: false}).compile(WEATHER.function.parameters);
        const params = {model: MODEL, input: "Weather in Paris?", tools: [FLAT_WEATHER], tool_choice: "required",
            parallel_tool_calls: false, max_output_tokens: 80, temperature: 1};
        const whole = await openai.responses.create(params);
        const calls = whole.output.filter((o) => o.type === "function_call");
        assert.equal(calls.length, 1, JSON.stringify(whole.output));
        const [call] = calls;
        assert.equal(call.name, "get_weather");
        assert.match(call.call_id, /^call_/);
        assert.ok(validate(JSON.parse(call.arguments)), call.arguments);
        assert.deepEqual(whole.tools.map((t) => t.name), ["get_weather"]);

        const stream = await openai.responses.create({...params, stream: true});
        let args = "", doneArgs = null, added = null;
        for await (const event of stream) {
            if (event.type === "response.output_item.added" && event.item.type === "function_call") added = event.item;
            if (event.type === "response.function_call_arguments.delta") args += event.delta;
            if (event.type === "response.function_call_arguments.done") doneArgs = event.arguments;
        }
        assert.equal(added.name, "get_weather");
        assert.equal(args, doneArgs);
        assert.ok(validate(JSON.parse(doneArgs)), doneArgs);

        const followUp = await openai.responses.create({model: MODEL, tools: [FLAT_WEATHER], tool_choice: "none", max_output_tokens: 6,
            input: [{role: "user", content: "Weather in Paris?"}, call, {type: "function_call_output", call_id: call.call_id, output: "{\"c\":21}"}]});
        assert.equal(followUp.output.filter((o) => o.type === "function_call").length, 0);
        assert.equal(typeof followUp.output_text, "string");
        const before = await openai.responses.create({model: MODEL, tools: [FLAT_WEATHER], tool_choice: "none", max_output_tokens: 2,
            input: "Weather in Paris?"});
        assert.ok(followUp.usage.input_tokens > before.usage.input_tokens + 10, "the call and its output are part of the prompt");
    });

    test("text.format json_schema: the output parses and validates", async () => {
        const validate = new Ajv({strict: true}).compile(STATUS_SCHEMA);
        for (let seed = 1; seed <= 3; seed++) {
            const r = await openai.responses.create({model: MODEL, input: `Status ${seed}?`, max_output_tokens: 200, temperature: 1,
                text: {format: {type: "json_schema", name: "status", strict: true, schema: STATUS_SCHEMA}}});
            assert.equal(r.status, "completed", r.output_text);
            const value = JSON.parse(r.output_text);
            assert.ok(validate(value), r.output_text);
            assert.deepEqual(Object.keys(value), Object.keys(STATUS_SCHEMA.properties), "properties in the schema's order");
        }
    });

    test("what the network cannot do is refused by name", async () => {
        const refusals = [
            [{previous_response_id: "resp_123"}, "previous_response_id"],
            [{store: true}, "store"],
            [{tools: [{type: "web_search"}]}, "tools[0].type"],
            [{input: [{role: "user", content: [{type: "input_image", image_url: "https://x/y.png"}]}]}, "input[0].content[0].type"],
            [{max_output_tokens: 0}, "max_output_tokens"],
        ];
        for (const [extra, param] of refusals) {
            await assert.rejects(openai.responses.create({model: MODEL, input: "hi", ...extra}),
                (e) => e.status === 400 && e.param === param, `${JSON.stringify(extra)} names ${param}`);
        }
    });
});
