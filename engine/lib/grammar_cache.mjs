// Compiled grammars for response_format, kept by schema text: an app usually sends the same schema
// with every request, and compiling one costs more than a short answer. Bounded, least recent out.
import {badRequest} from "./errors.mjs";

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
        const cached = this.entries.get(key);
        if (cached) {
            this.hits++;
            this.entries.delete(key);
            this.entries.set(key, cached);
            return cached;
        }
        this.misses++;
        let grammar;
        try {
            const generated = format.type === "json_object"
                ? await this.llama.getGrammarFor("json")
                : await this.llama.createGrammarForJsonSchema(format.schema);
            grammar = await this.llama.createGrammar({
                grammar: finiteNumbers(generated.grammar),
                stopGenerationTriggers: generated.stopGenerationTriggers,
                trimWhitespaceSuffix: generated.trimWhitespaceSuffix,
            });
        } catch (err) {
            throw badRequest(`'response_format.json_schema.schema' cannot be compiled to a grammar: ${err.message}`,
                "response_format.json_schema.schema", "unsupported_schema");
        }
        if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value);
        this.entries.set(key, grammar);
        return grammar;
    }

    stats() {
        return {size: this.entries.size, capacity: this.capacity, hits: this.hits, misses: this.misses};
    }
}

// node-llama-cpp's number rules allow exponents of up to 16 digits, so "integer" can come out as
// 5E22318, which every JSON parser reads as Infinity and no validator accepts. Integers lose the
// exponent; other numbers keep one of at most two digits (finite in every double).
const EXPONENT_RULES = [
    ' ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',  // JSON schema grammars (GbnfNumber)
    ' ([eE] [-+]? [0-9] [1-9]{0,15})?',  // json.gbnf, for json_object
];
const BOUNDED_EXPONENT = ' ([eE] [-+]? [0-9]{1,2})?';

export function finiteNumbers(text) {
    const lines = text.split("\n").map((line) => {
        for (const rule of EXPONENT_RULES)
            if (line.includes(rule)) return line.replace(rule, line.startsWith("integer-number-rule ") ? "" : BOUNDED_EXPONENT);
        return line;
    });
    const out = lines.join("\n");
    // A node-llama-cpp upgrade that lays numbers out differently must fail here, not go unbounded.
    if (/\[eE\][^\n]*\{0,15\}/.test(out)) throw new Error("unexpected number rule in the generated grammar");
    return out;
}
