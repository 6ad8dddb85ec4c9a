// Many machines, for real (issue 15): the chain, a proxy, a worker and a client each in a network
// namespace of their own, joined by veth pairs to one bridge, with addresses of the test's own —
// nothing relies on loopback between them (the worker's engine alone stays on the worker's own
// loopback, as it must). No config names a proxy: the proxy lists itself in the root at its
// advertised address, and the worker and the client find it there. Skipped, saying why, where
// network namespaces cannot be made (not root, no iproute2).
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {after, before, test} from "node:test";
import {BIN, ENGINE_SCRIPT, MODEL, REPO_ROOT, Cluster, postJson, run, tailOf, toml, waitFor} from "../lib/harness.mjs";

const tag = `c${process.pid % 100000}`;
const subnet = `10.213.${process.pid % 250}`;
const HOST_IP = `${subnet}.254`;
const NODES = {chain: 1, proxy: 2, worker: 3, client: 4};
const ns = (name) => `${tag}-${name}`;
const ip = (name) => `${subnet}.${NODES[name]}`;

function sh(args, {check = true} = {}) {
    const r = spawnSync(args[0], args.slice(1), {encoding: "utf8"});
    if (check && r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr || r.stdout || r.error}`);
    return r;
}

// Why namespaces cannot be made here, or "" when they can.
function unsupported() {
    if (process.getuid?.() !== 0) return "not root: creating network namespaces needs CAP_NET_ADMIN";
    const probe = spawnSync("ip", ["netns", "add", `${tag}-probe`], {encoding: "utf8"});
    if (probe.error) return `iproute2 is missing (${probe.error.message})`;
    if (probe.status !== 0) return `ip netns add failed: ${probe.stderr.trim()}`;
    // Everything the test builds, tried once in the probe namespace: a veth pair and a bridge.
    const steps = [["link", "add", "pv0", "type", "veth", "peer", "name", "pv1"], ["link", "add", "pb0", "type", "bridge"],
        ["link", "set", "pv1", "master", "pb0"]];
    let why = "";
    for (const step of steps) {
        const r = spawnSync("ip", ["-n", `${tag}-probe`, ...step], {encoding: "utf8"});
        if (r.status !== 0) {
            why = `ip ${step.join(" ")} failed in a network namespace: ${(r.stderr || "").trim()}`;
            break;
        }
    }
    sh(["ip", "netns", "del", `${tag}-probe`], {check: false});
    return why;
}

const skipReason = unsupported();
const created = [];

// A bridge in a hub namespace; each node's namespace and the host get a veth pair onto it.
function buildNetwork() {
    sh(["ip", "netns", "add", ns("hub")]);
    created.push(ns("hub"));
    const inHub = (...a) => sh(["ip", "netns", "exec", ns("hub"), ...a]);
    inHub("ip", "link", "add", "br0", "type", "bridge");
    inHub("ip", "link", "set", "br0", "up");
    for (const [name, n] of Object.entries(NODES)) {
        sh(["ip", "netns", "add", ns(name)]);
        created.push(ns(name));
        const inside = (...a) => sh(["ip", "netns", "exec", ns(name), ...a]);
        sh(["ip", "link", "add", `${tag}n${n}`, "type", "veth", "peer", "name", `${tag}b${n}`]);
        sh(["ip", "link", "set", `${tag}n${n}`, "netns", ns(name)]);
        sh(["ip", "link", "set", `${tag}b${n}`, "netns", ns("hub")]);
        inHub("ip", "link", "set", `${tag}b${n}`, "master", "br0", "up");
        inside("ip", "addr", "add", `${ip(name)}/24`, "dev", `${tag}n${n}`);
        inside("ip", "link", "set", `${tag}n${n}`, "up");
        inside("ip", "link", "set", "lo", "up");
    }
    // The test itself (host namespace) reaches every node's HTTP port through the bridge too.
    sh(["ip", "link", "add", `${tag}h`, "type", "veth", "peer", "name", `${tag}bh`]);
    sh(["ip", "link", "set", `${tag}bh`, "netns", ns("hub")]);
    inHub("ip", "link", "set", `${tag}bh`, "master", "br0", "up");
    sh(["ip", "addr", "add", `${HOST_IP}/24`, "dev", `${tag}h`]);
    sh(["ip", "link", "set", `${tag}h`, "up"]);
}

function tearDownNetwork() {
    sh(["ip", "link", "del", `${tag}h`], {check: false});
    for (const name of created.reverse()) sh(["ip", "netns", "del", name], {check: false});
}

const lines = (...xs) => xs.flat().join("\n") + "\n";

let cluster, proxy, worker, client, endpoint, root;

before(async () => {
    if (skipReason) return;
    buildNetwork();
    cluster = new Cluster("namespaces");
    const a = cluster.attestation();
    const modelHash = run(BIN, ["attest", "model-hash", "--file", cluster.testModel()]).trim();

    // The chain, in its own namespace, listening on its own address.
    const devnetPort = 8091;
    endpoint = `http://${ip("chain")}:${devnetPort}/api/v2/jsonRPC`;
    const registry = (rootAddress) => ["[registry]", `endpoint = ${toml(endpoint)}`, `root = ${toml(rootAddress)}`,
        "refresh_s = 1", "max_age_s = 10"];
    const attestation = (overrides = {}) => {
        const defaults = {...cluster.attestationDefaults(), allowed_proxy_images: null, allowed_worker_images: null,
            ...overrides};
        return ["[attestation]", ...Object.entries(defaults).filter(([, v]) => v !== null).map(([k, v]) => `${k} = ${toml(v)}`)];
    };
    const proxyConfig = (rootAddress, wallet) => lines("[proxy]", `id = "proxy"`, `http = ${toml(`0.0.0.0:11000`)}`,
        `worker_listen = "0.0.0.0:11001"`, `client_listen = "0.0.0.0:11002"`,
        `advertise_workers = ${toml(`${ip("proxy")}:11001`)}`, `advertise_clients = ${toml(`${ip("proxy")}:11002`)}`,
        "[tls]", `dir = ${toml(path.join(cluster.dir, "proxy"))}`, attestation(), registry(rootAddress),
        "[routing]", "spot_check_rate = 0",
        ...(wallet ? ["[billing]", "enabled = true", `wallet_key = ${toml(wallet)}`, `commit_interval_ms = 500`,
            `charge_threshold_ton = "0.000000001"`, "client_refresh_s = 1"] : []));
    const workerConfig = (rootAddress, wallet) => lines("[worker]", `id = "worker"`, `model = ${toml(MODEL)}`,
        "max_concurrent = 4", `http = "0.0.0.0:12000"`,
        "[engine]", `kind = "embedded"`, `model = ${toml(cluster.testModel())}`, "port = 12100", "threads = 1",
        `script = ${toml(ENGINE_SCRIPT)}`, "health_interval_ms = 500",
        "[tls]", `dir = ${toml(path.join(cluster.dir, "worker"))}`, attestation(), registry(rootAddress),
        ...(wallet ? ["[billing]", "enabled = true", `wallet_key = ${toml(wallet)}`,
            `claim_threshold_ton = "0.000000001"`] : []));

    // Image hashes: measured from the very configs the nodes run (the root address is not measured).
    const placeholder = "0:" + "0".repeat(64);
    const proxyImage = run(BIN, ["attest", "image-hash", "--role", "proxy", "--config",
        cluster.write("probe-proxy.toml", proxyConfig(placeholder, ""))]).trim();
    const workerImage = run(BIN, ["attest", "image-hash", "--role", "worker", "--config",
        cluster.write("probe-worker.toml", workerConfig(placeholder, ""))]).trim();

    const config = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "devnet/config.json"), "utf8"));
    Object.assign(config.root, {proxyImageHashes: [proxyImage], workerImageHashes: [workerImage], modelHashes: [modelHash]});
    const devnet = await cluster.startNode({name: "devnet", role: "devnet", netns: ns("chain"), host: ip("chain"),
        config: cluster.write("devnet.json", JSON.stringify(config)), ports: {httpPort: devnetPort}, healthy: false,
        extraArgs: ["--port", String(devnetPort), "--host", "0.0.0.0", "--snapshot", path.join(cluster.dir, "devnet-state.json"),
            "--reset"]});
    const line = await waitFor(() => tailOf(devnet.log, 100_000).split("\n").find((l) => l.includes('"event":"listening"')),
        {timeoutMs: 120_000, what: "the devnet to listen", logs: () => devnet.logs()});
    root = JSON.parse(line.slice(line.indexOf("{"))).root;
    cluster.devnet = {endpoint, root, node: devnet, base: `http://${ip("chain")}:${devnetPort}`};

    const proxyWallet = await cluster.fundedWallet("proxy", "20");
    const workerWallet = await cluster.fundedWallet("worker", "5");
    const clientWallet = await cluster.fundedWallet("client", "20");
    proxy = await cluster.startNode({name: "proxy", role: "proxy", netns: ns("proxy"), host: ip("proxy"),
        config: cluster.write("proxy.toml", proxyConfig(root, proxyWallet.file)), ports: {httpPort: 11000}});
    assert.equal(run(BIN, ["attest", "image-hash", "--config", proxy.config]).trim(), proxyImage);
    worker = await cluster.startNode({name: "worker", role: "worker", netns: ns("worker"), host: ip("worker"),
        config: cluster.write("worker.toml", workerConfig(root, workerWallet.file)), ports: {httpPort: 12000}});
    client = await cluster.startNode({name: "client", role: "client", netns: ns("client"), host: ip("client"),
        ports: {httpPort: 10000},
        config: cluster.write("client.toml", lines("[client]", `id = "client"`, `http = "0.0.0.0:10000"`,
            "[tls]", `dir = ${toml(path.join(cluster.dir, "client"))}`,
            attestation({provider: "none", dev_ca: null}), registry(root),
            "[billing]", "enabled = true", `wallet_key = ${toml(clientWallet.file)}`, `deposit_ton = "2"`,
            `stake_ton = "1"`, `topup_below_ton = "0.5"`))});
});

