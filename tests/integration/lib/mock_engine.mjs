// A misbehaving OpenAI-compatible engine for fault-injection tests, run inside the test
// process so tests can see what reached it and when the worker hung up.
//
// The behaviour of each request is chosen by its prompt (the last message's content or the
// completion prompt): "mock:<mode>" anywhere in it picks the mode, else `defaultMode`.
//   count      honest: max_tokens chunks "w0 ", "w1 ", ... then finish "length" and usage
//   ignore_max emits 3 * max_tokens + 5 chunks whatever max_tokens says, with matching usage
//   no_usage   honest chunk count, but never a usage object
//   slow       one chunk every `slowMs` ms, max_tokens of them (or until the worker hangs up)
//   die        5 chunks, then the TCP connection is destroyed without an end
//   stall      sends the 200 head and then nothing
//   hang       sends nothing at all, not even the head
//   utf8       multi-byte text whose SSE bytes are written in pieces split inside characters
//   http500    answers HTTP 500 with an OpenAI-shaped error body
//   wrong      like count, but every token is different text ("z0 ", "z1 ", ...): a cheating worker
//   inflate_usage  like count, but the usage claims a billion prompt and a million completion tokens
//   echo       the prompt back, one word per chunk (at most max_tokens chunks), then finish "stop"
// Continuations (modes count and slow): a chat request with `continue_final_message: true` whose last
// message is an assistant prefill "w0 w1 ... w<k-1> " (its mode taken from the message before), or a
// completion whose prompt ends with those tokens somewhere after its "mock:<mode>" marker (e.g.
// "mock:countw0 w1 ", the prompt "mock:count" and the answer so far), goes on from "w<k> ", so that
// prefill + continuation is the uninterrupted answer. The request's record says `continued_from: k` (null for an ordinary request).
// POST /v1/embeddings picks its mode from the first input the same way: honest vectors of
// EMBEDDING_DIMS numbers (3 prompt tokens per input), or `short` (one vector missing), `ragged`
// (the last vector one number short), `swapped` (the first two in the wrong order), `junk` (a
// string among the numbers).
import http from "node:http";

export const UTF8_TOKENS = ["é", "日本", "🦋", " naïve", "—", "€", "한국어", "ß", "😀👍", " ok"];

export const EMBEDDING_DIMS = 8;

// A deterministic vector for a text: what the honest mock answers.
export function mockVector(text) {
    return Array.from({length: EMBEDDING_DIMS}, (_, i) => ((text.length * 7 + i * 13) % 17) / 17);
}

export function tokenText(i) {
    return `w${i} `;
}

function contentText(content) {
    return typeof content === "string" ? content : JSON.stringify(content);
}

function promptOf(body) {
    if (Array.isArray(body.messages) && body.messages.length) return contentText(body.messages[body.messages.length - 1].content);
    return typeof body.prompt === "string" ? body.prompt : JSON.stringify(body.prompt ?? "");
}

const MODES = new Set(["count", "ignore_max", "no_usage", "slow", "die", "stall", "hang", "utf8", "http500", "wrong",
    "inflate_usage", "echo"]);
// Modes whose answers a continuation can go on with.
const CONTINUABLE = new Set(["count", "slow"]);

// How many mock tokens tokenText(0), tokenText(1), ... `text` starts with.
function countedTokens(text) {
    let k = 0, at = 0;
    while (text.startsWith(tokenText(k), at)) at += tokenText(k++).length;
    return {count: k, length: at};
}

// The mode a prompt picks, and where a completion's continuation starts: {mode, continuedFrom}.
// A continuable mode's marker followed at once by mock tokens ("mock:countw0 w1 ") is the mode and
// a prefill; any other word after "mock:" is the mode as it stands.
function completionMode(prompt, defaultMode) {
    const m = /mock:(\w+)/.exec(prompt);
    if (!m) return {mode: defaultMode, continuedFrom: null};
    let mode = m[1];
    let after = m.index + "mock:".length + mode.length;
    if (!MODES.has(mode)) {
        const known = [...CONTINUABLE].find((name) => mode.startsWith(name) && /^w\d/.test(mode.slice(name.length)));
        if (!known) return {mode, continuedFrom: null};
        after -= mode.length - known.length;
        mode = known;
    }
    if (!CONTINUABLE.has(mode)) return {mode, continuedFrom: null};
    // The prefill: from some "w0 " after the marker, numbered tokens up to the prompt's end.
    for (let at = prompt.indexOf(tokenText(0), after); at !== -1; at = prompt.indexOf(tokenText(0), at + 1)) {
        const {count, length} = countedTokens(prompt.slice(at));
        if (at + length === prompt.length) return {mode, continuedFrom: count};
    }
    return {mode, continuedFrom: null};
}

