// A recorder around the browser client: it keeps every state change, error, welcome and, per subscription, every event
// and notice in arrival order, and lets a test await a condition on them (bounded, woken by the client's callbacks).
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { connect } from '../../../src/RealtimeEvents.AspNetCore/Client/client.js';
import { Conditions, DEFAULT_TIMEOUT_MS } from '../../RealtimeEvents.SignalR.JsTests/support/wait.mjs';

export { connect, EventSource, WebSocket };

/** The prefix the test server maps MapRealtimeEvents on. */
export const PREFIX = '/realtime';

export class Recorder {
    /**
     * @param {string} baseUrl
     * @param {object} [options] connect() options; WebSocket and EventSource default to `ws` and `eventsource`
     */
    constructor(baseUrl, options = {}) {
        /** @type {Set<() => void>} */
        this._conditions = new Conditions(() => this.describe());
        this.states = [];
        this.errors = [];
        this.welcomes = [];
        this.overflows = [];
        /** @type {Map<string, { events: any[], subscribed: any[], overflows: any[], errors: any[], ends: string[] }>} */
        this.subscriptions = new Map();
        this.client = connect(options.prefix ?? baseUrl + PREFIX, { WebSocket, EventSource, ...options });
        this.client.on('state', change => this._record(this.states, change));
        this.client.on('error', error => this._record(this.errors, error));
        this.client.on('welcome', welcome => this._record(this.welcomes, welcome));
        this.client.on('overflow', (notice, subscription) => this._record(this.overflows, { notice, subscription }));
    }

    _record(list, item) {
        list.push(item);
        this.notify();
    }

    /** Re-checks the conditions being awaited; for tests that wait on something they count themselves. */
    notify() {
        this._conditions.check();
    }

    /**
     * Subscribes and records what the subscription gets.
     * @param {object} request
     * @returns {import('../../../src/RealtimeEvents.AspNetCore/Client/client.js').Subscription}
     */
    subscribe(request) {
        const log = { events: [], subscribed: [], overflows: [], errors: [], ends: [] };
        const subscription = this.client.subscribe(request, event => this._record(log.events, event), {
            onSubscribed: message => this._record(log.subscribed, message),
            onOverflow: notice => this._record(log.overflows, notice),
            onError: error => this._record(log.errors, error),
            onEnd: reason => this._record(log.ends, reason),
        });
        this.subscriptions.set(subscription.id, log);
        return subscription;
    }

    /** What subscription `id` got. */
    of(id) {
        const log = this.subscriptions.get(id);
        if (!log) {
            throw new Error(`No recorded subscription '${id}'.`);
        }

        return log;
    }

    /**
     * Waits until `condition()` returns a truthy value, re-checking it after everything the client reports.
     * @template T
     * @param {() => T} condition
     * @param {string} what
     * @param {number} [ms]
     * @returns {Promise<T>}
     */
    waitUntil(condition, what, ms = DEFAULT_TIMEOUT_MS) {
        return this._conditions.until(condition, what, ms);
    }

    /** Waits for the n-th (1-based) change to `state` after `from` changes were recorded. */
    waitForState(state, what = `state '${state}'`, { from = 0, ms } = {}) {
        return this.waitUntil(() => this.states.slice(from).find(change => change.state === state), what, ms);
    }

    /** A short account of what arrived, for failure messages. */
    describe() {
        const subscriptions = [...this.subscriptions].map(([id, log]) =>
            `${id}: ${log.events.length} events (last seq ${log.events.at(-1)?.seq}), ${log.subscribed.length} subscribed, ` +
            `${log.overflows.length} overflows, errors ${JSON.stringify(log.errors)}, ends ${JSON.stringify(log.ends)}`);
        return `client state ${this.client.state} over ${this.client.transport}; states: ` +
            `${this.states.map(s => `${s.state}${s.state === 'reconnecting' ? `#${s.attempt}` : ''}`).join(' > ')}\n` +
            `errors: ${JSON.stringify(this.errors.slice(-5))}\n  ${subscriptions.join('\n  ')}`;
    }
}

/**
 * Creates a recording client that is closed when the test `t` ends.
 * @param {import('node:test').TestContext} t
 * @param {string} baseUrl
 * @param {object} [options]
 */
export function recordClient(t, baseUrl, options) {
    const recorder = new Recorder(baseUrl, options);
    t.after(() => recorder.client.close());
    return recorder;
}

/**
 * Asserts that the events carry data.i = from, from + 1, ... exactly once each, in order, with consecutive seq (one
 * topic, published by nobody else: every seq of it matches).
 */
export function assertContiguous(assert, events, from, count) {
    const indexes = events.map(e => e.data?.i);
    const expected = Array.from({ length: count }, (_, k) => from + k);
    assert.deepEqual(indexes, expected, 'data.i once each, in order');
    for (let k = 1; k < events.length; k++) {
        assert.equal(events[k].epoch, events[k - 1].epoch, `epoch at #${k}`);
        assert.equal(events[k].seq, events[k - 1].seq + 1, `seq is contiguous at #${k}`);
    }
}
