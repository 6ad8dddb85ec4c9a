// A worker that stops answering pings (its process frozen with SIGSTOP) is dropped by the proxy
// after the connection's idle timeout; its requests fail over, and when it resumes it dials back in.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, postJson, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

let cluster, proxy, frozen, healthy, client;
const engines = [];
before(async () => {
    cluster = new Cluster("drain");
    proxy = await cluster.startProxy({routing: {policy: "round_robin", first_token_timeout_ms: 1000}});
    for (const id of ["healthy", "frozen"]) {
        const mock = await startMockEngine();
        engines.push(mock);
        const w = await cluster.startWorker({id, proxies: [proxy], engine: {kind: "external", url: mock.url}});
        if (id === "frozen") frozen = w;
        else healthy = w;
    }
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 2);
});
after(async () => {
    if (frozen?.alive) process.kill(frozen.child.pid, "SIGCONT");
    await cluster?.stop();
    await Promise.all(engines.map((m) => m.close()));
});

const body = {model: MODEL, messages: [{role: "user", content: "still there?"}], max_tokens: 4};

test("a frozen worker is drained, its requests fail over, and it rejoins when it resumes", async () => {
    process.kill(frozen.child.pid, "SIGSTOP");
    const t0 = Date.now();
    for (let i = 0; i < 4; ++i) {
        const r = await postJson(`${client.url}/v1/chat/completions`, body, {timeoutMs: 30_000});
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("x-chrysalis-worker"), "healthy");
    }
    // Pings go unanswered: the proxy closes the connection after its idle timeout (20 s).
    await waitFor(async () => (await proxy.stats()).workers.length === 1, {timeoutMs: 40_000, what: "the frozen worker dropped"});
    const dropped = (Date.now() - t0) / 1000;
    assert.ok(dropped < 35, `dropped after ${dropped} s`);
    assert.equal((await proxy.stats()).workers[0].id, "healthy");
    assert.equal((await cluster.modelEntry(client)).workers, 1);

    process.kill(frozen.child.pid, "SIGCONT");
    await cluster.waitForWorkers(client, 2, {timeoutMs: 40_000});
    const r = await postJson(`${client.url}/v1/chat/completions`, body);
    assert.equal(r.status, 200, r.text);
});
