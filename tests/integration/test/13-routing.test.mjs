// Routing under misbehaving workers: two honest workers and one each that is slow, stalls after
// accepting, dies mid-stream and returns wrong output. Requests keep succeeding, the bad workers'
// share falls as their reputation does, a stalled request fails over before its deadline and is
// counted once, spot checks catch the liar, and a hedged request beats a stalled worker.
// Even requests go end-to-end encrypted (the client's default), odd ones in plaintext through a
// second client: spot checks compare the spot hashes workers sign, for both kinds.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson, waitFor} from "../lib/harness.mjs";
import {startMockEngine, tokenText} from "../lib/mock_engine.mjs";

const MAX_TOKENS = 8;
const FIRST_TOKEN_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_S = 30;
const KINDS = {"good-a": "count", "good-b": "count", "slow": "slow", "stall": "stall", "die": "die", "wrong": "wrong"};
const BAD = new Set(["slow", "stall", "die", "wrong"]);

let cluster, proxy, client, plainClient;
const engines = [];
before(async () => {
    cluster = new Cluster("routing");
    proxy = await cluster.startProxy({
        id: "proxy", requestTimeoutS: REQUEST_TIMEOUT_S, maxRetries: 3,
        // Every worker is new here: a high trial share measures each of them early on.
        routing: {policy: "ours", first_token_timeout_ms: FIRST_TOKEN_TIMEOUT_MS, spot_check_rate: 0.5, trial_share: 0.5},
    });
    for (const [name, mode] of Object.entries(KINDS)) {
        const mock = await startMockEngine({defaultMode: mode, slowMs: 250});
        engines.push(mock);
        await cluster.startWorker({id: name, proxies: [proxy], engine: {kind: "external", url: mock.url}, maxConcurrent: 2});
    }
    client = await cluster.startClient({proxies: [proxy], requestTimeoutS: REQUEST_TIMEOUT_S});
    plainClient = await cluster.startClient({id: "plain-client", proxies: [proxy], requestTimeoutS: REQUEST_TIMEOUT_S,
        settings: {e2e: "off"}});
    await cluster.waitForWorkers(client, Object.keys(KINDS).length);
    await cluster.waitForWorkers(plainClient, Object.keys(KINDS).length);
});
after(async () => {
    await cluster?.stop();
    await Promise.all(engines.map((m) => m.close()));
});

const body = (i) => ({model: MODEL, messages: [{role: "user", content: `question ${i}`}], max_tokens: MAX_TOKENS,
    temperature: 0, seed: 7});
const honestText = Array.from({length: MAX_TOKENS}, (_, i) => tokenText(i)).join("");

async function send(i) {
    const t0 = Date.now();
    const via = i % 2 === 0 ? client : plainClient;
    const r = await postJson(`${via.url}/v1/chat/completions`, body(i), {timeoutMs: (REQUEST_TIMEOUT_S + 5) * 1000});
    if (r.status === 200) assert.equal(r.headers.get("x-chrysalis-e2e"), via === client ? "on" : "off");
    return {i, status: r.status, worker: r.headers.get("x-chrysalis-worker"), ms: Date.now() - t0, body: r.body, text: r.text};
}

const results = [];

