// Turning generated tokens into text that is safe to send the moment each token arrives.

const REPLACEMENT = "\uFFFD";
const CONTEXT_TOKENS = 8;  // enough preceding tokens for the detokenizer's leading-space rules
const MAX_HELD_TOKENS = 4;  // a UTF-8 character spans at most 4 byte tokens

// Detokenizes incrementally. A token that is only part of a multi-byte UTF-8 character
// (byte-fallback tokens) yields "" until the character is complete, so text never splits one.
export class TokenTextDecoder {
    constructor(model, precedingTokens) {
        this.model = model;
        this.context = precedingTokens.slice(-CONTEXT_TOKENS);
        this.pending = [];
    }

    push(token) {
        this.pending.push(token);
        const text = this.model.detokenize(this.pending, false, this.context);
        if (text.endsWith(REPLACEMENT) && this.pending.length < MAX_HELD_TOKENS) return "";
        this.context = this.context.concat(this.pending).slice(-CONTEXT_TOKENS);
        this.pending = [];
        return text;
    }

    // Whatever is still held at the end (an incomplete character becomes U+FFFD).
    flush() {
        if (this.pending.length === 0) return "";
        const text = this.model.detokenize(this.pending, false, this.context);
        this.pending = [];
        return text;
    }
}

// Applies OpenAI `stop` strings to a text stream: text that might be the start of a stop
// string is held back until it is known not to be, and the stop string itself is never sent.
export class StopStringFilter {
    constructor(stops) {
        this.stops = stops;
        this.held = "";
        this.stopped = false;
    }

    // Returns the text that may be sent now; sets `stopped` once a stop string appeared.
    push(text) {
        if (this.stopped) return "";
        const buffer = this.held + text;
        if (this.stops.length === 0) return buffer;
        let cut = -1;
        for (const stop of this.stops) {
            const at = buffer.indexOf(stop);
            if (at !== -1 && (cut === -1 || at < cut)) cut = at;
        }
        if (cut !== -1) {
            this.stopped = true;
            this.held = "";
            return buffer.slice(0, cut);
        }
        const hold = this.longestStopPrefixSuffix(buffer);
        this.held = buffer.slice(buffer.length - hold);
        return buffer.slice(0, buffer.length - hold);
    }

    flush() {
        const rest = this.stopped ? "" : this.held;
        this.held = "";
        return rest;
    }

    // Length of the longest end of `buffer` that some stop string starts with.
    longestStopPrefixSuffix(buffer) {
        let best = 0;
        for (const stop of this.stops) {
            for (let len = Math.min(stop.length - 1, buffer.length); len > best; --len) {
                if (buffer.endsWith(stop.slice(0, len))) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
