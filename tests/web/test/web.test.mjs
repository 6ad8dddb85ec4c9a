// The web app (web/) in Debian's chromium against a real paid network: the chat streams, stops,
// keeps conversations and shows cost and provenance; the wallet moves real (devnet) money and
// says why when it does not; the dashboards show each role's /stats and act with the admin token;
// everything fits a 360 px phone, is reachable by keyboard, and logs no console errors.
// One network and one browser for the whole file (starting the network is most of the time).
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import {
    chat, getJson, horizontalOverflow, MODEL, openPage, screenshot, setup, sleep, teardown, text, until,
} from "../lib/env.mjs";

let env, site;
before(async () => {
    env = await setup();
    site = env.sites;
    console.log(`# setup ${env.timings.setup_s}s (network ${env.timings.network_s ?? "-"}s); expected 404s: ${[...env.allowed404].join(", ") || "none"}`);
});
after(async () => {
    await teardown(env);
});

// Against an external network (WEB_BASE_URL) a test needing a site or token not given is skipped.
const EXTERNAL = !!process.env.WEB_BASE_URL;
const needs = (what) => (EXTERNAL && !process.env[`WEB_${what.toUpperCase()}_URL`] ? `no WEB_${what.toUpperCase()}_URL` : false);
const sec = (name) => `section[aria-labelledby="s-${name}"]`;
const workerStats = async () => Promise.all((site.workers ?? []).map((w) => getJson(`${w.api}/stats`).then((r) => r.body)));
const cancelledAtWorkers = async () =>
    (await workerStats()).reduce((a, s) => a + (s?.metrics?.counters?.requests?.["outcome=cancelled"] ?? 0), 0);
const answers = (page) => page.$$eval('[data-testid="answer"]', (els) => els.length);
const lastAnswer = '[data-testid="answer"]:last-child';
const chars = (page) => page.$eval(`${lastAnswer} [data-testid="answer-text"]`, (el) => Number(el.dataset.chars));
const squash = (s) => s.replace(/\s+/g, "");

async function setMaxTokens(page, n) {
    const open = await page.$eval("details.options", (d) => d.open);
    if (!open) await page.click("details.options summary");
    await page.$eval("details.options input[type=number]", (el, v) => {
        el.value = String(v);
        el.dispatchEvent(new Event("input", {bubbles: true}));
    }, n);
}

async function sendMessage(page, message) {
    await page.click("#message");
    await page.keyboard.type(message);
    await page.click('[data-testid="send"]');
}

// ------------------------------------------------------------------------------------- chat

test("every page path a node serves loads its view: /, /app, /app/ chat; /dashboard, /dashboard/ dashboard", async () => {
    const page = await openPage(env, null, {width: 1024, height: 700, isolated: true});
    for (const [p, view] of [["/", "chat"], ["/app", "chat"], ["/app/", "chat"], ["/dashboard", "dashboard"], ["/dashboard/", "dashboard"]]) {
        await page.goto(site.chat.page + p, {waitUntil: "domcontentloaded"});
        await until(page, (v) => document.documentElement.dataset.view === v && document.querySelector(v === "chat" ? "#model-select option[value]:not([value=''])" : '[data-testid="overview"]'), view);
    }
    assert.deepEqual(page.errors(), []);
    await page.close();
});

let chatPage;

test("chat: the model list shows the network's model, with its workers, price and what the client verified", async () => {
    chatPage = await openPage(env, site.chat.page + "/", {width: 1440, height: 900});
    await until(chatPage, (m) => [...document.querySelectorAll("#model-select option")].some((o) => o.value === m), MODEL);
    const models = (await getJson(`${site.chat.api}/v1/models`)).body.data;
    const entry = models.find((m) => m.id === MODEL);
    assert.ok(entry, "the node lists the model");
    const options = await chatPage.$$eval("#model-select option", (os) => os.map((o) => o.textContent));
    assert.ok(options.some((o) => o.includes(MODEL) && o.includes(`${entry.workers} worker`)), `options: ${options}`);
    const card = await text(chatPage, '[data-testid="model-card"] summary');
    assert.match(card, new RegExp(`${entry.workers} workers`));
    assert.match(card, /1\.00× the base price/);
    // The label names the control for assistive technology.
    assert.equal(await chatPage.$eval('label[for="model-select"]', (l) => l.textContent), "Model");
    assert.deepEqual(chatPage.errors(), []);
});

