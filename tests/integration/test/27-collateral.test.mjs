// Collateral kept fresh (attest/quote/collateral_store.h): a proxy configured with a PCS checks
// every worker's platform against TCB info, QE identity and CRLs it fetches and refreshes. Intel is
// out of reach here, so a local server answers the PCS v4 paths with what `chrysalis attest
// dev-collateral` makes for the development platform; the test changes those answers as Intel
// would (a status downgrade, a revoked PCK certificate) and watches the live worker go and return.
import assert from "node:assert/strict";
import {execFile} from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, Cluster, MODEL, postJson, run, waitFor} from "../lib/harness.mjs";

let cluster, proxy, worker, client, pcs, dir;
const requests = [];

// The development platform's collateral as a PCS would answer it, written to `dir`.
function publish(...args) {
    run(BIN, ["attest", "dev-collateral", "--dev-ca", cluster.attestation().devCa, "--out", dir, ...args]);
}

function startPcs() {
    const file = (name) => fs.readFileSync(path.join(dir, name));
    const chain = (name) => encodeURIComponent(file(name).toString());
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, "http://pcs");
        requests.push(url.pathname);
        const fmspc = file("fmspc").toString();
        if (url.pathname === "/tdx/certification/v4/tcb" && url.searchParams.get("fmspc") === fmspc) {
            res.writeHead(200, {"Content-Type": "application/json", "TCB-Info-Issuer-Chain": chain("signing_chain.pem")});
            return res.end(file("tcb.json"));
        }
        if (url.pathname === "/tdx/certification/v4/qe/identity") {
            res.writeHead(200, {"Content-Type": "application/json", "SGX-Enclave-Identity-Issuer-Chain": chain("signing_chain.pem")});
            return res.end(file("qe.json"));
        }
        if (url.pathname === "/sgx/certification/v4/pckcrl" && url.searchParams.get("ca") === "platform") {
            res.writeHead(200, {"Content-Type": "application/x-pem-file", "SGX-PCK-CRL-Issuer-Chain": chain("pckcrl_chain.pem")});
            return res.end(file("pckcrl.pem"));
        }
        if (url.pathname === "/sgx/certification/v4/rootcacrl") {
            res.writeHead(200, {"Content-Type": "application/pkix-crl"});
            return res.end(file("rootcacrl.der"));
        }
        res.writeHead(404);
        res.end("no such PCS path");
    });
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

before(async () => {
    cluster = new Cluster("collateral");
    dir = path.join(cluster.dir, "pcs");
    publish();
    pcs = await startPcs();
    proxy = await cluster.startProxy({attestation: {
        collateral_url: `http://127.0.0.1:${pcs.address().port}`, collateral_refresh_s: 1, recheck_s: 1}});
    worker = await cluster.startWorker({proxies: [proxy]});
    client = await cluster.startClient({proxies: [proxy]});
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
});
after(async () => {
    await cluster?.stop();
    pcs?.close();
});

const ask = () => postJson(`${client.url}/v1/chat/completions`,
    {model: MODEL, max_tokens: 4, messages: [{role: "user", content: "hi"}]});

async function connectedWorker() {
    return (await proxy.stats()).workers.find((w) => w.id === worker.id);
}

test("the proxy judges its worker's platform with collateral it fetched: UpToDate", async () => {
    const w = await connectedWorker();
    assert.equal(w.attestation.tcb_status, "UpToDate", JSON.stringify(w.attestation));
    const collateral = (await proxy.stats()).attestation.collateral;
    const fmspc = fs.readFileSync(path.join(dir, "fmspc"), "utf8");
    const platform = collateral.platforms.find((p) => p.fmspc === fmspc);
    assert.ok(platform && platform.fetches >= 1 && platform.next_update, JSON.stringify(collateral));
    assert.ok(requests.includes("/tdx/certification/v4/tcb") && requests.includes("/sgx/certification/v4/rootcacrl"));
    assert.ok(fs.existsSync(path.join(cluster.dir, proxy.id, "collateral", `${fmspc}-platform.json`)), "cached on disk");
    assert.equal((await ask()).status, 200);

    // An operator fetches the same collateral with the CLI, for `attest verify --collateral`
    // (asynchronously: the PCS answering it is this very process).
    const bundle = path.join(cluster.dir, "bundle.json");
    const out = await new Promise((resolve, reject) => execFile(BIN, ["attest", "collateral", "fetch", "--url",
        `http://127.0.0.1:${pcs.address().port}`, "--fmspc", fmspc, "--out", bundle],
    (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))));
    const fetched = JSON.parse(out);
    assert.equal(fetched.fmspc, fmspc);
    assert.ok(fetched.pck_crl && fetched.root_ca_crl, JSON.stringify(fetched));
    assert.ok(JSON.parse(fs.readFileSync(bundle, "utf8")).tcb_info.tcbInfo);
});

test("a downgrade to OutOfDate drops the live worker by name; UpToDate again lets it back", async () => {
    publish("--status", "OutOfDate");
    await waitFor(async () => !(await connectedWorker()), {timeoutMs: 30_000, what: "the proxy to drop the worker",
        logs: () => cluster.logs()});
    await waitFor(() => proxy.logLine("tcb_status", "OutOfDate"), {timeoutMs: 10_000, what: "the proxy to say why"});
    const refused = await ask();
    assert.notEqual(refused.status, 200, "no worker is left to answer");

    publish("--status", "UpToDate");
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
    assert.equal((await connectedWorker()).attestation.tcb_status, "UpToDate");
    assert.equal((await ask()).status, 200);
});

test("a revoked PCK certificate drops the worker too", async () => {
    publish("--revoke-pck");
    await waitFor(async () => !(await connectedWorker()), {timeoutMs: 30_000, what: "the proxy to drop the worker"});
    await waitFor(() => proxy.logLine("pck_revoked"), {timeoutMs: 10_000, what: "the proxy to name the revocation"});
    publish();
    await cluster.waitForWorkers(client, 1, {timeoutMs: 60_000});
});
