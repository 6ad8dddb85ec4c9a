// What the browser tests need: the web bundle, a real paid network (TON devnet, one proxy, two
// workers with the embedded engine and the generated test model, one client) started with the
// integration tests' harness on free ports, the pages' addresses, and Debian's chromium.
//
// Where the page comes from:
//   default            tiny static servers (lib/server.mjs) serve web/dist and forward the API to
//                      the client, the proxy and a worker
//   WEB_SERVE=node     the nodes serve the bundle themselves (index.html at /, /app/, /dashboard)
//   WEB_BASE_URL=URL   no network is started: chat and client dashboard at URL, the proxy's and a
//                      worker's dashboards at WEB_PROXY_URL and WEB_WORKER_URL (tests needing one
//                      that is not given are skipped); admin tokens from WEB_CLIENT_TOKEN and
//                      WEB_WORKER_TOKEN (wallet and worker actions are skipped without them)
// CHROMIUM (default /usr/bin/chromium), CHRYSALIS_BIN (default build/chrysalis).
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import puppeteer from "puppeteer-core";
import {BIN, Cluster, MODEL, run, waitFor} from "../../integration/lib/harness.mjs";
import {startStaticServer} from "./server.mjs";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "../../..");
export const WEB = path.join(REPO, "web");
export const DIST = path.join(WEB, "dist");
export const SHOTS = path.join(HERE, "..", "screenshots");
export {MODEL};

// A copied binary (CHRYSALIS_BIN outside the repository) still finds the repository's devnet.
process.env.CHRYSALIS_DEVNET_DIR ||= path.join(REPO, "devnet");
// Nodes that serve the web app serve this bundle (WEB_SERVE=node).
process.env.CHRYSALIS_WEB_DIR ||= DIST;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sh(cmd, args, cwd) {
    const r = spawnSync(cmd, args, {cwd, encoding: "utf8", env: {...process.env, PUPPETEER_SKIP_DOWNLOAD: "1"}});
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} in ${cwd} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** web/dist, built when missing (or WEB_REBUILD=1). */
export function ensureBundle() {
    if (process.env.WEB_REBUILD !== "1" && fs.existsSync(path.join(DIST, "index.html"))) return;
    if (!fs.existsSync(path.join(WEB, "node_modules"))) sh("npm", ["ci", "--no-audit", "--no-fund"], WEB);
    sh("npm", ["run", "build"], WEB);
}

async function adminToken(node) {
    return node.adminHeaders.Authorization.replace(/^Bearer /, "");
}

export async function getJson(url, token) {
    const res = await fetch(url, {headers: token ? {Authorization: `Bearer ${token}`} : {}, signal: AbortSignal.timeout(10_000)});
    const text = await res.text();
    let body = null;
    try {
        body = JSON.parse(text);
    } catch {
        // not JSON
    }
    return {status: res.status, body, text, headers: res.headers};
}

export async function chat(apiBase, content, extra = {}) {
    const res = await fetch(`${apiBase}/v1/chat/completions`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({model: MODEL, messages: [{role: "user", content}], max_tokens: 8, ...extra}),
        signal: AbortSignal.timeout(60_000),
    });
    const body = await res.json().catch(() => null);
    return {status: res.status, body, worker: res.headers.get("x-chrysalis-worker")};
}

/** Starts the paid network; resolves to {cluster, proxy, workers, client, devnet}. */
async function startPaidNetwork() {
    const cluster = new Cluster("web");
    try {
        const a = cluster.attestation();
        const devnet = await cluster.startDevnet({
            proxyImageHashes: [a.proxyImage],
            workerImageHashes: [a.workerImage],
            modelHashes: [run(BIN, ["attest", "model-hash", "--file", cluster.testModel()]).trim()],
        });
        const [wp, wa, wb, wc] = await Promise.all([
            cluster.fundedWallet("proxy", "20"),
            cluster.fundedWallet("worker-a", "5"),
            cluster.fundedWallet("worker-b", "5"),
            cluster.fundedWallet("client", "20"),
        ]);
        const proxy = await cluster.startProxy({
            id: "proxy",
            billing: {wallet: wp, commit_interval_ms: 1000, charge_threshold_ton: "0.000001", client_refresh_s: 1},
        });
        // Paced tokens: an answer takes long enough to watch it grow and to stop it.
        const worker = (id, wallet) => cluster.startWorker({id, proxies: [proxy], context: 1024, engine: {kind: "embedded", paceMs: 30},
            billing: {wallet, claim_threshold_ton: "0.000001"}});
        const workers = await Promise.all([worker("worker-a", wa), worker("worker-b", wb)]);
        const client = await cluster.startClient({id: "client", proxies: [proxy],
            billing: {wallet: wc, deposit_ton: "2", stake_ton: "1", auto_topup: false}});
        await cluster.waitForWorkers(client, 2, {timeoutMs: 90_000});
        await waitFor(async () => {
            const s = await getJson(`${client.url}/stats`);
            return s.body?.billing?.accounts?.find((x) => x.ready) ?? null;
        }, {timeoutMs: 90_000, what: "the client contract funded and seen by the proxy", logs: () => cluster.logs()});
        return {cluster, proxy, workers, client, devnet};
    } catch (e) {
        await cluster.stop();
        throw e;
    }
}

/**
 * Everything a test file needs. Sites: {chat, proxy, workers: [...], worker (the first)}, each {page, api, token?, id?}:
 * `page` is where the browser goes (its base URL), `api` where the test itself reads the node.
 */
