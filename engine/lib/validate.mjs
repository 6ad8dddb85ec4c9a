// Turns an OpenAI request body into the engine's normalized request, or a 400 naming the field.
import {badRequest} from "./errors.mjs";
import {parseResponseFormat} from "./structured_output.mjs";
import {parseToolCalls, parseTools} from "./tools.mjs";

const CHAT_ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);

export function parseJsonBody(text) {
    if (text.trim() === "") throw badRequest("request body is empty; expected a JSON object", null, "invalid_json");
    let body;
    try {
        body = JSON.parse(text);
    } catch (e) {
        throw badRequest(`request body is not valid JSON: ${e.message}`, null, "invalid_json");
    }
    if (body === null || typeof body !== "object" || Array.isArray(body))
        throw badRequest("request body must be a JSON object", null, "invalid_json");
    return body;
}

function optionalNumber(body, name, {min, max, integer = false}) {
    const v = body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max)
        throw badRequest(`'${name}' must be ${integer ? "an integer" : "a number"} in [${min}, ${max}]`, name);
    return v;
}

function optionalBool(body, name) {
    const v = body[name];
    if (v === undefined || v === null) return false;
    if (typeof v !== "boolean") throw badRequest(`'${name}' must be a boolean`, name);
    return v;
}

function parseStop(body) {
    const v = body.stop;
    if (v === undefined || v === null) return [];
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list) || list.length > 16 || !list.every((s) => typeof s === "string"))
        throw badRequest("'stop' must be a string or an array of at most 16 strings", "stop");
    return list.filter((s) => s.length > 0);
}

// OpenAI allows content as a string, null (assistant turns with tool calls) or a list of parts.
function messageText(content, index) {
    if (typeof content === "string") return content;
    if (content === null || content === undefined) return "";
    if (Array.isArray(content)) {
        return content.map((part, j) => {
            if (part && part.type === "text" && typeof part.text === "string") return part.text;
            throw badRequest(`messages[${index}].content[${j}]: only text parts are supported`, `messages[${index}].content`);
        }).join("");
    }
    throw badRequest(`messages[${index}].content must be a string or an array of text parts`, `messages[${index}].content`);
}

function parseMessages(body) {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0)
        throw badRequest("'messages' is required and must be a non-empty array", "messages", "missing_required_parameter");
    return messages.map((m, i) => {
        if (!m || typeof m !== "object" || !CHAT_ROLES.has(m.role))
            throw badRequest(`messages[${i}].role must be one of ${[...CHAT_ROLES].join(", ")}`, `messages[${i}].role`);
        const message = {role: m.role, content: messageText(m.content, i)};
        if (m.role === "assistant" && m.tool_calls != null) message.toolCalls = parseToolCalls(m.tool_calls, `messages[${i}].tool_calls`);
        if (m.role === "tool") {
            if (typeof m.tool_call_id !== "string" || m.tool_call_id === "")
                throw badRequest(`messages[${i}].tool_call_id is required for a tool message`, `messages[${i}].tool_call_id`);
            message.toolCallId = m.tool_call_id;
        }
        return message;
    });
}

// A completion prompt: a string, a one-element array of strings, or an array of token ids.
function parsePrompt(body) {
    const p = body.prompt;
    if (typeof p === "string") return {text: p};
    if (Array.isArray(p) && p.length === 1 && typeof p[0] === "string") return {text: p[0]};
    if (Array.isArray(p) && p.length > 0 && p.every((t) => Number.isInteger(t) && t >= 0)) return {tokens: p};
    if (p === undefined || p === null)
        throw badRequest("'prompt' is required", "prompt", "missing_required_parameter");
    throw badRequest("'prompt' must be a string, a one-element array of strings, or an array of token ids", "prompt");
}

// OpenAI's logit_bias: {"token id": bias from -100 to 100}; -100 bans the token outright.
const MAX_LOGIT_BIAS_ENTRIES = 1024;
function parseLogitBias(body) {
    const v = body.logit_bias;
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) throw badRequest("'logit_bias' must be an object of token ids to biases", "logit_bias");
    const entries = Object.entries(v);
    if (entries.length > MAX_LOGIT_BIAS_ENTRIES)
        throw badRequest(`'logit_bias' has ${entries.length} entries; the limit is ${MAX_LOGIT_BIAS_ENTRIES}`, "logit_bias");
    return entries.map(([key, bias]) => {
        if (!/^(0|[1-9][0-9]{0,9})$/.test(key)) throw badRequest(`'logit_bias' keys must be token ids, got ${JSON.stringify(key)}`, "logit_bias");
        if (typeof bias !== "number" || !(bias >= -100 && bias <= 100))
            throw badRequest(`'logit_bias["${key}"]' must be a number from -100 to 100`, "logit_bias");
        return [Number(key), bias];
    });
}

