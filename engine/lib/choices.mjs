// A request's n choices: one generation each, run side by side on the engine's sequence pool
// (a choice holds at most one sequence, so n > --parallel queues instead of deadlocking).
// Choice i samples with seed + i; at temperature 0 all choices agree, as with OpenAI.
// onToken(index, text, logprob) and onFinish(index, result) say which choice they belong to.
export async function generateChoices(engine, request, {signal, defaultSeed, onStart, onToken, onFinish}) {
    const abort = new AbortController();
    const stop = () => abort.abort();
    signal?.addEventListener("abort", stop, {once: true});
    let started = false;
    const baseSeed = request.seed ?? defaultSeed ?? 0;
    try {
        const runs = [];
        for (let index = 0; index < request.choices; index++) {
            const run = engine.generate({...request, seed: baseSeed + index}, {
                signal: abort.signal,
                defaultSeed,
                onStart: (promptTokens) => {
                    if (!started) onStart?.(promptTokens);
                    started = true;
                },
                onToken: (text, logprob) => onToken(index, text, logprob),
            });
            run.then((result) => onFinish?.(index, result), stop);  // one failed choice ends the others at once
            runs.push(run);
        }
        return await Promise.all(runs);
    } finally {
        signal?.removeEventListener("abort", stop);
    }
}

// Usage of the whole answer: the prompt once, the completions of every choice.
export function combinedUsage(results) {
    return {
        promptTokens: results[0].promptTokens,
        cachedTokens: results[0].cachedTokens,
        completionTokens: results.reduce((sum, r) => sum + r.completionTokens, 0),
    };
}
