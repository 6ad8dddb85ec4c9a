// Number rules of generated grammars, bounded so that every generated number is finite.
// node-llama-cpp's number rules allow exponents of up to 16 digits, so "integer" can come out as
// 5E22318, which every JSON parser reads as Infinity and no validator accepts. Integers lose the
// exponent; other numbers keep one of at most two digits (finite in every double).
const EXPONENT_RULES = [
    ' ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',  // JSON schema grammars (GbnfNumber)
    ' ([eE] [-+]? [0-9] [1-9]{0,15})?',  // json.gbnf, for json_object
];
const BOUNDED_EXPONENT = ' ([eE] [-+]? [0-9]{1,2})?';

export function finiteNumbers(text) {
    const lines = text.split("\n").map((line) => {
        for (const rule of EXPONENT_RULES)
            if (line.includes(rule)) return line.replace(rule, line.startsWith("integer-number-rule ") ? "" : BOUNDED_EXPONENT);
        return line;
    });
    const out = lines.join("\n");
    // A node-llama-cpp upgrade that lays numbers out differently must fail here, not go unbounded.
    if (/\[eE\][^\n]*\{0,15\}/.test(out)) throw new Error("unexpected number rule in the generated grammar");
    return out;
}