test("chat: Tab reaches the message box and then Send; Enter on Send sends", async () => {
    const page = chatPage;
    await page.evaluate(() => document.activeElement?.blur());
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await page.evaluate(() => document.activeElement?.id === "message");
    }
    assert.ok(reached, "Tab reaches the message box");
    await page.keyboard.type("Tell me a story about a butterfly");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "send", "the next Tab stop is Send");
    await page.keyboard.press("Enter");
    await until(page, () => document.querySelectorAll('[data-testid="answer"]').length === 1);
});

test("chat: the answer streams in (text grows between two looks) and ends with usage, cost, speed and the worker", async () => {
    const page = chatPage;
    await until(page, (sel) => Number(document.querySelector(`${sel} [data-testid="answer-text"]`)?.dataset.chars) > 0, lastAnswer);
    const first = await chars(page);
    await sleep(400);
    const second = await chars(page);
    assert.ok(await page.$(`${lastAnswer}[aria-busy="true"]`), "still answering at the second look");
    assert.ok(second > first, `the text grew while streaming (${first} → ${second} characters)`);

    await until(page, (sel) => document.querySelector(`${sel} [data-testid="cost"]`), lastAnswer, 40_000);
    const usage = await page.$eval(`${lastAnswer} [data-testid="usage"]`, (el) => ({...el.dataset, text: el.textContent}));
    const cost = await page.$eval(`${lastAnswer} [data-testid="cost"]`, (el) => ({...el.dataset, text: el.textContent}));
    assert.ok(Number(usage.completion) > 0 && Number(usage.prompt) > 0, JSON.stringify(usage));
    assert.match(usage.text, /prompt.*completion.*cached.*reasoning.*total/);
    // Cost = adjusted tokens × the network's price (coefficient 1.0): the proxy's books say the price.
    if (site.proxy) {
        const price = (await getJson(`${site.proxy.api}/stats`)).body.billing.price_per_token;
        assert.equal(Number(cost.charged), Number(usage.prompt) + Number(usage.completion));
        assert.equal(BigInt(cost.nano), BigInt(cost.charged) * BigInt(price));
    }
    assert.match(cost.text, /nanoTON \(0\.\d+ TON\)/);
    assert.match(await text(page, `${lastAnswer} [data-testid="speed"]`), /first token .*ms.*tokens\/s/);
    const worker = await text(page, `${lastAnswer} [data-testid="worker"]`);
    assert.match(worker, /worker-/);
    assert.match(await text(page, `${lastAnswer} [data-testid="answer-info"]`), /receipt verified/);
    assert.match(await text(page, `${lastAnswer} [data-testid="answer-info"]`), /e2e on/);
    assert.deepEqual(page.errors(), []);
});

test("chat: Stop ends the request mid-answer: the UI says stopped and the worker counts a cancelled request", async () => {
    const page = chatPage;
    const countCancels = !EXTERNAL; // every worker of the network is known only when the test started it
    const cancelledBefore = countCancels ? await cancelledAtWorkers() : 0;
    await setMaxTokens(page, 600); // 600 paced tokens: ~18 s, far more than it takes to stop
    await sendMessage(page, "Please go on and on");
    await until(page, (sel) => Number(document.querySelector(`${sel} [data-testid="answer-text"]`)?.dataset.chars) > 10, lastAnswer);
    await page.click('[data-testid="stop"]');
    await until(page, (sel) => document.querySelector(`${sel} [data-testid="stopped"]`), lastAnswer, 5000);
    assert.ok(await page.$('[data-testid="send"]'), "Send is back");
    const after = await chars(page);
    await sleep(800);
    assert.equal(await chars(page), after, "no text arrives after Stop");
    const request = site.chat.server?.requests.filter((r) => r.method === "POST" && r.path.startsWith("/v1/chat")).at(-1);
    if (request) assert.ok(request.aborted && !request.ended, "the page dropped the request before its end");
    if (countCancels) {
        const deadline = Date.now() + 10_000;
        while ((await cancelledAtWorkers()) <= cancelledBefore && Date.now() < deadline) await sleep(200);
        assert.ok((await cancelledAtWorkers()) > cancelledBefore, "a worker counted the request cancelled");
    }
    assert.deepEqual(page.errors(), []);
});