export async function setup() {
    const started = Date.now();
    const external = process.env.WEB_BASE_URL?.replace(/\/$/, "");
    const env = {sites: {}, servers: [], net: null, browser: null, allowed404: new Set(), timings: {}};
    if (external) {
        env.sites.chat = {page: external, api: external, token: process.env.WEB_CLIENT_TOKEN || ""};
        if (process.env.WEB_PROXY_URL) env.sites.proxy = {page: process.env.WEB_PROXY_URL, api: process.env.WEB_PROXY_URL};
        if (process.env.WEB_WORKER_URL)
            env.sites.workers = [{page: process.env.WEB_WORKER_URL, api: process.env.WEB_WORKER_URL, token: process.env.WEB_WORKER_TOKEN || ""}];
    } else {
        const bundle = process.env.WEB_SERVE === "node" ? Promise.resolve() : Promise.resolve().then(ensureBundle);
        const [net] = await Promise.all([startPaidNetwork(), bundle]);
        env.timings.network_s = (Date.now() - started) / 1000;
        env.net = net;
        const site = async (node) => {
            if (process.env.WEB_SERVE === "node") return {page: node.url, api: node.url};
            const server = await startStaticServer({root: DIST, target: node.url});
            env.servers.push(server);
            return {page: server.url, api: node.url, server};
        };
        env.sites.chat = {...(await site(net.client)), token: await adminToken(net.client)};
        env.sites.proxy = {...(await site(net.proxy)), id: "proxy"};
        env.sites.workers = [];
        for (const w of net.workers) env.sites.workers.push({...(await site(w)), token: await adminToken(w)});
    }
    // Each worker site's id, as its node names itself.
    for (const w of env.sites.workers ?? []) w.id = (await getJson(`${w.api}/stats`)).body?.id;
    env.sites.worker = env.sites.workers?.[0];
    // Endpoints the dashboard asks for that a node may not serve yet: their 404 is expected, and
    // Chromium reports every failed load on the console ("Failed to load resource").
    for (const site of [env.sites.proxy, env.sites.worker, env.sites.chat].filter(Boolean)) {
        for (const p of ["/stats/history", "/stats/stream"]) {
            const r = await fetch(site.api + p, {signal: AbortSignal.timeout(5000)}).catch(() => null);
            if (r && r.status === 404) env.allowed404.add(p);
            await r?.body?.cancel().catch(() => {});
        }
    }
    env.browser = await puppeteer.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"],
    });
    fs.mkdirSync(SHOTS, {recursive: true});
    env.timings.setup_s = (Date.now() - started) / 1000;
    return env;
}

export async function teardown(env) {
    await env?.browser?.close().catch(() => {});
    for (const s of env?.servers ?? []) await s.close().catch(() => {});
    await env?.net?.cluster.stop();
}

/**
 * A page that records console errors and uncaught exceptions. `errors()` lists them, except
 * Chromium's "Failed to load resource" line for an HTTP error the test provoked on purpose
 * (`page.expectFailedLoad(status, path)`) or a 404 of an endpoint the node does not serve yet
 * (env.allowed404). `isolated`: a fresh browser context (its own localStorage).
 */
export async function openPage(env, url, {width = 1280, height = 800, isolated = false} = {}) {
    const context = isolated ? await env.browser.createBrowserContext() : null;
    const page = await (context ?? env.browser).newPage();
    if (context) page.once("close", () => context.close().catch(() => {}));
    await page.setViewport({width, height});
    const problems = [];
    const expected = [];
    page.expectFailedLoad = (status, path) => expected.push({status, path});
    page.on("console", (m) => {
        if (m.type() !== "error") return;
        const where = m.location()?.url ?? "";
        let p = "";
        try {
            p = new URL(where).pathname;
        } catch {
            // no URL
        }
        const failed = /Failed to load resource: the server responded with a status of (\d+)/.exec(m.text());
        if (failed && Number(failed[1]) === 404 && env.allowed404.has(p)) return;
        if (failed && expected.some((e) => e.status === Number(failed[1]) && p === e.path)) return;
        problems.push(`console.error: ${m.text()} ${where}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.errors = () => problems.slice();
    if (url) await page.goto(url, {waitUntil: "domcontentloaded"});
    return page;
}

/** Saves a screenshot and checks it is not blank (enough distinct colours); resolves to its path. */
export async function screenshot(env, page, name, {fullPage = false} = {}) {
    const file = path.join(SHOTS, `${name}.png`);
    const png = await page.screenshot({path: file, fullPage});
    const probe = await env.browser.newPage();
    try {
        await probe.setContent("<canvas></canvas>");
        const colours = await probe.evaluate(async (b64) => {
            const img = new Image();
            img.src = "data:image/png;base64," + b64;
            await img.decode();
            const c = document.querySelector("canvas");
            c.width = img.width;
            c.height = img.height;
            const ctx = c.getContext("2d");
            ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
            return seen.size;
        }, Buffer.from(png).toString("base64"));
        if (colours < 16) throw new Error(`screenshot ${name} looks blank (${colours} colours)`);
    } finally {
        await probe.close();
    }
    return file;
}

/** Text content of the first element matching `selector` ("" when none). */
export async function text(page, selector) {
    return page.$eval(selector, (el) => el.textContent ?? "").catch(() => "");
}

export async function until(page, fn, arg, timeout = 20_000) {
    return page.waitForFunction(fn, {timeout, polling: 100}, arg);
}

/** No element wider than the viewport: the document does not scroll sideways. */
export async function horizontalOverflow(page) {
    return page.evaluate(() => ({scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth}));
}
