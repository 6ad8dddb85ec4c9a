// The operator who owns the host. It runs the genuine proxy image with a configuration of its own
// (allow_none, its own root): the configuration is measured into RTMR3 and reported in the claims,
// so workers and clients refuse that proxy naming the field. It plants a key of its own in the
// node's state directory, or copies a sealed key from another node: a TEE node never loads a
// plaintext key, and a sealed key opens only inside the image it was sealed for (the key broker
// releases the sealing key per attested image). The honest proxy keeps its identity across restarts.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, postJson, run, waitFor} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";

let cluster, mock, proxy, worker, client;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("operator", {keybroker: true});
    proxy = await cluster.startProxy({id: "proxy"});
    worker = await cluster.startWorker({id: "worker", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const chat = {model: MODEL, messages: [{role: "user", content: "who are you?"}], max_tokens: 3};

test("a proxy run with allow_none, or trusting its own root, is refused by workers and clients naming the field", async () => {
    const a = cluster.attestation();
    const otherCa = path.join(cluster.dir, "operator-ca");
    run(BIN, ["attest", "dev-ca", "--out", otherCa]);
    // (The cluster's key broker would not even release a sealing key to these proxies, for the same
    // reasons, so they keep their keys in memory only.)
    const noBroker = {allowed_keybroker_images: []};
    const cases = [
        {id: "proxy-open", attestation: {...noBroker, allow_none: true}, field: "config.allow_none"},
        {id: "proxy-own-root", attestation: {...noBroker, trust: ["dev:" + a.devCa, "dev:" + otherCa]}, field: "config.trust"},
    ];
    for (const c of cases) {
        const evil = await cluster.startProxy({id: c.id, attestation: c.attestation});
        // Even a worker and a client that list this proxy's image hash refuse it for its configuration.
        const w = await cluster.startWorker({id: `${c.id}-worker`, proxies: [evil], engine: {kind: "external", url: mock.url}});
        const cl = await cluster.startClient({id: `${c.id}-client`, proxies: [evil]});
        await waitFor(() => w.logLine(`attestation check '${c.field}' failed`), {what: `the worker naming ${c.field}`, logs: () => w.logs()});
        await waitFor(async () => (await cl.stats()).proxies[0].last_error?.includes(c.field),
            {what: `the client naming ${c.field}`, logs: () => cl.logs()});
        assert.equal((await evil.stats()).workers.length, 0, "no worker joined the misconfigured proxy");
        const r = await postJson(`${cl.url}/v1/chat/completions`, chat);
        assert.equal(r.status, 503, r.text);
    }
    // The honest network is untouched.
    const ok = await postJson(`${client.url}/v1/chat/completions`, chat);
    assert.equal(ok.status, 200, ok.text);
});

async function restartFails(node, pattern) {
    node.start();
    const exit = await node.exited;
    assert.notEqual(exit.code, 0, `${node.name} started: ${node.logs()}`);
    assert.match(node.logs(20_000), pattern);
}

test("a planted key.pem or a sealed key from another node is refused; the proxy keeps its identity", async () => {
    const dir = path.join(cluster.dir, "proxy");
    const identity = (await proxy.stats()).attestation.public_key;
    const sealed = fs.readFileSync(path.join(dir, "key.sealed"));
    assert.ok(!sealed.toString("latin1").includes("PRIVATE KEY"), "the key on disk is sealed");
    assert.ok(!fs.existsSync(path.join(dir, "key.pem")), "no plaintext key on disk");

    // 1. The host plants a key of its own.
    await proxy.kill("SIGTERM");
    const planted = path.join(cluster.dir, "planted");
    run(BIN, ["attest", "make-cert", "--provider", "none", "--role", "client", "--out", planted]);
    fs.copyFileSync(path.join(planted, "key.pem"), path.join(dir, "key.pem"));
    await restartFails(proxy, /holds a plaintext key/);
    fs.rmSync(path.join(dir, "key.pem"));

    // 2. The host copies the worker's sealed key (another image) over the proxy's.
    fs.copyFileSync(path.join(cluster.dir, "worker", "key.sealed"), path.join(dir, "key.sealed"));
    await restartFails(proxy, /was not sealed for this node's image/);

    // 3. The proxy's own sealed key opens only in its own image: a proxy with a changed
    //    configuration (another image hash) cannot use it.
    const evilDir = path.join(cluster.dir, "proxy-evil");
    fs.mkdirSync(evilDir, {recursive: true});
    fs.writeFileSync(path.join(evilDir, "key.sealed"), sealed, {mode: 0o600});
    await assert.rejects(cluster.startProxy({id: "proxy-evil", attestation: {allowed_worker_images: ["0".repeat(64)]}}),
        /was not sealed for this node's image/);
    cluster.nodes = cluster.nodes.filter((n) => n.name !== "proxy-evil");  // it is meant to be dead

    // 4. Restored, the honest proxy starts with the same identity and serves again.
    fs.writeFileSync(path.join(dir, "key.sealed"), sealed, {mode: 0o600});
    proxy.start();
    await proxy.waitHealthy(30_000);
    assert.equal((await proxy.stats()).attestation.public_key, identity);
    // The worker and the client redial with backoff (up to about 30 s after the failed restarts).
    await cluster.waitForWorkers(client, 1, {timeoutMs: 120_000});
    const r = await postJson(`${client.url}/v1/chat/completions`, chat);
    assert.equal(r.status, 200, r.text);
    const broker = await cluster.broker.stats();
    assert.ok(broker.released >= 3, JSON.stringify(broker));
    assert.equal(broker.master_secret, "from operator");
});
