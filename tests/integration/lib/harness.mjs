// Shared helpers of the integration tests: free ports, temp dirs, config files, starting
// proxy / worker / client processes of build/chrysalis on loopback, waiting until they are
// ready, HTTP and SSE helpers, and killing every process that was started (always, even
// when a test fails or the test process is interrupted).
import {spawn, spawnSync} from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = process.env.CHRYSALIS_BIN || path.join(REPO_ROOT, "build/chrysalis");
export const ENGINE_SCRIPT = path.join(REPO_ROOT, "engine/server.mjs");
export const MODEL = "chrysalis-test";
// The other model name tests serve through mock engines.
export const MOCK_MODEL = "mock-model";
// CHRYSALIS_IT_KEEP=1 keeps the temp dirs (configs, logs) for a post-mortem.
const KEEP = process.env.CHRYSALIS_IT_KEEP === "1";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- processes

// Every process started by any cluster of this test process, so an exit handler can kill them.
const livePids = new Set();

function killGroup(pid, signal = "SIGKILL") {
    // Nodes are spawned as process-group leaders: the group also holds the worker's engine.
    try {
        process.kill(-pid, signal);
    } catch {
        try {
            process.kill(pid, signal);
        } catch {
            // already gone
        }
    }
}

// A watchdog process that kills our nodes if this process dies without running its handlers.
let watchdog = null;
function tellWatchdog(line) {
    if (!watchdog) {
        watchdog = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), "watchdog.mjs")], {
            detached: true,
            stdio: ["pipe", "ignore", "ignore"],
        });
        watchdog.on("error", () => {});
        watchdog.stdin.on("error", () => {});
        watchdog.unref();
        watchdog.stdin.unref?.();
    }
    watchdog.stdin.write(line + "\n");
}

function checkBuilt() {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} does not exist: build it first (ninja -C build, or make build)`);
    if (!fs.existsSync(path.join(REPO_ROOT, "engine/node_modules")))
        throw new Error("engine/node_modules is missing: run (cd engine && npm ci)");
}

function killAllSync() {
    for (const pid of livePids) killGroup(pid);
    livePids.clear();
}
process.on("exit", killAllSync);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
        killAllSync();
        process.exit(130);
    });
}

// Ports handed out by this process, so two calls never return the same one.
const givenPorts = new Set();

export async function freePort() {
    for (let attempt = 0; attempt < 50; ++attempt) {
        const port = await new Promise((resolve, reject) => {
            const server = net.createServer();
            server.unref();
            server.on("error", reject);
            server.listen(0, "127.0.0.1", () => {
                const {port} = server.address();
                server.close(() => resolve(port));
            });
        });
        if (!givenPorts.has(port)) {
            givenPorts.add(port);
            return port;
        }
    }
    throw new Error("no free port found");
}

export function tailOf(file, bytes = 4000) {
    try {
        const text = fs.readFileSync(file, "utf8");
        return text.length > bytes ? "..." + text.slice(-bytes) : text;
    } catch {
        return "(no log)";
    }
}

// Polls `probe` until it returns a truthy value (which is returned) or the time is up.
export async function waitFor(probe, {timeoutMs = 30_000, intervalMs = 100, what = "condition", logs = () => ""} = {}) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    while (Date.now() < deadline) {
        try {
            const value = await probe();
            if (value) return value;
        } catch (e) {
            lastError = e;
        }
        await sleep(intervalMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError ? ` (last error: ${lastError.message})` : "") + "\n" + logs());
}

// ---------------------------------------------------------------- HTTP helpers

export async function getJson(url, {timeoutMs = 5000, headers = {}} = {}) {
    const res = await fetch(url, {headers, signal: AbortSignal.timeout(timeoutMs)});
    const text = await res.text();
    return {status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null};
}

export async function postJson(url, body, {headers = {}, timeoutMs = 60_000} = {}) {
    const res = await fetch(url, {
        method: "POST",
        headers: {"Content-Type": "application/json", ...headers},
        body: typeof body === "string" ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json = null;
    try {
        json = JSON.parse(text);
    } catch {
        // left null; the raw text is returned too
    }
    return {status: res.status, headers: res.headers, text, body: json};
}

// Splits a complete SSE body into events, insisting on the exact framing OpenAI uses:
// every event is one "data: <payload>" line followed by a blank line, nothing else.
export function parseSseStrict(text) {
    if (!text.endsWith("\n\n")) throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(text.slice(-80))}`);
    const blocks = text.slice(0, -2).split("\n\n");
    return blocks.map((block, i) => {
        if (!block.startsWith("data: ") || block.includes("\n") || block.includes("\r"))
            throw new Error(`SSE event ${i} is not a single 'data: ' line: ${JSON.stringify(block.slice(0, 200))}`);
        const data = block.slice("data: ".length);
        return data === "[DONE]" ? {done: true, data} : {done: false, data, json: JSON.parse(data)};
    });
}

