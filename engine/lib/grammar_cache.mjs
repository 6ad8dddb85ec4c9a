// Compiled grammars for response_format and tools, kept by schema text: an app usually sends the same schema
// with every request, and compiling one costs more than a short answer. Bounded, least recent out.
import {badRequest} from "./errors.mjs";
import {finiteNumbers} from "./number_rules.mjs";
import {toolCallGrammar} from "./tool_grammar.mjs";
import {MAX_PARALLEL_CALLS} from "./tools.mjs";

export class GrammarCache {
    constructor(llama, capacity = 32) {
        this.llama = llama;
        this.capacity = capacity;
        this.entries = new Map();
        this.hits = 0;
        this.misses = 0;
    }

    // undefined for plain text; otherwise a LlamaGrammar (its stop triggers end the answer).
    async grammarFor(format) {
        if (!format) return undefined;
        const key = format.type === "json_schema" ? format.key : format.type;
        return this.remember(key, async () => {
            try {
                const generated = format.type === "json_object"
                    ? await this.llama.getGrammarFor("json")
                    : await this.llama.createGrammarForJsonSchema(format.schema);
                return await this.llama.createGrammar({
                    grammar: finiteNumbers(generated.grammar),
                    stopGenerationTriggers: generated.stopGenerationTriggers,
                    trimWhitespaceSuffix: generated.trimWhitespaceSuffix,
                });
            } catch (err) {
                throw badRequest(`'response_format' cannot be compiled to a grammar: ${err.message}`,
                    "response_format", "unsupported_schema");
            }
        });
    }

    // The grammar for an answer that may (or must) call `tools` in the wrapper's `syntax`.
    async toolGrammarFor(tools, syntax) {
        const offered = tools.forced ?? tools.tools;
        const maxCalls = tools.parallel ? MAX_PARALLEL_CALLS : 1;
        const key = JSON.stringify(["tools", offered, Boolean(tools.forced), maxCalls, syntax]);
        return this.remember(key, async () => {
            try {
                return await toolCallGrammar(this.llama, {syntax, tools: offered, forced: Boolean(tools.forced), maxCalls});
            } catch (err) {
                throw badRequest(`'tools' cannot be compiled to a grammar: ${err.message}`, "tools", "unsupported_schema");
            }
        });
    }

    async remember(key, build) {
        const cached = this.entries.get(key);
        if (cached) {
            this.hits++;
            this.entries.delete(key);
            this.entries.set(key, cached);
            return cached;
        }
        this.misses++;
        const grammar = await build();
        if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value);
        this.entries.set(key, grammar);
        return grammar;
    }

    stats() {
        return {size: this.entries.size, capacity: this.capacity, hits: this.hits, misses: this.misses};
    }
}
