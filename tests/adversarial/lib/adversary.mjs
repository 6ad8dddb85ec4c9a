// Runs the hostile wire-protocol client (build/adversary, tests/adversarial/tools/adversary.cpp)
// with a client's own identity against a proxy, and returns the JSON lines it printed.
import {spawn} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {REPO_ROOT} from "../../integration/lib/harness.mjs";

export const ADVERSARY = path.join(path.dirname(process.env.CHRYSALIS_BIN || path.join(REPO_ROOT, "build/chrysalis")),
    "adversary");

export function adversary(client, proxy, args, {timeoutMs = 60_000} = {}) {
    if (!fs.existsSync(ADVERSARY)) throw new Error(`${ADVERSARY} is missing: build it (make build)`);
    return new Promise((resolve, reject) => {
        const child = spawn(ADVERSARY, [client.config, `127.0.0.1:${proxy.clientPort}`, ...args.map(String)],
            {stdio: ["ignore", "pipe", "pipe"]});
        let out = "", err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("exit", (code) => {
            clearTimeout(timer);
            const lines = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));  // logs aside
            if (code !== 0 && code !== 1) reject(new Error(`adversary exited ${code}: ${err}${out}`));
            else resolve(lines);
        });
    });
}

// One raw InferenceRequest with `body` (a string) and the fields the HTTP API would have checked.
export async function rawRequest(client, proxy, dir, {path: reqPath = "/v1/chat/completions", maxTokens = 4,
    estimate = 0, body}) {
    const file = path.join(dir, `raw-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
    fs.writeFileSync(file, body);
    return adversary(client, proxy, ["request", reqPath, maxTokens, estimate, file]);
}
