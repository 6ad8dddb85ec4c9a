// Builds the token sequence a request starts from. Chat requests go through the chat wrapper
// that node-llama-cpp resolves from the model's tokenizer.chat_template (a built-in wrapper when
// the template matches a known format, the Jinja template itself otherwise). The wrapper keeps
// message text apart from template markup, so a user typing "<|im_end|>" cannot forge a turn.
import {LlamaText, resolveChatWrapper} from "node-llama-cpp";
import {badRequest} from "./errors.mjs";

const ROLE_TO_HISTORY = {system: "system", developer: "system", user: "user", assistant: "model"};

export class PromptBuilder {
    constructor(model) {
        this.model = model;
        this.chatWrapper = resolveChatWrapper(model);
        this.toolCallSyntax = callSyntax(this.chatWrapper);  // fixed by the model's template
    }

    get chatWrapperName() {
        return this.chatWrapper.wrapperName ?? this.chatWrapper.constructor.name;
    }

    // Returns {tokens, stopTokens: Set<token>, stopTexts: string[]} for a chat request. `tools`
    // (from tools.mjs) are documented in the prompt the way the model's template does it; earlier
    // tool calls and their results go into the assistant turns that made them. `continueFinal`: the
    // last message (assistant text) is left open and the model goes on with it.
    chat(messages, tools, {continueFinal = false} = {}) {
        const chatHistory = toChatHistory(messages, continueFinal);
        const availableFunctions = tools
            ? Object.fromEntries(tools.tools.map((t) => [t.name, {description: t.description, params: t.parameters}]))
            : undefined;
        const render = (history) => this.chatWrapper.generateContextState({chatHistory: history, availableFunctions, documentFunctionParams: true});
        const state = render(chatHistory);
        const tokens = state.contextText.tokenize(this.model.tokenizer);
        // A continued message is read back as the model wrote it (prefill.mjs), after the template
        // up to where the answer starts: the prompt the answer being continued had.
        let prefill;
        if (continueFinal) {
            const text = messages.at(-1).content;
            const open = render([...chatHistory.slice(0, -1), {type: "model", response: []}]).contextText;
            if (state.contextText.toString() === open.toString() + text) {
                const prefix = open.tokenize(this.model.tokenizer);
                if (prefix.length > 0) prefill = {prefix, text, draft: this.model.tokenize(text, false, "trimLeadingSpace")};
            }  // else the template changes the text it continues: the tokenizer's reading stays
        }
        const stopTokens = new Set();
        const stopTexts = [];
        // Turn-ending triggers: one special token (e.g. <|im_end|>) stops by id; anything longer
        // stops when its text shows up in the output.
        for (const trigger of state.stopGenerationTriggers ?? []) {
            const ids = trigger.tokenize(this.model.tokenizer);
            if (ids.length === 1) stopTokens.add(ids[0]);
            else {
                const text = this.model.detokenize(ids, false);
                if (text) stopTexts.push(text);
            }
        }
        return {tokens, stopTokens, stopTexts, prefill};
    }

    // Plain completion: optional BOS, then the text tokenized as text (no special-token parsing).
    // `prompt.prefillBytes`: the text's last bytes are the model's own answer being continued,
    // read back as the model wrote it (prefill.mjs) after the prompt it answered.
    completion(prompt) {
        if (prompt.tokens) {
            const vocab = this.model.fileInfo?.metadata?.tokenizer?.ggml?.tokens?.length ?? Infinity;
            if (prompt.tokens.some((t) => t >= vocab)) throw badRequest("'prompt' contains a token id outside the vocabulary", "prompt");
            return {tokens: [...prompt.tokens], stopTokens: new Set(), stopTexts: []};
        }
        const tokenizeText = (text) => {
            const tokens = this.model.tokenize(text, false);
            const bos = this.model.tokens.bos;
            if (this.model.tokens.shouldPrependBosToken && bos != null) tokens.unshift(bos);
            return tokens;
        };
        const tokens = tokenizeText(prompt.text);
        let prefill;
        if (prompt.prefillBytes) {
            const bytes = Buffer.from(prompt.text, "utf8");
            const asked = bytes.subarray(0, bytes.length - prompt.prefillBytes).toString("utf8");
            const text = prompt.text.slice(asked.length);
            const prefix = tokenizeText(asked);
            const draft = asked === "" ? this.model.tokenize(text, false) : this.model.tokenize(text, false, "trimLeadingSpace");
            if (prefix.length > 0) prefill = {prefix, text, draft};
        }
        return {tokens, stopTokens: new Set(), stopTexts: [], prefill};
    }
}

// OpenAI messages as node-llama-cpp's chat history: each assistant tool call becomes a function
// call item holding the result the matching tool message gave. When the conversation ends with
// tool results, the model continues that same turn; with `continueFinal` it continues the final
// assistant message (its text is the last model item's response, rendered without an end of turn);
// otherwise it starts a new one.
function toChatHistory(messages, continueFinal = false) {
    const results = new Map(messages.filter((m) => m.role === "tool").map((m) => [m.toolCallId, m.content]));
    const called = new Set();
    const history = [];
    let continuesTurn = false;
    for (const [i, m] of messages.entries()) {
        if (m.role === "tool") {
            if (!called.has(m.toolCallId))
                throw badRequest(`messages[${i}].tool_call_id '${m.toolCallId}' answers no earlier tool call`, `messages[${i}].tool_call_id`);
            continue;
        }
        continuesTurn = false;
        if (ROLE_TO_HISTORY[m.role] !== "model") {
            history.push({type: ROLE_TO_HISTORY[m.role], text: m.content});
            continue;
        }
        const response = m.content ? [m.content] : [];
        for (const call of m.toolCalls ?? []) {
            if (!results.has(call.id))
                throw badRequest(`messages[${i}].tool_calls: no tool message answers '${call.id}'`, `messages[${i}].tool_calls`);
            called.add(call.id);
            response.push({type: "functionCall", name: call.name, params: call.params, result: jsonOrText(results.get(call.id))});
        }
        history.push({type: "model", response});
        continuesTurn = (m.toolCalls ?? []).length > 0;
    }
    if (!continuesTurn && !continueFinal) history.push({type: "model", response: []});  // the turn to generate
    return history;
}

function jsonOrText(text) {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

// How the wrapper's model writes a function call, as plain text; undefined if it has no syntax.
function callSyntax(chatWrapper) {
    const call = chatWrapper.settings?.functions?.call;
    if (!call) return undefined;
    const text = (value) => (value == null ? "" : LlamaText(value).toString());
    const between = chatWrapper.settings.functions.parallelism?.call?.betweenCalls;
    return {prefix: text(call.prefix), paramsPrefix: text(call.paramsPrefix), suffix: text(call.suffix), between: between ? text(between) : "\n"};
}
