// Builders for OpenAI response objects, so the wire shapes live in one place.
import {randomBytes} from "node:crypto";
import {chatLogprobs, completionLogprobs} from "./logprobs.mjs";

export function newCompletionId(kind) {
    return (kind === "chat" ? "chatcmpl-" : "cmpl-") + randomBytes(12).toString("hex");
}

export function usageObject({promptTokens, cachedTokens, completionTokens}) {
    return {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: {cached_tokens: cachedTokens},
        completion_tokens_details: {reasoning_tokens: 0},
    };
}

// Streaming chunks of one response share id, created and model.
export class ChunkFactory {
    constructor({kind, id, created, model, includeUsage}) {
        this.kind = kind;
        this.header = {id, object: kind === "chat" ? "chat.completion.chunk" : "text_completion", created, model};
        this.includeUsage = includeUsage;
        this.roleSent = false;
        this.textOffset = 0;  // where the next completion token starts, for text_offset
    }

    // One generated token's text. The assistant role rides on the first chunk, so every chunk
    // before the final one stands for exactly one token.
    // `logprob` is that token's entry when the request asked for logprobs.
    token(text, logprob) {
        const choice = this.choice(text, null);
        if (logprob) choice.logprobs = this.kind === "chat" ? chatLogprobs([logprob]) : completionLogprobs([logprob], this.textOffset);
        this.textOffset += text.length;
        return this.wrap(choice);
    }

    finish(finishReason, tail = "") {
        return this.wrap(this.choice(tail, finishReason));
    }

    // After the final chunk, when stream_options.include_usage asked for it.
    usage(result) {
        return {...this.header, choices: [], usage: usageObject(result)};
    }

    choice(text, finishReason) {
        if (this.kind !== "chat") return {index: 0, text, logprobs: null, finish_reason: finishReason};
        const delta = {};
        if (!this.roleSent) {
            delta.role = "assistant";
            this.roleSent = true;
        }
        if (text !== "" || finishReason === null) delta.content = text;
        return {index: 0, delta, logprobs: null, finish_reason: finishReason};
    }

    wrap(choice) {
        // OpenAI sends "usage": null on ordinary chunks when usage was requested.
        return this.includeUsage ? {...this.header, choices: [choice], usage: null} : {...this.header, choices: [choice]};
    }
}

// `logprobs` is the list of per-token entries, or undefined when the request did not ask.
export function fullResponse({kind, id, created, model, text, result, logprobs}) {
    const shaped = !logprobs ? null : kind === "chat" ? chatLogprobs(logprobs) : completionLogprobs(logprobs, 0);
    const choice = kind === "chat"
        ? {index: 0, message: {role: "assistant", content: text}, logprobs: shaped, finish_reason: result.finishReason}
        : {index: 0, text, logprobs: shaped, finish_reason: result.finishReason};
    return {
        id,
        object: kind === "chat" ? "chat.completion" : "text_completion",
        created,
        model,
        choices: [choice],
        usage: usageObject(result),
    };
}

export function modelObject(name, created) {
    return {id: name, object: "model", created, owned_by: "chrysalis"};
}
