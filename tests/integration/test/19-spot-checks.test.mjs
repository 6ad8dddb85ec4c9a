// Spot checks on end-to-end encrypted requests: the proxy cannot read a prompt or an answer, yet
// reruns requests (every one is deterministic: the client seeds those without a seed) on other workers and compares the spot hashes each worker signed
// (salted with a secret the client sealed into the request), so a worker that returns wrong text
// is caught while the proxy learns nothing it could test guesses against.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson, waitFor} from "../lib/harness.mjs";
import {startMockEngine, tokenText} from "../lib/mock_engine.mjs";

const MAX_TOKENS = 6;
let cluster, proxy, client;
const engines = [];
before(async () => {
    cluster = new Cluster("spot");
    proxy = await cluster.startProxy({id: "proxy", routing: {policy: "round_robin", spot_check_rate: 1}});
    for (const [id, mode] of [["honest-a", "count"], ["honest-b", "count"], ["liar", "wrong"]]) {
        const engine = await startMockEngine({defaultMode: mode});
        engines.push(engine);
        await cluster.startWorker({id, proxies: [proxy], engine: {kind: "external", url: engine.url}, maxConcurrent: 4});
    }
    client = await cluster.startClient({proxies: [proxy]});  // e2e = required, the default
    await cluster.waitForWorkers(client, 3);
});
after(async () => {
    await cluster?.stop();
    await Promise.all(engines.map((e) => e.close()));
});

const ask = (i, extra) => ({model: MODEL, messages: [{role: "user", content: `spot question ${i}`}],
    max_tokens: MAX_TOKENS, ...extra});
const counter = (stats, name, key) => stats.metrics.counters[name]?.[key] ?? 0;

test("sealed deterministic answers are rerun elsewhere and the liar is outvoted", async () => {
    const honestText = Array.from({length: MAX_TOKENS}, (_, i) => tokenText(i)).join("");
    for (let i = 0; i < 9; ++i) {
        const r = await postJson(`${client.url}/v1/chat/completions`, ask(i, {temperature: 0}));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("x-chrysalis-e2e"), "on");
        if (r.headers.get("x-chrysalis-worker") !== "liar") assert.equal(r.body.choices[0].message.content, honestText);
    }
    const stats = await waitFor(async () => {
        const s = await proxy.stats();
        const liar = s.workers.find((w) => w.id === "liar");
        return liar.reputation?.spot_disagreements > 0.99 && s.spot_checks.running === 0 ? s : null;
    }, {timeoutMs: 20_000, what: "the liar's spot disagreements"});
    assert.ok(counter(stats, "spot_check_runs", "sealed=yes") >= 3, JSON.stringify(stats.metrics.counters.spot_check_runs));
    assert.equal(counter(stats, "spot_check_runs", "sealed=no"), 0, "every request went sealed");
    const byId = Object.fromEntries(stats.workers.map((w) => [w.id, w]));
    for (const id of ["honest-a", "honest-b"]) {
        assert.ok(byId[id].reputation.spot_agreements > 0.99, `${id}: ${JSON.stringify(byId[id].reputation)}`);
        assert.ok(byId[id].reputation.spot_disagreements < 0.01, `${id}: ${JSON.stringify(byId[id].reputation)}`);
    }
    assert.ok(byId.liar.reputation.score < Math.min(byId["honest-a"].reputation.score, byId["honest-b"].reputation.score));
    // Reruns are the network's cost: the client was charged for nothing it did not see, and the
    // bound on open cases is on /stats.
    assert.equal(stats.spot_checks.open_cases_limit, 256);
    assert.equal(stats.spot_checks.open_cases, 0);
    // The client sealed each spot-checked request for the spot workers too, and verified them first.
    const clientStats = await client.stats();
    assert.ok(counter(clientStats, "e2e_workers_verified", "all") >= 9 * 2, JSON.stringify(clientStats.metrics.counters));
});

test("a sampled request without a seed gets one from the client and is checked like any other", async () => {
    // A worker must not be able to tell checked requests from the rest: every generation request
    // reaches it with a seed (the app's, or a fresh one the client drew), so every one is checkable.
    const before = counter(await proxy.stats(), "spot_check_runs", "sealed=yes");
    const seen = engines.map((e) => e.requests.length);
    for (let i = 0; i < 3; ++i) {
        const r = await postJson(`${client.url}/v1/chat/completions`, ask(100 + i, {temperature: 0.8}));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("x-chrysalis-e2e"), "on");
    }
    const stats = await waitFor(async () => {
        const s = await proxy.stats();
        return counter(s, "spot_check_runs", "sealed=yes") >= before + 3 && s.spot_checks.open_cases === 0 ? s : null;
    }, {timeoutMs: 20_000, what: "spot checks of the sampled requests"});
    assert.ok(counter(stats, "spot_check_runs", "sealed=yes") >= before + 3);
    const bodies = engines.flatMap((e, i) => e.requests.slice(seen[i]).map((r) => r.body));
    assert.ok(bodies.length >= 6, `answers and reruns reached the engines: ${bodies.length}`);
    const seeds = new Set();
    for (const body of bodies) {
        assert.ok(Number.isInteger(body.seed) && body.seed >= 0 && body.seed < 2 ** 31, JSON.stringify(body));
        assert.equal(body.temperature, 0.8);
        seeds.add(body.seed);
    }
    assert.equal(seeds.size, 3, "one fresh seed per request, the same one on its reruns");
    // An app's own seed is kept as it is.
    const mark = engines.map((e) => e.requests.length);
    const own = await postJson(`${client.url}/v1/chat/completions`, ask(200, {temperature: 0.8, seed: 4242}));
    assert.equal(own.status, 200, own.text);
    const sent = engines.flatMap((e, i) => e.requests.slice(mark[i]).map((r) => r.body));
    assert.ok(sent.length >= 1 && sent.every((b) => b.seed === 4242), JSON.stringify(sent.map((b) => b.seed)));
});