after(async () => {
    await cluster?.stop();
    if (!skipReason) tearDownNetwork();
});

test("proxy, worker and client in separate network namespaces: found on chain, paid, nothing on loopback", {skip: skipReason || false}, async () => {
    // No node names another's address; the proxy's and client's configs hold no loopback address at all.
    for (const node of [proxy, worker, client])
        assert.doesNotMatch(fs.readFileSync(node.config, "utf8"), /^proxies\s*=/m);
    for (const node of [proxy, client]) assert.doesNotMatch(fs.readFileSync(node.config, "utf8"), /127\.0\.0\.1/);

    const listing = await waitFor(async () => {
        const l = (await proxy.stats()).billing?.root_listing;
        return l?.listed ? l : null;
    }, {timeoutMs: 60_000, what: "the proxy listed in the root", logs: () => cluster.logs()});
    assert.equal(listing.workers_endpoint, `${ip("proxy")}:11001`);
    assert.equal(listing.clients_endpoint, `${ip("proxy")}:11002`);

    const entry = await waitFor(async () => {
        const e = await cluster.modelEntry(client);
        return e && e.workers === 1 ? e : null;
    }, {timeoutMs: 60_000, what: "the client to see the worker through the proxy", logs: () => cluster.logs()});
    assert.equal(entry.id, MODEL);
    // Each hop came over the bridge, from the peer's own namespace address.
    const ps = await proxy.stats();
    const peers = JSON.stringify(ps);
    assert.ok(peers.includes(ip("worker")), `the proxy sees the worker at ${ip("worker")}`);
    const cs = await client.stats();
    assert.deepEqual(cs.proxies.filter((p) => p.connected).map((p) => p.target), [`${ip("proxy")}:11002`]);
    const ws = await worker.stats();
    assert.deepEqual(ws.proxies.filter((p) => p.connected).map((p) => p.target), [`${ip("proxy")}:11001`]);

    await waitFor(async () => (await client.stats()).billing.accounts.find((x) => x.ready) ?? null,
        {timeoutMs: 90_000, what: "the client contract funded", logs: () => cluster.logs()});
    const r = await postJson(`${client.url}/v1/chat/completions`,
        {model: MODEL, messages: [{role: "user", content: "hello across namespaces"}], max_tokens: 12, temperature: 0});
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.choices[0].message.content.length > 0);
    assert.ok(r.body.usage.completion_tokens > 0);
    // Paid: the proxy's books charge the client's contract for it.
    await waitFor(async () => {
        const b = (await proxy.stats()).billing;
        return (b.clients ?? []).some((c) => Number(c.charged_tokens) > 0);
    }, {timeoutMs: 30_000, what: "the request charged in the proxy's books", logs: () => cluster.logs()});
});