test("chat: the conversation survives a reload", async () => {
    const page = chatPage;
    const before = await page.$$eval('[data-testid="answer-text"]', (els) => els.map((e) => e.textContent));
    await page.reload({waitUntil: "domcontentloaded"});
    await until(page, (n) => document.querySelectorAll('[data-testid="answer"]').length === n, before.length);
    const afterReload = await page.$$eval('[data-testid="answer-text"]', (els) => els.map((e) => e.textContent));
    assert.deepEqual(afterReload, before);
    assert.ok(await page.$(`${lastAnswer} [data-testid="stopped"]`), "the stopped mark is kept");
    assert.ok(await page.$$eval('[data-testid="answer"]', (els) => !!els[0].querySelector('[data-testid="cost"]')), "the first answer keeps its cost");
    assert.equal(await page.$$eval("#drawer-chats .conv-list li", (l) => l.length), 1, "one conversation in the list");
    assert.deepEqual(page.errors(), []);
});

test("chat: Regenerate replaces the last answer with a new one", async () => {
    const page = chatPage;
    await setMaxTokens(page, 12);
    const n = await answers(page);
    await page.evaluate(() => [...document.querySelectorAll("button")].find((b) => b.textContent === "Regenerate").click());
    await until(page, (sel) => document.querySelector(`${sel} [data-testid="cost"]`) && !document.querySelector(`${sel} [data-testid="stopped"]`), lastAnswer, 30_000);
    assert.equal(await answers(page), n, "the stopped answer was replaced, not added to");
    assert.deepEqual(page.errors(), []);
});

test("chat: a 402 from the node says in words how much is missing (the node's answer, injected)", async () => {
    const page = await openPage(env, null, {width: 1024, height: 800, isolated: true});
    page.expectFailedLoad(402, "/v1/chat/completions");
    await page.setRequestInterception(true);
    page.on("request", (r) => {
        if (r.method() === "POST" && r.url().includes("/v1/chat/completions"))
            return r.respond({status: 402, contentType: "application/json", body: JSON.stringify({error: {
                message: "insufficient funds: request needs 70000 nanoTON, available 12000, missing 58000 nanoTON",
                type: "billing_error", code: "insufficient_funds", param: null}})});
        r.continue();
    });
    await page.goto(site.chat.page + "/app/", {waitUntil: "domcontentloaded"});
    await until(page, () => document.querySelector("#model-select option")?.value);
    await sendMessage(page, "Will this be paid?");
    await until(page, () => document.querySelector('[data-testid="answer"] .alert'));
    const alert = squash(await text(page, '[data-testid="answer"] .alert'));
    assert.match(alert, /Notenoughfunds:58000nanoTON\(0\.000058TON\)missing/);
    assert.deepEqual(page.errors(), []);
    await page.close();
});

// ----------------------------------------------------------------------------------- wallet

test("wallet: without the token nothing can move; a wrong token is refused in words", async () => {
    const page = chatPage;
    await page.click('button[aria-controls="drawer-wallet"]');
    await until(page, () => document.querySelector("#wallet-token"));
    assert.equal(await page.$('[data-testid="account"]'), null, "no balance without the token");
    assert.equal(await page.$(".wallet-actions"), null, "no top-up or withdraw without the token");
    page.expectFailedLoad(401, "/admin/billing");
    await page.type("#wallet-token", "not-the-token");
    await page.click('.token-form button[type="submit"]');
    await until(page, () => document.querySelector('.wallet [role="alert"]'));
    assert.match(await text(page, '.wallet [role="alert"]'), /admin token is needed/);
    await page.click(".token-set button"); // forget it
    assert.deepEqual(page.errors(), []);
});