// Reads an SSE response incrementally; onEvent({done, data, json}) may return true to stop
// reading (the body is then cancelled, which closes the connection). Resolves with
// {events, ended: "eof" | "stopped"}.
export async function readSse(res, onEvent = () => false) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder("utf-8", {fatal: true});
    let buffer = "";
    const events = [];
    for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, {stream: true});
        let at;
        while ((at = buffer.indexOf("\n\n")) !== -1) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            if (!block.startsWith("data: ")) throw new Error(`bad SSE event: ${JSON.stringify(block.slice(0, 200))}`);
            const data = block.slice(6);
            const event = data === "[DONE]" ? {done: true, data} : {done: false, data, json: JSON.parse(data)};
            events.push(event);
            if (onEvent(event)) {
                await reader.cancel().catch(() => {});
                return {events, ended: "stopped"};
            }
        }
    }
    decoder.decode();  // throws on a truncated UTF-8 sequence
    if (buffer.length) throw new Error(`SSE body ends with an incomplete event: ${JSON.stringify(buffer.slice(0, 200))}`);
    return {events, ended: "eof"};
}

// Text carried by a chunk (chat delta content or completion text), or undefined.
export function chunkText(chunk) {
    const choice = chunk?.choices?.[0];
    if (!choice) return undefined;
    if (choice.delta) return choice.delta.content ?? undefined;
    return choice.text;
}

// Asserts the OpenAI error shape {"error":{"message","type","code"}} and returns the error.
export function expectOpenAiError(assert, response, status, {code, messageIncludes} = {}) {
    assert.equal(response.status, status, `expected HTTP ${status}, got ${response.status}: ${response.text}`);
    assert.ok(response.body && typeof response.body === "object", `error body is not JSON: ${response.text}`);
    const error = response.body.error;
    assert.ok(error && typeof error === "object", `no 'error' object in ${response.text}`);
    assert.equal(typeof error.message, "string");
    assert.ok(error.message.length > 0, "empty error message");
    assert.equal(typeof error.type, "string");
    assert.ok(error.type.length > 0, "empty error type");
    assert.ok("code" in error, `no 'code' in ${response.text}`);
    if (code !== undefined) assert.equal(error.code, code, `code of ${response.text}`);
    if (messageIncludes !== undefined)
        assert.ok(error.message.includes(messageIncludes), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(messageIncludes)}`);
    return error;
}

// Counter value from a /stats body: metrics.counters[name]["label=value"].
export function statsCounter(stats, name, labels = "all") {
    return stats?.metrics?.counters?.[name]?.[labels] ?? 0;
}

// ---------------------------------------------------------------- nodes and clusters

// TOML basic strings and arrays of them read like JSON; an object becomes an inline table.
export const toml = (value) => value !== null && typeof value === "object" && !Array.isArray(value)
    ? `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)} = ${toml(v)}`).join(", ")} }`
    : JSON.stringify(value);

// A TOML section from an object of JSON-compatible values (none when the object is empty).
function tomlSection(name, values) {
    const entries = Object.entries(values ?? {});
    return entries.length ? [`[${name}]`, ...entries.map(([k, v]) => `${k} = ${toml(v)}`)] : [];
}

// [billing] for a node: {wallet: {file}, ...settings} (none when billing is null).
function billingLines(billing) {
    if (!billing) return [];
    const {wallet, ...settings} = billing;
    return tomlSection("billing", {enabled: true, wallet_key: wallet.file, ...settings});
}

