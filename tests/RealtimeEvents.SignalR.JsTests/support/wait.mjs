// Bounded waits: every await in these tests ends within a time limit, so a hang fails fast instead of stalling CI.

/** The default limit for one wait, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Settles with `promise`, or rejects with an error naming `what` when it has not settled within `ms`.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what what was awaited, for the failure message
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}.`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A promise with its resolve and reject exposed, resolved by an event handler.
 * @template T
 */
export class Signal {
    constructor() {
        /** @type {Promise<T>} */
        this.promise = new Promise((resolve, reject) => {
            this.resolve = resolve;
            this.reject = reject;
        });
    }

    /**
     * Waits for the signal within `ms`.
     * @param {number} ms
     * @param {string} what
     * @returns {Promise<T>}
     */
    wait(ms, what) {
        return withTimeout(this.promise, ms, what);
    }
}
