// Worker disable/enable and coefficient changes at runtime show in the client's /v1/models and
// in routing: disabled workers get no requests (503 when none is left), a coefficient above
// the app's max_coefficient is refused with an error naming the cheapest coefficient.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, expectOpenAiError, postJson, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

let cluster, client, w1, w2, mock;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("admin");
    const proxy = await cluster.startProxy();
    [w1, w2] = await Promise.all([1, 2].map((i) =>
        cluster.startWorker({id: `worker-${i}`, proxies: [proxy], engine: {kind: "external", url: mock.url}})));
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 2);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

async function admin(worker, path) {
    const res = await fetch(`${worker.url}${path}`, {method: "POST", headers: worker.adminHeaders});
    return {status: res.status, body: await res.json()};
}

async function ask(extra = {}) {
    return postJson(`${client.url}/v1/chat/completions`,
        {model: MODEL, messages: [{role: "user", content: "mock:count"}], max_tokens: 2, ...extra});
}

// Requests at once (each takes ~150 ms at the mock), so the proxy spreads them by load.
async function servedConcurrently(n) {
    const all = await Promise.all(Array.from({length: n}, () =>
        ask({messages: [{role: "user", content: "mock:slow"}], max_tokens: 3})));
    for (const r of all) assert.equal(r.status, 200, r.text);
    return new Set(all.map((r) => r.headers.get("x-chrysalis-worker")));
}

async function servedBy(n, extra) {
    const ids = new Set();
    for (let i = 0; i < n; ++i) {
        const r = await ask(extra);
        assert.equal(r.status, 200, r.text);
        ids.add(r.headers.get("x-chrysalis-worker"));
    }
    return ids;
}

const modelsWhere = (predicate, what) =>
    waitFor(async () => {
        const m = await cluster.modelEntry(client);
        return m && predicate(m) ? m : null;
    }, {timeoutMs: 10_000, what});

test("disable and enable at runtime", async () => {
    assert.deepEqual([...await servedConcurrently(4)].sort(), ["worker-1", "worker-2"], "both workers serve at first");

    const off = await admin(w1, "/admin/disable");
    assert.equal(off.status, 200);
    assert.equal(off.body.enabled, false);
    await modelsWhere((m) => m.workers === 1, "1 worker after disabling worker-1");
    assert.deepEqual([...await servedBy(5)], ["worker-2"]);
    assert.equal((await w1.stats()).enabled, false);
    assert.match((await w1.stats()).disabled_reason, /operator/);

    await admin(w2, "/admin/disable");
    await modelsWhere((m) => m.workers === 0, "0 workers after disabling both");
    const r = await ask();
    const error = expectOpenAiError(assert, r, 503);
    assert.match(error.message, /disabled/, "the message says why");
    assert.match(error.message, new RegExp(MODEL));

    await admin(w1, "/admin/enable");
    await admin(w2, "/admin/enable");
    await modelsWhere((m) => m.workers === 2, "2 workers after enabling both");
    assert.equal((await servedConcurrently(4)).size, 2);
});

test("coefficient changes: /v1/models price range, routing and max_coefficient", async () => {
    const set = await admin(w1, "/admin/coefficient?value=2500");
    assert.equal(set.status, 200);
    assert.equal(set.body.coefficient, 2500);
    let m = await modelsWhere((x) => x.coefficient_max === 2500, "coefficient_max 2500");
    assert.equal(m.coefficient_min, 1000);
    assert.equal((await w1.stats()).coefficient, 2500);

    // Apps capping the price at 2000 only reach worker-2.
    assert.deepEqual([...await servedBy(5, {max_coefficient: 2000})], ["worker-2"]);

    // With worker-2 disabled, nothing is cheap enough: the error names the cheapest coefficient.
    await admin(w2, "/admin/disable");
    m = await modelsWhere((x) => x.workers === 1, "only worker-1 enabled");
    assert.equal(m.coefficient_min, 2500);
    const r = await ask({max_coefficient: 2000});
    const error = expectOpenAiError(assert, r, 503, {code: "price_too_high"});
    assert.match(error.message, /2500/, "names the cheapest coefficient");
    assert.match(error.message, /2000/, "names the app's maximum");
    // A higher cap is served.
    const ok = await ask({max_coefficient: 3000});
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get("x-chrysalis-worker"), "worker-1");

    // A cap equal to the coefficient is enough.
    const equal = await ask({max_coefficient: 2500});
    assert.equal(equal.status, 200, equal.text);

    // Lowering the coefficient makes it affordable again.
    await admin(w1, "/admin/coefficient?value=1500");
    await modelsWhere((x) => x.coefficient_min === 1500, "coefficient 1500");
    const cheap = await ask({max_coefficient: 2000});
    assert.equal(cheap.status, 200, cheap.text);

    await admin(w2, "/admin/enable");
    await admin(w1, "/admin/coefficient?value=1000");
    await modelsWhere((x) => x.workers === 2 && x.coefficient_max === 1000, "back to normal");
});

test("bad admin input gets 400 and changes nothing", async () => {
    for (const q of ["", "?value=", "?value=abc", "?value=-5", "?value=12x", "?value=1000000000"]) {
        const res = await fetch(`${w1.url}/admin/coefficient${q}`, {method: "POST", headers: w1.adminHeaders});
        const text = await res.text();
        expectOpenAiError(assert, {status: res.status, text, body: JSON.parse(text)}, 400);
    }
    assert.equal((await w1.stats()).coefficient, 1000);
    const res = await fetch(`${w1.url}/admin/nothing`, {method: "POST", headers: w1.adminHeaders});
    assert.equal(res.status, 404);
    const anonymous = await fetch(`${w1.url}/admin/disable`, {method: "POST"});
    assert.equal(anonymous.status, 401, "no admin action without the token");
    assert.equal((await w1.stats()).enabled, true);
});