// Runs a command to completion; throws with its output when it fails; returns stdout.
export function run(cmd, args) {
    const r = spawnSync(cmd, args, {encoding: "utf8"});
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
}

class Node {
    constructor(cluster, {name, role, config, ports}) {
        this.cluster = cluster;
        this.name = name;
        this.role = role;
        this.config = config;
        this.log = path.join(cluster.dir, `${name}.log`);
        Object.assign(this, ports);
        this.child = null;
        this.exited = null;
    }

    // `host`: where the test reaches the node's HTTP (a node in a network namespace has its own address).
    get url() {
        return `http://${this.host ?? "127.0.0.1"}:${this.httpPort}`;
    }

    // The operator's token for /admin (written 0600 by the node into its state dir at first start).
    get adminHeaders() {
        const token = fs.readFileSync(path.join(this.cluster.dir, this.name, "admin.token"), "utf8").trim();
        return {Authorization: `Bearer ${token}`};
    }

    logs(bytes) {
        return `--- ${this.name} (${this.log}) ---\n${tailOf(this.log, bytes)}`;
    }

    start() {
        checkBuilt();
        const fd = fs.openSync(this.log, "a");
        // `netns`: the node runs inside that network namespace (ip netns exec keeps the process group).
        const argv = [BIN, this.role, "--config", this.config, ...(this.extraArgs ?? [])];
        const [cmd, ...args] = this.netns ? ["ip", "netns", "exec", this.netns, ...argv] : argv;
        const child = spawn(cmd, args, {
            cwd: this.cluster.dir,
            detached: true,  // own process group: killing it also kills the worker's engine
            stdio: ["ignore", fd, fd],
            env: {...process.env, CHRYSALIS_HOME: REPO_ROOT, ...(this.env ?? {})},
        });
        fs.closeSync(fd);
        this.child = child;
        livePids.add(child.pid);
        tellWatchdog(`+${child.pid}`);
        this.exited = new Promise((resolve) => {
            child.on("exit", (code, signal) => {
                livePids.delete(child.pid);
                resolve({code, signal});
            });
        });
        this.exitInfo = null;
        this.exited.then((info) => (this.exitInfo = info));
        return this;
    }

    get alive() {
        return this.child && !this.exitInfo;
    }

    async waitHealthy(timeoutMs = 20_000) {
        await waitFor(async () => {
            if (this.exitInfo) throw new Error(`${this.name} exited early: ${JSON.stringify(this.exitInfo)}\n${this.logs()}`);
            const r = await getJson(`${this.url}/healthz`, {timeoutMs: 1000});
            return r.status === 200;
        }, {timeoutMs, what: `${this.name} /healthz`, logs: () => this.logs()});
        return this;
    }

    async stats() {
        return (await getJson(`${this.url}/stats`)).body;
    }

    // The first line of this node's log that contains every one of `parts`, or null.
    logLine(...parts) {
        return tailOf(this.log, 200_000).split("\n").find((l) => parts.every((p) => l.includes(p))) ?? null;
    }

    async metrics() {
        const res = await fetch(`${this.url}/metrics`, {signal: AbortSignal.timeout(5000)});
        return res.text();
    }

    // Kills only this process (the worker's engine then goes by its parent-death signal).
    async kill(signal = "SIGKILL") {
        if (!this.alive) return;
        try {
            process.kill(this.child.pid, signal);
        } catch {
            // already gone
        }
        await this.exited;
    }

    // Kills the whole process group and waits for the node itself.
    async killGroup() {
        if (!this.child) return;
        killGroup(this.child.pid);
        await Promise.race([this.exited, sleep(5000)]);
        tellWatchdog(`-${this.child.pid}`);
    }
}

