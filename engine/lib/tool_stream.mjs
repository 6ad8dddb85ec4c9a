// Reads a tool-calling answer as it is generated (the grammar in tool_grammar.mjs guarantees its
// shape) and turns each piece of text into OpenAI's deltas: plain `content`, or `tool_calls`
// entries — the first for a call carries its id, type and name, later ones argument text.
import {randomBytes} from "node:crypto";

export class ToolCallStream {
    // `syntax`: {prefix, paramsPrefix, suffix, between}; `forced`: the answer is calls only.
    constructor(syntax, forced) {
        this.syntax = syntax;
        this.state = forced ? "prefix" : "undecided";
        this.buffer = "";
        this.calls = [];  // {id, name, arguments}
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
    }

    get calledTools() {
        return this.calls.length > 0;
    }

    // Past any text: what the model writes now belongs to tool calls.
    get inCalls() {
        return this.state !== "text" && this.state !== "undecided";
    }

    // Returns {content, toolCalls} for one piece: content text ("" if none) and a list of
    // tool_calls deltas (possibly empty).
    push(text) {
        const out = {content: "", toolCalls: new Map()};
        this.buffer += text;
        while (this.step(out));
        return {content: out.content, toolCalls: [...out.toolCalls.values()]};
    }

    // What is still held at the end: a partial call prefix in auto mode was text after all.
    flush() {
        if (this.state !== "undecided" || this.buffer === "") return "";
        const text = this.buffer;
        this.buffer = "";
        return text;
    }

    step(out) {
        const {prefix, paramsPrefix, suffix, between} = this.syntax;
        switch (this.state) {
            case "undecided":
                if (this.buffer.startsWith(prefix)) return this.advance("name", prefix.length);
                if (this.buffer.length < prefix.length && prefix.startsWith(this.buffer)) return false;
                this.state = "text";
                return true;
            case "text":
                out.content += this.buffer;
                this.buffer = "";
                return false;
            case "prefix":
                if (this.buffer.startsWith(prefix)) return this.advance("name", prefix.length);
                return false;
            case "name": {
                const at = this.buffer.indexOf(paramsPrefix);
                if (at === -1) return false;
                const call = {id: `call_${randomBytes(12).toString("hex")}`, name: this.buffer.slice(0, at), arguments: ""};
                this.calls.push(call);
                out.toolCalls.set(this.calls.length - 1, {index: this.calls.length - 1, id: call.id, type: "function",
                    function: {name: call.name, arguments: ""}});
                Object.assign(this, {depth: 0, inString: false, escaped: false});
                return this.advance("arguments", at + paramsPrefix.length);
            }
            case "arguments": {
                const end = this.argumentsEnd();  // the scanned text is consumed either way
                const piece = end === -1 ? this.buffer : this.buffer.slice(0, end);
                if (piece !== "") {
                    const index = this.calls.length - 1;
                    this.calls[index].arguments += piece;
                    const delta = out.toolCalls.get(index) ?? {index, function: {arguments: ""}};
                    delta.function.arguments += piece;
                    out.toolCalls.set(index, delta);
                }
                if (end === -1) {
                    this.buffer = "";
                    return false;
                }
                return this.advance("suffix", end);
            }
            case "suffix":
                if (this.buffer.length < suffix.length) return false;
                return this.advance("between", suffix.length);
            case "between":
                if (this.buffer.length < between.length) return false;
                return this.advance("prefix", between.length);
        }
        return false;
    }

    advance(state, consumed) {
        this.state = state;
        this.buffer = this.buffer.slice(consumed);
        return true;
    }

    // How much of the buffer belongs to the arguments object; scans JSON strings and nesting,
    // and returns the length up to the object's closing brace, or -1 when it has not closed yet.
    argumentsEnd() {
        for (let i = 0; i < this.buffer.length; i++) {
            const c = this.buffer[i];
            if (this.inString) {
                if (this.escaped) this.escaped = false;
                else if (c === "\\") this.escaped = true;
                else if (c === '"') this.inString = false;
            } else if (c === '"') this.inString = true;
            else if (c === "{" || c === "[") this.depth++;
            else if (c === "}" || c === "]") {
                this.depth--;
                if (this.depth === 0) return i + 1;
            }
        }
        return -1;
    }
}