// n: each choice is its own generation (seed + index), so they share the sequence pool fairly.
export const MAX_CHOICES = 16;

// Chat: logprobs true/false with top_logprobs 0..20; completions: logprobs 0..5 alternatives.
function parseLogprobs(body, kind) {
    if (kind === "completion") {
        const top = optionalNumber(body, "logprobs", {min: 0, max: 5, integer: true});
        return top === undefined ? undefined : {top};
    }
    const wanted = optionalBool(body, "logprobs");
    const top = optionalNumber(body, "top_logprobs", {min: 0, max: 20, integer: true});
    if (top !== undefined && !wanted) throw badRequest("'top_logprobs' needs 'logprobs': true", "top_logprobs");
    return wanted ? {top: top ?? 0} : undefined;
}

// Fields this engine cannot honour are refused by name rather than ignored.
function refuseUnsupported(body, kind) {
    const refuse = (name, why) => {
        throw badRequest(`'${name}' is not supported by the embedded engine: ${why}`, name, "unsupported_parameter");
    };
    if (kind === "completion" && body.tools != null) refuse("tools", "tools are for chat completions");
    if (body.best_of != null && body.best_of !== (body.n ?? 1))
        refuse("best_of", "candidates beyond the n returned are not generated; leave best_of out or equal to n");
    if (body.echo != null && body.echo !== false) refuse("echo", "the prompt is not echoed into the answer");
    if (body.suffix != null && body.suffix !== "") refuse("suffix", "fill-in-the-middle is not available for this model");
}

export function parseGenerationRequest(body, kind) {
    if (body.model !== undefined && typeof body.model !== "string") throw badRequest("'model' must be a string", "model");
    refuseUnsupported(body, kind);
    const maxTokens = optionalNumber(body, "max_completion_tokens", {min: 1, max: 1 << 24, integer: true})
        ?? optionalNumber(body, "max_tokens", {min: 1, max: 1 << 24, integer: true});
    const streamOptions = body.stream_options;
    if (streamOptions !== undefined && streamOptions !== null && typeof streamOptions !== "object")
        throw badRequest("'stream_options' must be an object", "stream_options");

    const request = {
        kind,
        model: body.model,
        messages: kind === "chat" ? parseMessages(body) : undefined,
        prompt: kind === "completion" ? parsePrompt(body) : undefined,
        maxTokens,
        stop: parseStop(body),
        temperature: optionalNumber(body, "temperature", {min: 0, max: 2}) ?? 1,
        topP: optionalNumber(body, "top_p", {min: 0, max: 1}) ?? 1,
        topK: optionalNumber(body, "top_k", {min: 0, max: 1 << 20, integer: true}) ?? 0,
        minP: optionalNumber(body, "min_p", {min: 0, max: 1}) ?? 0,
        seed: optionalNumber(body, "seed", {min: -(2 ** 53), max: 2 ** 53, integer: true}),
        frequencyPenalty: optionalNumber(body, "frequency_penalty", {min: -2, max: 2}) ?? 0,
        presencePenalty: optionalNumber(body, "presence_penalty", {min: -2, max: 2}) ?? 0,
        logitBias: parseLogitBias(body),
        tools: kind === "chat" ? parseTools(body) : undefined,
        logprobs: parseLogprobs(body, kind),
        choices: optionalNumber(body, "n", {min: 1, max: MAX_CHOICES, integer: true}) ?? 1,
        responseFormat: parseResponseFormat(body),
        stream: optionalBool(body, "stream"),
        includeUsage: Boolean(streamOptions?.include_usage),
    };
    if (request.tools && request.responseFormat)
        throw badRequest("'response_format' together with tools is not supported by the embedded engine: one grammar shapes the answer",
            "response_format", "unsupported_parameter");
    request.continueFinal = parseContinuation(body, kind, request);
    return request;
}

