// The grammar for a tool-calling answer, in the chat wrapper's own call syntax (for ChatML:
// `||call: name({...})`): each call names one of the request's tools and its arguments match that
// tool's parameter schema. Forced (tool_choice "required" or a named tool): the answer is calls
// only. Auto: the answer is either calls or text that does not begin with the call prefix.
import {finiteNumbers} from "./number_rules.mjs";

const TRAILER = ' "\\n\\n\\n\\n" [\\n]*';  // what node-llama-cpp ends a JSON-schema root with

// `syntax`: {prefix, paramsPrefix, suffix, between} as plain text; `tools`: [{name, parameters}].
export async function toolCallGrammar(llama, {syntax, tools, forced, maxCalls}) {
    const rules = [];
    const callNames = [];
    for (const [i, tool] of tools.entries()) {
        const generated = await llama.createGrammarForJsonSchema(tool.parameters ?? {type: "object"});
        const params = renameRules(finiteNumbers(generated.grammar), `t${i}-`);
        if (!params.rootBody.endsWith(TRAILER)) throw new Error("unexpected layout of a JSON-schema grammar");
        rules.push(...params.lines, `t${i}-params ::= ${params.rootBody.slice(0, -TRAILER.length)}`);
        rules.push(`t${i}-call ::= ${literal(syntax.prefix + tool.name + syntax.paramsPrefix)} t${i}-params ${literal(syntax.suffix)}`);
        callNames.push(`t${i}-call`);
    }
    rules.push(`call ::= ${callNames.join(" | ")}`);
    const calls = maxCalls > 1 ? `call (${literal(syntax.between)} call){0,${maxCalls - 1}}` : "call";
    if (forced) rules.unshift(`root ::= ${calls}`);
    else rules.unshift(`root ::= ${calls} | ${notStartingWith(syntax.prefix)}`, "any-char ::= [^\\x00]");
    return llama.createGrammar({grammar: rules.join("\n")});
}

// Text that is empty or does not begin with `prefix`: for "ab", [^a] any* | "a" ([^b] any*)?
function notStartingWith(prefix) {
    const chars = [...prefix];
    const options = ['""'];
    for (let i = 0; i < chars.length; i++) {
        const head = i === 0 ? "" : `${literal(chars.slice(0, i).join(""))} `;
        options.push(`${head}[^${classChar(chars[i])}] any-char*`);
    }
    options.push(...chars.slice(1).map((_, i) => literal(chars.slice(0, i + 1).join(""))));
    return `(${options.join(" | ")})`;
}

function literal(text) {
    return JSON.stringify(text);
}

function classChar(c) {
    return c === "]" || c === "\\" || c === "^" || c === "-" ? `\\${c}` : c;
}

// Prefixes every rule a generated grammar defines, so that several tools' grammars can share one
// file. Rule references are bare words outside "strings" and [classes].
export function renameRules(text, prefix) {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    const defined = new Set(lines.map((l) => l.split("::=")[0].trim()));
    const rename = (body) => {
        let out = "";
        for (let i = 0; i < body.length;) {
            const c = body[i];
            if (c === '"' || c === "[") {
                const close = c === '"' ? '"' : "]";
                let j = i + 1;
                while (j < body.length && body[j] !== close) j += body[j] === "\\" ? 2 : 1;
                out += body.slice(i, j + 1);
                i = j + 1;
            } else if (/[A-Za-z0-9_-]/.test(c)) {
                let j = i;
                while (j < body.length && /[A-Za-z0-9_-]/.test(body[j])) j++;
                const word = body.slice(i, j);
                out += defined.has(word) ? prefix + word : word;
                i = j;
            } else {
                out += c;
                i++;
            }
        }
        return out;
    };
    let rootBody;
    const renamed = [];
    for (const line of lines) {
        const at = line.indexOf("::=");
        const name = line.slice(0, at).trim();
        const body = rename(line.slice(at + 3).trim());
        if (name === "root") rootBody = body;
        else renamed.push(`${prefix}${name} ::= ${body}`);
    }
    return {lines: renamed, rootBody};
}
