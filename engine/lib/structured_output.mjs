// response_format: OpenAI's JSON mode and JSON-schema mode, enforced by a grammar while sampling, so
// a finished answer always parses (and matches the schema). A schema keyword the grammar cannot
// enforce is refused with a 400 naming it, never silently ignored.
import {badRequest} from "./errors.mjs";

const PARAM = "response_format";
const MAX_SCHEMA_BYTES = 64 * 1024;
const MAX_SCHEMA_DEPTH = 32;
const STRING_FORMATS = new Set(["date-time", "date", "time"]);
const TYPES = new Set(["string", "number", "integer", "boolean", "null", "object", "array"]);
// Annotations change nothing about valid output, so they are accepted and ignored.
const ANNOTATIONS = new Set(["description", "title", "$comment", "examples", "$schema", "$id", "default", "deprecated", "readOnly", "writeOnly"]);
const STRUCTURE = new Set(["type", "properties", "required", "additionalProperties", "minProperties", "maxProperties",
    "items", "prefixItems", "minItems", "maxItems", "enum", "const", "anyOf", "oneOf", "$defs", "$ref",
    "minLength", "maxLength", "format"]);

// Returns undefined (plain text) or {type: "json_object"} / {type: "json_schema", name, schema, key}.
export function parseResponseFormat(body) {
    const format = body[PARAM];
    if (format === undefined || format === null) return undefined;
    if (typeof format !== "object" || Array.isArray(format)) throw badRequest(`'${PARAM}' must be an object`, PARAM);
    const {type} = format;
    if (type === "text") return undefined;
    if (type === "json_object") return {type};
    if (type !== "json_schema")
        throw badRequest(`'${PARAM}.type' must be one of text, json_object, json_schema; got ${JSON.stringify(type)}`, `${PARAM}.type`);
    const spec = format.json_schema;
    if (!spec || typeof spec !== "object" || Array.isArray(spec))
        throw badRequest(`'${PARAM}.json_schema' is required and must be an object`, `${PARAM}.json_schema`, "missing_required_parameter");
    if (typeof spec.name !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(spec.name))
        throw badRequest(`'${PARAM}.json_schema.name' must be 1 to 64 letters, digits, '_' or '-'`, `${PARAM}.json_schema.name`);
    if (spec.strict !== undefined && spec.strict !== null && typeof spec.strict !== "boolean")
        throw badRequest(`'${PARAM}.json_schema.strict' must be a boolean`, `${PARAM}.json_schema.strict`);
    const {schema, key} = checkedSchema(spec.schema ?? {type: "object", additionalProperties: true}, `${PARAM}.json_schema.schema`);
    return {type: "json_schema", name: spec.name, schema, key};
}

// A JSON schema the grammar can enforce, or a 400 naming where (`where`) it is not; `key` is its
// text, for caching what is compiled from it.
export function checkedSchema(schema, where) {
    const key = JSON.stringify(schema);
    if (key.length > MAX_SCHEMA_BYTES) throw badRequest(`'${where}' is ${key.length} bytes; the limit is ${MAX_SCHEMA_BYTES}`, where);
    return {schema: checkSchema(schema, where, {defs: schema?.$defs ?? {}, depth: 0}), key};
}

