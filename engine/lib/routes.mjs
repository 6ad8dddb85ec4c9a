// HTTP routing and the two generation endpoints. Every request ends in exactly one log line.
import {ApiError} from "./errors.mjs";
import {readBody, sendError, sendJson, SseWriter} from "./http_io.mjs";
import {combinedUsage, generateChoices} from "./choices.mjs";
import {embeddingResponse, parseEmbeddingRequest} from "./embeddings.mjs";
import {ChunkFactory, fullResponse, modelObject, newCompletionId, toolFinish} from "./openai_format.mjs";
import {ToolCallStream} from "./tool_stream.mjs";
import {parseGenerationRequest, parseJsonBody} from "./validate.mjs";

const ROUTES = {
    "/healthz": {GET: (ctx) => healthz(ctx)},
    "/v1/models": {GET: (ctx) => listModels(ctx)},
    "/v1/chat/completions": {POST: (ctx) => generation(ctx, "chat")},
    "/v1/completions": {POST: (ctx) => generation(ctx, "completion")},
    "/v1/embeddings": {POST: (ctx) => embeddings(ctx)},
};

export function makeHandler(state) {
    return async (req, res) => {
        const started = performance.now();
        const path = (req.url ?? "/").split("?")[0];
        const log = {status: 0};
        // The network's request id (the worker sends it): one grep finds a request on every node.
        const rid = req.headers["x-request-id"];
        if (typeof rid === "string" && /^[\x21-\x7e]{1,128}$/.test(rid)) log.rid = rid;
        res.socket?.setNoDelay(true);  // each SSE chunk leaves as soon as it is written
        try {
            const ctx = {req, res, path, state, log};
            const route = ROUTES[path];
            if (route) {
                const handler = route[req.method];
                if (!handler) throw new ApiError(405, `method ${req.method} not allowed on ${path}`, {code: "method_not_allowed"});
                await handler(ctx);
            } else if (req.method === "GET" && path.startsWith("/v1/models/")) {
                getModel(ctx, decodeURIComponent(path.slice("/v1/models/".length)));
            } else {
                throw new ApiError(404, `unknown path ${req.method} ${path}`, {code: "unknown_url"});
            }
        } catch (err) {
            if (err?.name === "AbortError") {
                log.status = 499;  // client went away; nobody to answer
                if (!res.writableEnded) res.destroy();
            } else {
                if (!(err instanceof ApiError)) process.stderr.write(`engine error: ${err?.stack || err}\n`);
                log.status = sendError(res, err).status;
                log.error = err.message;
            }
        } finally {
            if (!log.status) log.status = res.statusCode;
            logLine(req.method, path, log, performance.now() - started);
        }
    };
}

