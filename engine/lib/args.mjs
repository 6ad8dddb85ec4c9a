// Command-line options of the embedded engine, validated up front so a bad flag fails fast.
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";

const USAGE = "usage: node engine/server.mjs --model PATH.gguf --port N [--host 127.0.0.1] [--threads T] " +
    "[--context C] [--name MODEL_ID] [--parallel P] [--seed S] [--pace-ms N]";

function positiveInt(name, text, {min = 1, max = 1 << 30} = {}) {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
        throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(text)}`);
    return n;
}

export function parseServerArgs(argv) {
    const {values} = parseArgs({
        args: argv,
        options: {
            model: {type: "string"},
            port: {type: "string", default: "8000"},
            host: {type: "string", default: "127.0.0.1"},
            threads: {type: "string"},
            context: {type: "string", default: "2048"},
            name: {type: "string"},
            parallel: {type: "string", default: "4"},
            seed: {type: "string", default: "42"},
            "pace-ms": {type: "string", default: "0"},
            help: {type: "boolean", short: "h"},
        },
        strict: true,
    });
    if (values.help) {
        console.log(USAGE);
        process.exit(0);
    }
    if (!values.model) throw new Error(`--model is required\n${USAGE}`);

    // llama.cpp's worker threads spin while they wait for each other; if they and Node's own
    // thread need more cores than exist, every token waits on a descheduled thread (measured:
    // 2 threads on a 2-core machine run ~20x slower than 1). So leave one core to Node.
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    const usableThreads = Math.max(1, cores - 1);
    const requestedThreads = values.threads == null ? usableThreads : positiveInt("threads", values.threads, {max: 1024});

    return {
        modelPath: path.resolve(values.model),
        port: positiveInt("port", values.port, {min: 0, max: 65535}),  // 0: any free port (printed when ready)
        host: values.host,
        requestedThreads,
        threads: Math.min(requestedThreads, usableThreads),
        contextSize: positiveInt("context", values.context, {min: 64, max: 1 << 20}),
        name: values.name || path.basename(values.model).replace(/\.gguf$/i, ""),
        parallel: positiveInt("parallel", values.parallel, {max: 256}),
        defaultSeed: positiveInt("seed", values.seed, {min: 0, max: 2 ** 31 - 1}),
        // The least time between two tokens of one answer: a slower accelerator, for tests and demos.
        paceMs: positiveInt("pace-ms", values["pace-ms"], {min: 0, max: 10_000}),
    };
}
