// A thin recorder around the official @microsoft/signalr HubConnection: it keeps every hub message in arrival order and
// lets a test await a condition on them (bounded, woken by the message handlers).
import * as signalR from '@microsoft/signalr';
import { Conditions, DEFAULT_TIMEOUT_MS, withTimeout } from './wait.mjs';

export { signalR };

/** Every hub method the server calls; registering them all keeps the client from warning about unknown methods. */
const SERVER_OPS = ['welcome', 'subscribed', 'unsubscribed', 'event', 'events', 'overflow', 'error', 'pong', 'heartbeat'];

/** The hub path the test server maps RealtimeEventsHub (its TestHub subclass) on. */
export const HUB_PATH = '/realtime/hub';

/**
 * Parses a position "epoch:seq".
 * @param {string} position
 * @returns {{ epoch: string, seq: number }}
 */
export function parsePosition(position) {
    const colon = position.lastIndexOf(':');
    if (colon <= 0) {
        throw new Error(`'${position}' is not a position (epoch:seq).`);
    }

    return { epoch: position.slice(0, colon), seq: Number(position.slice(colon + 1)) };
}

/** Collects the client library's log lines instead of printing them; a failing test can show them. */
class CollectingLogger {
    constructor() {
        /** @type {string[]} */
        this.lines = [];
    }

    log(level, message) {
        if (level >= signalR.LogLevel.Warning) {
            this.lines.push(`${signalR.LogLevel[level]}: ${message}`);
        }
    }
}

/**
 * One recorded server message.
 * @typedef {{ op: string, payload: any, connection: number }} Received
 */