function logLine(method, path, log, ms) {
    const fields = Object.entries(log).map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : v}`);
    process.stdout.write(`${new Date().toISOString()} engine ${method} ${path} ${fields.join(" ")} ms=${ms.toFixed(1)}\n`);
}

function healthz({res, state, log}) {
    const {engine, options} = state;
    sendJson(res, 200, {
        status: state.shuttingDown ? "stopping" : "ok",
        model: options.name,
        parallel: options.parallel,
        busy: engine.pool.busy,
        queued: engine.pool.queued,
        context: engine.contextSize,
        threads: options.threads,
        grammars: engine.grammars.stats(),  // compiled response_format / tools grammars, bounded LRU
    });
    log.status = 200;
}

function listModels({res, state, log}) {
    sendJson(res, 200, {object: "list", data: [modelObject(state.options.name, state.created)]});
    log.status = 200;
}

function getModel({res, state, log}, id) {
    if (id !== state.options.name) throw modelNotFound(id);
    sendJson(res, 200, modelObject(id, state.created));
    log.status = 200;
}

function modelNotFound(id) {
    return new ApiError(404, `the model '${id}' does not exist`, {code: "model_not_found", param: "model"});
}

async function generation({req, res, state, log}, kind) {
    if (state.shuttingDown) throw new ApiError(503, "engine is shutting down", {code: "shutting_down"});
    const request = parseGenerationRequest(parseJsonBody(await readBody(req)), kind);
    if (request.model !== undefined && request.model !== state.options.name) throw modelNotFound(request.model);

    // A client that disconnects (before or during generation) cancels the work at once.
    const abort = new AbortController();
    const onClose = () => {
        if (!res.writableFinished) abort.abort();
    };
    res.on("close", onClose);
    state.inFlight.add(abort);

    const id = newCompletionId(kind);
    const meta = {kind, id, created: Math.floor(Date.now() / 1000), model: state.options.name};
    log.id = id;
    log.stream = request.stream;
    const t0 = performance.now();
    try {
        const options = {signal: abort.signal, defaultSeed: state.options.defaultSeed};
        // With tools, each choice's text is read for calls in the model's own call syntax.
        const syntax = request.tools ? state.engine.toolCallSyntax() : undefined;
        const toolStreams = Array.from({length: request.choices}, () =>
            (syntax ? new ToolCallStream(syntax, Boolean(request.tools.forced)) : undefined));
        let results;
        if (request.stream) {
            const chunks = new ChunkFactory({...meta, includeUsage: request.includeUsage});
            let sse;
            results = await generateChoices(state.engine, request, {
                ...options,
                // The tokenized prompt's size goes out with the head: the proxy holds exactly that.
                onStart: (promptTokens) => (sse = new SseWriter(res, {"X-Prompt-Tokens": String(promptTokens)})),
                onToken: (index, text, logprob) => sse.send(chunks.token(text, logprob, index, toolStreams[index])),
                onFinish: (index, result) => sse.send(chunks.finish(result.finishReason, result.tail, index, toolStreams[index])),
            });
            if (request.includeUsage) sse.send(chunks.usage(combinedUsage(results)));
            sse.done();
        } else {
            const answers = Array.from({length: request.choices}, () => ({text: "", logprobs: request.logprobs ? [] : undefined}));
            results = await generateChoices(state.engine, request, {
                ...options,
                onToken: (index, piece, logprob) => {
                    answers[index].text += toolStreams[index] ? toolStreams[index].push(piece).content : piece;
                    if (logprob) answers[index].logprobs.push(logprob);
                },
            });
            const choices = results.map((r, i) => {
                const tools = toolStreams[i];
                const tail = tools ? tools.push(r.tail).content + tools.flush() : r.tail;
                return {...answers[i], text: answers[i].text + tail, finishReason: toolFinish(r.finishReason, tools), toolCalls: tools?.calls};
            });
            sendJson(res, 200, fullResponse({...meta, choices, usage: combinedUsage(results)}));
        }
        const result = {...combinedUsage(results), finishReason: results.map((r) => r.finishReason).join(",")};
        const seconds = (performance.now() - t0) / 1000;
        Object.assign(log, {
            status: 200,
            prompt: result.promptTokens,
            cached: result.cachedTokens,
            completion: result.completionTokens,
            finish: result.finishReason,
            tok_s: (result.completionTokens / Math.max(seconds, 1e-6)).toFixed(0),
        });
    } finally {
        res.off("close", onClose);
        state.inFlight.delete(abort);
    }
}

async function embeddings({req, res, state, log}) {
    if (state.shuttingDown) throw new ApiError(503, "engine is shutting down", {code: "shutting_down"});
    const {engine} = state;
    const request = parseEmbeddingRequest(parseJsonBody(await readBody(req)),
        {dimensions: engine.embedder.dimensions, vocabulary: engine.vocabularySize});
    if (request.model !== undefined && request.model !== state.options.name) throw modelNotFound(request.model);
    const abort = new AbortController();
    const onClose = () => {
        if (!res.writableFinished) abort.abort();
    };
    res.on("close", onClose);
    try {
        const {vectors, promptTokens} = await engine.embedder.embed(request.inputs, abort.signal);
        sendJson(res, 200, embeddingResponse({model: state.options.name, vectors, promptTokens, base64: request.base64}));
        Object.assign(log, {status: 200, inputs: vectors.length, prompt: promptTokens});
    } finally {
        res.off("close", onClose);
    }
}
