#!/usr/bin/env node
// What a worker's death mid-answer costs the app: streamed answers through a local network with two
// or more workers (`chrysalis local up --pace-ms P --no-request`), interleaved: one uninterrupted,
// one whose serving worker is killed (SIGKILL) after `--cut` tokens and restarted afterwards. Every
// answer is checked: HTTP 200, no error event, one [DONE], and at temperature 0 the same text as the
// uninterrupted one. Prints a table: total time, the longest pause between two chunks (for a cut
// answer: from the last token of the dead worker to the first of the next), and the cost.
//   node bench/resume/probe.mjs [--dir run] [--client http://127.0.0.1:10000] [--trials 10] [--tokens 60] [--cut 20]
import {spawn, spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, v, i, all) => (i % 2 ? pairs : [...pairs, [all[i].replace(/^--/, ""), all[i + 1]]]), []));
const dir = path.resolve(args.dir ?? "run");
const client = args.client ?? "http://127.0.0.1:10000";
const trials = Number(args.trials ?? 10);
const tokens = Number(args.tokens ?? 60);
const cut = Number(args.cut ?? 20);
const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../build/chrysalis");
const body = {model: "chrysalis-test", messages: [{role: "user", content: "Tell me about the sea"}], max_tokens: tokens,
    temperature: 0, stream: true, stream_options: {include_usage: true}};

async function answer(kill) {
    const t0 = performance.now();
    const res = await fetch(`${client}/v1/chat/completions`, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    const serving = res.headers.get("x-chrysalis-worker");
    const decoder = new TextDecoder();
    let buffer = "", text = "", n = 0, last = performance.now(), maxGap = 0, done = 0, usage = null, killedAt = 0;
    for await (const piece of res.body) {
        buffer += decoder.decode(piece, {stream: true});
        let at;
        while ((at = buffer.indexOf("\n\n")) !== -1) {
            const data = buffer.slice(6, at);
            buffer = buffer.slice(at + 2);
            if (data === "[DONE]") { done++; continue; }
            const chunk = JSON.parse(data);
            if (chunk.error) throw new Error(`error event: ${JSON.stringify(chunk.error)}`);
            if (chunk.usage) usage = chunk;
            const t = chunk.choices?.[0]?.delta?.content;
            if (!t) continue;
            const now = performance.now();
            if (n > 0) maxGap = Math.max(maxGap, now - last);
            last = now;
            text += t;
            if (++n === cut && kill) {
                killedAt = now;
                spawnSync(bin, ["local", "kill-worker", "--dir", dir, "--name", serving]);
            }
        }
    }
    if (done !== 1) throw new Error(`${done} [DONE]`);
    return {ms: performance.now() - t0, maxGap, text, serving, usage, killed: kill ? serving : null};
}

// A killed worker of the local network comes back from its own config, as `local up` started it.
async function restart(name) {
    const log = fs.openSync(path.join(dir, `${name}.log`), "a");
    const child = spawn(bin, ["worker", "--config", path.join(dir, `${name}.toml`)], {cwd: dir, detached: true, stdio: ["ignore", log, log]});
    fs.writeFileSync(path.join(dir, `${name}.pid`), String(child.pid));
    child.unref();
    for (let i = 0; i < 240; i++) {
        const models = await (await fetch(`${client}/v1/models`)).json().catch(() => null);
        if (models?.data?.[0]?.workers >= 2) return;
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${name} did not come back`);
}

const pct = (v, q) => [...v].sort((a, b) => a - b)[Math.floor(q * (v.length - 1))];
const runs = {whole: [], resumed: []};
let reference = null, same = 0;
for (let i = 0; i < trials * 2; i++) {
    const kill = i % 2 === 1;
    const r = await answer(kill);
    if (!kill) reference ??= r.text;
    if (kill) {
        if (!r.usage.chrysalis?.resumed?.length) throw new Error("the cut answer was not resumed");
        if (r.text === reference) same++;
        await restart(r.killed);
    }
    runs[kill ? "resumed" : "whole"].push(r);
}
console.log(`| ${tokens} tokens, cut after ${cut} | answers | total p50 ms | total max ms | longest pause p50 ms | cost nanoTON |`);
console.log("|---|---|---|---|---|---|");
for (const [name, list] of Object.entries(runs)) {
    const totals = list.map((r) => r.ms), gaps = list.map((r) => r.maxGap);
    const cost = list[0].usage?.chrysalis?.cost_nano ?? "-";
    console.log(`| ${name} | ${list.length} | ${pct(totals, 0.5).toFixed(0)} | ${Math.max(...totals).toFixed(0)} | ${pct(gaps, 0.5).toFixed(1)} | ${cost} |`);
}
console.log(`\nresumed answers with the uninterrupted text (temperature 0): ${same} of ${runs.resumed.length}`);