// {mode, prompt, continuedFrom} of a generation request.
function requestMode(body, chat, defaultMode) {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const final = messages.at(-1);
    if (chat && body.continue_final_message === true && final?.role === "assistant" && messages.length >= 2) {
        const prompt = contentText(messages.at(-2).content);
        const mode = /mock:(\w+)/.exec(prompt)?.[1] ?? defaultMode;
        const prefill = contentText(final.content ?? "");
        const {count, length} = countedTokens(prefill);
        const continues = CONTINUABLE.has(mode) && length === prefill.length;
        return {mode, prompt: prompt + prefill, continuedFrom: continues ? count : null};
    }
    const prompt = promptOf(body);
    if (chat) return {mode: /mock:(\w+)/.exec(prompt)?.[1] ?? defaultMode, prompt, continuedFrom: null};
    return {...completionMode(prompt, defaultMode), prompt};
}

export class MockEngine {
    // `firstTokenMs`: in mode count, the first token comes this long after the head (a slow prefill)
    // and the rest 5 ms apart.
    constructor({defaultMode = "count", slowMs = 50, model = "chrysalis-test", firstTokenMs = 0} = {}) {
        this.defaultMode = defaultMode;
        this.firstTokenMs = firstTokenMs;
        this.slowMs = slowMs;
        this.model = model;
        this.requests = [];  // one record per generation request, see handleGeneration
        this.healthChecks = 0;
        this.paths = [];  // "METHOD /path" of every request that reached the engine, known path or not
        this.sockets = new Set();
        this.server = http.createServer((req, res) => this.handle(req, res));
        this.server.on("connection", (socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
    }

    async listen(port = 0) {
        await new Promise((resolve, reject) => {
            this.server.once("error", reject);
            this.server.listen(port, "127.0.0.1", resolve);
        });
        this.port = this.server.address().port;
        this.url = `http://127.0.0.1:${this.port}`;
        return this;
    }

    async close() {
        for (const socket of this.sockets) socket.destroy();
        await new Promise((resolve) => this.server.close(() => resolve()));
    }

    handle(req, res) {
        const path = (req.url ?? "/").split("?")[0];
        this.paths.push(`${req.method} ${path}`);
        if (req.method === "GET" && (path === "/v1/models" || path === "/healthz")) {
            this.healthChecks++;
            res.writeHead(200, {"Content-Type": "application/json"});
            res.end(JSON.stringify({object: "list", data: [{id: this.model, object: "model", created: 0, owned_by: "mock"}]}));
            return;
        }
        if (req.method === "POST" && (path === "/v1/chat/completions" || path === "/v1/completions")) {
            let text = "";
            req.setEncoding("utf8");
            req.on("data", (d) => (text += d));
            req.on("end", () => this.handleGeneration(req, res, path, text));
            return;
        }
        if (req.method === "POST" && path === "/v1/embeddings") {
            let text = "";
            req.setEncoding("utf8");
            req.on("data", (d) => (text += d));
            req.on("end", () => this.handleEmbeddings(res, text));
            return;
        }
        res.writeHead(404, {"Content-Type": "application/json"});
        res.end(JSON.stringify({error: {message: `mock: unknown path ${path}`, type: "invalid_request_error", code: "unknown_url"}}));
    }

    handleEmbeddings(res, text) {
        const body = JSON.parse(text);
        const inputs = (Array.isArray(body.input) ? body.input : [body.input]).map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
        const mode = /mock:(\w+)/.exec(inputs[0])?.[1] ?? "honest";
        this.paths.push(`embeddings ${mode}`);
        let data = inputs.map((input, index) => ({object: "embedding", index, embedding: mockVector(input)}));
        if (mode === "short") data.pop();
        if (mode === "ragged") data.at(-1).embedding.pop();
        if (mode === "swapped" && data.length > 1) [data[0].index, data[1].index] = [1, 0];
        if (mode === "junk") data[0].embedding[2] = "x";
        res.writeHead(200, {"Content-Type": "application/json"});
        res.end(JSON.stringify({object: "list", data, model: body.model, usage: {prompt_tokens: 3 * inputs.length, total_tokens: 3 * inputs.length}}));
    }

    handleGeneration(req, res, path, text) {
        const body = JSON.parse(text);
        const chat = path === "/v1/chat/completions";
        const {mode, prompt, continuedFrom} = requestMode(body, chat, this.defaultMode);
        const first = continuedFrom ?? 0;  // the number of the first token this answer sends
        const record = {
            mode, body, path, headers: req.headers, chunksSent: 0, finished: false, closedEarly: false,
            closed: null, continued_from: continuedFrom,
        };
        record.closed = new Promise((resolve) => {
            res.on("close", () => {
                record.closedEarly = !record.finished;
                resolve(record.closedEarly);
            });
        });
        this.requests.push(record);
        res.socket?.setNoDelay(true);

        if (mode === "http500") {
            res.writeHead(500, {"Content-Type": "application/json"});
            res.end(JSON.stringify({error: {message: "mock engine exploded", type: "server_error", code: "mock_500"}}));
            record.finished = true;
            return;
        }
        if (mode === "hang") return;  // no head, no body: the request just sits here
        const id = (chat ? "chatcmpl-mock" : "cmpl-mock") + Math.random().toString(16).slice(2, 10);
        const created = Math.floor(Date.now() / 1000);
        const header = {id, object: chat ? "chat.completion.chunk" : "text_completion", created, model: this.model};
        const chunk = (content, finish = null) => ({
            ...header,
            choices: [chat
                ? {index: 0, delta: record.chunksSent === 0 ? {role: "assistant", content} : {content}, finish_reason: finish}
                : {index: 0, text: content, finish_reason: finish}],
        });
        const send = (obj) => {
            if (res.writableEnded || res.destroyed) return false;
            res.write(`data: ${JSON.stringify(obj)}\n\n`);
            return true;
        };
        res.writeHead(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"});
        res.flushHeaders();

        const maxTokens = Number.isInteger(body.max_tokens) ? body.max_tokens : 16;
        const promptTokens = Math.max(1, Math.ceil(prompt.length / 4));
        const usage = (completion) => mode === "inflate_usage"
            ? {prompt_tokens: 1e9, completion_tokens: 1e6, total_tokens: 1e9 + 1e6, prompt_tokens_details: {cached_tokens: 2e9}}
            : {prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion};
        const finish = ({withUsage = true, reason = "length"} = {}) => {
            send({...header, choices: [chat ? {index: 0, delta: {}, finish_reason: reason} : {index: 0, text: "", finish_reason: reason}]});
            if (withUsage) send({...header, choices: [], usage: usage(record.chunksSent)});
            record.finished = true;
            res.end("data: [DONE]\n\n");
        };
        const emit = (i) => {
            send(chunk(mode === "wrong" ? `z${i} ` : tokenText(i)));
            record.chunksSent++;
        };

        switch (mode) {
            case "count":
                if (this.firstTokenMs > 0) {
                    // A measurable decode too: one token every 5 ms after the first.
                    let i = first, timer = null;
                    const next = () => {
                        if (res.destroyed || res.writableEnded) return;
                        if (i >= first + maxTokens) return finish();
                        emit(i++);
                        timer = setTimeout(next, 5);
                    };
                    timer = setTimeout(next, this.firstTokenMs);
                    res.on("close", () => clearTimeout(timer));
                    return;
                }
            // falls through
            case "inflate_usage":
            case "wrong":
            case "no_usage":
                for (let i = first; i < first + maxTokens; ++i) emit(i);
                finish({withUsage: mode !== "no_usage" && mode !== "wrong"});
                return;
            case "echo": {
                const words = prompt.split(/(?<= )/).slice(0, maxTokens);
                for (const word of words) {
                    send(chunk(word));
                    record.chunksSent++;
                }
                finish({reason: "stop"});
                return;
            }
            case "ignore_max": {
                const n = maxTokens * 3 + 5;
                for (let i = 0; i < n; ++i) emit(i);
                finish();
                return;
            }
            case "slow": {
                let i = first;
                const timer = setInterval(() => {
                    if (res.destroyed || res.writableEnded || i >= first + maxTokens) {
                        clearInterval(timer);
                        if (!res.writableEnded && !res.destroyed) finish();
                        return;
                    }
                    emit(i++);
                }, this.slowMs);
                res.on("close", () => clearInterval(timer));
                return;
            }
            case "die":
                for (let i = 0; i < 5; ++i) emit(i);
                setTimeout(() => res.socket?.destroy(), 100);
                return;
            case "stall":
                return;  // the head went out; nothing else ever will
            case "utf8": {
                // Each chunk's bytes go out in three writes cut inside multi-byte characters.
                const pieces = [];
                for (const [i, t] of UTF8_TOKENS.entries()) {
                    const bytes = Buffer.from(`data: ${JSON.stringify(chunk(t))}\n\n`, "utf8");
                    record.chunksSent++;
                    const first = bytes.indexOf(Buffer.from(t, "utf8")) + 1;  // inside the first character
                    const cut = [first, Math.min(bytes.length - 1, first + 2 + (i % 3))];
                    pieces.push(bytes.subarray(0, cut[0]), bytes.subarray(cut[0], cut[1]), bytes.subarray(cut[1]));
                }
                const writeNext = () => {
                    if (res.destroyed) return;
                    const piece = pieces.shift();
                    if (!piece) {
                        finish({reason: "stop"});
                        return;
                    }
                    res.write(piece);
                    setTimeout(writeNext, 2);  // separate TCP segments, read separately by the worker
                };
                writeNext();
                return;
            }
            default:
                res.end(`data: ${JSON.stringify({error: {message: `mock: unknown mode ${mode}`, type: "mock"}})}\n\n`);
        }
    }
}

export async function startMockEngine(options) {
    return new MockEngine(options).listen(options?.port ?? 0);
}
