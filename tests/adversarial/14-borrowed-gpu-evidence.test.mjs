// A worker that presents another worker's GPU evidence: a host with a genuine image and quoting key
// but no (or a lesser) GPU of its own copies the GPU evidence out of an honest worker's certificate
// and binds it into its own claims and quote (`adversary borrowed-gpu`). The evidence names the GPU
// nonce of the honest worker's claims (its key, node, quote context), not the borrower's, so a proxy
// that requires GPU evidence refuses the handshake naming gpu_report and nonce_mismatch; the honest
// worker keeps serving.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, postJson, waitFor} from "../integration/lib/harness.mjs";
import {startMockEngine} from "../integration/lib/mock_engine.mjs";
import {adversary} from "./lib/adversary.mjs";

let cluster, mock, proxy, honest, client;
before(async () => {
    mock = await startMockEngine({defaultMode: "count"});
    cluster = new Cluster("borrowed-gpu");
    const gpuCa = path.join(cluster.dir, "sim-gpu-ca");
    const made = spawnSync(BIN, ["attest", "gpu", "sim-ca", "--out", gpuCa], {encoding: "utf8"});
    assert.equal(made.status, 0, made.stderr);
    proxy = await cluster.startProxy({id: "proxy", attestation: {gpu_required: true, gpu_trust: ["dev:" + gpuCa]}});
    honest = await cluster.startWorker({id: "honest", proxies: [proxy], engine: {kind: "external", url: mock.url},
        attestation: {gpu: "sim", gpu_sim_ca: gpuCa}});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

test("a worker presenting another worker's GPU evidence is refused naming the nonce", async () => {
    const donorCert = path.join(cluster.dir, "honest", "cert.pem");
    const lines = await adversary(client, proxy, ["borrowed-gpu", proxy.workerPort, donorCert, cluster.modelHash(MODEL)]);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0].accepted, false, JSON.stringify(lines[0]));
    const line = await waitFor(() => proxy.logLine("attestation check 'gpu_report' failed"),
        {timeoutMs: 20_000, what: "the proxy to refuse the borrowed evidence", logs: () => cluster.logs()});
    assert.match(line, /GPU 0: nonce_mismatch/);
    const stats = await proxy.stats();
    assert.deepEqual(stats.workers.map((w) => w.id), ["honest"], "only the honest worker joined");
    const r = await postJson(`${client.url}/v1/chat/completions`,
        {model: MODEL, messages: [{role: "user", content: "still there?"}], max_tokens: 3});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-chrysalis-worker"), "honest");
});
