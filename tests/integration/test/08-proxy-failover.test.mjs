// Two proxies: the worker dials both, the client knows both. When the proxy in use dies, the
// other one takes over and requests keep succeeding.
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {Cluster, MODEL, parseSseStrict, postJson, waitFor} from "../lib/harness.mjs";

let cluster, proxies, worker, client;
before(async () => {
    cluster = new Cluster("failover");
    proxies = [await cluster.startProxy({id: "proxy-a"}), await cluster.startProxy({id: "proxy-b"})];
    worker = await cluster.startWorker({proxies});
    client = await cluster.startClient({proxies});
    await cluster.waitForWorkers(client, 2);  // one worker, counted once per proxy
    // Both client->proxy links are up.
    await waitFor(async () => (await client.stats()).proxies.every((p) => p.connected), {what: "client linked to both proxies"});
});
after(async () => {
    await cluster?.stop();
});

const body = {model: MODEL, messages: [{role: "user", content: "Are you still there?"}], max_tokens: 12, temperature: 0};

test("the second proxy takes over when the first dies", async () => {
    const first = await postJson(`${client.url}/v1/chat/completions`, body);
    assert.equal(first.status, 200, first.text);
    const usedId = first.headers.get("x-chrysalis-proxy");
    const used = proxies.find((p) => p.id === usedId);
    assert.ok(used, `proxy header ${usedId}`);
    const other = proxies.find((p) => p !== used);
    const answer = first.body.choices[0].message.content;

    used.expectedDead = true;
    await used.kill("SIGKILL");

    // Immediately, without waiting for anything to notice: must still succeed, via the other proxy.
    const right = await postJson(`${client.url}/v1/chat/completions`, body);
    assert.equal(right.status, 200, right.text);
    assert.equal(right.headers.get("x-chrysalis-proxy"), other.id);
    assert.equal(right.body.choices[0].message.content, answer);

    for (let i = 0; i < 3; ++i) {
        const streamed = await postJson(`${client.url}/v1/chat/completions`, {...body, stream: true});
        assert.equal(streamed.status, 200, streamed.text);
        assert.equal(streamed.headers.get("x-chrysalis-proxy"), other.id);
        const events = parseSseStrict(streamed.text);
        assert.ok(events.at(-1).done);
        assert.ok(!events.some((e) => e.json?.error));
    }
    const entry = await cluster.modelEntry(client);
    assert.equal(entry.workers, 1, "models are now aggregated from the surviving proxy only");
    const stats = await client.stats();
    assert.equal(stats.proxies.filter((p) => p.connected).length, 1);
});

test("with both proxies dead the client answers 503 naming the hop, and recovers when one returns", async () => {
    const survivor = proxies.find((p) => p.alive);
    survivor.expectedDead = true;
    await survivor.kill("SIGKILL");
    const r = await postJson(`${client.url}/v1/chat/completions`, body);
    assert.equal(r.status, 503, r.text);
    assert.equal(typeof r.body.error.message, "string");
    assert.match(r.body.error.message, /proxy/);

    // Restart the proxy on the same ports: worker and client reconnect by themselves.
    survivor.expectedDead = false;
    survivor.start();
    await survivor.waitHealthy();
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
    const again = await postJson(`${client.url}/v1/chat/completions`, body);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get("x-chrysalis-proxy"), survivor.id);
});
