// A worker killed (SIGKILL) in the middle of a streamed answer: the app gets a clean in-band
// error and the end of the stream (no hang), and the proxy sends new requests elsewhere.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson, readSse, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

let cluster, proxy, workers, client, mock;
before(async () => {
    mock = await startMockEngine({slowMs: 40});
    cluster = new Cluster("killed");
    proxy = await cluster.startProxy();
    workers = await Promise.all([1, 2].map((i) =>
        cluster.startWorker({id: `worker-${i}`, proxies: [proxy], engine: {kind: "external", url: mock.url}})));
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 2);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

test("SIGKILL of the serving worker mid-stream ends the app's stream with an error event", async () => {
    const res = await fetch(`${client.url}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({model: MODEL, messages: [{role: "user", content: "mock:slow"}], max_tokens: 5000, stream: true}),
        signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 200);
    const servingId = res.headers.get("x-chrysalis-worker");
    const serving = workers.find((w) => w.id === servingId);
    assert.ok(serving, `serving worker header ${servingId}`);
    const survivor = workers.find((w) => w !== serving);

    let killedAt = 0;
    let contentBeforeKill = 0;
    const reading = readSse(res, (event) => {
        if (!event.done && event.json.choices?.length && !killedAt) {
            if (++contentBeforeKill === 5) {
                killedAt = Date.now();
                serving.expectedDead = true;
                serving.kill("SIGKILL");
            }
        }
        return false;
    });
    const {events, ended} = await reading;
    const endedAfterMs = Date.now() - killedAt;
    assert.ok(killedAt > 0, "the stream produced content before the kill");
    assert.equal(ended, "eof", "the stream ended by itself");
    assert.ok(endedAfterMs < 10_000, `the stream ended ${endedAfterMs} ms after the kill`);
    const errors = events.filter((e) => !e.done && e.json.error);
    assert.equal(errors.length, 1, `one error event expected, got ${JSON.stringify(events.slice(-3))}`);
    const error = errors[0].json.error;
    assert.equal(typeof error.message, "string");
    assert.match(error.message, /worker/i);
    assert.equal(typeof error.type, "string");
    assert.ok("code" in error);
    assert.equal(events.at(-1), errors[0], "the error event is the last event");
    assert.ok(!events.some((e) => e.done), "no [DONE] after a failed answer");

    // The engine request of the dead worker was abandoned (its connection closed).
    const record = mock.requests.find((r) => r.mode === "slow");
    assert.equal(await Promise.race([record.closed, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]), true);

    // New requests go to the surviving worker, at once.
    await cluster.waitForWorkers(client, 1);
    for (let i = 0; i < 4; ++i) {
        const r = await postJson(`${client.url}/v1/chat/completions`,
            {model: MODEL, messages: [{role: "user", content: "mock:count"}], max_tokens: 3});
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("x-chrysalis-worker"), survivor.id);
        assert.equal(r.body.usage.completion_tokens, 3);
    }
});

test("a request sent right after a worker dies is not lost", async () => {
    // Only one worker is left; start a third, kill the survivor, and immediately ask.
    const third = await cluster.startWorker({id: "worker-3", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    await cluster.waitForWorkers(client, 2);
    const victim = workers.find((w) => w.alive);
    victim.expectedDead = true;
    await victim.kill("SIGKILL");
    const r = await postJson(`${client.url}/v1/completions`, {model: MODEL, prompt: "mock:count", max_tokens: 2});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-chrysalis-worker"), third.id);
    await waitFor(async () => (await cluster.modelEntry(client))?.workers === 1, {what: "dead worker dropped"});
});
