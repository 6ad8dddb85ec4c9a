// The inference engine: one llama.cpp context with `parallel` sequences, so concurrent requests
// are decoded together in shared batches; further requests wait in the SequencePool's queue.
import {setTimeout as sleep} from "node:timers/promises";
import {getLlama, LlamaGrammarEvaluationState, LlamaLogLevel, TokenBias} from "node-llama-cpp";
import {badRequest} from "./errors.mjs";
import {Embedder} from "./embeddings.mjs";
import {GrammarCache} from "./grammar_cache.mjs";
import {LogprobReader} from "./logprobs.mjs";
import {readPrefill} from "./prefill.mjs";
import {PromptBuilder} from "./prompt.mjs";
import {SequencePool, abortError} from "./sequence_pool.mjs";
import {StopStringFilter, TokenTextDecoder} from "./text_stream.mjs";

export class Engine {
    static async load({modelPath, contextSize, parallel, threads, paceMs = 0}) {
        // CPU only and never compile: the prebuilt binaries from npm are all this machine can get.
        const llama = await getLlama({
            gpu: false,
            build: "never",
            logLevel: LlamaLogLevel.error,
            logger: (level, message) => process.stderr.write(`llama.cpp ${level}: ${message}\n`),
        });
        const model = await llama.loadModel({modelPath});
        const context = await model.createContext({
            contextSize,  // per sequence
            sequences: parallel,
            threads: {ideal: threads, min: threads},
        });
        const sequences = Array.from({length: parallel}, () => context.getSequence());
        return new Engine(llama, model, context, sequences, threads, paceMs);
    }

    constructor(llama, model, context, sequences, threads = 1, paceMs = 0) {
        this.llama = llama;
        this.model = model;
        this.context = context;
        this.pool = new SequencePool(sequences);
        this.prompts = new PromptBuilder(model);
        this.contextSize = sequences[0].contextSize;
        this.grammars = new GrammarCache(llama);
        this.vocabularySize = model.fileInfo?.metadata?.tokenizer?.ggml?.tokens?.length ?? Infinity;
        this.embedder = new Embedder(model, {contextSize: this.contextSize, threads});
        this.paceMs = paceMs;  // --pace-ms: the least time between two tokens of one answer
    }

    // Runs one request. `onToken(text, logprob)` is called once per generated token with the text that
    // became safe to send (possibly ""), so callers can emit exactly one chunk per token.
    // Resolves to {finishReason, tail, promptTokens, cachedTokens, completionTokens}.
    async generate(request, {onStart, onToken, signal, defaultSeed}) {
        let prompt = request.kind === "chat"
            ? this.prompts.chat(request.messages, request.tools, {continueFinal: request.continueFinal})
            : this.prompts.completion(request.prompt);
        this.checkPromptSize(prompt, request);

        const grammar = request.tools
            ? await this.grammars.toolGrammarFor(request.tools, this.toolCallSyntax())
            : await this.grammars.grammarFor(request.responseFormat);
        const tokenBias = this.tokenBias(request.logitBias);

        const sequence = await this.pool.acquire(prompt.tokens, signal);
        try {
            let cachedTokens;
            if (prompt.prefill) {
                // An answer being continued: its text goes back in as the tokens the model wrote.
                const {prefix} = prompt.prefill;
                cachedTokens = Math.min(sequence.compareContextTokens(prefix).firstDifferentIndex, prefix.length - 1);
                const penalize = request.frequencyPenalty !== 0 || request.presencePenalty !== 0;
                const written = await readPrefill(sequence, this.model, {
                    ...prompt.prefill,
                    signal,
                    sampling: {
                        tokenBias,
                        penalty: penalize ? {penalty: 1, frequencyPenalty: request.frequencyPenalty, presencePenalty: request.presencePenalty} : undefined,
                    },
                });
                if (written) prompt = {...prompt, tokens: prefix.concat(written), prefillTokens: written};
                this.checkPromptSize(prompt, request);
            }
            // Never let generation run past the context: no context shifting, just finish_reason "length".
            const room = this.contextSize - prompt.tokens.length;
            const maxTokens = Math.min(request.maxTokens ?? room, room);
            onStart?.(prompt.tokens.length);
            return await this.decode(sequence, prompt, request, maxTokens, {onToken, signal, defaultSeed, grammar, tokenBias, cachedTokens});
        } finally {
            this.pool.release(sequence);
        }
    }

    checkPromptSize(prompt, request) {
        const promptTokens = prompt.tokens.length;
        if (promptTokens === 0) throw badRequest("the prompt is empty after tokenization", request.kind === "chat" ? "messages" : "prompt");
        if (promptTokens >= this.contextSize) {
            throw badRequest(`the prompt has ${promptTokens} tokens but the context holds ${this.contextSize}`,
                request.kind === "chat" ? "messages" : "prompt", "context_length_exceeded");
        }
    }

