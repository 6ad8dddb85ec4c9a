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

// Streaming chunks of one response share id, created and model; each choice keeps its own state.
export class ChunkFactory {
    constructor({kind, id, created, model, includeUsage}) {
        this.kind = kind;
        this.header = {id, object: kind === "chat" ? "chat.completion.chunk" : "text_completion", created, model};
        this.includeUsage = includeUsage;
        this.choices = new Map();  // index -> {roleSent, textOffset}
    }

    // One generated token's text for choice `index`; `logprob` is its entry when the request asked
    // for logprobs. The assistant role rides on a choice's first chunk, so every chunk before its
    // final one stands for exactly one token.
    // `tools` (a ToolCallStream) reads tool calls out of the text when the request offers tools.
    token(text, logprob, index = 0, tools = undefined) {
        const state = this.state(index);
        const {content, toolCalls} = tools ? tools.push(text) : {content: text, toolCalls: []};
        const choice = this.choice(index, content, null, toolCalls, tools?.inCalls);
        if (logprob) choice.logprobs = this.kind === "chat" ? chatLogprobs([logprob]) : completionLogprobs([logprob], state.textOffset);
        state.textOffset += text.length;
        return this.wrap(choice);
    }

    finish(finishReason, tail = "", index = 0, tools = undefined) {
        if (!tools) return this.wrap(this.choice(index, tail, finishReason));
        const {content, toolCalls} = tools.push(tail);
        return this.wrap(this.choice(index, content + tools.flush(), toolFinish(finishReason, tools), toolCalls));
    }

    // After the final chunk, when stream_options.include_usage asked for it.
    usage(result) {
        return {...this.header, choices: [], usage: usageObject(result)};
    }

    state(index) {
        if (!this.choices.has(index)) this.choices.set(index, {roleSent: false, textOffset: 0});
        return this.choices.get(index);
    }

    // `inCalls`: the answer is tool calls, so an empty token carries no `content` either.
    choice(index, text, finishReason, toolCalls = [], inCalls = false) {
        if (this.kind !== "chat") return {index, text, logprobs: null, finish_reason: finishReason};
        const state = this.state(index);
        const delta = {};
        if (!state.roleSent) {
            delta.role = "assistant";
            state.roleSent = true;
        }
        if (toolCalls.length > 0) delta.tool_calls = toolCalls;
        if (text !== "" || (finishReason === null && toolCalls.length === 0 && !inCalls)) delta.content = text;
        return {index, delta, logprobs: null, finish_reason: finishReason};
    }

    wrap(choice) {
        // OpenAI sends "usage": null on ordinary chunks when usage was requested.
        return this.includeUsage ? {...this.header, choices: [choice], usage: null} : {...this.header, choices: [choice]};
    }
}

// An answer that called tools ends with "tool_calls" (unless max_tokens cut it).
export function toolFinish(finishReason, tools) {
    return finishReason === "stop" && tools?.calledTools ? "tool_calls" : finishReason;
}

// `choices`: [{text, finishReason, logprobs, toolCalls}] in index order (logprobs: the per-token entries, or
// undefined when the request did not ask); `usage`: the whole answer's counts.
export function fullResponse({kind, id, created, model, choices, usage}) {
    return {
        id,
        object: kind === "chat" ? "chat.completion" : "text_completion",
        created,
        model,
        choices: choices.map(({text, finishReason, logprobs, toolCalls}, index) => {
            const shaped = !logprobs ? null : kind === "chat" ? chatLogprobs(logprobs) : completionLogprobs(logprobs, 0);
            if (kind !== "chat") return {index, text, logprobs: shaped, finish_reason: finishReason};
            const message = {role: "assistant", content: text};
            if (toolCalls?.length) {
                message.tool_calls = toolCalls.map(({id, name, arguments: args}) => ({id, type: "function", function: {name, arguments: args}}));
                if (text === "") message.content = null;
            }
            return {index, message, logprobs: shaped, finish_reason: finishReason};
        }),
        usage: usageObject(usage),
    };
}

export function modelObject(name, created) {
    return {id: name, object: "model", created, owned_by: "chrysalis"};
}
