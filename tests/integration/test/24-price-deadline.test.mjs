// Price and deadline terms: an app's `ttft_deadline_ms` gets the cheapest worker predicted to send
// its first token in time, or the soonest when none is, and `X-Chrysalis-Route` says which and why;
// the proxy's /stats shows which prices win traffic. Two mock engines behind real workers: a cheap
// one with a slow first token and a dear one with a fast first token.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import OpenAI from "openai";
import {Cluster, MODEL, postJson, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

const SLOW_MS = 600;
let cluster, proxy, client, cheap, dear, slowEngine, fastEngine, openai;

const chat = (extra = {}) => ({model: MODEL, messages: [{role: "user", content: "hello"}], max_tokens: 4, ...extra});

async function ask(extra) {
    const r = await postJson(`${client.url}/v1/chat/completions`, chat(extra));
    assert.equal(r.status, 200, r.text);
    return {worker: r.headers.get("x-chrysalis-worker"), route: r.headers.get("x-chrysalis-route")};
}

before(async () => {
    fastEngine = await startMockEngine({firstTokenMs: 1});
    slowEngine = await startMockEngine({firstTokenMs: SLOW_MS});
    cluster = new Cluster("price-deadline");
    proxy = await cluster.startProxy();
    // The dear, fast worker comes first and is measured alone; then the cheap, slow one, measured
    // with a price cap only it meets.
    dear = await cluster.startWorker({id: "dear-fast", proxies: [proxy], coefficient: 3000, engine: {kind: "external", url: fastEngine.url}});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
    for (let i = 0; i < 4; i++) assert.equal((await ask()).worker, "dear-fast");
    cheap = await cluster.startWorker({id: "cheap-slow", proxies: [proxy], coefficient: 1000, engine: {kind: "external", url: slowEngine.url}});
    await cluster.waitForWorkers(client, 2);
    for (let i = 0; i < 4; i++) assert.equal((await ask({max_coefficient: 1000})).worker, "cheap-slow");
    openai = new OpenAI({baseURL: `${client.url}/v1`, apiKey: "unused", maxRetries: 0});
});
after(async () => {
    await cluster?.stop();
    await fastEngine?.close();
    await slowEngine?.close();
});

test("a tight deadline buys the fast worker, a loose one the cheap worker, and the answer says why", async () => {
    const tight = await ask({ttft_deadline_ms: 300});
    assert.equal(tight.worker, "dear-fast");
    assert.match(tight.route, /^cheapest of 1 worker\(s\) predicted to meet ttft_deadline_ms 300: coefficient 3000, first token predicted in \d+ ms$/);
    const loose = await ask({ttft_deadline_ms: SLOW_MS * 4});
    assert.equal(loose.worker, "cheap-slow");
    assert.match(loose.route, /^cheapest of 2 worker\(s\) predicted to meet ttft_deadline_ms 2400: coefficient 1000, /);
    const predicted = Number(/predicted in (\d+) ms/.exec(loose.route)[1]);
    assert.ok(predicted >= SLOW_MS * 0.8 && predicted < SLOW_MS * 3, `the cheap worker's first token is predicted from its record: ${predicted} ms`);
});

test("when nobody can make the deadline, the soonest answers and the route says so", async () => {
    const r = await ask({ttft_deadline_ms: 1});
    assert.equal(r.worker, "dear-fast");
    assert.match(r.route, /^no worker predicted to meet ttft_deadline_ms 1; the soonest: first token predicted in \d+ ms, coefficient 3000$/);
});

test("the terms travel through the SDK, streamed too, and a bad one is refused by name", async () => {
    const {data, response} = await openai.chat.completions.create(chat({ttft_deadline_ms: 300, stream: true})).withResponse();
    let text = "";
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? "";
    assert.equal(text, "w0 w1 w2 w3 ");
    assert.equal(response.headers.get("x-chrysalis-worker"), "dear-fast");
    await assert.rejects(openai.chat.completions.create(chat({ttft_deadline_ms: 0})),
        (e) => e.status === 400 && e.param === "ttft_deadline_ms");
    await assert.rejects(openai.chat.completions.create(chat({max_price: "cheap"})),
        (e) => e.status === 400 && e.param === "max_price");
    const plain = await ask();
    assert.equal(plain.route, null, "without terms the proxy's policy chooses and says nothing");
});

test("the proxy's /stats shows which prices win traffic", async () => {
    const stats = await proxy.stats();
    assert.equal(stats.limits.max_dispatch_bands, 101, "the band table's bound is on /stats");
    const bands = stats.routing.dispatched_by_coefficient;
    assert.ok(bands["1000"] >= 5, JSON.stringify(bands));
    assert.ok(bands["3000"] >= 7, JSON.stringify(bands));
});

test("each worker sees on its own /stats which prices win its model's traffic at each proxy", async () => {
    const proxyBands = (await proxy.stats()).routing.dispatched_by_coefficient;
    for (const w of [cheap, dear]) {
        const market = await waitFor(async () => {
            const m = (await w.stats()).proxies[0].market;
            return m && m.dispatched_by_coefficient["1000"] === proxyBands["1000"] ? m : null;
        }, {timeoutMs: 20_000, what: `${w.id}'s market view`});
        assert.equal(market.workers, 2);
        assert.equal(market.min_coefficient, 1000);
        assert.equal(market.max_coefficient, 3000);
        assert.equal(market.our_coefficient, w === cheap ? 1000 : 3000);
        assert.equal(market.dispatched_by_coefficient["3000"], proxyBands["3000"], JSON.stringify(market));
    }
});