test("wallet: top-up and withdraw move the balance; page, node and devnet agree; a bad amount moves nothing", {skip: EXTERNAL && !process.env.WEB_CLIENT_TOKEN && "no WEB_CLIENT_TOKEN"}, async () => {
    const page = chatPage;
    const token = site.chat.token;
    const billing = async () => (await getJson(`${site.chat.api}/admin/billing`, token)).body.accounts[0];
    const onChain = (address) => env.net.cluster.contract("client", address);
    await until(page, () => document.querySelector("#wallet-token"));
    await page.type("#wallet-token", token);
    await page.click('.token-form button[type="submit"]');
    await until(page, () => document.querySelector('[data-testid="balance"]'));
    const pageBalance = () => page.$eval('[data-testid="balance"]', (el) => el.dataset.nano);

    const start = await billing();
    assert.equal(await pageBalance(), start.balance_nano, "the page shows the node's balance");

    // A bad amount: the node's own words, and nothing sent.
    page.expectFailedLoad(400, "/admin/topup");
    await page.$eval("#wallet-amount", (el) => {
        el.value = "abc";
        el.dispatchEvent(new Event("input", {bubbles: true}));
    });
    await page.click(".wallet-actions button[type=submit]");
    await until(page, () => document.querySelector('[data-testid="wallet-message"].alert'));
    assert.match(await text(page, '[data-testid="wallet-message"]'), /not a decimal amount of TON/);
    assert.equal((await billing()).topups, start.topups, "no top-up was sent");

    const act = async (button, amount, expect) => {
        await page.$eval("#wallet-amount", (el, v) => {
            el.value = v;
            el.dispatchEvent(new Event("input", {bubbles: true}));
        }, amount);
        const before = BigInt((await billing()).balance_nano);
        await page.evaluate((b) => [...document.querySelectorAll(".wallet-actions button")].find((x) => x.textContent === b).click(), button);
        await until(page, (re) => new RegExp(re).test(document.querySelector('[data-testid="wallet-message"]')?.textContent ?? ""), expect, 30_000);
        const after = BigInt((await billing()).balance_nano);
        return after - before;
    };
    const up = await act("Top up", "0.5", "Topped up 0\\.5 TON");
    assert.ok(up <= 500_000_000n && up > 499_000_000n, `balance +0.5 TON (less any charge meanwhile): ${up}`);
    const down = await act("Withdraw", "0.2", "Withdrew 0\\.2 TON");
    assert.ok(down <= -200_000_000n && down > -201_000_000n, `balance −0.2 TON: ${down}`);

    if (env.net) {
        // The devnet holds what node and page say (once the node has read its contract again).
        const address = (await billing()).contract;
        let chain, node, shown;
        const deadline = Date.now() + 20_000;
        do {
            await page.keyboard.press("Escape"); // close and reopen: the panel reads the node again
            await page.click('button[aria-controls="drawer-wallet"]');
            await until(page, () => document.querySelector('[data-testid="balance"]'));
            chain = onChain(address).balance;
            node = (await billing()).balance_nano;
            shown = await pageBalance();
            if (chain === node && node === shown) break;
            await sleep(500);
        } while (Date.now() < deadline);
        assert.equal(node, chain, "node and devnet agree");
        assert.equal(shown, chain, "page and devnet agree");
    }
    await page.click('#drawer-wallet button[aria-label="Close wallet"]');
    await until(page, () => document.querySelector("#drawer-wallet").hidden);
    assert.deepEqual(page.errors(), []);
});

// -------------------------------------------------------------------------------- dashboards

