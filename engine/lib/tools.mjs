// OpenAI tool calling for the embedded engine: the request's tools and tool_choice, checked; and
// a conversation's assistant tool calls and tool results, paired for the chat wrapper.
import {badRequest} from "./errors.mjs";
import {checkedSchema} from "./structured_output.mjs";

const MAX_TOOLS = 128;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_PARALLEL_CALLS = 8;

// undefined when the answer cannot call tools; else {tools: [{name, description, parameters}],
// forced: tool names the answer must call from (null: the model may answer in text), parallel}.
export function parseTools(body) {
    for (const legacy of ["functions", "function_call"])
        if (body[legacy] != null) throw badRequest(`'${legacy}' is the deprecated form of tools; send 'tools' and 'tool_choice'`, legacy, "unsupported_parameter");
    const list = body.tools;
    if (list == null || (Array.isArray(list) && list.length === 0)) {
        if (body.tool_choice != null && body.tool_choice !== "none" && body.tool_choice !== "auto")
            throw badRequest("'tool_choice' needs 'tools'", "tool_choice");
        return undefined;
    }
    if (!Array.isArray(list) || list.length > MAX_TOOLS) throw badRequest(`'tools' must be an array of at most ${MAX_TOOLS} tools`, "tools");
    const tools = list.map((tool, i) => parseTool(tool, `tools[${i}]`));
    const names = new Set();
    for (const [i, {name}] of tools.entries()) {
        if (names.has(name)) throw badRequest(`'tools[${i}].function.name' repeats '${name}'`, `tools[${i}].function.name`);
        names.add(name);
    }
    const parallel = body.parallel_tool_calls ?? true;
    if (typeof parallel !== "boolean") throw badRequest("'parallel_tool_calls' must be a boolean", "parallel_tool_calls");
    const choice = body.tool_choice ?? "auto";
    if (choice === "none") return undefined;
    if (choice === "auto") return {tools, forced: null, parallel};
    if (choice === "required") return {tools, forced: tools, parallel};
    const named = choice?.type === "function" ? choice.function?.name : undefined;
    if (typeof named !== "string")
        throw badRequest(`'tool_choice' must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}`, "tool_choice");
    const tool = tools.find((t) => t.name === named);
    if (!tool) throw badRequest(`'tool_choice' names '${named}', which is not among the tools`, "tool_choice");
    return {tools, forced: [tool], parallel};
}

function parseTool(tool, where) {
    if (tool?.type !== "function" || typeof tool.function !== "object" || tool.function === null)
        throw badRequest(`'${where}' must be {"type": "function", "function": {...}}`, where);
    const {name, description, parameters} = tool.function;
    if (typeof name !== "string" || !NAME.test(name))
        throw badRequest(`'${where}.function.name' must be 1 to 64 letters, digits, '_' or '-'`, `${where}.function.name`);
    if (description != null && typeof description !== "string")
        throw badRequest(`'${where}.function.description' must be a string`, `${where}.function.description`);
    let schema;
    if (parameters != null) {
        if (parameters.type !== "object") throw badRequest(`'${where}.function.parameters' must be a schema of type "object"`, `${where}.function.parameters`);
        schema = checkedSchema(parameters, `${where}.function.parameters`).schema;
    }
    return {name, description: description ?? undefined, parameters: schema};
}

// An assistant message's tool_calls as [{id, name, params}], checked.
export function parseToolCalls(calls, where) {
    if (!Array.isArray(calls) || calls.length === 0 || calls.length > MAX_TOOLS)
        throw badRequest(`'${where}' must be a non-empty array of tool calls`, where);
    return calls.map((call, j) => {
        const at = `${where}[${j}]`;
        if (typeof call?.id !== "string" || call.id === "" || call.id.length > 256) throw badRequest(`'${at}.id' must be a string`, `${at}.id`);
        const fn = call.function;
        if (typeof fn?.name !== "string" || !NAME.test(fn.name)) throw badRequest(`'${at}.function.name' must name a function`, `${at}.function.name`);
        if (typeof fn.arguments !== "string") throw badRequest(`'${at}.function.arguments' must be a JSON string`, `${at}.function.arguments`);
        let params;
        try {
            params = fn.arguments.trim() === "" ? {} : JSON.parse(fn.arguments);
        } catch {
            throw badRequest(`'${at}.function.arguments' is not valid JSON`, `${at}.function.arguments`);
        }
        return {id: call.id, name: fn.name, params};
    });
}
