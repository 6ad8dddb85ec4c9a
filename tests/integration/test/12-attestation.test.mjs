// RA-TLS on every hop with the simulated TEE: an allowed network serves and reports its peers'
// image hashes; a peer whose image is not allowed, whose quote chains to an untrusted root,
// that presents no quote or that serves a model outside the allow-list is refused in the TLS
// handshake, and the refusing node logs exactly which check failed. openssl s_client completes
// a handshake against a proxy's client port and sees our extensions.
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, postJson, run, sleep, waitFor} from "../lib/harness.mjs";
import {startMockEngine} from "../lib/mock_engine.mjs";

const ZEROS = "0".repeat(64);
const QUOTE_OID = "2.25.152026593360048870708296576477005859163.1";
const CLAIMS_OID = "2.25.152026593360048870708296576477005859163.2";

let cluster, mock, proxy, client;
before(async () => {
    mock = await startMockEngine();
    cluster = new Cluster("attest");
    proxy = await cluster.startProxy({id: "proxy-good"});
    await cluster.startWorker({id: "worker-good", proxies: [proxy], engine: {kind: "external", url: mock.url}});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1);
});
after(async () => {
    await cluster?.stop();
    await mock?.close();
});

const chat = {model: MODEL, messages: [{role: "user", content: "attested?"}], max_tokens: 5};

// Waits until `node`'s log shows a refused handshake naming `check`; returns that line.
async function refusalLine(node, check) {
    return waitFor(() => node.logLine("peer refused in TLS handshake", `attestation check '${check}' failed`), {timeoutMs: 20_000, what: `${node.name} to log a refusal by '${check}'`, logs: () => cluster.logs()});
}

test("an allowed network serves requests and /stats shows each peer's image hash, TCB status and expiry", async () => {
    const r = await postJson(`${client.url}/v1/chat/completions`, chat);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.usage.completion_tokens, 5);
    const a = cluster.attestation();
    const now = Date.now() / 1000;

    const ps = await proxy.stats();
    assert.equal(ps.attestation.provider, "sim");
    assert.equal(ps.attestation.image_hash, a.proxyImage);
    const w = ps.workers[0].attestation;
    assert.equal(w.attested, true);
    assert.equal(w.image_hash, a.workerImage);
    assert.equal(w.role, "worker");
    assert.equal(w.tcb_status, "NotChecked", "no collateral in a dev network: TCB status says so");
    assert.match(w.model_hash, /^[0-9a-f]{64}$/);
    assert.ok(w.cert_not_after > now && w.cert_not_after < now + 7 * 3600, `worker cert expiry ${w.cert_not_after}`);

    const cs = await client.stats();
    const p = cs.proxies[0].attestation;
    assert.equal(p.attested, true);
    assert.equal(p.image_hash, a.proxyImage);
    assert.equal(p.role, "proxy");
    assert.equal(cs.attestation.provider, "none", "the client runs outside a TEE");
});

test("the proxy refuses a worker whose image hash is not allowed", async () => {
    const strict = await cluster.startProxy({id: "proxy-strict", attestation: {allowed_worker_images: [ZEROS]}});
    const worker = await cluster.startWorker({id: "worker-unlisted", proxies: [strict], engine: {kind: "external", url: mock.url}});
    const line = await refusalLine(strict, "image_hash");
    assert.ok(line.includes(cluster.attestation().workerImage), line);
    const stats = await strict.stats();
    assert.equal(stats.workers.length, 0);
    assert.ok(stats.connections.refused > 0);
    // The worker saw a TLS alert, not a silent hang.
    const ws = await waitFor(async () => {
        const s = await worker.stats();
        return s.proxies[0].last_error ? s : null;
    }, {what: "worker to record the refusal"});
    assert.equal(ws.proxies[0].connected, false);
    assert.match(ws.proxies[0].last_error, /alert|handshake|certificate/i);
});

test("the proxy refuses a worker that presents no quote, and one serving a model outside the allow-list", async () => {
    const noQuote = await cluster.startWorker({id: "worker-noquote", proxies: [proxy], engine: {kind: "external", url: mock.url},
        attestation: {provider: "none", dev_ca: null}});
    await refusalLine(proxy, "quote_present");
    const models = await cluster.startProxy({id: "proxy-models", attestation: {allowed_models: [ZEROS]}});
    await cluster.startWorker({id: "worker-othermodel", proxies: [models], engine: {kind: "external", url: mock.url}});
    const line = await refusalLine(models, "model_hash");
    assert.ok(line.includes("not in the allow-list"), line);
    assert.equal((await models.stats()).workers.length, 0);
    assert.equal((await cluster.modelEntry(client)).workers, 1, "the good proxy still has only the good worker");
    assert.equal((await noQuote.stats()).proxies[0].connected, false);
});

