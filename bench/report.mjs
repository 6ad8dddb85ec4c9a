#!/usr/bin/env node
// Turns the raw figures bench/run.sh collected in its work directory into a table and one JSON
// object (printed last), and writes both to the results file.
//   node bench/report.mjs WORK_DIR [RESULTS_FILE]
import fs from "node:fs";
import path from "node:path";

const [work, resultsFile] = process.argv.slice(2);
if (!work) {
    process.stderr.write("usage: report.mjs WORK_DIR [RESULTS_FILE]\n");
    process.exit(2);
}
const read = (name) => JSON.parse(fs.readFileSync(path.join(work, name), "utf8"));
const exists = (name) => fs.existsSync(path.join(work, name));
const round = (x, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
const ratio = (a, b) => (a === null || b === null || b === 0 ? null : round(a / b, 3));

const meta = read("meta.json");
const errors = [];

// CPU seconds each process spent during one wrk run, per request.
function cpuPerRequest(label, requests) {
    const before = read(`cpu-${label}.before.json`), after = read(`cpu-${label}.after.json`);
    const out = {};
    let total = 0;
    for (const name of Object.keys(after).sort()) {
        const ms = ((after[name] - (before[name] ?? 0)) / meta.clk_tck) * 1000;
        if (ms <= 0) continue;
        out[name] = round(ms / Math.max(requests, 1), 4);
        total += ms;
    }
    out.total = round(total / Math.max(requests, 1), 4);
    return out;
}

function wrkFigures(label) {
    const w = read(`wrk-${label}.json`);
    const e = w.errors;
    const errorCount = e.connect + e.read + e.write + e.status + e.timeout;
    if (errorCount > 0) errors.push(`${label}: wrk errors ${JSON.stringify(e)}`);
    if (w.requests === 0) errors.push(`${label}: no request completed`);
    return {
        requests: w.requests, rps: round(w.rps, 1),
        p50_ms: round(w.latency_ms.p50), p99_ms: round(w.latency_ms.p99), mean_ms: round(w.latency_ms.mean),
        errors: errorCount, cpu_ms_per_request: cpuPerRequest(label, w.requests),
    };
}

// CPU ms per request of the relays alone: every process but the mock for the network (its nodes),
// the three nginx for the nginx chain.
const relayCpu = (cpu, only) => round(Object.entries(cpu)
    .filter(([k]) => k !== "total" && k !== "mock" && (!only || k.startsWith(only))).reduce((a, [, v]) => a + v, 0), 4);

const mock = {};
for (const c of meta.params.concurrency) {
    if (!exists(`wrk-direct-c${c}.json`) || !exists(`wrk-network-c${c}.json`)) continue;
    const direct = wrkFigures(`direct-c${c}`), network = wrkFigures(`network-c${c}`);
    const m = mock[`c${c}`] = {
        direct, network,
        ratio: {rps: ratio(network.rps, direct.rps), p50: ratio(network.p50_ms, direct.p50_ms), p99: ratio(network.p99_ms, direct.p99_ms)},
        added_p50_ms: round(network.p50_ms - direct.p50_ms),
    };
    // The reference: the same load through a chain of three nginx (mutual TLS 1.3 between them).
    if (exists(`wrk-nginx-c${c}.json`)) {
        const nginx = m.nginx = wrkFigures(`nginx-c${c}`);
        m.relay_cpu_ms_per_request = {network: relayCpu(network.cpu_ms_per_request), nginx: relayCpu(nginx.cpu_ms_per_request, "nginx-")};
        m.ratio_nginx = {rps: ratio(network.rps, nginx.rps), p50: ratio(network.p50_ms, nginx.p50_ms), p99: ratio(network.p99_ms, nginx.p99_ms),
            cpu: ratio(network.cpu_ms_per_request.total, nginx.cpu_ms_per_request.total),
            relay_cpu: ratio(m.relay_cpu_ms_per_request.network, m.relay_cpu_ms_per_request.nginx)};
        m.added_p50_ms_nginx = round(nginx.p50_ms - direct.p50_ms);
        m.ratio_nginx.added_p50 = m.added_p50_ms_nginx > 0 ? ratio(m.added_p50_ms, m.added_p50_ms_nginx) : null;
    }
}

// End-to-end encryption: the same network runs through a client with `e2e = "off"`.
const e2e = {};
for (const c of meta.params.concurrency) {
    if (!exists(`wrk-plain-c${c}.json`) || !mock[`c${c}`]) continue;
    const sealed = mock[`c${c}`].network, plain = wrkFigures(`plain-c${c}`);
    e2e[`c${c}`] = {
        sealed, plain,
        ratio: {rps: ratio(sealed.rps, plain.rps), p50: ratio(sealed.p50_ms, plain.p50_ms), p99: ratio(sealed.p99_ms, plain.p99_ms),
            cpu: ratio(sealed.cpu_ms_per_request.total, plain.cpu_ms_per_request.total)},
        added_p50_ms: round(sealed.p50_ms - plain.p50_ms),
    };
}

// The dependability mechanisms (first-token retry, hedging, spot checks, affinity, trial share):
// the default proxy against one with all of them off, same workers, same client settings.
const mechanisms = {};
for (const c of meta.params.concurrency) {
    if (!exists(`wrk-bare-c${c}.json`) || !mock[`c${c}`]) continue;
    const on = mock[`c${c}`].network, off = wrkFigures(`bare-c${c}`);
    mechanisms[`c${c}`] = {
        on, off,
        ratio: {rps: ratio(on.rps, off.rps), p50: ratio(on.p50_ms, off.p50_ms), p99: ratio(on.p99_ms, off.p99_ms),
            cpu: ratio(on.cpu_ms_per_request.total, off.cpu_ms_per_request.total)},
    };
}
// What they did: counters from the default proxy's /stats over the whole run.
if (exists("stats-proxy.json")) {
    const counters = read("stats-proxy.json").metrics?.counters ?? {};
    const sum = (name) => Object.values(counters[name] ?? {}).reduce((a, b) => a + b, 0);
    const served = counters.requests?.["outcome=ok"] ?? 0;
    mechanisms.activity = {
        requests: served, spot_check_runs: sum("spot_check_runs"),
        hedges_launched: counters.hedges?.["outcome=launched"] ?? 0, first_token_timeouts: sum("first_token_timeouts"),
        spot_runs_per_100: served ? round((100 * sum("spot_check_runs")) / served, 2) : null,
    };
}

function probeTarget(t, name) {
    if (!t) {
        errors.push(`${name}: no figures`);
        return null;
    }
    if (t.failed > 0) errors.push(`${name}: ${t.failed} failed requests (${t.failures.join("; ")})`);
    return t;
}

const ttfcRaw = read("ttfc.json");
const td = probeTarget(ttfcRaw.targets.direct, "ttfc direct"), tn = probeTarget(ttfcRaw.targets.network, "ttfc network");
const ttfcOf = (t) => ({p50_ms: t.ttfc_ms.p50, p99_ms: t.ttfc_ms.p99, mean_ms: t.ttfc_ms.mean, total_p50_ms: t.total_ms.p50, requests: t.ok});
const ttfc = {
    direct: ttfcOf(td), network: ttfcOf(tn),
    ratio: {p50: ratio(tn.ttfc_ms.p50, td.ttfc_ms.p50), p99: ratio(tn.ttfc_ms.p99, td.ttfc_ms.p99), mean: ratio(tn.ttfc_ms.mean, td.ttfc_ms.mean)},
    added_p50_ms: round(tn.ttfc_ms.p50 - td.ttfc_ms.p50),
};
if (ttfcRaw.targets.nginx) {
    const tx = probeTarget(ttfcRaw.targets.nginx, "ttfc nginx");
    ttfc.nginx = ttfcOf(tx);
    ttfc.ratio_nginx = {p50: ratio(tn.ttfc_ms.p50, tx.ttfc_ms.p50), p99: ratio(tn.ttfc_ms.p99, tx.ttfc_ms.p99), mean: ratio(tn.ttfc_ms.mean, tx.ttfc_ms.mean)};
    ttfc.added_p50_ms_nginx = round(tx.ttfc_ms.p50 - td.ttfc_ms.p50);
    ttfc.ratio_nginx.added_p50 = ttfc.added_p50_ms_nginx > 0 ? ratio(ttfc.added_p50_ms, ttfc.added_p50_ms_nginx) : null;
}
if (ttfcRaw.targets.plain) {
    const tp = probeTarget(ttfcRaw.targets.plain, "ttfc plain");
    e2e.ttfc = {sealed: ttfc.network, plain: ttfcOf(tp), ratio: {p50: ratio(tn.ttfc_ms.p50, tp.ttfc_ms.p50),
        p99: ratio(tn.ttfc_ms.p99, tp.ttfc_ms.p99)}, added_p50_ms: round(tn.ttfc_ms.p50 - tp.ttfc_ms.p50)};
}

const tokRaw = read("tokens.json");
const ed = probeTarget(tokRaw.targets.direct, "embedded direct"), en = probeTarget(tokRaw.targets.network, "embedded network");
const embOf = (t) => ({
    tokens_per_s: t.tokens_per_s, decode_tokens_per_s: t.decode_tokens_per_s, ttft_p50_ms: t.ttft_ms?.p50 ?? null,
    total_p50_ms: t.total_ms?.p50 ?? null, completion_tokens: t.completion_tokens, requests: t.ok,
});
const embedded = {
    model: "chrysalis model make-test (defaults)",
    direct: embOf(ed), network: embOf(en),
    ratio: {tokens_per_s: ratio(en.tokens_per_s, ed.tokens_per_s), decode_tokens_per_s: ratio(en.decode_tokens_per_s, ed.decode_tokens_per_s),
        ttft_p50: ratio(en.ttft_ms?.p50 ?? null, ed.ttft_ms?.p50 ?? null)},
    identical_output: tokRaw.identical_output,
};
if (tokRaw.identical_output === false) errors.push("embedded: output through the network differs from the engine's at temperature 0");
for (const [name, t] of [["embedded direct", ed], ["embedded network", en]]) {
    const want = meta.params.token_requests * meta.params.max_tokens;
    if (t.completion_tokens > want) errors.push(`${name}: ${t.completion_tokens} completion tokens, more than max_tokens allows (${want})`);
}

// Billing on/off (bench/billing/overhead.mjs, run by run.sh unless BENCH_BILLING=0).
let billing = null;
if (fs.existsSync(path.join(work, "billing.json"))) {
    billing = read("billing.json");
    if (!billing.ok) errors.push("billing: the books do not balance after the billing run");
    for (const k of ["off", "on", "on_chain"]) if (billing[k].errors) errors.push(`billing ${k}: ${billing[k].errors} failed requests`);
}

const result = {
    benchmark: "chrysalis-network-overhead",
    date: meta.date, commit: meta.commit, commit_date: meta.commit_date, binary_built: meta.binary_built,
    machine: {cores: meta.cores, cpu: meta.cpu, os: meta.os, kernel: meta.kernel, node: meta.node, wrk: meta.wrk,
        loadavg_start: meta.loadavg_start, loadavg_end: meta.loadavg_end},
    params: meta.params, elapsed_s: meta.elapsed_s,
    mock, ttfc, embedded, e2e, mechanisms, billing,
    ok: errors.length === 0, errors,
};

// ---- table --------------------------------------------------------------------------------------
const f = (x, d = 2) => (x === null || x === undefined ? "-" : Number(x).toFixed(d));
// x, rx: the nginx chain's figure and network/nginx, two more columns where given.
const row = (label, a, b, r, d = 2, x, rx) => `  ${label.padEnd(30)}${f(a, d).padStart(12)}${f(b, d).padStart(12)}${f(r, 3).padStart(16)}` +
    (x === undefined ? "" : `${f(x, d).padStart(12)}${f(rx, 3).padStart(16)}`);
const lines = [];
const p = meta.params;
lines.push(`Chrysalis network overhead: direct = engine alone, network = client -> proxy -> worker -> engine`);
const withNginx = Object.values(mock).some((m) => m.nginx);
if (withNginx) lines.push(`reference: nginx = nginx -> nginx -> nginx -> engine (plain HTTP in, mutual TLS 1.3 between hops, keep-alive, no buffering)`);
lines.push(`mock engine: ${p.chunks} chunks x ${p.bytes} B per answer, ${p.burst ? "whole answer in one write" : "one write per chunk"}` +
    `${p.delay_ms ? `, ${p.delay_ms} ms apart` : ""}; wrk -t1, ${p.duration_s} s per run; latency = whole stream`);
lines.push("");
lines.push(`  ${"".padEnd(30)}${"direct".padStart(12)}${"network".padStart(12)}${"network/direct".padStart(16)}` +
    (withNginx ? `${"nginx".padStart(12)}${"network/nginx".padStart(16)}` : ""));
for (const [key, m] of Object.entries(mock)) {
    const x = m.nginx, rx = m.ratio_nginx;  // undefined without the nginx runs: no columns
    lines.push(`concurrency ${key.slice(1)}`);
    lines.push(row("requests/s", m.direct.rps, m.network.rps, m.ratio.rps, 1, x?.rps, rx?.rps));
    lines.push(row("latency p50 (ms)", m.direct.p50_ms, m.network.p50_ms, m.ratio.p50, 2, x?.p50_ms, rx?.p50));
    lines.push(row("latency p99 (ms)", m.direct.p99_ms, m.network.p99_ms, m.ratio.p99, 2, x?.p99_ms, rx?.p99));
    lines.push(row("CPU ms per request, all procs", m.direct.cpu_ms_per_request.total, m.network.cpu_ms_per_request.total,
        ratio(m.network.cpu_ms_per_request.total, m.direct.cpu_ms_per_request.total), 2, x?.cpu_ms_per_request.total, rx?.cpu));
    if (!x) continue;
    lines.push(row("CPU ms per request, relays", null, m.relay_cpu_ms_per_request.network, null, 2,
        m.relay_cpu_ms_per_request.nginx, rx.relay_cpu));
    if (key === "c1") lines.push(row("added latency p50 (ms)", null, m.added_p50_ms, null, 2, m.added_p50_ms_nginx, rx.added_p50));
}
lines.push(`time to first chunk (${ttfc.direct.requests} sequential streaming requests per path, keep-alive)`);
const tx = ttfc.nginx, trx = ttfc.ratio_nginx;
lines.push(row("TTFC p50 (ms)", ttfc.direct.p50_ms, ttfc.network.p50_ms, ttfc.ratio.p50, 3, tx?.p50_ms, trx?.p50));
lines.push(row("TTFC p99 (ms)", ttfc.direct.p99_ms, ttfc.network.p99_ms, ttfc.ratio.p99, 3, tx?.p99_ms, trx?.p99));
lines.push(row("whole answer p50 (ms)", ttfc.direct.total_p50_ms, ttfc.network.total_p50_ms, ratio(ttfc.network.total_p50_ms, ttfc.direct.total_p50_ms), 3,
    tx?.total_p50_ms, tx && ratio(ttfc.network.total_p50_ms, tx.total_p50_ms)));
if (tx) lines.push(row("TTFC added p50 (ms)", null, ttfc.added_p50_ms, null, 3, ttfc.added_p50_ms_nginx, trx.added_p50));
lines.push(`embedded engine (test model; ${embedded.direct.requests} sequential requests per path, max_tokens ${p.max_tokens}, temperature 0)`);
lines.push(row("completion tokens/s", embedded.direct.tokens_per_s, embedded.network.tokens_per_s, embedded.ratio.tokens_per_s, 1));
lines.push(row("decode tokens/s (after 1st)", embedded.direct.decode_tokens_per_s, embedded.network.decode_tokens_per_s, embedded.ratio.decode_tokens_per_s, 1));
lines.push(row("time to first token p50 (ms)", embedded.direct.ttft_p50_ms, embedded.network.ttft_p50_ms, embedded.ratio.ttft_p50, 3));
lines.push(`  identical output direct vs network: ${embedded.identical_output}`);
if (Object.keys(e2e).length) {
    lines.push(`end-to-end encryption (mock engine): sealed = the default client, plain = a client with e2e = "off"`);
    lines.push(`  ${"".padEnd(30)}${"plain".padStart(12)}${"sealed".padStart(12)}${"sealed/plain".padStart(16)}`);
    for (const [key, m] of Object.entries(e2e)) {
        if (key === "ttfc") continue;
        lines.push(row(`c${key.slice(1)} requests/s`, m.plain.rps, m.sealed.rps, m.ratio.rps, 1));
        lines.push(row(`c${key.slice(1)} latency p50 (ms)`, m.plain.p50_ms, m.sealed.p50_ms, m.ratio.p50));
        lines.push(row(`c${key.slice(1)} latency p99 (ms)`, m.plain.p99_ms, m.sealed.p99_ms, m.ratio.p99));
        lines.push(row(`c${key.slice(1)} CPU ms per request`, m.plain.cpu_ms_per_request.total, m.sealed.cpu_ms_per_request.total, m.ratio.cpu));
    }
    if (e2e.ttfc) lines.push(row("TTFC p50 (ms)", e2e.ttfc.plain.p50_ms, e2e.ttfc.sealed.p50_ms, e2e.ttfc.ratio.p50, 3));
}
if (billing) {
    lines.push(`billing (devnet; ${billing.concurrency} concurrent non-streaming requests, mock engine, ${billing.rounds} rounds of ${billing.round_s} s): ` +
        `on = reserve, settle (group commit), signed rows; commits held back`);
    lines.push(`  ${"".padEnd(30)}${"off".padStart(12)}${"on".padStart(12)}${"on/off".padStart(16)}`);
    lines.push(row("requests/s", billing.off.rps, billing.on.rps, billing.ratio, 1));
    lines.push(row("latency p50 (ms)", billing.off.p50_ms, billing.on.p50_ms, billing.on.p50_ms / billing.off.p50_ms));
    lines.push(row("latency p99 (ms)", billing.off.p99_ms, billing.on.p99_ms, billing.on.p99_ms / billing.off.p99_ms));
    lines.push(`  with a commit every second (the devnet busy on the same cores): ${f(billing.on_chain.rps, 1)} requests/s, ${f(billing.ratio_chain, 3)} of off`);
    const w = billing.writer;
    if (w) lines.push(`  books' writer: ${w.writes} writes in ${w.transactions} transactions, ${w.fsyncs} fsyncs, largest group ${w.largest_group}`);
}
if (Object.keys(mechanisms).length) {
    lines.push(`dependability mechanisms (mock engine, 2 workers): on = the proxy's defaults, off = all of them off`);
    lines.push(`  ${"".padEnd(30)}${"off".padStart(12)}${"on".padStart(12)}${"on/off".padStart(16)}`);
    for (const [key, m] of Object.entries(mechanisms)) {
        if (key === "activity") continue;
        lines.push(row(`c${key.slice(1)} requests/s`, m.off.rps, m.on.rps, m.ratio.rps, 1));
        lines.push(row(`c${key.slice(1)} latency p50 (ms)`, m.off.p50_ms, m.on.p50_ms, m.ratio.p50));
        lines.push(row(`c${key.slice(1)} latency p99 (ms)`, m.off.p99_ms, m.on.p99_ms, m.ratio.p99));
        lines.push(row(`c${key.slice(1)} CPU ms per request`, m.off.cpu_ms_per_request.total, m.on.cpu_ms_per_request.total, m.ratio.cpu));
    }
    const a = mechanisms.activity;
    if (a)
        lines.push(`  on: ${a.requests} requests answered, ${a.spot_check_runs} spot-check reruns (${f(a.spot_runs_per_100)} per 100), ` +
            `${a.hedges_launched} hedges, ${a.first_token_timeouts} first-token retries`);
}
const cpuKey = Object.keys(mock).at(-1);
if (cpuKey) {
    const c = mock[cpuKey].network.cpu_ms_per_request;
    const parts = Object.entries(c).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${f(v, 3)}`);
    lines.push(`CPU ms per request through the network at concurrency ${cpuKey.slice(1)}: ${parts.join(", ")} (wrk not counted)`);
    const x = mock[cpuKey].nginx?.cpu_ms_per_request;
    if (x) {
        const xparts = Object.entries(x).filter(([k]) => k === "mock" || k.startsWith("nginx-")).map(([k, v]) => `${k} ${f(v, 3)}`);
        lines.push(`CPU ms per request through the nginx chain at concurrency ${cpuKey.slice(1)}: ${xparts.join(", ")} (wrk not counted)`);
    }
}
lines.push(`machine: ${meta.cores} cores, ${meta.cpu}; load average ${meta.loadavg_start} at start, ${meta.loadavg_end} at end`);
if (errors.length) lines.push(`ERRORS: ${errors.join(" | ")}`);
const table = lines.join("\n");
const json = JSON.stringify(result);

if (resultsFile) {
    const md = [
        "# Network overhead: client -> proxy -> worker -> engine vs the engine alone",
        "",
        `- date: ${meta.date}; HEAD ${meta.commit} (committed ${meta.commit_date}); build/chrysalis built ${meta.binary_built}`,
        `- machine: ${meta.cores} cores (${meta.cpu}), ${meta.os}, kernel ${meta.kernel}, Node ${meta.node}, wrk ${meta.wrk}`,
        `- load average: ${meta.loadavg_start} at start, ${meta.loadavg_end} at end (other work on the machine skews the figures)`,
        "- command: `make bench` (runs `bash bench/run.sh`); see bench/README.md for what each figure means",
        `- run time: ${meta.elapsed_s} s`,
        "",
        "```",
        table,
        "```",
        "",
        "Machine-readable (the last line `make bench` prints):",
        "",
        "```json",
        json,
        "```",
        "",
    ].join("\n");
    fs.mkdirSync(path.dirname(resultsFile), {recursive: true});
    fs.writeFileSync(resultsFile, md);
}
process.stdout.write(table + "\n" + (resultsFile ? `(written to ${resultsFile})\n` : "") + json + "\n");
process.exit(errors.length ? 1 : 0);
