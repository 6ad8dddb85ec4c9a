// Hands out the context's sequences (one per concurrent request) and queues the rest in
// arrival order. A waiter whose client went away leaves the queue at once.
import {ApiError} from "./errors.mjs";

export class SequencePool {
    constructor(sequences) {
        this.free = [...sequences];
        this.waiters = [];
        this.size = sequences.length;
    }

    get busy() {
        return this.size - this.free.length;
    }

    get queued() {
        return this.waiters.length;
    }

    // Picks the free sequence whose cached tokens share the longest prefix with `tokens`,
    // so repeated prompts (system prompts, multi-turn chats) skip re-evaluation.
    acquire(tokens, signal) {
        if (signal?.aborted) return Promise.reject(abortError());
        if (this.free.length > 0) return Promise.resolve(this.takeBest(tokens));
        return new Promise((resolve, reject) => {
            const waiter = {tokens, resolve, reject};
            const onAbort = () => {
                this.waiters = this.waiters.filter((w) => w !== waiter);
                reject(abortError());
            };
            waiter.cleanup = () => signal?.removeEventListener("abort", onAbort);
            signal?.addEventListener("abort", onAbort, {once: true});
            this.waiters.push(waiter);
        });
    }

    release(sequence) {
        const waiter = this.waiters.shift();
        if (waiter) {
            waiter.cleanup();
            waiter.resolve(sequence);
        } else {
            this.free.push(sequence);
        }
    }

    // Fails everything still waiting (shutdown).
    rejectWaiters(error) {
        for (const w of this.waiters.splice(0)) {
            w.cleanup();
            w.reject(error);
        }
    }

    takeBest(tokens) {
        let bestIndex = 0;
        let bestShared = -1;
        this.free.forEach((seq, i) => {
            const shared = seq.compareContextTokens(tokens).firstDifferentIndex;
            if (shared > bestShared) {
                bestShared = shared;
                bestIndex = i;
            }
        });
        return this.free.splice(bestIndex, 1)[0];
    }
}

export function abortError() {
    const e = new ApiError(499, "client closed the request", {code: "client_closed_request"});
    e.name = "AbortError";
    return e;
}
