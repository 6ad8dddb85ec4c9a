// OpenAI's `logprobs`: for each generated token its log probability and the most likely
// alternatives. They come from the distribution the token was drawn from: the model's own softmax
// at temperature 0, and after top-k / top-p with sampling (as llama.cpp's server reports them).
const FLOOR = -9999;  // OpenAI's stand-in for a probability too small to show
const CONTEXT_TOKENS = 8;

export class LogprobReader {
    constructor(model, top, precedingTokens) {
        this.model = model;
        this.top = top;
        this.context = precedingTokens.slice(-CONTEXT_TOKENS);
    }

    // One entry in the chat shape: {token, logprob, bytes, top_logprobs}.
    read(token, probabilities) {
        const entry = {...this.describe(token, probabilities.get(token) ?? 0), top_logprobs: []};
        for (const [candidate, p] of probabilities) {
            if (entry.top_logprobs.length >= this.top) break;
            entry.top_logprobs.push(this.describe(candidate, p));
        }
        this.context = this.context.concat(token).slice(-CONTEXT_TOKENS);
        return entry;
    }

    describe(token, probability) {
        const text = this.model.detokenize([token], false, this.context);
        const logprob = probability > 0 ? Math.max(Math.log(probability), FLOOR) : FLOOR;
        return {token: text, logprob, bytes: [...Buffer.from(text, "utf8")]};
    }
}

export function chatLogprobs(entries) {
    return {content: entries, refusal: null};
}

// The legacy completions shape; `offset` is where the first entry's text starts in the answer.
export function completionLogprobs(entries, offset) {
    const shape = {tokens: [], token_logprobs: [], top_logprobs: [], text_offset: []};
    for (const entry of entries) {
        shape.tokens.push(entry.token);
        shape.token_logprobs.push(entry.logprob);
        shape.top_logprobs.push(Object.fromEntries(entry.top_logprobs.map((t) => [t.token, t.logprob])));
        shape.text_offset.push(offset);
        offset += entry.token.length;
    }
    return shape;
}