test("a worker refuses a proxy whose quote chains to a root it does not trust", async () => {
    const otherCa = path.join(cluster.dir, "other-ca");
    run(BIN, ["attest", "dev-ca", "--out", otherCa]);
    // The worker attests itself with the cluster's CA but trusts only another one for its peers.
    const worker = await cluster.startWorker({id: "worker-othertrust", proxies: [proxy], engine: {kind: "external", url: mock.url},
        attestation: {trust: ["dev:" + otherCa]}});
    const line = await refusalLine(worker, "quote");
    assert.ok(line.includes("pck_chain_untrusted"), line);
});

test("the client refuses a proxy whose image is not allowed or that presents no quote", async () => {
    const pickyClient = await cluster.startClient({id: "client-picky", proxies: [proxy], attestation: {allowed_proxy_images: [ZEROS]}});
    await refusalLine(pickyClient, "image_hash");
    const r = await postJson(`${pickyClient.url}/v1/chat/completions`, chat);
    assert.equal(r.status, 503, r.text);
    assert.ok(r.body.error.message.includes("attestation check 'image_hash' failed"), r.text);

    const bare = await cluster.startProxy({id: "proxy-bare", attestation: {provider: "none", dev_ca: null}});
    const c2 = await cluster.startClient({id: "client-2", proxies: [bare]});
    await refusalLine(c2, "quote_present");
    assert.equal((await c2.stats()).proxies[0].connected, false);
});

test("a connection without the proof of work never reaches TLS", async () => {
    // Plain TCP client that sends a TLS ClientHello-looking byte stream instead of solving the puzzle.
    const net = await import("node:net");
    const before = (await proxy.stats()).connections.pow_refused;
    await new Promise((resolve) => {
        const s = net.connect(proxy.clientPort, "127.0.0.1", () => s.write(Buffer.alloc(64, 0x16)));
        s.on("error", resolve);
        s.on("close", resolve);
        s.setTimeout(15_000, () => s.destroy());
    });
    await waitFor(async () => (await proxy.stats()).connections.pow_refused > before, {what: "pow_refused to grow"});
});

test("openssl s_client completes a TLS 1.3 handshake against a proxy's client port and shows the extensions", async () => {
    const open = await cluster.startProxy({id: "proxy-open", attestation: {pow_difficulty: 0}});
    const certDir = path.join(cluster.dir, "sclient");
    run(BIN, ["attest", "make-cert", "--role", "client", "--provider", "none", "--out", certDir]);
    const r = spawnSync("openssl", ["s_client", "-connect", `127.0.0.1:${open.clientPort}`, "-tls1_3", "-showcerts",
        "-cert", path.join(certDir, "cert.pem"), "-key", path.join(certDir, "key.pem")], {input: "", encoding: "utf8", timeout: 20_000});
    const out = r.stdout + r.stderr;
    assert.match(out, /Protocol\s*:\s*TLSv1\.3|New, TLSv1\.3/, out.slice(0, 3000));
    assert.match(out, /Cipher\s*(is|:)\s*TLS_(AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256|AES_128_GCM_SHA256)/, out.slice(0, 3000));
    const pem = out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
    assert.ok(pem, "server certificate in s_client output");
    const certFile = path.join(cluster.dir, "proxy-open-cert.pem");
    fs.writeFileSync(certFile, pem[0] + "\n");
    const text = run("openssl", ["x509", "-in", certFile, "-noout", "-text"]);
    assert.ok(text.includes(QUOTE_OID) && text.includes(CLAIMS_OID), text);
    assert.match(text, /ED25519/i);
    // The project's own inspector reads the same certificate: claims bound to its key and quote.
    const inspected = JSON.parse(run(BIN, ["attest", "inspect", certFile]));
    assert.equal(inspected.claims.role, "proxy");
    assert.equal(inspected.claims_key_matches_certificate, true);
    assert.equal(inspected.report_data_matches_claims, true);
    assert.equal(inspected.quote.version, 4);
    // And the proxy still serves attested clients normally afterwards.
    await sleep(100);
    assert.ok(open.alive);
});