export class RealtimeClient {
    /**
     * @param {string} baseUrl
     * @param {object} [options]
     * @param {boolean} [options.negotiate] use the default negotiate path instead of WebSockets with skipNegotiation
     * @param {number[]} [options.reconnectDelays] turns on automatic reconnect with these delays
     * @param {string} [options.path]
     */
    constructor(baseUrl, { negotiate = false, reconnectDelays, path = HUB_PATH } = {}) {
        this.logger = new CollectingLogger();
        const builder = new signalR.HubConnectionBuilder()
            .withUrl(baseUrl + path, negotiate
                ? {}
                : { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
            .configureLogging(this.logger);
        if (reconnectDelays) {
            builder.withAutomaticReconnect(reconnectDelays);
        }

        this.hub = builder.build();

        /** @type {Received[]} every message, in arrival order */
        this.messages = [];
        /** Counts transport connections: 0 for the first, 1 after the first reconnect, and so on. */
        this.connectionNumber = 0;
        /** @type {Set<() => void>} */
        this._conditions = new Conditions(() => this.describe());
        /**
         * Called synchronously for every event before it is recorded; a test can stall the client here.
         * @type {((sub: string, event: any) => void) | undefined}
         */
        this.onEvent = undefined;
        this.closed = false;
        this.closeError = undefined;

        for (const op of SERVER_OPS) {
            this.hub.on(op, payload => this._record(op, payload));
        }

        /** How many times the connection was lost and the client began to reconnect. */
        this.reconnectingCount = 0;
        this.hub.onreconnecting(() => {
            this.reconnectingCount++;
            this._notify();
        });
        this.hub.onreconnected(() => {
            this.connectionNumber++;
            this._notify();
        });
        this.hub.onclose(error => {
            this.closed = true;
            this.closeError = error;
            this._notify();
        });
    }

    _record(op, payload) {
        if (op === 'event') {
            this.onEvent?.(payload.sub, payload.event);
        } else if (op === 'events') {
            for (const event of payload.events) {
                this.onEvent?.(payload.sub, event);
            }
        }

        this.messages.push({ op, payload, connection: this.connectionNumber });
        this._notify();
    }

    _notify() {
        this._conditions.check();
    }

    /** Starts the connection (bounded). */
    async start() {
        await withTimeout(this.hub.start(), DEFAULT_TIMEOUT_MS, 'the SignalR connection to start');
        return this;
    }

    /** Stops the connection (bounded). */
    async stop() {
        await withTimeout(this.hub.stop(), DEFAULT_TIMEOUT_MS, 'the SignalR connection to stop');
    }

    /**
     * Waits until `condition()` returns a truthy value, re-checking it after every message and connection change.
     * @template T
     * @param {() => T} condition
     * @param {string} what
     * @param {number} [ms]
     * @returns {Promise<T>}
     */
    waitUntil(condition, what, ms = DEFAULT_TIMEOUT_MS) {
        return this._conditions.until(condition, what, ms);
    }

    /** A short account of what arrived, for failure messages. */
    describe() {
        const counts = {};
        for (const { op } of this.messages) {
            counts[op] = (counts[op] ?? 0) + 1;
        }

        const notices = this.messages.filter(m => !['event', 'events', 'heartbeat'].includes(m.op)).slice(-10)
            .map(m => JSON.stringify(m.payload));
        return `Received ${JSON.stringify(counts)}; hub state ${this.hub.state}; last notices:\n  ${notices.join('\n  ')}` +
            (this.logger.lines.length ? `\nclient log:\n  ${this.logger.lines.slice(-10).join('\n  ')}` : '');
    }

    /** The payloads of every message with this op, in arrival order. */
    all(op) {
        return this.messages.filter(m => m.op === op).map(m => m.payload);
    }

    /** Waits for the n-th (1-based) `welcome`. */
    welcome(n = 1) {
        return this.waitUntil(() => this.all('welcome')[n - 1], `welcome #${n}`);
    }

    /**
     * Everything about one subscription in arrival order, with batches flattened: `event` items (one per event),
     * `overflow`, `subscribed`, `unsubscribed` and `error` (by request id).
     * @param {string} sub
     * @returns {{ kind: string, payload: any, index: number, connection: number }[]}
     */
    timeline(sub) {
        const items = [];
        this.messages.forEach((m, index) => {
            const p = m.payload;
            if (m.op === 'event' && p.sub === sub) {
                items.push({ kind: 'event', payload: p.event, index, connection: m.connection });
            } else if (m.op === 'events' && p.sub === sub) {
                for (const event of p.events) {
                    items.push({ kind: 'event', payload: event, index, connection: m.connection });
                }
            } else if (m.op === 'overflow' && p.sub === sub) {
                items.push({ kind: 'overflow', payload: p, index, connection: m.connection });
            } else if (['subscribed', 'unsubscribed', 'error'].includes(m.op) && p.id === sub) {
                items.push({ kind: m.op, payload: p, index, connection: m.connection });
            }
        });
        return items;
    }

    /** The events of one subscription, batches flattened, in arrival order. */
    events(sub) {
        return this.timeline(sub).filter(item => item.kind === 'event').map(item => item.payload);
    }

    /** Invokes the hub's Subscribe and returns its reply (bounded). */
    subscribe(request) {
        return withTimeout(this.hub.invoke('Subscribe', request), DEFAULT_TIMEOUT_MS, `Subscribe(${JSON.stringify(request)})`);
    }

    /** Invokes the hub's Unsubscribe and returns its reply (bounded). */
    unsubscribe(id) {
        return withTimeout(this.hub.invoke('Unsubscribe', id), DEFAULT_TIMEOUT_MS, `Unsubscribe(${JSON.stringify(id)})`);
    }
}

/**
 * Creates and starts a client.
 * @param {string} baseUrl
 * @param {ConstructorParameters<typeof RealtimeClient>[1]} [options]
 */
export function connect(baseUrl, options) {
    return new RealtimeClient(baseUrl, options).start();
}

/**
 * Creates and starts a client that is stopped when the test `t` ends.
 * @param {import('node:test').TestContext} t
 * @param {string} baseUrl
 * @param {ConstructorParameters<typeof RealtimeClient>[1]} [options]
 */
export async function connectFor(t, baseUrl, options) {
    const client = new RealtimeClient(baseUrl, options);
    t.after(() => client.stop().catch(() => { }));
    return client.start();
}
