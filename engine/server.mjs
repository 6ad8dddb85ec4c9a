#!/usr/bin/env node
// Chrysalis embedded inference engine: llama.cpp (through node-llama-cpp) behind an
// OpenAI-compatible HTTP API. The worker starts and supervises it; see docs/INTERFACES.md.
//   node engine/server.mjs --model PATH.gguf --port N [--host 127.0.0.1] [--threads T]
//                          [--context C] [--name MODEL_ID] [--parallel P] [--seed S] [--pace-ms N]
import http from "node:http";
import {parseServerArgs} from "./lib/args.mjs";
import {Engine} from "./lib/engine.mjs";
import {makeHandler} from "./lib/routes.mjs";

async function main() {
    // A supervisor that closed our pipes (it died, or stopped reading) must not take the engine
    // down with EPIPE: the log line is lost, the answers and a clean shutdown go on.
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
    let options;
    try {
        options = parseServerArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`engine: ${e.message}\n`);
        process.exit(2);
    }
    if (options.threads !== options.requestedThreads) {
        process.stdout.write(`engine: using ${options.threads} thread(s) instead of ${options.requestedThreads}: ` +
            `one core stays free for Node, or llama.cpp's spinning threads stall each other\n`);
    }

    const engine = await Engine.load(options);
    const state = {engine, options, created: Math.floor(Date.now() / 1000), inFlight: new Set(), shuttingDown: false};
    const server = http.createServer({keepAliveTimeout: 65_000}, makeHandler(state));
    server.on("clientError", (err, socket) => {
        if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });

    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, resolve);
    });
    const {port} = server.address();
    // Supervisors wait for this line (or poll /healthz); with --port 0 it is the only way to learn the port.
    process.stdout.write(`engine ready: model=${options.name} url=http://${options.host}:${port} ` +
        `parallel=${options.parallel} context=${engine.contextSize} threads=${options.threads} ` +
        (options.paceMs ? `pace_ms=${options.paceMs} ` : "") +
        `chat_wrapper=${engine.prompts.chatWrapperName}\n`);

    const shutdown = async (signal) => {
        if (state.shuttingDown) return;
        state.shuttingDown = true;
        process.stdout.write(`engine: ${signal}, shutting down\n`);
        setTimeout(() => process.exit(0), 5000).unref();  // never hang the supervisor
        server.close();
        for (const abort of state.inFlight) abort.abort();
        server.closeIdleConnections?.();
        await engine.dispose().catch(() => {});
        process.exit(0);
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((e) => {
    process.stderr.write(`engine: fatal: ${e?.stack || e}\n`);
    process.exit(1);
});