// continue_final_message (vLLM's and SGLang's name for assistant prefill): the answer goes on with
// the last message, an assistant turn left open, instead of starting a new turn; the answer holds
// only the new text. add_generation_prompt is its opposite and may be given only as that.
const CONTINUE = "continue_final_message";
const GENERATION_PROMPT = "add_generation_prompt";
function parseContinuation(body, kind, request) {
    const continueFinal = optionalBool(body, CONTINUE);
    const generationPrompt = body[GENERATION_PROMPT];
    if (generationPrompt != null && typeof generationPrompt !== "boolean")
        throw badRequest(`'${GENERATION_PROMPT}' must be a boolean`, GENERATION_PROMPT);
    if (kind === "completion") {
        if (continueFinal)
            throw badRequest(`'${CONTINUE}' is for chat completions; a completion prompt is always continued as it stands`, CONTINUE, "unsupported_parameter");
        if (generationPrompt === false)
            throw badRequest(`'${GENERATION_PROMPT}' is for chat completions; a completion prompt gets no chat template`, GENERATION_PROMPT, "unsupported_parameter");
        parsePrefillBytes(body, request);
        return false;
    }
    if (body[PREFILL_BYTES] != null)
        throw badRequest(`'${PREFILL_BYTES}' is for completions; a chat answer is continued with '${CONTINUE}'`, PREFILL_BYTES, "unsupported_parameter");
    if (!continueFinal) {
        if (generationPrompt === false)
            throw badRequest(`'${GENERATION_PROMPT}': false is supported only with '${CONTINUE}': true (the answer continues the last assistant message); ` +
                "otherwise a new assistant turn always starts", GENERATION_PROMPT, "unsupported_parameter");
        return false;
    }
    if (generationPrompt === true)
        throw badRequest(`'${GENERATION_PROMPT}' and '${CONTINUE}' cannot both be true: a new assistant turn cannot also continue the last message`,
            GENERATION_PROMPT);
    const last = request.messages.length - 1;
    const final = request.messages[last];
    if (final.role !== "assistant")
        throw badRequest(`'${CONTINUE}' needs the last message to be the assistant text to continue; messages[${last}] is role "${final.role}"`, CONTINUE);
    if (final.toolCalls)
        throw badRequest(`'${CONTINUE}' continues text only; messages[${last}] has tool_calls`, CONTINUE);
    if (final.content === "")
        throw badRequest(`'${CONTINUE}' needs text to continue; messages[${last}].content is empty`, CONTINUE);
    const refuse = (what, why) => {
        throw badRequest(`'${CONTINUE}' cannot be combined with ${what}: ${why}`, CONTINUE, "unsupported_parameter");
    };
    if (request.choices > 1) refuse("n > 1", "one prefill continues as one answer");
    if (request.tools) refuse("tools (tool_choice other than \"none\")", "tool calls are read from the whole answer, not from a continuation");
    if (request.responseFormat) refuse(`response_format ${request.responseFormat.type}`, "the grammar would have to start inside the prefill");
    return true;
}

// prefill_bytes (completions, a Chrysalis extension that other engines ignore): the prompt's last
// N bytes (UTF-8) are this model's own answer to the rest, being continued. The prompt means the
// same with or without it; with it the engine reads those bytes back as the tokens the model wrote
// (prefill.mjs), so that a continuation at temperature 0 is exactly the rest of the answer.
const PREFILL_BYTES = "prefill_bytes";
function parsePrefillBytes(body, request) {
    const bytes = optionalNumber(body, PREFILL_BYTES, {min: 0, max: 2 ** 31, integer: true});
    if (!bytes) return;
    if (request.prompt.text === undefined) throw badRequest(`'${PREFILL_BYTES}' needs a text prompt, not token ids`, PREFILL_BYTES);
    const text = Buffer.from(request.prompt.text, "utf8");
    if (bytes > text.length) throw badRequest(`'${PREFILL_BYTES}' is ${bytes} but the prompt has ${text.length} bytes`, PREFILL_BYTES);
    if ((text[text.length - bytes] & 0xc0) === 0x80) throw badRequest(`'${PREFILL_BYTES}' starts inside a UTF-8 character of the prompt`, PREFILL_BYTES);
    const refuse = (what, why) => {
        throw badRequest(`'${PREFILL_BYTES}' cannot be combined with ${what}: ${why}`, PREFILL_BYTES, "unsupported_parameter");
    };
    if (request.choices > 1) refuse("n > 1", "one prefill continues as one answer");
    if (request.responseFormat) refuse(`response_format ${request.responseFormat.type}`, "the grammar would have to start inside the prefill");
    request.prompt.prefillBytes = bytes;
}
