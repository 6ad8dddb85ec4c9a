// POST /v1/embeddings: the served model's embedding of each input (mean-pooled by llama.cpp as the
// model defines), scaled to unit length as OpenAI's are. One embedding context, created on first
// use and shared; inputs are embedded one after another.
import {badRequest} from "./errors.mjs";

const MAX_INPUTS = 2048;  // OpenAI's limit per request

export class Embedder {
    constructor(model, {contextSize, threads}) {
        this.model = model;
        this.contextSize = contextSize;
        this.threads = threads;
        this.context = undefined;
        this.queue = Promise.resolve();
    }

    get dimensions() {
        return this.model.embeddingVectorSize;
    }

    // `inputs`: [{text} | {tokens}]; resolves to {vectors: Float32Array[], promptTokens}.
    async embed(inputs, signal) {
        const run = this.queue.then(() => this.embedAll(inputs, signal));
        this.queue = run.catch(() => {});
        return run;
    }

    async embedAll(inputs, signal) {
        this.context ??= await this.model.createEmbeddingContext({contextSize: this.contextSize, threads: this.threads});
        const vectors = [];
        let promptTokens = 0;
        for (const [i, input] of inputs.entries()) {
            if (signal?.aborted) throw Object.assign(new Error("aborted"), {name: "AbortError"});
            const tokens = input.tokens ?? this.model.tokenize(input.text, false);
            if (tokens.length === 0) throw badRequest(`'input[${i}]' is empty`, "input");
            if (tokens.length > this.contextSize)
                throw badRequest(`'input[${i}]' is ${tokens.length} tokens; the limit is ${this.contextSize}`, "input");
            promptTokens += tokens.length;
            vectors.push(unitLength((await this.context.getEmbeddingFor(tokens)).vector));
        }
        return {vectors, promptTokens};
    }

    async dispose() {
        await this.context?.dispose();
    }
}

function unitLength(vector) {
    const out = Float32Array.from(vector);
    const norm = Math.hypot(...out);
    if (norm > 0) for (let i = 0; i < out.length; i++) out[i] /= norm;
    return out;
}

// The request body's input as [{text} | {tokens}], checked; `vocabulary` bounds token ids.
export function parseEmbeddingRequest(body, {dimensions, vocabulary}) {
    if (body.model !== undefined && typeof body.model !== "string") throw badRequest("'model' must be a string", "model");
    const format = body.encoding_format ?? "float";
    if (format !== "float" && format !== "base64") throw badRequest("'encoding_format' must be \"float\" or \"base64\"", "encoding_format");
    if (body.dimensions != null && body.dimensions !== dimensions)
        throw badRequest(`'dimensions' must be ${dimensions} for this model (its embeddings are not truncatable)`, "dimensions", "unsupported_parameter");
    const input = body.input;
    const isTokens = (v) => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && t >= 0);
    let inputs;
    if (typeof input === "string") inputs = [{text: input}];
    else if (isTokens(input)) inputs = [{tokens: input}];
    else if (Array.isArray(input) && input.length > 0 && input.every((v) => typeof v === "string")) inputs = input.map((text) => ({text}));
    else if (Array.isArray(input) && input.length > 0 && input.every(isTokens)) inputs = input.map((tokens) => ({tokens}));
    else if (input == null) throw badRequest("'input' is required", "input", "missing_required_parameter");
    else throw badRequest("'input' must be a string, an array of strings, an array of token ids or an array of such arrays", "input");
    if (inputs.length > MAX_INPUTS) throw badRequest(`'input' holds ${inputs.length} items; the limit is ${MAX_INPUTS}`, "input");
    for (const [i, item] of inputs.entries())
        if (item.tokens?.some((t) => t >= vocabulary)) throw badRequest(`'input[${i}]' has a token id outside the vocabulary`, "input");
    return {model: body.model, inputs, base64: format === "base64"};
}

export function embeddingResponse({model, vectors, promptTokens, base64}) {
    return {
        object: "list",
        data: vectors.map((vector, index) => ({
            object: "embedding",
            index,
            embedding: base64 ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64") : Array.from(vector),
        })),
        model,
        usage: {prompt_tokens: promptTokens, total_tokens: promptTokens},
    };
}