export class Cluster {
    // keybroker: every simulated-TEE proxy and worker keeps its key sealed by a key broker of the
    // cluster (started with the first of them), so it keeps its identity across restarts; without
    // one their keys live in memory only.
    constructor(label = "test", {keybroker = false} = {}) {
        this.useKeybroker = keybroker;
        this.broker = null;
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `chrysalis-it-${label}-`));
        tellWatchdog(`D${this.dir}`);
        this.nodes = [];
        this.counter = 0;
        this.modelPath = null;
        this.attest = null;
    }

    // The cluster's simulated TEE: one development CA, and the image hashes the simulated quotes
    // of a proxy and a worker trusting that CA will carry (derived from this very binary and the
    // measured configuration: a worker's trust settings and engine host, a proxy's also its worker
    // allow-list, which is [workerImage] by default).
    attestation() {
        if (this.attest) return this.attest;
        const devCa = path.join(this.dir, "devca");
        run(BIN, ["attest", "dev-ca", "--out", devCa]);
        // A proxy measures its model table too (MODEL and MOCK_MODEL by default, see attestationLines).
        let base = `[attestation]\nprovider = "sim"\ndev_ca = ${toml(devCa)}\ntrust = [${toml("dev:" + devCa)}]\n` +
            `models = ${toml({[MODEL]: this.modelHash(MODEL), [MOCK_MODEL]: this.modelHash(MOCK_MODEL)})}\n`;
        const imageOf = (file, role) => run(BIN, ["attest", "image-hash", "--config", file, "--role", role]).trim();
        // The broker's image (its ports are not measured, so a probe without them gives it).
        const keybrokerImage = imageOf(this.write("attest-probe-keybroker.toml", base), "keybroker");
        if (this.useKeybroker) base += `allowed_keybroker_images = [${toml(keybrokerImage)}]\n`;
        const workerImage = imageOf(this.write("attest-probe.toml", base), "worker");
        const proxyProbe = this.write("attest-probe-proxy.toml", base + `allowed_worker_images = [${toml(workerImage)}]\n`);
        this.attest = {devCa, workerImage, keybrokerImage, base, proxyImage: imageOf(proxyProbe, "proxy")};
        return this.attest;
    }

    // The cluster's key broker (started once): RA-TLS on `port`, /stats on `httpPort`.
    async keybroker() {
        if (this.broker) return this.broker;
        const a = this.attestation();
        const ports = {httpPort: await freePort(), port: await freePort()};
        const config = this.write("keybroker.toml", [
            "[keybroker]", `listen = ${toml(`127.0.0.1:${ports.port}`)}`, `http = ${toml(`127.0.0.1:${ports.httpPort}`)}`,
            "[tls]", `dir = ${toml(path.join(this.dir, "keybroker"))}`,
            "[attestation]", `provider = "sim"`, `dev_ca = ${toml(a.devCa)}`, `trust = [${toml("dev:" + a.devCa)}]`, ""].join("\n"));
        const node = new Node(this, {name: "keybroker", role: "keybroker", config, ports});
        // The master secret comes from the operator's environment, never from the broker's disk.
        node.env = {CHRYSALIS_KEYBROKER_SECRET: crypto.randomBytes(32).toString("hex")};
        this.nodes.push(node);
        node.start();
        this.broker = await node.waitHealthy();
        this.broker.address = `127.0.0.1:${ports.port}`;
        return this.broker;
    }

    // The image hash of the node a config file describes (what its quotes will carry).
    imageHashOf(configFile) {
        return run(BIN, ["attest", "image-hash", "--config", configFile]).trim();
    }

    // The image hash of a proxy like the default one but reading its allow-lists from the
    // registry at `endpoint` (the endpoint is measured; the root address is reported, not measured).
    registryProxyImage(endpoint) {
        const a = this.attestation();
        const probe = this.write("attest-probe-registry.toml", a.base +
            `[registry]\nendpoint = ${toml(endpoint)}\nroot = ${toml("0:" + "0".repeat(64))}\n`);
        return run(BIN, ["attest", "image-hash", "--config", probe, "--role", "proxy"]).trim();
    }

    // A local TON devnet whose root contract lists the given hashes (64 hex each); resolves to
    // {endpoint, root, node, kill()}. Nodes read their allow-lists from it with registryLines().
    // `params` overrides the root's params (devnet/config.json), e.g. {proxyDelayBeforeClose: 5}.
    async startDevnet({proxyImageHashes = [], workerImageHashes = [], modelHashes = [], params = {}} = {}) {
        const config = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "devnet/config.json"), "utf8"));
        const port = await freePort();
        // Allowing the cluster's proxy image means allowing it as a registry proxy of this devnet too.
        if (this.attest && proxyImageHashes.includes(this.attest.proxyImage))
            proxyImageHashes = [...proxyImageHashes, this.registryProxyImage(`http://127.0.0.1:${port}/api/v2/jsonRPC`)];
        Object.assign(config.root, {proxyImageHashes, workerImageHashes, modelHashes});
        Object.assign(config.root.params, params);
        const file = this.write("devnet.json", JSON.stringify(config, null, 2));
        const node = new Node(this, {name: "devnet", role: "devnet", config: file, ports: {httpPort: port}});
        node.extraArgs = ["--port", String(port), "--snapshot", path.join(this.dir, "devnet-state.json"), "--reset"];
        this.nodes.push(node);
        node.start();
        const line = await waitFor(() => tailOf(node.log, 100_000).split("\n").find((l) => l.includes('"event":"listening"')),
            {timeoutMs: 120_000, what: "the devnet to listen", logs: () => node.logs()});
        const info = JSON.parse(line.slice(line.indexOf("{")));
        this.devnet = {endpoint: info.endpoint, root: info.root, node, base: new URL(info.endpoint).origin};
        return this.devnet;
    }

    // A new wallet key file (dir/<name>.wallet.json) funded with `ton` TON from the devnet's giver.
    async fundedWallet(name, ton = "10") {
        const file = path.join(this.dir, `${name}.wallet.json`);
        const address = JSON.parse(run(BIN, ["wallet", "new", "--out", file, "--force"])).raw;
        const r = await postJson(`${this.devnet.base}/devnet/fund`, {address, amount: ton});
        if (r.status !== 200) throw new Error(`funding ${name} failed: ${r.status} ${r.text}`);
        return {file, address};
    }

    // The root's owner registers the proxy's key (its TLS key, on /stats) in the devnet's root contract:
    // clients and workers with billing refuse a proxy the root does not list.
    async registerProxy(proxy) {
        const key = (await proxy.stats()).billing?.public_key;
        if (!key) throw new Error(`${proxy.name} has no billing public key on /stats`);
        const r = await postJson(`${this.devnet.base}/devnet/register_proxy`, {publicKey: key,
            workersEndpoint: `127.0.0.1:${proxy.workerPort}`, clientsEndpoint: `127.0.0.1:${proxy.clientPort}`});
        if (r.status !== 200) throw new Error(`registering ${proxy.name} failed: ${r.status} ${r.text}`);
        return key;
    }

    // Waits until the proxy's /stats shows it listed in the root (it lists itself when billing is on).
    async waitListed(proxy, {timeoutMs = 60_000} = {}) {
        return waitFor(async () => {
            const listing = (await proxy.stats()).billing?.root_listing;
            return listing?.listed ? listing : null;
        }, {timeoutMs, what: `${proxy.name} to be listed in the root`, logs: () => proxy.logs()});
    }

    // A contract's state read from the devnet (chrysalis ton contract show).
    contract(kind, address) {
        return JSON.parse(run(BIN, ["ton", "contract", "show", "--kind", kind, "--address", address, "--endpoint", this.devnet.endpoint]));
    }

    // The [registry] section pointing a node at the cluster's devnet root.
    // `endpoint` replaces the devnet's (a relay in front of it).
    registryLines({refreshS = 1, maxAgeS = 5, endpoint} = {}) {
        if (!this.devnet) return [];
        return ["[registry]", `endpoint = ${toml(endpoint ?? this.devnet.endpoint)}`, `root = ${toml(this.devnet.root)}`,
            `refresh_s = ${refreshS}`, `max_age_s = ${maxAgeS}`];
    }

    // The model hash a worker serving `name` attests: MODEL is the cluster's test GGUF (what an
    // embedded engine hashes); any other name stands for a made-up file an external engine serves.
    modelHash(name = MODEL) {
        if (name === MODEL) return crypto.createHash("sha256").update(fs.readFileSync(this.testModel())).digest("hex");
        return crypto.createHash("sha256").update(`chrysalis test model file: ${name}`).digest("hex");
    }

    // The [attestation] section of a node: sim provider, the cluster's dev root trusted, this
    // binary's proxy and worker images allowed, MODEL and MOCK_MODEL mapped to their hashes;
    // `overrides` replaces any key (a TOML value written as JSON), `null` drops it.
    attestationDefaults() {
        const a = this.attestation();
        return {
            provider: "sim",
            dev_ca: a.devCa,
            trust: ["dev:" + a.devCa],
            allowed_proxy_images: [a.proxyImage],
            allowed_worker_images: [a.workerImage],
            models: {[MODEL]: this.modelHash(MODEL), [MOCK_MODEL]: this.modelHash(MOCK_MODEL)},
            pow_difficulty: 12,
        };
    }

    attestationLines(overrides = {}) {
        const a = this.attestation();
        const settings = {...this.attestationDefaults(), ...overrides};
        if (this.broker && settings.provider === "sim" && !("allowed_keybroker_images" in overrides))
            settings.allowed_keybroker_images = [a.keybrokerImage];
        const lines = ["[attestation]"];
        for (const [key, value] of Object.entries(settings))
            if (value !== null && value !== undefined) lines.push(`${key} = ${toml(value)}`);
        if (settings.allowed_keybroker_images?.length && this.broker) lines.push("[keys]", `broker = ${toml(this.broker.address)}`);
        return lines;
    }

    // What a worker or client of `proxies` allows by default: the cluster's proxy image and the
    // image each of these proxies actually has (a proxy started with other lists measures them).
    // The worker images and model names the given proxies accept, merged: an e2e client checks the
    // workers they hand it against these.
    workerPolicyOf(proxies = []) {
        const images = new Set(), models = {};
        for (const p of proxies) {
            for (const image of p.workerPolicy?.allowed_worker_images ?? []) images.add(image);
            Object.assign(models, p.workerPolicy?.models ?? {});
        }
        if (images.size === 0) return {};
        return {allowed_worker_images: [...images], models};
    }

    proxyImages(proxies = []) {
        const images = [this.attestation().proxyImage, ...proxies.map((p) => p.imageHash).filter(Boolean)];
        return [...new Set(images)];
    }

    // One small deterministic GGUF per cluster (about 1 MB, made in well under a second).
    testModel() {
        if (this.modelPath) return this.modelPath;
        const out = path.join(this.dir, "model.gguf");
        const r = spawnSync(BIN, ["model", "make-test", "--out", out], {encoding: "utf8"});
        if (r.status !== 0) throw new Error(`model make-test failed: ${r.stderr || r.stdout}`);
        this.modelPath = out;
        return out;
    }

    write(name, text) {
        const file = path.join(this.dir, name);
        fs.writeFileSync(file, text);
        return file;
    }

    // With billing on a devnet the proxy lists itself in the root (through its staked contract) and
    // this waits until the root shows it; with `register` false it does not list itself (the root's
    // owner may still add it: registerProxy).
    async startProxy({id, requestTimeoutS = 60, maxRetries = 2, logLevel = "info", attestation = {}, routing = {}, registry = {},
        billing = null, settings = {}, extra = [], register = true} = {}) {
        id ??= `proxy-${++this.counter}`;
        if (this.useKeybroker) await this.keybroker();
        if (billing && !register) settings = {list_in_root: false, ...settings};
        const ports = {httpPort: await freePort(), workerPort: await freePort(), clientPort: await freePort()};
        const config = this.write(`${id}.toml`, [
            "[proxy]",
            `id = ${toml(id)}`,
            `http = ${toml(`127.0.0.1:${ports.httpPort}`)}`,
            `worker_listen = ${toml(`127.0.0.1:${ports.workerPort}`)}`,
            `client_listen = ${toml(`127.0.0.1:${ports.clientPort}`)}`,
            `request_timeout_s = ${requestTimeoutS}`,
            `max_retries = ${maxRetries}`,
            ...Object.entries(settings).map(([k, v]) => `${k} = ${toml(v)}`),  // more [proxy] keys
            "[tls]",
            `dir = ${toml(path.join(this.dir, id))}`,
            "[log]",
            `level = ${toml(logLevel)}`,
            ...this.attestationLines(attestation),
            ...this.registryLines(registry),
            // The proxy's defaults, except spot checks: a random 2 % of reruns would make the exact
            // per-worker counts tests assert flaky. Tests of spot checks set the rate they need.
            ...tomlSection("routing", {spot_check_rate: 0, ...routing}),
            ...billingLines(billing),
            ...extra,
            "",
        ].join("\n"));
        const node = new Node(this, {name: id, role: "proxy", config, ports});
        node.id = id;
        // What the proxy accepts of workers: an e2e client of it checks workers the same way by default.
        node.workerPolicy = {
            allowed_worker_images: attestation.allowed_worker_images ?? [this.attestation().workerImage],
            models: attestation.models ?? this.attestationDefaults().models,
        };
        // Only a proxy whose measured settings differ from the default has another image (hashing
        // the binary again costs half a second per start).
        const measuredAsDefault = Object.keys(attestation).length === 0 && !this.devnet;
        node.imageHash = attestation.provider === "none" ? null : measuredAsDefault ? this.attestation().proxyImage
            : this.imageHashOf(config);
        this.nodes.push(node);
        node.start();
        await node.waitHealthy();
        if (billing && this.devnet && register) await this.waitListed(node);
        return node;
    }

    // engine: {kind: "embedded"} (the cluster's test model) or {kind: "external", url, modelSha256}
    // (default: this.modelHash(model)).
    async startWorker({id, proxies, engine = {kind: "embedded"}, model = MODEL, coefficient = 1000, maxConcurrent = 4,
        requestTimeoutS = 60, healthIntervalMs = 500, context = 2048, logLevel = "info", attestation = {}, registry = {},
        billing = null} = {}) {
        id ??= `worker-${++this.counter}`;
        if (this.useKeybroker) await this.keybroker();
        const ports = {httpPort: await freePort()};
        const lines = [
            "[worker]",
            `id = ${toml(id)}`,
            `model = ${toml(model)}`,
            `coefficient = ${coefficient}`,
            `max_concurrent = ${maxConcurrent}`,
            // null: none named, the worker serves the proxies the root lists
            ...(proxies === null ? [] : [`proxies = [${proxies.map((p) => toml(`127.0.0.1:${p.workerPort}`)).join(", ")}]`]),
            `http = ${toml(`127.0.0.1:${ports.httpPort}`)}`,
            `request_timeout_s = ${requestTimeoutS}`,
            "[engine]",
            `kind = ${toml(engine.kind)}`,
            `health_interval_ms = ${healthIntervalMs}`,
        ];
        if (engine.kind === "embedded") {
            ports.enginePort = await freePort();
            lines.push(
                `model = ${toml(engine.model ?? this.testModel())}`,
                `port = ${ports.enginePort}`,
                `threads = ${engine.threads ?? 1}`,
                `context = ${context}`,
                `pace_ms = ${engine.paceMs ?? 0}`,
                `script = ${toml(ENGINE_SCRIPT)}`);
        } else {
            lines.push(`url = ${toml(engine.url)}`, `model_sha256 = ${toml(engine.modelSha256 ?? this.modelHash(model))}`);
        }
        if (engine.embeddings !== undefined) lines.push(`embeddings = ${engine.embeddings}`);
        lines.push("[tls]", `dir = ${toml(path.join(this.dir, id))}`, "[log]", `level = ${toml(logLevel)}`,
            ...this.attestationLines({allowed_proxy_images: this.proxyImages(proxies ?? []), ...attestation}),
            ...this.registryLines(registry), ...billingLines(billing), "");
        const config = this.write(`${id}.toml`, lines.join("\n"));
        const node = new Node(this, {name: id, role: "worker", config, ports});
        node.id = id;
        node.engineLog = path.join(this.dir, id, "engine.log");
        if (ports.enginePort) node.engineUrl = `http://127.0.0.1:${ports.enginePort}`;
        this.nodes.push(node);
        node.start();
        return node.waitHealthy();
    }

    async startClient({id, proxies, apiKeys = [], maxBodyBytes = 1 << 20, defaultMaxTokens = 1000, maxTokensLimit = 32768,
        requestTimeoutS = 60, logLevel = "info", attestation = {}, registry = {}, billing = null, settings = {}} = {}) {
        id ??= `client-${++this.counter}`;
        const ports = {httpPort: await freePort()};
        const config = this.write(`${id}.toml`, [
            "[client]",
            `id = ${toml(id)}`,
            `http = ${toml(`127.0.0.1:${ports.httpPort}`)}`,
            ...(proxies === null ? [] : [`proxies = [${proxies.map((p) => toml(`127.0.0.1:${p.clientPort}`)).join(", ")}]`]),
            `api_keys = [${apiKeys.map(toml).join(", ")}]`,
            `max_body_bytes = ${maxBodyBytes}`,
            `default_max_tokens = ${defaultMaxTokens}`,
            `max_tokens_limit = ${maxTokensLimit}`,
            `request_timeout_s = ${requestTimeoutS}`,
            ...Object.entries(settings).map(([k, v]) => `${k} = ${toml(v)}`),  // more [client] keys
            "[tls]",
            `dir = ${toml(path.join(this.dir, id))}`,
            "[log]",
            `level = ${toml(logLevel)}`,
            // A client presents no quote (it runs outside a TEE); it checks the proxy's.
            ...this.attestationLines({provider: "none", dev_ca: null, allowed_proxy_images: this.proxyImages(proxies ?? []),
                ...this.workerPolicyOf(proxies ?? []), ...attestation}),
            ...this.registryLines(registry),
            ...billingLines(billing),
            "",
        ].join("\n"));
        const node = new Node(this, {name: id, role: "client", config, ports});
        node.id = id;
        node.apiKeys = apiKeys;
        node.baseURL = `${node.url}/v1`;
        this.nodes.push(node);
        node.start();
        return node.waitHealthy();
    }

    logs(bytes = 3000) {
        return this.nodes.map((n) => n.logs(bytes) + (n.engineLog ? `\n--- ${n.name} engine ---\n${tailOf(n.engineLog, bytes)}` : ""))
            .join("\n");
    }

    // The client's /v1/models entry for `model` (or undefined).
    async modelEntry(client, model = MODEL) {
        const headers = client.apiKeys?.length ? {Authorization: `Bearer ${client.apiKeys[0]}`} : {};
        const res = await fetch(`${client.url}/v1/models`, {headers, signal: AbortSignal.timeout(5000)});
        if (res.status !== 200) return undefined;
        const body = await res.json();
        return body.data.find((m) => m.id === model);
    }

    // Waits until the client sees exactly `count` enabled workers for `model`.
    async waitForWorkers(client, count, {model = MODEL, timeoutMs = 45_000} = {}) {
        return waitFor(async () => {
            for (const n of this.nodes)
                if (n.exitInfo && !n.expectedDead) throw new Error(`${n.name} exited: ${JSON.stringify(n.exitInfo)}`);
            const entry = await this.modelEntry(client, model);
            return entry && entry.workers === count ? entry : null;
        }, {timeoutMs, intervalMs: 150, what: `${count} worker(s) for ${model} at ${client.name}`, logs: () => this.logs()});
    }

    // A node of `role` with a config written by the caller; `netns`/`host` place it in a network
    // namespace and say where the test reaches its HTTP port.
    async startNode({name, role, config, ports, netns, host, env, extraArgs, healthy = true}) {
        const node = new Node(this, {name, role, config, ports});
        Object.assign(node, {id: name, netns, host, env, extraArgs});
        this.nodes.push(node);
        node.start();
        return healthy ? node.waitHealthy(60_000) : node;
    }

    // Kills every process of this cluster and removes its temp dir (unless CHRYSALIS_IT_KEEP=1).
    async stop() {
        await Promise.all(this.nodes.map((n) => n.killGroup()));
        if (!KEEP) fs.rmSync(this.dir, {recursive: true, force: true});
        tellWatchdog(`d${this.dir}`);
    }
}

// The usual network: one proxy, `workers` workers, one client; waits until all workers are routable.
export async function startNetwork({label = "net", workers = 1, worker = {}, client = {}, proxy = {}} = {}) {
    const cluster = new Cluster(label);
    try {
        const p = await cluster.startProxy(proxy);
        const ws = [];
        for (let i = 0; i < workers; ++i) ws.push(cluster.startWorker({proxies: [p], ...worker}));
        const started = await Promise.all(ws);
        const c = await cluster.startClient({proxies: [p], ...client});
        await cluster.waitForWorkers(c, workers);
        return {cluster, proxy: p, workers: started, client: c};
    } catch (e) {
        await cluster.stop();
        throw e;
    }
}