test("dashboard (proxy): lists the workers with their ids and attestation, the books, and updates live", {skip: needs("proxy")}, async () => {
    const page = await openPage(env, site.proxy.page + "/dashboard", {width: 1440, height: 900});
    const stats = (await getJson(`${site.proxy.api}/stats`)).body;
    const ids = stats.workers.map((w) => w.id).sort();
    assert.ok(ids.length >= 1, "the proxy has workers");
    await until(page, (n) => document.querySelectorAll('[data-testid="worker-id"]').length === n, ids.length);
    const shown = (await page.$$eval('[data-testid="worker-id"]', (els) => els.map((e) => e.textContent))).sort();
    assert.deepEqual(shown, ids);
    const table = await text(page, '[data-testid="workers-table"]');
    assert.match(table, /attested/);
    assert.match(await text(page, '[data-testid="node-role"]'), /proxy/);
    if (stats.billing?.enabled) assert.match(await text(page, sec("books")), /holds/, "the books' invariant check is shown");

    // Live: the request counter follows a request made meanwhile, without a reload.
    await until(page, () => document.querySelector('[data-testid="feed-mode"]')?.textContent.match(/live|every 2 s/));
    const requests = async () => Number((await text(page, '.stat[data-label="Requests"] .stat-value')).replace(/\D/g, ""));
    const before = await requests();
    const r = await chat(site.chat.api, "Count me");
    assert.equal(r.status, 200);
    const deadline = Date.now() + 8000;
    while ((await requests()) <= before && Date.now() < deadline) await sleep(200);
    assert.ok((await requests()) > before, "the Requests card went up");
    if (env.allowed404.has("/stats/history")) {
        assert.ok(await page.$('[data-testid="charts-missing"]'), "no history: a note instead of charts");
    } else {
        // The node keeps the last hour at 10 s resolution: the request shows in the chart within a
        // few intervals (the page reads the history again every 10 updates).
        const peak = async () => parseFloat((await text(page, '[data-testid="chart"] .ymax')).replace(/\s/g, "")) || 0;
        const deadline = Date.now() + 40_000;
        while ((await peak()) <= 0 && Date.now() < deadline) await sleep(500);
        assert.ok((await peak()) > 0, "the requests chart shows the recent requests");
    }
    await screenshot(env, page, "dashboard-proxy-1440", {fullPage: true});
    await page.setViewport({width: 390, height: 844});
    await sleep(300);
    await screenshot(env, page, "dashboard-proxy-390");
    assert.deepEqual(page.errors(), []);
    await page.close();
});

test("dashboard (worker): read-only without the token; with it Disable sends the next requests elsewhere, Enable brings it back", {skip: needs("worker")}, async () => {
    // The worker that answers now is the one to disable: the next answers must come from elsewhere.
    const served = (await chat(site.chat.api, "Who answers now?")).worker;
    const target = site.workers.find((w) => w.id === served) ?? site.worker;
    const page = await openPage(env, target.page + "/dashboard", {width: 1440, height: 900});
    await until(page, () => document.querySelector('[data-testid="node-role"]'));
    assert.match(await text(page, '[data-testid="node-role"]'), new RegExp(`worker.*${target.id}`));
    assert.equal(await page.$('[data-testid="worker-actions"]'), null, "no actions without the token");
    assert.match(await text(page, sec("engine")), /healthy/);
    if (!target.token) {
        assert.deepEqual(page.errors(), []);
        return;
    }
    const click = (label) => page.evaluate((l) => [...document.querySelectorAll('[data-testid="worker-actions"] button')].find((b) => b.textContent === l).click(), label);
    await page.type("#dash-token", target.token);
    await page.click('.token-form button[type="submit"]');
    await until(page, () => document.querySelector('[data-testid="worker-actions"]'));
    const modelWorkers = async () => (await getJson(`${site.chat.api}/v1/models`)).body.data.find((m) => m.id === MODEL)?.workers ?? 0;
    const before = await modelWorkers();
    await click("Disable");
    await until(page, () => /Disabled/.test(document.querySelector('[data-testid="action-message"]')?.textContent ?? ""));
    assert.equal((await getJson(`${target.api}/stats`)).body.enabled, false, "the worker says it is disabled");
    let deadline = Date.now() + 20_000;
    while ((await modelWorkers()) >= before && Date.now() < deadline) await sleep(150);
    for (let i = 0; i < 3; i++) {
        const r = await chat(site.chat.api, `Who answers ${i}?`);
        if (before > 1) {
            assert.equal(r.status, 200);
            assert.notEqual(r.worker, target.id, "another worker answers");
        } else {
            assert.ok(r.status >= 429, `no worker left: an error (${r.status})`);
            assert.ok(r.body?.error?.message, "with a message");
        }
    }
    await until(page, () => [...document.querySelectorAll('[data-testid="worker-actions"] button')].some((b) => b.textContent === "Enable"));
    assert.match(await text(page, sec("worker")), /disabled/);
    await screenshot(env, page, "dashboard-worker-1440", {fullPage: true});
    await click("Enable");
    await until(page, () => /Enabled/.test(document.querySelector('[data-testid="action-message"]')?.textContent ?? ""));
    assert.equal((await getJson(`${target.api}/stats`)).body.enabled, true);
    deadline = Date.now() + 20_000;
    while ((await modelWorkers()) < before && Date.now() < deadline) await sleep(150);
    assert.equal(await modelWorkers(), before, "the worker is routable again");
    assert.deepEqual(page.errors(), []);
    await page.close();
});