test("requests keep succeeding while the bad workers' share falls", async () => {
    const N = 90, CONCURRENCY = 3;
    let next = 0;
    await Promise.all(Array.from({length: CONCURRENCY}, async () => {
        while (next < N) results.push(await send(next++));
    }));
    results.sort((a, b) => a.i - b.i);
    const ok = results.filter((r) => r.status === 200);
    const failed = results.filter((r) => r.status !== 200);
    // Only the worker that dies after its first tokens can fail a request (it cannot be retried then).
    for (const f of failed) {
        assert.equal(f.status, 502, f.text);
        assert.equal(f.body.error.code, "engine_stream_broken", f.text);
    }
    const share = {};
    for (const r of results) share[r.worker ?? `failed:${r.status}`] = (share[r.worker ?? `failed:${r.status}`] ?? 0) + 1;
    console.log("served by", JSON.stringify(share));
    assert.ok(ok.length >= N * 0.85, `${ok.length}/${N} succeeded`);
    for (const r of ok) assert.equal(r.body.usage.completion_tokens, MAX_TOKENS, `request ${r.i} usage`);

    const badShare = (slice) => slice.filter((r) => BAD.has(r.worker) || r.status !== 200).length / slice.length;
    const first = badShare(results.slice(0, 30)), last = badShare(results.slice(-30));
    assert.ok(last < first, `bad share fell: first 30 ${first.toFixed(2)}, last 30 ${last.toFixed(2)}`);
    assert.ok(last <= 0.2, `bad share in the last 30 is ${last.toFixed(2)}`);
    const lastFailures = results.slice(-30).filter((r) => r.status !== 200).length;
    assert.ok(lastFailures <= 2, `${lastFailures} failures in the last 30`);

    const stats = await proxy.stats();
    const byId = Object.fromEntries(stats.workers.map((w) => [w.id, w]));
    const goodScore = Math.min(byId["good-a"].reputation.score, byId["good-b"].reputation.score);
    // Every bad worker the proxy has evidence about (served, failed or spot-checked) stands below the honest ones.
    const judged = ["stall", "die", "wrong"].filter((id) => byId[id].reputation.outcomes > 0 || byId[id].reputation.spot_disagreements > 0);
    assert.ok(judged.length >= 2, `evidence about ${judged}`);
    for (const bad of judged)
        assert.ok(byId[bad].reputation.score < goodScore, `${bad} score ${byId[bad].reputation.score} < ${goodScore}`);
    // The client's model list carries the reputation too.
    const entry = await cluster.modelEntry(client);
    assert.ok(entry.reputation_best > 0 && entry.reputation_best <= 1, JSON.stringify(entry));
});

test("a request that stalled before its first token fails over in time and is counted once", async () => {
    // Round robin makes the staller take every other request: each of those must time out on its
    // first token, move to the honest worker and still finish far inside its deadline.
    const sc = new Cluster("stall");
    const stallEngine = await startMockEngine({defaultMode: "stall"});
    const goodEngine = await startMockEngine({defaultMode: "count"});
    try {
        const p = await sc.startProxy({requestTimeoutS: REQUEST_TIMEOUT_S,
            // The first-token retry alone: no hedge racing it, no spot rerun adding to the counts.
            routing: {policy: "round_robin", first_token_timeout_ms: FIRST_TOKEN_TIMEOUT_MS, hedge_after_ms: 0,
                spot_check_rate: 0}});
        await sc.startWorker({id: "staller", proxies: [p], engine: {kind: "external", url: stallEngine.url}});
        await sc.startWorker({id: "honest", proxies: [p], engine: {kind: "external", url: goodEngine.url}});
        const c = await sc.startClient({proxies: [p], requestTimeoutS: REQUEST_TIMEOUT_S});
        await sc.waitForWorkers(c, 2);
        const answers = [];
        for (let i = 0; i < 4; ++i) {
            const t0 = Date.now();
            const r = await postJson(`${c.url}/v1/chat/completions`, body(i), {timeoutMs: 20_000});
            assert.equal(r.status, 200, r.text);
            assert.equal(r.headers.get("x-chrysalis-worker"), "honest");
            assert.equal(r.headers.get("x-chrysalis-e2e"), "on", "failover re-seals for the next worker");
            assert.equal(r.body.usage.completion_tokens, MAX_TOKENS);
            answers.push({ms: Date.now() - t0, total: r.body.usage.total_tokens});
        }
        const failedOver = answers.filter((a) => a.ms >= FIRST_TOKEN_TIMEOUT_MS);
        assert.ok(failedOver.length >= 1, `some request waited out the first-token timeout: ${JSON.stringify(answers)}`);
        for (const a of failedOver) assert.ok(a.ms < FIRST_TOKEN_TIMEOUT_MS + 3000, `failover took ${a.ms} ms`);
        const stats = await p.stats();
        assert.equal(stats.metrics.counters.first_token_timeouts?.all, failedOver.length);
        // Counted once: the staller is credited nothing, the honest worker exactly what the client saw.
        const byId = Object.fromEntries(stats.workers.map((w) => [w.id, w]));
        assert.equal(byId.staller.tokens, 0);
        assert.equal(byId.honest.tokens, answers.reduce((sum, a) => sum + a.total, 0));
        assert.equal(byId.honest.served, 4);
        assert.ok(byId.staller.reputation.score < byId.honest.reputation.score);
        await waitFor(() => stallEngine.requests.length >= failedOver.length && stallEngine.requests.every((q) => q.closedEarly === true),
            {what: "every stalled attempt cancelled upstream"});
    } finally {
        await sc.stop();
        await stallEngine.close();
        await goodEngine.close();
    }
});