    // `cachedTokens`, when given, is what usage reports as cached (a prefill that was read has been
    // evaluated already, but for this request).
    async decode(sequence, prompt, request, maxTokens, {onToken, signal, defaultSeed, grammar, tokenBias, cachedTokens: reportedCached}) {
        // Reuse the longest cached prefix (at least one token must be evaluated to get logits).
        const cachedTokens = Math.min(sequence.compareContextTokens(prompt.tokens).firstDifferentIndex, prompt.tokens.length - 1);
        if (cachedTokens < sequence.nextTokenIndex)
            await sequence.eraseContextTokenRanges([{start: cachedTokens, end: sequence.nextTokenIndex}]);

        const decoder = new TokenTextDecoder(this.model, prompt.tokens);
        // A grammar ends its value with a run of newlines that only mark "done"; they stop the answer.
        const grammarStops = (grammar?.stopGenerationTriggers ?? []).map(triggerText).filter((t) => t !== "");
        const stops = new StopStringFilter([...request.stop, ...prompt.stopTexts, ...grammarStops]);
        const generated = [];
        const penalize = request.frequencyPenalty !== 0 || request.presencePenalty !== 0;
        let finishReason = "length";

        const logprobs = request.logprobs ? new LogprobReader(this.model, request.logprobs.top, prompt.tokens) : undefined;
        const input = prompt.tokens.slice(cachedTokens);
        const options = {
            temperature: request.temperature,  // 0 = greedy
            topP: request.topP,
            topK: request.topK,
            minP: request.minP,
            // Without a client seed a fixed one is used, so identical requests give identical text.
            seed: toUint32(request.seed ?? defaultSeed),
            // A continued answer's earlier tokens count as generated, as they did for the answer.
            repeatPenalty: penalize ? {
                punishTokens: () => (prompt.prefillTokens ?? []).concat(generated).slice(-64),
                penalty: 1,
                frequencyPenalty: request.frequencyPenalty,
                presencePenalty: request.presencePenalty,
            } : undefined,
            grammarEvaluationState: grammar ? new LlamaGrammarEvaluationState({model: this.model, grammar}) : undefined,
            tokenBias,
            yieldEogToken: true,
        };
        // Probabilities cost a pass over the vocabulary per token: only when asked for.
        const tokens = logprobs
            ? sequence.evaluateWithMetadata(input, {probabilities: true}, options)
            : sequence.evaluate(input, options);
        // --pace-ms: each token after the first waits until paceMs have passed since the one before
        // (an end of generation too). Only this answer's loop waits; the other sequences go on.
        let lastTokenAt;
        for await (const item of tokens) {
            const token = logprobs ? item.token : item;
            if (signal?.aborted) throw abortError();
            if (this.paceMs > 0) {
                if (lastTokenAt !== undefined) await pace(lastTokenAt + this.paceMs, signal);
                lastTokenAt = performance.now();
            }
            if (this.model.isEogToken(token) || prompt.stopTokens.has(token)) {
                finishReason = "stop";
                break;
            }
            generated.push(token);
            let text = stops.push(decoder.push(token));
            if (generated.length >= maxTokens) text += stops.push(decoder.flush()) + stops.flush();
            onToken(text, logprobs?.read(token, item.probabilities));
            if (stops.stopped) {
                finishReason = "stop";
                break;
            }
            if (generated.length >= maxTokens) break;
        }
        if (signal?.aborted) throw abortError();
        // Text still held back when an end-of-generation token arrived; callers put it in the final chunk.
        const tail = stops.push(decoder.flush()) + stops.flush();
        return {finishReason, tail, promptTokens: prompt.tokens.length, cachedTokens: reportedCached ?? cachedTokens, completionTokens: generated.length};
    }

    // How the served model writes a tool call (its chat template's syntax), or a 400 if it has none.
    toolCallSyntax() {
        const syntax = this.prompts.toolCallSyntax;
        if (!syntax?.prefix) throw badRequest("this model's chat template has no tool-call syntax", "tools", "unsupported_parameter");
        return syntax;
    }

    // logit_bias as node-llama-cpp's TokenBias; -100 means "never", as OpenAI documents.
    tokenBias(logitBias) {
        if (!logitBias || logitBias.length === 0) return undefined;
        const bias = TokenBias.for(this.model);
        for (const [token, value] of logitBias) {
            if (token >= this.vocabularySize)
                throw badRequest(`'logit_bias' names token ${token}, outside the vocabulary of ${this.vocabularySize}`, "logit_bias");
            bias.set(token, value <= -100 ? "never" : {logit: value});
        }
        return bias;
    }

    async dispose() {
        this.pool.rejectWaiters(new Error("engine shutting down"));
        await this.embedder.dispose();
        await this.context.dispose();
        await this.model.dispose();
        await this.llama.dispose();
    }
}

// Waits until performance.now() reaches `until`, or throws as the client goes away.
async function pace(until, signal) {
    // A timer may fire a fraction of a millisecond early by this clock: wait again for the rest.
    for (let wait = until - performance.now(); wait > 0; wait = until - performance.now()) {
        try {
            await sleep(Math.ceil(wait), undefined, {signal});
        } catch (e) {
            if (signal?.aborted) throw abortError();
            throw e;
        }
    }
}

function triggerText(trigger) {
    if (typeof trigger === "string") return trigger;
    if (Array.isArray(trigger)) return trigger.filter((part) => typeof part === "string").join("");
    return trigger.toString();
}

function toUint32(seed) {
    return ((seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
}