test("dashboard (client): proxies, models and spending", async () => {
    const page = await openPage(env, site.chat.page + "/dashboard", {width: 1280, height: 900});
    await until(page, () => document.querySelector('section[aria-labelledby="s-proxies"] table'));
    assert.match(await text(page, '[data-testid="node-role"]'), /client/);
    const stats = (await getJson(`${site.chat.api}/stats`)).body;
    for (const p of stats.proxies) assert.ok((await text(page, sec("proxies"))).includes(p.proxy_id || p.target));
    await until(page, (m) => document.querySelector('section[aria-labelledby="s-models"]')?.textContent.includes(m), MODEL);
    if (stats.billing?.enabled) assert.match(await text(page, sec("spending")), /TON/);
    await screenshot(env, page, "dashboard-client-1280", {fullPage: true});
    assert.deepEqual(page.errors(), []);
    await page.close();
});

test("dashboard charts: drawn from /stats/history (a history document, injected), one per series", {skip: needs("proxy")}, async () => {
    const page = await openPage(env, null, {width: 1280, height: 900});
    const t0 = Math.floor(Date.now() / 1000 / 10) * 10 - 3590;
    const t = Array.from({length: 360}, (_, i) => t0 + i * 10);
    const wave = (k) => t.map((_, i) => Math.round(k * (1 + Math.sin(i / 20))));
    // The shape src/http/stats_history.cpp writes.
    const history = {resolution_s: 10, window_s: 3600, t, series: {requests: wave(5), errors: wave(0.2), latency_p50_ms: wave(300),
        latency_p99_ms: wave(900), ttft_p50_ms: wave(40), tokens: wave(200), billed_nanoton: wave(50)}};
    await page.setRequestInterception(true);
    page.on("request", (r) => {
        if (r.url().endsWith("/stats/history")) return r.respond({status: 200, contentType: "application/json", body: JSON.stringify(history)});
        r.continue();
    });
    await page.goto(site.proxy.page + "/dashboard", {waitUntil: "domcontentloaded"});
    await until(page, () => document.querySelectorAll('[data-testid="chart"]').length === 4);
    const paths = await page.$$eval('[data-testid="chart"] path.series', (ps) => ps.map((p) => p.getAttribute("d").length));
    assert.equal(paths.length, 7, "requests+errors, p50+p99+first token, tokens, billed");
    assert.ok(paths.every((n) => n > 100), "every series is drawn");
    assert.equal(await page.$('[data-testid="charts-missing"]'), null);
    await screenshot(env, page, "dashboard-charts-1280");
    assert.deepEqual(page.errors(), []);
    await page.close();
});

// ---------------------------------------------------------------------- phone width, Telegram

test("phone width (360 px): nothing overflows sideways in chat, wallet and dashboards; screenshots", async () => {
    const page = await openPage(env, site.chat.page + "/", {width: 360, height: 740});
    await until(page, () => document.querySelector('[data-testid="answer"] [data-testid="cost"]'));
    let o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.innerWidth, `chat: ${JSON.stringify(o)}`);
    await screenshot(env, page, "chat-360");
    await page.click('button[aria-controls="drawer-wallet"]');
    if (site.chat.token) {
        await page.type("#wallet-token", site.chat.token);
        await page.click('.token-form button[type="submit"]');
        await until(page, () => document.querySelector('[data-testid="balance"]'));
    }
    await sleep(300);
    o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.innerWidth, `wallet: ${JSON.stringify(o)}`);
    await screenshot(env, page, "wallet-360");
    await page.keyboard.press("Escape");
    await until(page, () => document.querySelector("#drawer-wallet").hidden);
    await page.setViewport({width: 390, height: 844});
    await sleep(200);
    await screenshot(env, page, "chat-390");
    for (const [name, s] of [["proxy", site.proxy], ["worker", site.worker], ["client", site.chat]]) {
        if (!s?.page) continue;
        await page.setViewport({width: 360, height: 740});
        await page.goto(s.page + "/dashboard", {waitUntil: "domcontentloaded"});
        await until(page, () => document.querySelector('[data-testid="overview"]'));
        await sleep(500);
        o = await horizontalOverflow(page);
        assert.ok(o.scrollWidth <= o.innerWidth, `${name} dashboard: ${JSON.stringify(o)}`);
        if (name === "worker") await screenshot(env, page, "dashboard-worker-360", {fullPage: true});
    }
    assert.deepEqual(page.errors(), []);
    await page.close();
    await chatPage.setViewport({width: 1440, height: 900});
    await screenshot(env, chatPage, "chat-1440");
});

