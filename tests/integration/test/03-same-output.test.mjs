// The network adds nothing and loses nothing: the answer through client -> proxy -> worker is
// the very text the engine gives when called directly on its own port, for the same request.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {MODEL, chunkText, parseSseStrict, postJson, startNetwork} from "../lib/harness.mjs";

let net, engineUrl;
before(async () => {
    net = await startNetwork({label: "same", workers: 1});
    engineUrl = net.workers[0].engineUrl;
});
after(async () => {
    await net?.cluster.stop();
});

function streamedText(res) {
    assert.equal(res.status, 200, res.text);
    const events = parseSseStrict(res.text);
    assert.ok(events.at(-1).done);
    const chunks = events.slice(0, -1).map((e) => e.json).filter((c) => c.choices?.length);
    return {text: chunks.map((c) => chunkText(c) ?? "").join(""), tokens: chunks.length - 1};
}

const cases = [
    ["chat, temperature 0", "/v1/chat/completions",
        {model: MODEL, messages: [{role: "system", content: "Be brief."}, {role: "user", content: "Why is the sky blue?"}],
            max_tokens: 60, temperature: 0}],
    ["chat, temperature 0.9 with seed 1234", "/v1/chat/completions",
        {model: MODEL, messages: [{role: "user", content: "Name some colours."}], max_tokens: 60, temperature: 0.9, seed: 1234}],
    ["completion, temperature 0", "/v1/completions", {model: MODEL, prompt: "In the beginning", max_tokens: 60, temperature: 0}],
    ["completion, temperature 1 with seed 7 and top_p", "/v1/completions",
        {model: MODEL, prompt: "The market opened", max_tokens: 60, temperature: 1, top_p: 0.9, seed: 7}],
    ["completion with a stop string and penalties", "/v1/completions",
        {model: MODEL, prompt: "hello", max_tokens: 80, temperature: 0, stop: ["mad"], presence_penalty: 0.5, frequency_penalty: 0.3}],
];

for (const [name, path, body] of cases) {
    test(`${name}: network output == direct engine output (stream and non-stream)`, async () => {
        const direct = await postJson(`${engineUrl}${path}`, body);
        assert.equal(direct.status, 200, direct.text);
        const directText = path.includes("chat") ? direct.body.choices[0].message.content : direct.body.choices[0].text;
        assert.ok(directText.length > 0);
        if (body.stop) assert.equal(direct.body.choices[0].finish_reason, "stop", "the stop string must take effect");

        const viaNetwork = await postJson(`${net.client.url}${path}`, body);
        assert.equal(viaNetwork.status, 200, viaNetwork.text);
        const networkText = path.includes("chat") ? viaNetwork.body.choices[0].message.content : viaNetwork.body.choices[0].text;
        assert.equal(networkText, directText);
        assert.equal(viaNetwork.body.usage.completion_tokens, direct.body.usage.completion_tokens);
        assert.equal(viaNetwork.body.usage.prompt_tokens, direct.body.usage.prompt_tokens);
        assert.equal(viaNetwork.body.choices[0].finish_reason, direct.body.choices[0].finish_reason);

        const directStream = streamedText(await postJson(`${engineUrl}${path}`, {...body, stream: true}));
        const networkStream = streamedText(await postJson(`${net.client.url}${path}`, {...body, stream: true}));
        assert.equal(directStream.text, directText);
        assert.equal(networkStream.text, directText);
        assert.equal(networkStream.tokens, directStream.tokens);
    });
}

test("a different seed gives a different answer (the comparison above is not vacuous)", async () => {
    const body = {model: MODEL, prompt: "The market opened", max_tokens: 60, temperature: 1, top_p: 0.9};
    const a = await postJson(`${net.client.url}/v1/completions`, {...body, seed: 7});
    const b = await postJson(`${net.client.url}/v1/completions`, {...body, seed: 8});
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.notEqual(a.body.choices[0].text, b.body.choices[0].text);
});
