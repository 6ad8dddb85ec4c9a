// GPU evidence in the network: a proxy that requires it accepts a worker whose simulated GPU's
// evidence is bound into its certificate and refuses one without, naming the check; /stats shows
// each worker's GPUs, and requests go to the worker that proved one.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, postJson, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

let cluster, mock, proxy, client, gpuCa;
before(async () => {
    mock = await startMockEngine({defaultMode: "count"});
    cluster = new Cluster("gpu");
    gpuCa = path.join(cluster.dir, "sim-gpu-ca");
    const made = spawnSync(BIN, ["attest", "gpu", "sim-ca", "--out", gpuCa], {encoding: "utf8"});
    assert.equal(made.status, 0, made.stderr);
    proxy = await cluster.startProxy({id: "proxy", attestation: {gpu_required: true, gpu_trust: ["dev:" + gpuCa],
        gpu_chips: ["GH100"]}});
    await cluster.startWorker({id: "with-gpu", proxies: [proxy], engine: {kind: "external", url: mock.url},
        attestation: {gpu: "sim", gpu_sim_ca: gpuCa, gpu_count: 2}});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

test("the worker with bound GPU evidence serves, and /stats names its GPUs", async () => {
    const r = await postJson(`${client.url}/v1/chat/completions`,
        {model: MODEL, messages: [{role: "user", content: "on a GPU?"}], max_tokens: 4});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-chrysalis-worker"), "with-gpu");
    const stats = await proxy.stats();
    const w = stats.workers.find((x) => x.id === "with-gpu");
    assert.match(w.attestation.gpus, /^GH100 SIM[0-9a-f]{16} driver 550\.54\.15; GH100 SIM[0-9a-f]{16} driver/);
    assert.equal(stats.attestation.gpu.required_of_workers, true);
    assert.deepEqual(stats.attestation.gpu.chips, ["GH100"]);
    // The client does not require GPU evidence and trusts only NVIDIA's root: it still seals for
    // this worker, and says it could not check the simulated GPUs.
    assert.equal(r.headers.get("x-chrysalis-e2e"), "on");
});

test("a worker without GPU evidence is refused naming the check", async () => {
    await cluster.startWorker({id: "no-gpu", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    const line = await waitFor(() => proxy.logLine("peer refused in TLS handshake", "attestation check 'gpu_evidence' failed"),
        {timeoutMs: 20_000, what: "the proxy to refuse the worker without GPU evidence", logs: () => cluster.logs()});
    assert.match(line, /requires it/);
    const stats = await proxy.stats();
    assert.equal(stats.workers.filter((w) => w.id === "no-gpu").length, 0);
});

test("a worker whose GPUs are not an allowed chip is refused", async () => {
    const picky = await cluster.startProxy({id: "proxy-picky", attestation: {gpu_required: true,
        gpu_trust: ["dev:" + gpuCa], gpu_chips: ["GB200"]}});
    await cluster.startWorker({id: "wrong-chip", proxies: [picky], engine: {kind: "external", url: mock.url},
        attestation: {gpu: "sim", gpu_sim_ca: gpuCa}});
    const line = await waitFor(() => picky.logLine("peer refused in TLS handshake", "attestation check 'gpu_chip' failed"),
        {timeoutMs: 20_000, what: "the picky proxy to refuse a GH100", logs: () => cluster.logs()});
    assert.match(line, /GH100/);
});

test("a GPU the operator's CRL cache revokes is dropped at the next recheck, naming the revocation", async () => {
    const crls = path.join(cluster.dir, "gpu-crls");
    fs.mkdirSync(crls, {recursive: true});
    const strict = await cluster.startProxy({id: "proxy-crl", attestation: {gpu_required: true,
        gpu_trust: ["dev:" + gpuCa], gpu_crls: crls, gpu_revocation_required: true, recheck_s: 1}});
    // No CRL yet: revocation cannot be checked, and this proxy requires it.
    await cluster.startWorker({id: "revocable", proxies: [strict], engine: {kind: "external", url: mock.url},
        attestation: {gpu: "sim", gpu_sim_ca: gpuCa}});
    await waitFor(() => strict.logLine("attestation check 'gpu_revocation' failed"),
        {timeoutMs: 20_000, what: "a refusal while no CRL covers the GPU", logs: () => cluster.logs()});
    // The operator fetches a clean CRL: the worker joins.
    const cert = path.join(cluster.dir, "revocable", "cert.pem");
    const sim = (args) => {
        const r = spawnSync(BIN, ["attest", "gpu", "sim-crl", "--ca", gpuCa, ...args], {encoding: "utf8"});
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout);
    };
    sim(["--out", path.join(crls, "root.crl")]);
    await waitFor(async () => (await strict.stats()).workers.some((w) => w.id === "revocable"),
        {timeoutMs: 40_000, what: "the worker to join once a CRL covers its GPU", logs: () => cluster.logs()});
    assert.equal((await strict.stats()).attestation.gpu.revocation.loaded, 1);
    // Then a CRL that lists the worker's GPU: the live connection is dropped.
    assert.equal(sim(["--out", path.join(crls, "root.crl"), "--revoke", cert]).revoked, 1);
    const line = await waitFor(() => strict.logLine("gpu_cert_revoked"),
        {timeoutMs: 40_000, what: "the proxy to drop the revoked GPU", logs: () => cluster.logs()});
    assert.match(line, /was revoked at/);
    await waitFor(async () => !(await strict.stats()).workers.some((w) => w.id === "revocable"),
        {timeoutMs: 20_000, what: "the worker to be gone from /stats"});
});
