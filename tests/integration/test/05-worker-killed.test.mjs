// A worker killed (SIGKILL) in the middle of a streamed answer: the client continues the answer on
// the other worker (docs/resume.md) and the app sees one stream; with resuming off the app gets a
// clean in-band error and the end of the stream (no hang). New requests go elsewhere at once.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson, readSse, waitFor} from "../lib/harness.mjs";
import {startMockEngine, tokenText} from "../lib/mock_engine.mjs";

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

test("SIGKILL of the serving worker mid-stream: the app's answer goes on from the survivor, one stream", async () => {
    const res = await fetch(`${client.url}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({model: MODEL, messages: [{role: "user", content: "mock:slow"}], max_tokens: 40, stream: true,
            stream_options: {include_usage: true}}),
        signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 200);
    const servingId = res.headers.get("x-chrysalis-worker");
    const serving = workers.find((w) => w.id === servingId);
    assert.ok(serving, `serving worker header ${servingId}`);
    const survivor = workers.find((w) => w !== serving);

    let killedAt = 0;
    let contentBeforeKill = 0;
    const {events, ended} = await readSse(res, (event) => {
        if (!event.done && event.json.choices?.length && !killedAt && ++contentBeforeKill === 5) {
            killedAt = Date.now();
            serving.expectedDead = true;
            serving.kill("SIGKILL");
        }
        return false;
    });
    assert.ok(killedAt > 0, "the stream produced content before the kill");
    assert.equal(ended, "eof", "the stream ended by itself");
    const chunks = events.filter((e) => !e.done).map((e) => e.json);
    assert.deepEqual(chunks.filter((c) => c.error), [], "no error reaches the app");
    assert.equal(events.filter((e) => e.done).length, 1, "one [DONE]");
    const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
    assert.equal(text, Array.from({length: 40}, (_, i) => tokenText(i)).join(""), "the text runs on where it stopped");
    assert.equal(chunks.filter((c) => c.choices?.[0]?.delta?.role).length, 1, "one role");
    assert.equal(new Set(chunks.filter((c) => c.choices?.length).map((c) => c.id)).size, 1, "one answer id");
    const last = chunks.at(-1);
    assert.equal(last.usage.completion_tokens, 40);
    assert.equal(last.chrysalis.resumed.length, 1);
    assert.equal(last.chrysalis.resumed[0].worker, servingId);
    assert.equal(last.chrysalis.receipt.verified, true, JSON.stringify(last.chrysalis.receipt));

    // The engine request of the dead worker was abandoned (its connection closed), and the survivor
    // was asked to continue the same answer from where the app's text stopped.
    const [first, second] = mock.requests.filter((r) => r.mode === "slow");
    assert.equal(await Promise.race([first.closed, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]), true);
    assert.equal(second.body.continue_final_message, true);
    assert.equal(second.continued_from, last.chrysalis.resumed[0].completion_tokens);
    assert.ok(client.logLine("continuing on another worker"), "the client says it continued the answer");

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

test("with client.max_resumes = 0 the app gets a clean in-band error and the end of the stream", async () => {
    const strict = await cluster.startClient({id: "no-resume", proxies: [proxy], settings: {max_resumes: 0}});
    await cluster.waitForWorkers(strict, 1);
    const res = await fetch(`${strict.url}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({model: MODEL, messages: [{role: "user", content: "mock:slow"}], max_tokens: 5000, stream: true}),
        signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 200);
    const serving = cluster.nodes.find((n) => n.id === res.headers.get("x-chrysalis-worker"));
    let killedAt = 0, content = 0;
    const {events, ended} = await readSse(res, (event) => {
        if (!event.done && event.json.choices?.length && !killedAt && ++content === 5) {
            killedAt = Date.now();
            serving.expectedDead = true;
            serving.kill("SIGKILL");
        }
        return false;
    });
    assert.equal(ended, "eof");
    assert.ok(Date.now() - killedAt < 10_000);
    const errors = events.filter((e) => !e.done && e.json.error);
    assert.equal(errors.length, 1, `one error event expected, got ${JSON.stringify(events.slice(-3))}`);
    assert.match(errors[0].json.error.message, /worker/i);
    assert.equal(events.at(-1), errors[0], "the error event is the last event");
    assert.ok(!events.some((e) => e.done), "no [DONE] after a failed answer");
});