// Validates one schema node and returns the form node-llama-cpp's grammar builder reads
// (anyOf becomes its oneOf, which it compiles as "any of"; annotations are dropped).
function checkSchema(node, where, ctx) {
    if (ctx.depth > MAX_SCHEMA_DEPTH) throw unenforceable(where, `nests deeper than ${MAX_SCHEMA_DEPTH} levels`);
    if (node === true) return ANY_JSON;
    if (!node || typeof node !== "object" || Array.isArray(node)) throw badRequest(`'${where}' must be a JSON schema object`, where);
    const out = {};
    const inner = {...ctx, depth: ctx.depth + 1};
    for (const [key, value] of Object.entries(node)) {
        if (ANNOTATIONS.has(key)) continue;
        if (!STRUCTURE.has(key)) throw unenforceable(`${where}.${key}`, `the keyword '${key}' cannot be enforced while sampling`);
        switch (key) {
        case "type": {
            const types = Array.isArray(value) ? value : [value];
            if (types.length === 0 || !types.every((t) => TYPES.has(t)))
                throw badRequest(`'${where}.type' must be one of ${[...TYPES].join(", ")} or a list of them`, `${where}.type`);
            out.type = value;
            break;
        }
        case "properties":
            if (!isPlainObject(value)) throw badRequest(`'${where}.properties' must be an object`, `${where}.properties`);
            out.properties = Object.fromEntries(Object.entries(value)
                .map(([name, sub]) => [name, checkSchema(sub, `${where}.properties.${name}`, inner)]));
            break;
        case "required":
            if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
                throw badRequest(`'${where}.required' must be an array of property names`, `${where}.required`);
            break;
        case "additionalProperties":
            out.additionalProperties = typeof value === "boolean" ? value : checkSchema(value, `${where}.additionalProperties`, inner);
            break;
        case "items":
            out.items = checkSchema(value, `${where}.items`, inner);
            break;
        case "prefixItems":
        case "anyOf":
        case "oneOf":
            if (!Array.isArray(value) || value.length === 0)
                throw badRequest(`'${where}.${key}' must be a non-empty array of schemas`, `${where}.${key}`);
            out[key === "prefixItems" ? key : "oneOf"] = value.map((sub, i) => checkSchema(sub, `${where}.${key}[${i}]`, inner));
            break;
        case "enum":
            if (!Array.isArray(value) || value.length === 0)
                throw badRequest(`'${where}.enum' must be a non-empty array`, `${where}.enum`);
            out.enum = value;
            break;
        case "const":
            out.const = value;
            break;
        case "$defs":
            if (!isPlainObject(value)) throw badRequest(`'${where}.$defs' must be an object`, `${where}.$defs`);
            out.$defs = Object.fromEntries(Object.entries(value)
                .map(([name, sub]) => [name, checkSchema(sub, `${where}.$defs.${name}`, {...inner, defs: {...ctx.defs, ...value}})]));
            break;
        case "$ref": {
            const name = typeof value === "string" && value.startsWith("#/$defs/") ? value.slice(8) : undefined;
            if (name === undefined || !Object.hasOwn({...ctx.defs, ...(node.$defs ?? {})}, name))
                throw unenforceable(`${where}.$ref`, `only references to this schema's own '#/$defs/NAME' can be followed, got ${JSON.stringify(value)}`);
            out.$ref = value;
            break;
        }
        case "format":
            if (!STRING_FORMATS.has(value))
                throw unenforceable(`${where}.format`, `only the formats ${[...STRING_FORMATS].join(", ")} can be enforced, got ${JSON.stringify(value)}`);
            out.format = value;
            break;
        default:  // minLength, maxLength, minItems, maxItems, minProperties, maxProperties
            if (!Number.isInteger(value) || value < 0 || value > 1_000_000)
                throw badRequest(`'${where}.${key}' must be a non-negative integer`, `${where}.${key}`);
            out[key] = value;
        }
    }
    // The grammar makes every listed property required (OpenAI's strict mode asks the same); an
    // optional property would be produced anyway, so a partial 'required' is refused, not ignored.
    if (Array.isArray(node.required) && out.properties) {
        const missing = Object.keys(out.properties).filter((name) => !node.required.includes(name));
        if (missing.length > 0)
            throw unenforceable(`${where}.required`, `every property must be required (as in OpenAI's strict mode; make optional ones nullable with anyOf [..., {"type": "null"}]); not required: ${missing.join(", ")}`);
    }
    const shaped = ["type", "enum", "const", "oneOf", "$ref"].some((key) => out[key] !== undefined);
    if (!shaped && out.properties !== undefined) out.type = "object";
    else if (!shaped) {
        if (Object.keys(out).length === 0) return ANY_JSON;  // {} accepts any value
        throw unenforceable(where, "a schema with constraints needs a 'type' (or enum, const, anyOf, $ref)");
    }
    if (out.type === "object" && out.properties === undefined && out.additionalProperties === undefined)
        out.additionalProperties = true;  // a bare object schema allows any members, as JSON Schema says
    return out;
}

// What node-llama-cpp compiles as "any JSON value"; a schema without a type would otherwise become null.
const ANY_JSON = Object.freeze({oneOf: [{type: ["string", "number", "boolean", "null"]},
    {type: "object", additionalProperties: true}, {type: "array"}]});

function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function unenforceable(param, why) {
    return badRequest(`'${param}': ${why}`, param, "unsupported_schema");
}