test("outside Telegram no SDK is loaded; inside (a simulated Telegram client) theme, back button and haptics work", async () => {
    const plain = await openPage(env, site.chat.page + "/", {width: 800, height: 700});
    await until(plain, () => document.querySelector("#model-select option")?.value);
    const scripts = await plain.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.endsWith(".js")));
    assert.equal(scripts.filter((n) => /telegram-sdk|tonconnect/.test(n)).length, 0, `scripts: ${scripts}`);
    assert.equal(await plain.evaluate(() => document.documentElement.classList.contains("tg")), false);
    await plain.close();

    const page = await openPage(env, null, {width: 390, height: 844, isolated: true});
    // What a Telegram client provides: window.TelegramWebviewProxy.postEvent (the page's calls)
    // and Telegram.WebView.receiveEvent (its answers, defined by the SDK).
    await page.evaluateOnNewDocument(() => {
        window.__tg = [];
        window.TelegramWebviewProxy = {
            postEvent(type, data) {
                window.__tg.push([type, data ? JSON.parse(data) : null]);
                const answer = (t, d) => setTimeout(() => window.Telegram?.WebView?.receiveEvent(t, d), 0);
                if (type === "web_app_request_viewport") answer("viewport_changed", {height: 800, width: 390, is_expanded: true, is_state_stable: true});
                if (type === "web_app_request_theme") answer("theme_changed", {theme_params: {bg_color: "#17212b", text_color: "#f5f5f5"}});
            },
        };
    });
    const theme = {bg_color: "#17212b", secondary_bg_color: "#232e3c", text_color: "#f5f5f5", hint_color: "#708499", link_color: "#6ab3f3", button_color: "#5288c1", button_text_color: "#ffffff"};
    const hash = new URLSearchParams({tgWebAppVersion: "8.0", tgWebAppPlatform: "android", tgWebAppThemeParams: JSON.stringify(theme)});
    await page.goto(`${site.chat.page}/#${hash}`, {waitUntil: "domcontentloaded"});
    await until(page, () => document.documentElement.classList.contains("tg"));
    const calls = () => page.evaluate(() => window.__tg.map(([t, d]) => `${t}${d ? " " + JSON.stringify(d) : ""}`));
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(23, 33, 43)", "Telegram's bg_color");
    assert.ok((await calls()).includes("web_app_ready"), `calls: ${await calls()}`);
    await page.click('button[aria-controls="drawer-wallet"]');
    await until(page, () => window.__tg.some(([t, d]) => t === "web_app_setup_back_button" && d?.is_visible === true));
    await page.evaluate(() => window.Telegram.WebView.receiveEvent("back_button_pressed"));
    await until(page, () => document.querySelector("#drawer-wallet").hidden);
    await until(page, () => document.querySelector("#model-select option")?.value);
    await sendMessage(page, "Hello from Telegram");
    await until(page, () => window.__tg.some(([t]) => t === "web_app_trigger_haptic_feedback"));
    await until(page, (sel) => document.querySelector(`${sel} [data-testid="cost"]`), lastAnswer, 30_000);
    await screenshot(env, page, "chat-telegram-390");
    assert.deepEqual(page.errors(), []);
    await page.close();
});

test("no console errors on the chat page over the whole run", () => {
    assert.deepEqual(chatPage.errors(), []);
});
