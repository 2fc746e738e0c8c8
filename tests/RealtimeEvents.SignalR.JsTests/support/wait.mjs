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

/**
 * Conditions that tests await on a recorder (a client that records what arrives): `until` re-checks its condition each
 * time the recorder calls `check()`, and fails after `ms` with the recorder's account of what arrived.
 */
export class Conditions {
    /** @param {() => string} describe what arrived so far, appended to a timeout's message */
    constructor(describe) {
        this._describe = describe;
        this._waiters = new Set();
    }

    /** Re-checks every condition being awaited; the recorder calls it whenever something arrives or changes. */
    check() {
        for (const waiter of [...this._waiters]) {
            waiter();
        }
    }

    /**
     * Waits until `condition()` returns a truthy value.
     * @template T
     * @param {() => T} condition
     * @param {string} what
     * @param {number} [ms]
     * @returns {Promise<T>}
     */
    until(condition, what, ms = DEFAULT_TIMEOUT_MS) {
        const result = condition();
        if (result) {
            return Promise.resolve(result);
        }

        let waiter;
        const met = new Promise((resolve, reject) => {
            waiter = () => {
                try {
                    const value = condition();
                    if (value) {
                        resolve(value);
                    }
                } catch (error) {
                    reject(error);
                }
            };
            this._waiters.add(waiter);
        });
        return withTimeout(met, ms, what)
            .catch(error => {
                error.message += `\n${this._describe()}`;
                throw error;
            })
            .finally(() => this._waiters.delete(waiter));
    }
}
