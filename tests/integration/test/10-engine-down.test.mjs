// A worker whose engine is down announces itself disabled: the client's /v1/models counts no
// worker and requests get 503; when the engine comes up the worker serves, and when it goes
// away again the worker is disabled again. Also: the embedded engine is restarted when it dies.
import assert from "node:assert/strict";
import fs from "node:fs";
import {after, before, test} from "node:test";
import {Cluster, MODEL, expectOpenAiError, freePort, postJson, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

let cluster, proxy, client, worker, enginePort, mock;
before(async () => {
    cluster = new Cluster("enginedown");
    proxy = await cluster.startProxy();
    enginePort = await freePort();  // nothing listens here
    worker = await cluster.startWorker({proxies: [proxy], engine: {kind: "external", url: `http://127.0.0.1:${enginePort}`},
        healthIntervalMs: 300});
    client = await cluster.startClient({proxies: [proxy]});
    // The worker is connected (the model is known to the proxy) but not routable.
    await waitFor(async () => (await proxy.stats().catch(() => null))?.connections?.workers === 1 ||
        (await cluster.modelEntry(client)) !== undefined, {what: "worker connected to the proxy"});
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const ask = () => postJson(`${client.url}/v1/chat/completions`,
    {model: MODEL, messages: [{role: "user", content: "mock:count"}], max_tokens: 3});

test("engine on a dead port: 0 workers in /v1/models and 503 for requests", async () => {
    const entry = await cluster.modelEntry(client);
    assert.equal(entry?.workers ?? 0, 0, `models: ${JSON.stringify(entry)}`);
    const stats = await worker.stats();
    assert.equal(stats.enabled, false);
    assert.equal(stats.engine.healthy, false);
    assert.match(stats.disabled_reason, /engine/);
    const r = await ask();
    const error = expectOpenAiError(assert, r, 503);
    assert.match(error.message, /disabled/);
});

test("the engine coming up enables the worker; going down disables it again", async () => {
    mock = await startMockEngine({port: enginePort});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 15_000});
    const r = await ask();
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.usage.completion_tokens, 3);
    assert.equal((await worker.stats()).engine.healthy, true);

    await mock.close();
    mock = null;
    await cluster.waitForWorkers(client, 0, {timeoutMs: 15_000});
    expectOpenAiError(assert, await ask(), 503);
});

test("an embedded engine that dies is restarted by its worker", async () => {
    const w = await cluster.startWorker({proxies: [proxy], healthIntervalMs: 300});
    await cluster.waitForWorkers(client, 1);
    const ok = await ask();
    assert.equal(ok.status, 200, ok.text);
    const health = await (await fetch(`${w.engineUrl}/healthz`)).json();
    assert.equal(health.status, "ok");
    // Find the engine process (the worker's child listening on enginePort) and kill it.
    const pid = findEnginePid(w.child.pid);
    assert.ok(pid, "engine process found");
    process.kill(pid, "SIGKILL");
    await cluster.waitForWorkers(client, 0, {timeoutMs: 10_000});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 30_000});
    const again = await ask();
    assert.equal(again.status, 200, again.text);
    assert.equal((await w.stats()).engine.restarts, 1);
});

function findEnginePid(parentPid) {
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
            if (ppid === parentPid && cmd.includes("server.mjs")) return Number(entry);
        } catch {
            // the process went away
        }
    }
    return null;
}
