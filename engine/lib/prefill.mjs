// Reading text the model itself wrote (an answer being continued) back into the tokens it wrote.
//
// Text has many tokenizations, and a model's output is often not the tokenizer's own: the test
// model writes "ar" "it" "nr" where the tokenizer reads "ar" "i" "tn" "r" (real models do it too,
// more rarely). A continuation from other tokens than the model wrote goes on differently, so an
// answer resumed from its text would not be the answer it continues. So a prefill is read with the
// model: at each position the token the model picks greedily is taken when its text is how the
// prefill goes on, else the tokenizer's. At temperature 0 that is exactly the token the answer had,
// so the continuation equals the uninterrupted answer; for sampled text it is the model's likeliest
// reading where it could have written it.
//
// The tokenizer's split is a draft that the model checks in batches (as speculative decoding
// does): one evaluation with greedy picks per prefill token, plus a new batch only where the model
// wrote the text differently. The sequence ends up holding prefix + prefill but the last token.
import {abortError} from "./sequence_pool.mjs";
import {TokenTextDecoder} from "./text_stream.mjs";

// Windows of draft tokens start small after each place the model wrote differently and double while
// it agrees. They stay under 64 tokens: llama.cpp's CPU kernels take another path for batches of 64
// or more, whose sums round differently from the one-token steps the answer was generated in, and
// an answer continued from such entries drifts from the original some hundreds of tokens later
// (measured on the test model); below that the entries are bit for bit the answer's own.
const MIN_WINDOW = 4;
const MAX_WINDOW = 32;
const PENALTY_TOKENS = 64;  // as decode()'s punishTokens

// `prefix`: the tokens before the prefill (at least one); `text`: the prefill; `draft`: a
// tokenization of `text` after `prefix`. `sampling`: {tokenBias, penalty} as the answer was
// generated with. Resolves to the prefill's tokens, or undefined when the tokens read do not spell
// `text` again (a tokenizer that normalizes text), in which case the caller keeps its own. The
// sequence then holds the prefix and the prefill, but perhaps its last token.
export async function readPrefill(sequence, model, {prefix, text, draft, sampling = {}, signal}) {
    if (prefix.length === 0 || text === "") return undefined;
    const accepted = [];
    const decoder = new TokenTextDecoder(model, prefix);
    let spelled = "";  // the text of `accepted`, as an answer streaming those tokens sent it
    const accept = (token) => {
        accepted.push(token);
        spelled += decoder.push(token);
    };
    // The model's greedy pick for the slot after `token`; `before`: the answer's tokens up to it.
    const withPick = (token, before) => [token, {generateNext: {token: true, options: {
        temperature: 0,
        tokenBias: sampling.tokenBias,
        repeatPenalty: sampling.penalty ? {...sampling.penalty, punishTokens: before.slice(-PENALTY_TOKENS)} : undefined,
    }}}];
    // The model's pick where the prefill goes on with its text, else the draft's token.
    const choose = (pick, drafted) => {
        if (pick == null || pick === drafted || decoder.pending.length > 0 || model.isEogToken(pick)) return drafted;
        const piece = model.detokenize([pick], false, decoder.context);
        return piece !== "" && !piece.includes("\uFFFD") && text.startsWith(piece, spelled.length) ? pick : drafted;
    };
    const redraft = () => {
        const rest = text.slice(spelled.length);
        return rest === "" ? [] : model.tokenize(rest, false, "trimLeadingSpace");
    };

    // The prompt goes in as decode() sends one (what the sequence lacks of it, in one batch).
    const kept = Math.min(sequence.compareContextTokens(prefix).firstDifferentIndex, prefix.length - 1);
    if (kept < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{start: kept, end: sequence.nextTokenIndex}]);
    const head = await sequence.controlledEvaluate([...prefix.slice(kept, -1), withPick(prefix.at(-1), [])]);
    let next = head.at(-1)?.next?.token;  // the pick for the slot after what the sequence holds
    let carry = null;  // a token taken from the model that the sequence does not hold yet
    let window = MIN_WINDOW;
    while (draft.length > 0) {
        if (signal?.aborted) throw abortError();
        let first = carry;
        if (first === null) {
            first = choose(next, draft[0]);
            accept(first);
            if (first !== draft[0]) {
                carry = first;
                draft = redraft();
                window = MIN_WINDOW;
                continue;
            }
            draft = draft.slice(1);
        }
        // `first` is taken; the batch's tokens are checked against the picks its evaluation gives.
        const batch = draft.slice(0, window - 1);
        if (batch.length === 0) break;  // `first` ends the prefill; decode() evaluates it
        const input = [first, ...batch];
        const before = accepted.slice(0, -1);
        const at = prefix.length + before.length;  // where input[0] goes in the sequence
        const output = await sequence.controlledEvaluate(input.map((token, i) => withPick(token, before.concat(input.slice(0, i + 1)))));
        carry = null;
        let k = 1;
        for (; k < input.length; k++) {
            const token = choose(output[k - 1]?.next?.token, input[k]);
            accept(token);
            if (token !== input[k]) break;
        }
        if (k < input.length) {
            // The model wrote this text with another token: the batch's entries from here are not the answer's.
            await sequence.eraseContextTokenRanges([{start: at + k, end: sequence.nextTokenIndex}]);
            carry = accepted.at(-1);
            draft = redraft();
            window = MIN_WINDOW;
        } else {
            next = output[input.length - 1]?.next?.token;
            draft = draft.slice(batch.length);
            window = Math.min(window * 2, MAX_WINDOW);
        }
    }
    spelled += decoder.flush();
    return spelled === text ? accepted : undefined;
}