test("across the whole run the proxy credited exactly the tokens the client was told about", async () => {
    const stats = await proxy.stats();
    const ok = results.filter((r) => r.status === 200);
    const credited = stats.workers.reduce((sum, w) => sum + w.tokens, 0);
    assert.equal(credited, ok.reduce((sum, r) => sum + r.body.usage.total_tokens, 0));
    assert.equal(stats.workers.find((w) => w.id === "stall").tokens, 0);
});

test("spot checks catch the worker that returns wrong output", async () => {
    const stats = await proxy.stats();
    const wrong = stats.workers.find((w) => w.id === "wrong");
    const checks = stats.metrics.counters.spot_checks ?? {};
    assert.ok(Object.keys(checks).length > 0, "spot checks ran");
    // One disagreement, decayed by the seconds since (a count that fades with time).
    assert.ok(wrong.reputation.spot_disagreements > 0.99, JSON.stringify(wrong.reputation));
    const honest = results.filter((r) => r.status === 200 && !BAD.has(r.worker));
    for (const r of honest) assert.equal(r.body.choices[0].message.content, honestText);
});

test("reputation survives a proxy restart", async () => {
    const before = (await proxy.stats()).workers.find((w) => w.id === "wrong").reputation;
    assert.ok(before.spot_disagreements > 0.99);
    proxy.expectedDead = true;
    await proxy.kill("SIGTERM");  // a clean stop writes the reputation store
    proxy.expectedDead = false;
    proxy.start();
    await proxy.waitHealthy();
    await cluster.waitForWorkers(client, Object.keys(KINDS).length, {timeoutMs: 60_000});
    const stats = await proxy.stats();
    assert.ok(stats.routing.known_workers >= Object.keys(KINDS).length, JSON.stringify(stats.routing));
    const after = stats.workers.find((w) => w.id === "wrong").reputation;
    assert.ok(after.spot_disagreements > 0.99, `the liar is remembered: ${JSON.stringify(after)}`);
    assert.ok(after.score < stats.workers.find((w) => w.id === "good-a").reputation.score);
});

test("a hedged duplicate answers for a stalled worker, and the request is counted once", async () => {
    const hc = new Cluster("hedge");
    const stallEngine = await startMockEngine({defaultMode: "stall"});
    const goodEngine = await startMockEngine({defaultMode: "count"});
    try {
        const p = await hc.startProxy({routing: {policy: "round_robin", hedge_after_ms: 300}});
        await hc.startWorker({id: "staller", proxies: [p], engine: {kind: "external", url: stallEngine.url}});
        await hc.startWorker({id: "honest", proxies: [p], engine: {kind: "external", url: goodEngine.url}});
        const c = await hc.startClient({proxies: [p]});
        await hc.waitForWorkers(c, 2);
        const answers = [];
        for (let i = 0; i < 6; ++i) {
            const t0 = Date.now();
            const r = await postJson(`${c.url}/v1/chat/completions`, body(i), {timeoutMs: 20_000});
            assert.equal(r.status, 200, r.text);
            assert.equal(r.headers.get("x-chrysalis-worker"), "honest");
            assert.equal(r.headers.get("x-chrysalis-e2e"), "on", "the duplicate is sealed for its own worker");
            assert.equal(r.body.usage.completion_tokens, MAX_TOKENS);
            answers.push(Date.now() - t0);
        }
        assert.ok(answers.every((ms) => ms < 5000), `latencies ${answers}`);
        const stats = await p.stats();
        assert.ok((stats.metrics.counters.hedges?.["outcome=won"] ?? 0) >= 1, JSON.stringify(stats.metrics.counters.hedges));
        const credited = stats.workers.reduce((sum, w) => sum + w.tokens, 0);
        assert.equal(stats.workers.find((w) => w.id === "staller").tokens, 0);
        assert.ok(credited > 0);
        // The staller's abandoned duplicates were cancelled: its engine saw the worker hang up.
        await waitFor(() => stallEngine.requests.length > 0 && stallEngine.requests.every((q) => q.closedEarly === true),
            {what: "every stalled duplicate cancelled upstream"});
        await waitFor(async () => (await p.stats()).in_flight === 0, {what: "nothing left in flight"});
    } finally {
        await hc.stop();
        await stallEngine.close();
        await goodEngine.close();
    }
});
