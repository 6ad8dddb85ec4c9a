// Builds the token sequence a request starts from. Chat requests go through the chat wrapper
// that node-llama-cpp resolves from the model's tokenizer.chat_template (a built-in wrapper when
// the template matches a known format, the Jinja template itself otherwise). The wrapper keeps
// message text apart from template markup, so a user typing "<|im_end|>" cannot forge a turn.
import {resolveChatWrapper} from "node-llama-cpp";
import {badRequest} from "./errors.mjs";

const ROLE_TO_HISTORY = {system: "system", developer: "system", user: "user", tool: "user", assistant: "model"};

export class PromptBuilder {
    constructor(model) {
        this.model = model;
        this.chatWrapper = resolveChatWrapper(model);
    }

    get chatWrapperName() {
        return this.chatWrapper.wrapperName ?? this.chatWrapper.constructor.name;
    }

    // Returns {tokens, stopTokens: Set<token>, stopTexts: string[]} for a chat request.
    chat(messages) {
        const chatHistory = messages.map(({role, content}) => ROLE_TO_HISTORY[role] === "model"
            ? {type: "model", response: [content]}
            : {type: ROLE_TO_HISTORY[role], text: content});
        chatHistory.push({type: "model", response: []});  // the turn to generate

        const state = this.chatWrapper.generateContextState({chatHistory});
        const tokens = state.contextText.tokenize(this.model.tokenizer);
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
        return {tokens, stopTokens, stopTexts};
    }

    // Plain completion: optional BOS, then the text tokenized as text (no special-token parsing).
    completion(prompt) {
        if (prompt.tokens) {
            const vocab = this.model.fileInfo?.metadata?.tokenizer?.ggml?.tokens?.length ?? Infinity;
            if (prompt.tokens.some((t) => t >= vocab)) throw badRequest("'prompt' contains a token id outside the vocabulary", "prompt");
            return {tokens: [...prompt.tokens], stopTokens: new Set(), stopTexts: []};
        }
        const tokens = this.model.tokenize(prompt.text, false);
        const bos = this.model.tokens.bos;
        if (this.model.tokens.shouldPrependBosToken && bos != null) tokens.unshift(bos);
        return {tokens, stopTokens: new Set(), stopTexts: []};
    }
}
