// A subscription handled the way docs/protocol.md tells a client to ("Missed events: overflow and lagging"): each event
// is handled once, in log order, and the subscription is resumed with resumeAfter whenever events may have been missed.
// - A recoverable overflow: resume from the notice's resumeAfter, by Unsubscribe and Subscribe while the connection is
//   alive, or on the reconnect if it drops first. Events after the gap are not handled until the missed ones have come
//   back (they come again with them), so the handled events stay in order.
// - A reconnect: subscribe again, from the open gap's resumeAfter, or else from the last event handled.
// - An event at or before the last position handled is skipped.
import { positionOf } from './assertions.mjs';
import { Conditions } from './wait.mjs';

/**
 * One resume: why, from where, on which connection (RealtimeClient.connectionNumber), and the Subscribe reply or the
 * error of a request that failed.
 * @typedef {{ via: 'overflow' | 'reconnect', resumeAfter: string | undefined, connection: number, reply?: any, error?: Error }} Resume
 */

export class ResumingSubscription {
    /**
     * Handles the subscription `request.id` of `client` from the moment it is made; call `subscribe()` to start it.
     * @param {import('./client.mjs').RealtimeClient} client a client with automatic reconnect
     * @param {{ id: string }} request the subscribe request, without resumeAfter
     */
    constructor(client, request) {
        this.client = client;
        this.request = request;
        /** @type {any[]} the events handled, in the order handled */
        this.handled = [];
        /** @type {any[]} events skipped because their position was already handled */
        this.skipped = [];
        /** How many events were not handled because they came after a gap that was not filled yet. */
        this.heldBack = 0;
        /** @type {any[]} every overflow notice of the subscription */
        this.overflows = [];
        /** @type {Resume[]} */
        this.resumes = [];
        /** The recoverable overflow whose missed events have not come back yet, if any. */
        this.gap = undefined;
        this._conditions = new Conditions(() => this.describe());
        this._resuming = Promise.resolve();

        // Registered after the recorder's handlers, so each message is recorded before it is handled here.
        const { id } = request;
        // A handler returns nothing: the client would take a value for a result the server did not ask for.
        client.hub.on('event', payload => {
            if (payload.sub === id) {
                this._receive(payload.event);
            }
        });
        client.hub.on('events', payload => {
            if (payload.sub === id) {
                payload.events.forEach(event => this._receive(event));
            }
        });
        client.hub.on('overflow', payload => {
            if (payload.sub === id) {
                this._overflow(payload);
            }
        });
        client.hub.on('subscribed', payload => {
            if (payload.id === id) {
                this._subscribed(payload);
            }
        });
        client.hub.onreconnected(() => this._resume('reconnect'));
    }

    /** Subscribes (bounded) and returns the reply. */
    subscribe() {
        return this.client.subscribe(this.request);
    }

    /** The position of the last event handled, or undefined. */
    lastPosition() {
        const last = this.handled.at(-1);
        return last ? positionOf(last) : undefined;
    }

    /**
     * Waits until `condition()` returns a truthy value, re-checking it after every event handled and every resume.
     * @template T
     * @param {() => T} condition
     * @param {string} what
     * @param {number} [ms]
     * @returns {Promise<T>}
     */
    waitUntil(condition, what, ms) {
        return this._conditions.until(condition, what, ms);
    }

    /** A short account of the subscription and of what the client received, for failure messages. */
    describe() {
        const last = this.handled.at(-1);
        return `Handled ${this.handled.length} events (last data.i ${last?.data?.i}), skipped ${this.skipped.length}, ` +
            `held back ${this.heldBack}; open gap ${JSON.stringify(this.gap)}; resumes ` +
            `${JSON.stringify(this.resumes.map(r => ({ ...r, error: r.error && String(r.error) })))}\n${this.client.describe()}`;
    }

    _receive(event) {
        if (this.gap) {
            this.heldBack++; // after a gap: it comes again after the missed events
            return;
        }

        const last = this.handled.at(-1);
        if (last && event.epoch === last.epoch && event.seq <= last.seq) {
            this.skipped.push(event);
            return;
        }

        this.handled.push(event);
        this._conditions.check();
    }

    _overflow(notice) {
        this.overflows.push(notice);
        // Not recoverable: nothing to resume from (the test fails on it). While a gap is open, its resume covers this
        // one too: it starts earlier.
        if (notice.recoverable === true && !this.gap) {
            this.gap = notice;
            this._resume('overflow');
        }

        this._conditions.check();
    }

    _subscribed(reply) {
        // The resume from the gap's resumeAfter: its events follow this reply, so the gap is being filled.
        if (this.gap && reply.resume === 'complete' && reply.position === this.gap.resumeAfter) {
            this.gap = undefined;
        }
    }

    /** Queues a resume: one at a time, each from the position that is current when it starts. */
    _resume(via) {
        this._resuming = this._resuming.then(() => this._resumeNow(via));
    }

    async _resumeNow(via) {
        if (via === 'overflow' && !this.gap) {
            return; // a reconnect resumed from the gap first
        }

        const resumeAfter = this.gap ? this.gap.resumeAfter : this.lastPosition();
        /** @type {Resume} */
        const resume = { via, resumeAfter, connection: this.client.connectionNumber };
        this.resumes.push(resume);
        try {
            if (via === 'overflow') {
                await this.client.unsubscribe(this.request.id);
            }

            resume.reply = await this.client.subscribe({ ...this.request, resumeAfter });
        } catch (error) {
            resume.error = error; // the connection dropped under it: the reconnect resumes instead
        }

        this._conditions.check();
    }
}
