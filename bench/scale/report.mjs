#!/usr/bin/env node
// Turns what bench/scale/run.sh collected in its work directory into a table and one JSON object
// (printed last), and writes both to the results file. A run cut short (the proxy stalled or
// dropped its peers) still reports what was measured. Exits 1 when the run went wrong (cut short,
// workers not connected, connections lost, failed answers); missed goals are reported, not fatal.
//   node bench/scale/report.mjs WORK_DIR [RESULTS_FILE]
import fs from "node:fs";
import path from "node:path";

const [work, resultsFile] = process.argv.slice(2);
if (!work) {
    process.stderr.write("usage: report.mjs WORK_DIR [RESULTS_FILE]\n");
    process.exit(2);
}
const file = (name) => path.join(work, name);
const exists = (name) => fs.existsSync(file(name));
const text = (name) => (exists(name) ? fs.readFileSync(file(name), "utf8").trim() : "");
const read = (name) => (exists(name) ? JSON.parse(text(name) || "{}") : {});
const round = (x, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
const mib = (kb) => (kb ? round(kb / 1024, 1) : null);

const meta = read("meta.json");
const events = {};
for (const line of text("load.jsonl").split("\n")) {
    if (!line.startsWith("{")) continue;
    const e = JSON.parse(line);
    events[e.event] = e;
}
const {workers_connected: connected, settled, steady_start: start, steady_end: end} = events;
const statsConnected = read("stats-connected.json"), statsStart = read("stats-start.json"), statsEnd = read("stats-end.json");
const statsFinal = read("stats-final.json");  // only after a run cut short, once the load was stopped
const progress = text("load.jsonl").split("\n").filter((l) => l.includes('"event":"progress"')).map((l) => JSON.parse(l));
const aborted = text("aborted.txt");
const workers = meta.params.workers;

// Selection time between two /stats snapshots: the histogram's buckets, subtracted.
function selectionBetween(a, b) {
    const before = a.routing?.selection?.buckets ?? {}, after = b.routing?.selection?.buckets ?? {};
    const diff = Object.entries(after)
        .map(([bound, n]) => [Number(bound), n - (before[bound] ?? 0)])
        .filter(([, n]) => n > 0)
        .sort((x, y) => x[0] - y[0]);
    const count = diff.reduce((s, [, n]) => s + n, 0);
    const pct = (p) => {
        if (!count) return null;
        const rank = Math.max(1, Math.ceil((p / 100) * count));
        let seen = 0;
        for (const [bound, n] of diff) if ((seen += n) >= rank) return bound;
        return diff.at(-1)[0];
    };
    return {count, p50_us: pct(50), p90_us: pct(90), p99_us: pct(99), p999_us: pct(99.9)};
}
const window = statsStart.routing && statsEnd.routing ? selectionBetween(statsStart, statsEnd) : {count: 0};
// The whole run's, from the latest snapshot that answered.
const last = [statsFinal, statsEnd, statsStart, statsConnected].find((s) => s.routing?.selection)?.routing.selection ?? null;
const lifetime = last?.count && {count: last.count, mean_us: round(last.mean_us, 2), p50_us: round(last.p50_us, 2),
    p90_us: round(last.p90_us, 2), p99_us: round(last.p99_us, 2), max_us: round(last.max_us, 1)};

const rssSamples = text("rss.log").split("\n").map((l) => Number(l.split(" ")[1])).filter(Number.isFinite);
const hwmKb = Math.max(Number(text("hwm.txt")) || 0, ...rssSamples, ...Object.values(events).map((e) => e.proxy?.hwm_kb ?? 0));
const idleKb = Number(text("rss-idle.txt")) || null;
const connectedKb = (settled ?? connected)?.proxy?.rss_kb ?? null;
const windowS = end?.window_s ?? null;
const cpuMs = start?.proxy && end?.proxy ? ((end.proxy.cpu_ticks - start.proxy.cpu_ticks) / meta.clk_tck) * 1000 : null;
const lastProgress = progress.at(-1);
const lost = end?.counters?.lost ?? lastProgress?.lost ?? {workers: 0, clients: 0};
const closeReasons = end?.counters?.close_reasons ?? lastProgress?.close_reasons ?? {};
const statsTimes = ["stats-connected", "stats-start", "stats-end", "stats-final"].map((n) => Number(text(`${n}.json.time`))).filter(Number.isFinite);

const result = {
    workers: {
        requested: workers,
        connected: connected?.connected ?? null,
        failed: connected?.failed ?? null,
        connected_at_end: end?.workers_connected ?? null,
        proxy_counts_at_end: statsEnd.connections?.workers ?? null,
        dial_s: round(connected?.seconds, 1),
        certificates_s: round(connected?.identity_ms_total / 1000, 1),
        certificate_pem_bytes: connected?.certificate_pem_bytes ?? null,
    },
    streams: meta.params.streams,
    client_connections: meta.params.connections,
    window_s: round(windowS, 2),
    answers: end?.answers ?? null,
    requests_per_s: round(end?.requests_per_s, 1),
    frames_per_s: round(end?.frames_per_s, 0),
    proxy: {
        cpu_ms_per_request: cpuMs !== null && end.answers ? round(cpuMs / end.answers, 4) : null,
        cpu_cores_busy: cpuMs !== null ? round(cpuMs / 1000 / windowS, 3) : null,
        rss_idle_mib: mib(idleKb),
        rss_after_connect_mib: mib(connectedKb),
        rss_per_worker_kib: connectedKb && idleKb && connected?.connected ? round((connectedKb - idleKb) / connected.connected, 1) : null,
        rss_peak_mib: mib(hwmKb),
        // The proxy answers /stats on its one event loop: a slow answer is a stalled loop.
        stats_slowest_answer_s: statsTimes.length ? round(Math.max(...statsTimes), 3) : null,
        stats_bytes_all_connected: statsConnected.role ? fs.statSync(file("stats-connected.json")).size : null,
    },
    load_process: {
        rss_mib: mib(end?.load?.rss_kb),
        cores_busy: end?.load && start?.load ? round((end.load.cpu_ticks - start.load.cpu_ticks) / meta.clk_tck / windowS, 3) : null,
    },
    selection: {window, lifetime},
    latency_ms: end?.latency_ms ?? null,
    ttfb_ms: end?.ttfb_ms ?? null,
    market: meta.params.market_query_s > 0 ? {
        while_connecting_reply_ms: connected?.market_reply_ms ?? null,
        queries_per_s: end ? round(end.market_queries / windowS, 1) : null,
        window_reply_ms: end?.market_reply_ms ?? null,
    } : null,
    errors: end?.errors ?? null,
    error_codes: end?.counters?.error_codes ?? {},
    lost,
    close_reasons: closeReasons,
    proxy_guards: {workers: statsEnd.limits?.worker_connections?.disconnected, clients: statsEnd.limits?.client_connections?.disconnected},
    rechecks: (statsEnd.attestation ?? statsConnected.attestation)?.rechecks ?? null,
    quote_cache: (statsEnd.attestation ?? statsConnected.attestation)?.quote_cache ?? null,
    aborted: aborted || null,
};
// The window's selections when it had any; else (a proxy that stalled before it) the whole run's.
const judged = window.count ? window.p99_us : lifetime?.count ? lifetime.p99_us : null;
const goals = {
    rss_under_1_gib: result.proxy.rss_peak_mib !== null && result.proxy.rss_peak_mib < 1024,
    selection_p99_under_100_us: judged === null ? null : judged < 100,  // null: no selection measured
};
const problems = [];
if (aborted) problems.push(`run cut short: ${aborted}`);
if (connected && connected.connected !== workers) problems.push(`${workers - connected.connected} of ${workers} workers did not connect (${connected.last_error})`);
if (lost.workers || lost.clients) problems.push(`connections lost during the run: ${lost.workers} workers, ${lost.clients} clients (${JSON.stringify(closeReasons)})`);
if (end?.errors) problems.push(`${end.errors} answers in the window ended in an error (by code, whole run: ${JSON.stringify(end.counters.error_codes)})`);
if (end && !end.answers) problems.push("no answer in the measured window");
const ok = problems.length === 0;

const mark = (met) => (met === null ? "not measured" : met ? "met" : "**missed**");
const v = (x, unit = "") => (x === null || x === undefined ? "—" : `${x}${unit}`);
const rows = [
    ["workers connected", connected ? `${connected.connected} / ${workers} in ${result.workers.dial_s} s (at the end: ${v(end?.workers_connected)}, the proxy counts ${v(result.workers.proxy_counts_at_end)})` : "—"],
    ["client streams", `${meta.params.streams} over ${meta.params.connections} connections, started ${meta.params.stream_ramp}/s`],
    ["requests/s", v(result.requests_per_s)],
    ["frames/s through the proxy (in + out)", v(result.frames_per_s)],
    ["proxy CPU per request", `${v(result.proxy.cpu_ms_per_request, " ms")} (proxy ${v(result.proxy.cpu_cores_busy)} cores busy, load process ${v(result.load_process.cores_busy)})`],
    ["proxy RSS idle → all workers connected", `${v(result.proxy.rss_idle_mib)} → ${v(result.proxy.rss_after_connect_mib, " MiB")} (${v(result.proxy.rss_per_worker_kib, " KiB")} per worker)`],
    ["proxy RSS peak", v(result.proxy.rss_peak_mib, " MiB"), `< 1024 MiB: ${mark(goals.rss_under_1_gib)}`],
    ["selection p50 / p99, measured window", window.count ? `${window.p50_us} / ${window.p99_us} µs (${window.count} selections)` : "— (none)", window.count ? `p99 < 100 µs: ${mark(goals.selection_p99_under_100_us)}` : ""],
    ["selection p50 / p99, whole run", lifetime ? `${lifetime.p50_us} / ${lifetime.p99_us} µs (mean ${lifetime.mean_us}, max ${lifetime.max_us}; ${lifetime.count} selections)` : "—", window.count ? "" : `p99 < 100 µs: ${mark(goals.selection_p99_under_100_us)}`],
    ["answer latency p50 / p99 (max)", end?.latency_ms?.count ? `${round(end.latency_ms.p50, 1)} / ${round(end.latency_ms.p99, 1)} ms (${round(end.latency_ms.max, 1)})` : "—"],
    ...(result.market ? [["market queries: reply p50 / p99 while connecting; in the window",
        `${v(round(connected?.market_reply_ms?.p50, 1))} / ${v(round(connected?.market_reply_ms?.p99, 1), " ms")}; ${v(result.market.queries_per_s, "/s")}, ${v(round(end?.market_reply_ms?.p50, 1))} / ${v(round(end?.market_reply_ms?.p99, 1), " ms")}`]] : []),
    ["GET /stats: slowest answer (size with all workers)", `${v(result.proxy.stats_slowest_answer_s, " s")} (${result.proxy.stats_bytes_all_connected ? (result.proxy.stats_bytes_all_connected / 2 ** 20).toFixed(1) + " MiB" : "—"})`],
    ["errors / lost connections", `${v(result.errors)} / ${lost.workers} workers, ${lost.clients} clients${Object.keys(closeReasons).length ? " (" + Object.entries(closeReasons).map(([r, n]) => `${n}: ${r}`).join("; ") + ")" : ""}`],
];
const table = ["| measure | value | goal |", "|---|---|---|", ...rows.map((r) => `| ${r[0]} | ${r[1]} | ${r[2] ?? ""} |`)].join("\n");
// Every 5 s of the run as the load saw it: answers in those 5 s, the proxy's CPU and memory.
const timeline = progress.map((e, i) => {
    const prev = progress[i - 1];
    const dt = prev ? e.t_s - prev.t_s : e.t_s;
    return {t_s: round(e.t_s, 0), workers: e.workers_connected, answers_per_s: prev ? round((e.answers - prev.answers) / dt, 0) : 0,
        in_flight: e.in_flight, lost: e.lost.workers + e.lost.clients,
        proxy_cores: prev?.proxy && e.proxy ? round((e.proxy.cpu_ticks - prev.proxy.cpu_ticks) / meta.clk_tck / dt, 2) : null,
        proxy_rss_mib: mib(e.proxy?.rss_kb)};
});
result.timeline = timeline;
const json = JSON.stringify({ok, problems, goals, ...result, meta});

process.stdout.write(`\n${table}\n\n`);
for (const p of problems) process.stdout.write(`problem: ${p}\n`);
if (resultsFile) {
    const p = meta.params;
    const md = `# Scale benchmark: one proxy, ${workers} workers, ${p.streams} client streams

\`make bench-scale\` (bench/scale/run.sh; bench/README.md describes it). Machine: ${meta.cores} cores
(${meta.cpu}), ${meta.memory_gib} GiB, kernel ${meta.kernel}; commit ${meta.commit} (with the working
tree's changes), binary built ${meta.binary_built}; load average ${meta.loadavg_start} at start,
${meta.loadavg_end} at the end. The load process shares the machine's cores with the proxy. Workers
dialed at up to ${p.dial_rate}/s, streams started at ${p.stream_ramp}/s; measured window ${p.duration_s} s
after ${p.warmup_s} s of warm-up; answers of ${p.parts} parts x ${p.part_bytes} B; ${p.market_query_s > 0
        ? `workers ask for their market every ${p.market_query_s} s` : "workers never ask for their market"};
proxy log level ${p.log_level}; proof of work ${p.pow_difficulty} bits.

${table}

${problems.map((x) => `- problem: ${x}`).join("\n")}

Every 5 s of the run (the load's view; proxy CPU in cores, RSS in MiB):

| t (s) | workers | answers/s | in flight | lost | proxy CPU | proxy RSS |
|---|---|---|---|---|---|---|
${timeline.map((t) => `| ${t.t_s} | ${t.workers} | ${t.answers_per_s} | ${t.in_flight} | ${t.lost} | ${v(t.proxy_cores)} | ${v(t.proxy_rss_mib)} |`).join("\n")}

\`\`\`json
${json}
\`\`\`
`;
    fs.mkdirSync(path.dirname(resultsFile), {recursive: true});
    fs.writeFileSync(resultsFile, md);
}
process.stdout.write(json + "\n");
process.exit(ok ? 0 : 1);
