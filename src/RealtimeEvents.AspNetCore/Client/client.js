// RealtimeEvents browser client: subscriptions to a RealtimeEvents server (docs/protocol.md) over WebSocket, Server-Sent
// Events or the SignalR hub, kept across reconnects with resume. A dependency-free ES module: no build step, no imports.
// Types: client.d.ts, served beside this file.

const SUBPROTOCOL = "realtime-events.v1.json";
const RECORD_SEPARATOR = "\x1e";
const TRANSPORTS = ["auto", "websocket", "sse", "signalr"];
const CLIENT_EVENTS = ["state", "welcome", "overflow", "error"];
/** The most subscribe/unsubscribe calls waiting to be sent on an open connection. */
const MAX_QUEUE = 1024;
/** A connection that has not opened within this time counts as failed (a proxy that holds a WebSocket upgrade forever). */
const CONNECT_TIMEOUT_MS = 15_000;
/**
 * The server adds `messagesPerSecond` tokens once a second on a timer of up to a second, so a refill can be up to two
 * seconds apart; counting on one every 2.1 s keeps the client's bucket below the server's and its sends out of `rate_limited`.
 */
const REFILL_MS = 2_100;
const CLOSE_NORMAL = 1000;
/** The close status the client sends when it gives up on a connection (application range: 4000-4999). */
const CLOSE_DEAD = 4000;
/** Close descriptions: a WebSocket refuses one over 123 bytes, so they are fixed. */
const CLOSE_REASONS = { [CLOSE_NORMAL]: "Closed by the client.", [CLOSE_DEAD]: "The client gave up on the connection." };
const noop = () => { };
const now = () => performance.now();

// ---------------------------------------------------------------------------------------------------------------------
// Backoff

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry): exponential backoff with full jitter, a random
 * delay between 0 and min(maxDelayMs, baseDelayMs * 2 ** attempt), so clients dropped together do not return together.
 * @param {number} attempt
 * @param {{ baseDelayMs?: number, maxDelayMs?: number }} [options]
 * @param {() => number} [random] returns a number in [0, 1), like Math.random
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, options = {}, random = Math.random) {
    const { baseDelayMs = 500, maxDelayMs = 15_000 } = options;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, 52));
    return Math.round(random() * ceiling);
}

// ---------------------------------------------------------------------------------------------------------------------
// Events

/** Calls a handler; an exception in application code is reported on its own instead of breaking the client. */
function invoke(handler, ...args) {
    if (typeof handler !== "function") return;
    try {
        handler(...args);
    } catch (error) {
        setTimeout(() => { throw error; });
    }
}

/** A minimal event emitter: `on` returns the function that removes the listener. */
class Emitter {
    #listeners = new Map();

    /**
     * @param {string} name
     * @param {Function} listener
     * @returns {() => void}
     */
    on(name, listener) {
        if (typeof listener !== "function") throw new TypeError(`client.on('${name}', listener): the listener must be a function.`);
        let set = this.#listeners.get(name);
        if (!set) this.#listeners.set(name, set = new Set());
        set.add(listener);
        return () => { set.delete(listener); };
    }

    emit(name, ...args) {
        for (const listener of [...(this.#listeners.get(name) ?? [])]) invoke(listener, ...args);
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// Positions

/** @param {string} position "epoch:seq" */
function parsePosition(position) {
    const colon = typeof position === "string" ? position.lastIndexOf(":") : -1;
    return colon > 0 ? { epoch: position.slice(0, colon), seq: Number(position.slice(colon + 1)) } : null;
}

/** Whether `a` is after `b` in the same epoch (a position of another epoch is not comparable). */
function isLater(a, b) {
    const x = parsePosition(a), y = parsePosition(b);
    return !!x && !!y && x.epoch === y.epoch && x.seq > y.seq;
}

/** Whether an event at `position` was already handled by a subscription whose last position is `last`. */
function isSeen(position, last) {
    const x = parsePosition(position), y = parsePosition(last);
    return !!x && !!y && x.epoch === y.epoch && x.seq <= y.seq;
}

// ---------------------------------------------------------------------------------------------------------------------
// Transport drivers. Each reports to its host: message(msg) for every protocol message (in the WebSocket protocol's
// shape), alive() for anything received, open() when it is ready without a welcome (SSE), and close({code, reason}) once
// when it ends by itself. The client calls send(msg) with {op: "subscribe" | "unsubscribe" | "ping", ...} and close().

/**
 * A WebSocket that reports text frames to `onText`; the shared part of the WebSocket and SignalR drivers.
 * @returns {{ send(text: string): void, close(code?: number, reason?: string): void, fail(reason: string): void }}
 */
function openSocket(host, WebSocketImpl, url, protocols, onOpen, onText) {
    let socket = null, ended = false;
    const detach = () => { if (socket) socket.onopen = socket.onmessage = socket.onerror = socket.onclose = noop; };
    const end = (code, reason, report) => {
        if (ended) return;
        ended = true;
        detach(); // the close event of a dead connection can take minutes; nothing of this socket matters any more
        try { socket?.close(code, CLOSE_REASONS[code]); } catch { /* already closed */ }
        if (report) host.close({ reason });
    };
    url.then(href => {
        if (ended) return;
        socket = new WebSocketImpl(href, protocols);
        socket.onopen = () => onOpen(socket);
        socket.onerror = noop; // a close event follows, with the status
        socket.onclose = e => {
            if (ended) return;
            ended = true;
            detach();
            host.close({ code: e.code, reason: e.reason || `The connection closed with status ${e.code}.` });
        };
        socket.onmessage = e => {
            host.alive();
            if (typeof e.data === "string") onText(e.data);
            else end(CLOSE_DEAD, "The server sent a binary frame; this protocol uses text frames.", true);
        };
    }).catch(error => end(CLOSE_DEAD, `The WebSocket to ${host.label} could not be opened: ${error?.message ?? error}`, true));
    return {
        send: text => socket.send(text),
        close: (code = CLOSE_NORMAL) => end(code, null, false),
        fail: reason => end(CLOSE_DEAD, reason, true),
    };
}

/** The WebSocket protocol: JSON messages in text frames, subprotocol realtime-events.v1.json. */
function webSocketDriver(host, WebSocketImpl) {
    const socket = openSocket(host, WebSocketImpl, host.url("ws"), [SUBPROTOCOL], noop, text => {
        let message;
        try { message = JSON.parse(text); } catch { return socket.fail(`The server sent a message that is not JSON: ${text.slice(0, 100)}`); }
        host.message(message);
    });
    return {
        eager: false,
        counts: () => true,
        send: message => socket.send(JSON.stringify(message)),
        close: socket.close,
    };
}

/**
 * The SignalR hub (MapRealtimeEventsHub) over a raw WebSocket with SignalR's JSON hub protocol: records end with 0x1E,
 * a handshake first, then invocations (type 1) named after each message's op, completions (3), pings (6) and close (7).
 */
function signalRDriver(host, WebSocketImpl) {
    let buffer = "", handshaken = false, nextInvocation = 0, closeReason = null;
    const invocations = new Map(); // invocationId -> subscription id, to report a failed invocation
    const reporting = { ...host, close: info => host.close(closeReason ? { ...info, reason: closeReason } : info) };
    const send = record => socket.send(JSON.stringify(record) + RECORD_SEPARATOR);
    const socket = openSocket(reporting, WebSocketImpl, host.url("hub"), undefined, () => send({ protocol: "json", version: 1 }), text => {
        const records = (buffer + text).split(RECORD_SEPARATOR);
        buffer = records.pop();
        for (const json of records) {
            let record;
            try { record = JSON.parse(json); } catch { return socket.fail(`The hub sent a record that is not JSON: ${json.slice(0, 100)}`); }
            if (!handshaken) {
                if (record.error) return socket.fail(`The SignalR handshake failed: ${record.error}`);
                handshaken = true;
            } else if (record.type === 1 && record.arguments?.[0]) {
                host.message(record.arguments[0]);
            } else if (record.type === 3) {
                const id = invocations.get(record.invocationId);
                invocations.delete(record.invocationId);
                if (record.error) host.message({ op: "error", id, code: "invocation_failed", message: `The hub refused the request: ${record.error}` });
            } else if (record.type === 7) {
                closeReason = record.error ? `The hub closed the connection: ${record.error}` : "The hub closed the connection.";
            }
        }
    });
    return {
        eager: false,
        counts: message => message.op !== "ping", // SignalR pings are not hub invocations: no rate-limit token
        send(message) {
            if (message.op === "ping") return send({ type: 6 });
            const invocationId = String(nextInvocation++);
            invocations.set(invocationId, message.id);
            const { op, ...request } = message;
            send(op === "subscribe"
                ? { type: 1, invocationId, target: "Subscribe", arguments: [request] }
                : { type: 1, invocationId, target: "Unsubscribe", arguments: [message.id] });
        },
        close: socket.close,
    };
}

/** The query string of an SSE subscription (docs/protocol.md, Server-Sent Events). */
function sseQuery({ id, topics, types, meta, minPriority, snapshot, resumeAfter }) {
    const query = new URLSearchParams();
    for (const topic of topics ?? []) query.append("topic", topic);
    for (const type of types ?? []) query.append("type", type);
    for (const [key, value] of Object.entries(meta ?? {})) query.append("meta", `${key}:${value}`);
    if (minPriority) query.set("minPriority", minPriority);
    if (snapshot) query.set("snapshot", "true");
    else if (resumeAfter) query.set("since", resumeAfter);
    query.set("id", id);
    return query;
}

/**
 * Asks the server why an event stream did not open (an EventSource shows no status): the refusal {code, message} for a
 * 4xx other than 401, 408 and 429 (not worth retrying), otherwise null (retry with backoff).
 */
async function refusalOf(fetchImpl, url) {
    if (typeof fetchImpl !== "function") return null;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), CONNECT_TIMEOUT_MS);
    try {
        const response = await fetchImpl(url, { headers: { accept: "text/event-stream" }, signal: abort.signal });
        const { status } = response;
        if (status < 400 || status >= 500 || status === 401 || status === 408 || status === 429) return null;
        const body = await response.json().catch(() => null);
        return { code: body?.code ?? `http_${status}`, message: body?.message ?? `The server refused the event stream with HTTP ${status}.` };
    } catch {
        return null;
    } finally {
        clearTimeout(timer);
        abort.abort();
    }
}

/**
 * Server-Sent Events: one EventSource per subscription. A stream that ends or fails ends the whole "connection", and the
 * client reconnects every subscription with its own backoff (and a fresh access token) instead of the EventSource's own
 * fixed retry; a stream refused with a 4xx ends only its subscription, with the server's error.
 */
function sseDriver(host, EventSourceImpl, fetchImpl) {
    const sources = new Map(); // subscription id -> EventSource, or null while its URL is being made
    const awaiting = new Set(); // subscriptions sent before the first `subscribed`: the driver opens on one of them
    let ended = false, opened = false;
    const open = () => { if (!opened && !ended) { opened = true; host.open(); } };
    const end = reason => {
        if (ended) return;
        ended = true;
        for (const source of sources.values()) source?.close();
        sources.clear();
        if (reason) host.close({ reason });
    };
    queueMicrotask(() => { if (awaiting.size === 0) open(); });

    async function subscribe(message) {
        const { id } = message;
        sources.set(id, null);
        if (!opened) awaiting.add(id);
        let url;
        try { url = await host.url("sse", sseQuery(message)); } catch (error) { return end(`The event stream URL could not be made: ${error?.message ?? error}`); }
        if (ended || sources.get(id) !== null) return; // closed or unsubscribed meanwhile
        let source, subscribed = false;
        try { source = new EventSourceImpl(url); } catch (error) { return end(`The EventSource could not be created: ${error?.message ?? error}`); }
        sources.set(id, source);
        const on = (type, handle) => source.addEventListener(type, e => {
            if (ended || sources.get(id) !== source) return;
            host.alive();
            let data;
            try { data = JSON.parse(e.data); } catch { return end(`The event stream of '${id}' sent data that is not JSON.`); }
            handle(data);
        });
        on("subscribed", data => { subscribed = true; host.message(data); open(); });
        on("message", event => host.message({ op: "event", sub: id, event }));
        on("overflow", data => host.message(data));
        on("unsubscribed", data => {
            source.close();
            sources.delete(id);
            host.message(data);
            if (data.reason === "shutdown") end("The server is shutting down.");
        });
        source.onerror = async () => {
            if (ended || sources.get(id) !== source) return;
            source.close();
            sources.delete(id);
            if (subscribed) return end(`The event stream of subscription '${id}' was interrupted.`);
            const refusal = await refusalOf(fetchImpl, url);
            if (ended) return;
            if (!refusal) return end(`The event stream of subscription '${id}' could not be opened.`);
            host.message({ op: "error", id, ...refusal });
            awaiting.delete(id);
            if (awaiting.size === 0) open(); // the server answers: only this subscription is refused
        };
    }

    return {
        eager: true, // no handshake: subscriptions are sent (streams opened) before the driver is open
        counts: () => false,
        send(message) {
            if (message.op === "subscribe") {
                subscribe(message);
            } else if (message.op === "unsubscribe") {
                sources.get(message.id)?.close();
                sources.delete(message.id);
                if (awaiting.delete(message.id) && awaiting.size === 0) open(); // no longer waiting for its stream to start
                queueMicrotask(() => ended || host.message({ op: "unsubscribed", id: message.id, reason: "unsubscribed" }));
            }
        },
        close: () => end(null),
    };
}

// ---------------------------------------------------------------------------------------------------------------------
// Client

/** What the application holds for one subscription. */
class Subscription {
    #record;
    #unsubscribe;

    constructor(record, unsubscribe) {
        this.#record = record;
        this.#unsubscribe = unsubscribe;
    }

    /** @returns {string} the subscription's id */
    get id() { return this.#record.id; }

    /** @returns {string | null} the position of the last event delivered (or the initial resumeAfter), or null */
    get lastPosition() { return this.#record.lastPosition; }

    /** @returns {boolean} whether the subscription has ended (unsubscribed, refused, ended by the server, client closed) */
    get ended() { return this.#record.state === "ended"; }

    /**
     * Ends the subscription. No event is delivered after the call.
     * @returns {Promise<void>} resolves once the server confirmed, or at once when the subscription is not on a connection
     */
    unsubscribe() { return this.#unsubscribe(this.#record); }
}

class RealtimeClient {
    #events = new Emitter();
    #options;
    #base;
    #hub;
    #state = "connecting";
    #transport;
    #webSocketWorked = false;
    #connectionId = null;
    #lastPosition = null;
    /** @type {Map<string, any>} subscription id -> record */
    #subscriptions = new Map();
    #queue = [];
    #conn = null; // the current connection attempt: { driver, open, openedAt, lastReceived, lastSent, tokens, ... }
    #attempt = 0; // reconnect attempts since the last connection that stayed open stableAfterMs
    #retryTimer = null;
    #nextId = 0;
    #onOnline = () => { if (this.#state === "offline") this.reconnect(); };

    constructor(prefix, options) {
        const o = { transport: "auto", heartbeatTimeoutMs: undefined, accessToken: undefined, ...options };
        o.reconnect = { baseDelayMs: 500, maxDelayMs: 15_000, maxAttempts: Infinity, stableAfterMs: 10_000, ...options?.reconnect };
        o.WebSocket ??= globalThis.WebSocket;
        o.EventSource ??= globalThis.EventSource;
        o.fetch ??= globalThis.fetch?.bind(globalThis);
        o.random ??= Math.random;
        if (!TRANSPORTS.includes(o.transport)) throw new TypeError(`options.transport must be one of ${TRANSPORTS.join(", ")}; got '${o.transport}'.`);
        for (const [name, value] of Object.entries(o.reconnect)) {
            if (typeof value !== "number" || !(value >= 0)) throw new RangeError(`options.reconnect.${name} must be a number >= 0; got ${value}.`);
        }
        if (o.heartbeatTimeoutMs !== undefined && !(o.heartbeatTimeoutMs > 0)) throw new RangeError(`options.heartbeatTimeoutMs must be a positive number of milliseconds; got ${o.heartbeatTimeoutMs}.`);
        if (o.accessToken !== undefined && typeof o.accessToken !== "function") throw new TypeError("options.accessToken must be a function that returns the token (or a promise of it).");
        const hasWebSocket = typeof o.WebSocket === "function", hasEventSource = typeof o.EventSource === "function";
        if (o.transport === "sse" && !hasEventSource) throw new TypeError("The 'sse' transport needs an EventSource: none is available here; pass options.EventSource.");
        if ((o.transport === "websocket" || o.transport === "signalr") && !hasWebSocket) throw new TypeError(`The '${o.transport}' transport needs a WebSocket: none is available here; pass options.WebSocket.`);
        if (o.transport === "auto" && !hasWebSocket && !hasEventSource) throw new TypeError("Neither WebSocket nor EventSource is available here; pass options.WebSocket or options.EventSource.");
        this.#options = o;
        this.#base = resolveUrl(prefix, "The prefix");
        this.#hub = resolveUrl(o.hubUrl ?? `${this.#base.pathname.replace(/\/+$/, "")}/hub`, "options.hubUrl", this.#base);
        this.#transport = o.transport === "auto" ? (hasWebSocket ? "websocket" : "sse") : o.transport;
        globalThis.addEventListener?.("online", this.#onOnline);
        this.#connect();
    }

    /** @returns {"connecting" | "open" | "reconnecting" | "offline" | "closed"} */
    get state() { return this.#state; }

    /** @returns {"websocket" | "sse" | "signalr"} the transport in use */
    get transport() { return this.#transport; }

    /** @returns {string | null} the position of the last event delivered on any subscription */
    get lastPosition() { return this.#lastPosition; }

    /** @returns {string | null} the server's id of the connection (welcome.connectionId); null for SSE and while not open */
    get connectionId() { return this.#connectionId; }

    /**
     * Listens to "state", "welcome", "overflow" or "error".
     * @param {"state" | "welcome" | "overflow" | "error"} name
     * @param {Function} listener
     * @returns {() => void} removes the listener
     */
    on(name, listener) {
        if (!CLIENT_EVENTS.includes(name)) throw new TypeError(`client.on('${name}'): the events are ${CLIENT_EVENTS.join(", ")}.`);
        return this.#events.on(name, listener);
    }

    /**
     * Subscribes. While the client is not open the subscription waits and is sent on connect; after a reconnect it is sent
     * again with resumeAfter = its last position, so no event is missed or delivered twice.
     * @param {{ id?: string, topics?: string[], types?: string[], minPriority?: string, meta?: Record<string, string>, snapshot?: boolean, resumeAfter?: string | null }} request
     * @param {(event: any, subscription: Subscription) => void} onEvent called for each event, in order
     * @param {{ onSubscribed?: Function, onOverflow?: Function, onError?: Function, onEnd?: Function }} [handlers]
     * @returns {Subscription}
     */
    subscribe(request, onEvent, handlers) {
        if (this.#state === "closed") throw new Error("This client is closed; call connect() for a new one.");
        if (typeof request !== "object" || request === null) throw new TypeError("subscribe(request, onEvent): request must be an object such as { topics: ['orders/42'] }.");
        if (typeof onEvent !== "function") throw new TypeError("subscribe(request, onEvent): onEvent must be a function, called with each event.");
        const id = request.id ?? `sub-${++this.#nextId}`;
        if (typeof id !== "string" || id.length < 1 || id.length > 128) throw new TypeError(`A subscription id must be a string of 1 to 128 characters; got ${JSON.stringify(id)}.`);
        if (this.#subscriptions.has(id)) throw new Error(`This client already has a subscription '${id}'; unsubscribe it first or use another id.`);
        if (request.resumeAfter != null && !parsePosition(request.resumeAfter)) throw new TypeError(`resumeAfter must be a position 'epoch:seq' as received in events; got ${JSON.stringify(request.resumeAfter)}.`);
        this.#checkQueue();
        const position = request.resumeAfter ?? null;
        const record = { id, request: { ...request }, onEvent, handlers: handlers ?? {}, lastPosition: position, resume: position, received: false, state: "pending" };
        record.subscription = new Subscription(record, r => this.#unsubscribe(r));
        this.#subscriptions.set(id, record);
        if (this.#conn) this.#send(this.#subscribeMessage(record));
        return record.subscription;
    }

    /** Closes the connection for good: state "closed", every subscription ends with "closed", no more reconnects. */
    close() {
        if (this.#state === "closed") return;
        clearTimeout(this.#retryTimer);
        this.#teardown(CLOSE_NORMAL);
        globalThis.removeEventListener?.("online", this.#onOnline);
        this.#setState("closed", { reason: "Closed by the client." });
        for (const record of [...this.#subscriptions.values()]) this.#end(record, "closed");
    }

    /** Reconnects now when "offline" (or waiting to reconnect), with a fresh attempt count; otherwise does nothing. */
    reconnect() {
        if (this.#state === "closed") throw new Error("This client is closed; call connect() for a new one.");
        if (this.#conn) return;
        clearTimeout(this.#retryTimer);
        this.#attempt = 0;
        this.#connect();
        this.#setState("reconnecting", { delayMs: 0, reason: "reconnect() was called." });
    }

    // --- connection ---------------------------------------------------------------------------------------------------

    #connect() {
        const o = this.#options;
        const conn = { open: false, lastReceived: now(), lastSent: now(), tokens: Infinity, burst: Infinity, rate: Infinity, lastEvent: null };
        const live = () => this.#conn === conn;
        const host = {
            label: this.#transport === "signalr" ? this.#hub.href : this.#base.href,
            url: (path, query) => this.#url(path, query),
            alive: () => { conn.lastReceived = now(); },
            open: () => live() && this.#opened(conn, null),
            message: message => live() && this.#message(conn, message),
            close: info => live() && this.#lost(conn, info),
        };
        this.#conn = conn;
        this.#queue = [];
        conn.connectTimer = setTimeout(() => live() && !conn.open && this.#lost(conn, {
            reason: `The connection did not open within ${CONNECT_TIMEOUT_MS} ms.`, closeCode: CLOSE_DEAD,
        }), CONNECT_TIMEOUT_MS);
        conn.driver = this.#transport === "sse" ? sseDriver(host, o.EventSource, o.fetch)
            : this.#transport === "signalr" ? signalRDriver(host, o.WebSocket) : webSocketDriver(host, o.WebSocket);
        for (const record of this.#subscriptions.values()) {
            record.state = "pending";
            this.#queue.push(this.#subscribeMessage(record));
        }
        this.#flush();
    }

    /** The URL of an endpoint ("ws", "sse" or "hub"), with a fresh access token. */
    async #url(path, query = new URLSearchParams()) {
        const url = new URL(path === "hub" ? this.#hub.href : this.#base.href);
        if (path !== "hub") url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path}`;
        const token = this.#options.accessToken ? await this.#options.accessToken() : undefined;
        for (const [key, value] of query) url.searchParams.append(key, value);
        if (token) url.searchParams.set("access_token", token);
        const secure = url.protocol === "https:" || url.protocol === "wss:";
        url.protocol = path === "sse" ? (secure ? "https:" : "http:") : (secure ? "wss:" : "ws:");
        return url.href;
    }

    #opened(conn, welcome) {
        if (conn.open) return;
        conn.open = true;
        conn.openedAt = now();
        clearTimeout(conn.connectTimer);
        if (this.#transport === "websocket") this.#webSocketWorked = true;
        this.#connectionId = welcome?.connectionId ?? null;
        const limits = welcome?.limits;
        if (limits?.messageBurst > 0 && limits?.messagesPerSecond > 0) {
            conn.tokens = conn.burst = limits.messageBurst;
            conn.rate = limits.messagesPerSecond;
        }
        if (welcome) {
            // Dead-connection check: nothing received (heartbeat, ping, pong included) within the timeout. The client pings
            // when it has sent nothing for an interval short enough that a live server's answer always comes in time.
            const beat = welcome.heartbeatMs > 0 ? welcome.heartbeatMs : undefined;
            const deadMs = this.#options.heartbeatTimeoutMs ?? (beat && beat * 2.5);
            const pingMs = Math.min(beat ?? Infinity, deadMs ? deadMs / 2 : Infinity);
            if (deadMs || pingMs < Infinity) {
                conn.ticker = setInterval(() => {
                    if (deadMs && now() - conn.lastReceived > deadMs) {
                        return this.#lost(conn, { reason: `Nothing was received for ${deadMs} ms: the connection counts as dead.`, closeCode: CLOSE_DEAD, error: "heartbeat_timeout" });
                    }
                    if (now() - conn.lastSent >= pingMs && !this.#queue.some(m => m.op === "ping")) this.#send({ op: "ping" });
                }, Math.max(20, Math.min(pingMs, deadMs || Infinity) / 4));
            }
            this.#events.emit("welcome", welcome);
            if (this.#conn !== conn) return; // a listener closed or replaced the connection
        }
        this.#setState("open", { reason: null });
        this.#flush();
    }

    /** The connection ended (or failed to open): end what was waiting on it, then fall back, retry or go offline. */
    #lost(conn, { code, reason, closeCode = CLOSE_NORMAL, error }) {
        if (this.#conn !== conn || this.#state === "closed") return;
        this.#teardown(closeCode);
        // 1001 (shutdown): the description is the log position every subscription of the connection was flushed through,
        // unless the flush timed out, when it is the last event sent, which only resumes that event's subscription (and
        // that one has it already). A subscribe the server had not answered was not flushed: it keeps its own position.
        const flushed = code === 1001 && parsePosition(reason) && reason !== conn.lastEvent;
        for (const record of [...this.#subscriptions.values()]) {
            if (flushed && record.state === "active" && isLater(reason, record.resume)) record.resume = reason;
            if (record.state === "ending") this.#end(record, "unsubscribed");
            else if (record.state !== "ended") record.state = "pending";
        }
        if (!conn.open && this.#transport === "websocket" && this.#options.transport === "auto" && !this.#webSocketWorked
            && typeof this.#options.EventSource === "function") {
            this.#transport = "sse"; // the WebSocket never worked here (blocked by a proxy, say): Server-Sent Events from now on
            this.#events.emit("error", { code: "websocket_failed", message: `The WebSocket could not connect (${reason}); using Server-Sent Events.` });
            return this.#state === "closed" || this.#conn || this.#connect(); // a listener may have reconnected already
        }
        if (error || !conn.open) this.#events.emit("error", { code: error ?? "connect_failed", message: `${this.#transport}: ${reason}` });
        if (this.#conn) return; // a listener called reconnect()
        if (conn.open && now() - conn.openedAt >= this.#options.reconnect.stableAfterMs) this.#attempt = 0;
        this.#retry(reason);
    }

    #retry(reason) {
        const { reconnect, random } = this.#options;
        if (this.#state === "closed") return; // a handler closed the client
        if (globalThis.navigator?.onLine === false) return this.#setState("offline", { reason: "The browser is offline; waiting for the 'online' event." });
        if (this.#attempt >= reconnect.maxAttempts) return this.#setState("offline", { reason: `Gave up after ${this.#attempt} reconnect attempts: ${reason}` });
        const delayMs = backoffDelay(this.#attempt, reconnect, random);
        this.#attempt++;
        this.#retryTimer = setTimeout(() => this.#conn || this.#connect(), delayMs);
        this.#setState("reconnecting", { delayMs, reason });
    }

    #teardown(closeCode) {
        const conn = this.#conn;
        if (!conn) return;
        this.#conn = null;
        this.#connectionId = null;
        this.#queue = [];
        clearTimeout(conn.connectTimer);
        clearTimeout(conn.refill);
        clearInterval(conn.ticker);
        conn.driver?.close(closeCode);
    }

    #setState(state, { delayMs, reason }) {
        const previous = this.#state;
        this.#state = state;
        this.#events.emit("state", {
            state, previous, attempt: this.#attempt, delayMs, lastPosition: this.#lastPosition, transport: this.#transport, reason,
        });
    }

    // --- sending ------------------------------------------------------------------------------------------------------

    #subscribeMessage(record) {
        const { topics, types, minPriority, meta, snapshot } = record.request;
        const again = !!snapshot && !record.received; // no event yet: a fresh snapshot, the app has nothing to resume from
        return {
            op: "subscribe", id: record.id, topics, types, minPriority, meta,
            snapshot: again || undefined, resumeAfter: again ? undefined : record.resume ?? undefined,
        };
    }

    #checkQueue() {
        if (this.#queue.length >= MAX_QUEUE) {
            throw new RangeError(`${MAX_QUEUE} requests are waiting to be sent; wait for the connection to catch up before subscribing or unsubscribing more.`);
        }
    }

    #send(message) {
        this.#queue.push(message);
        this.#flush();
    }

    /** Sends what is queued, within the server's message rate (welcome.limits), once the driver takes messages. */
    #flush() {
        const conn = this.#conn;
        if (!conn?.driver || !(conn.open || conn.driver.eager)) return;
        while (this.#queue.length) {
            const message = this.#queue[0];
            const counted = conn.driver.counts(message);
            if (counted && conn.tokens < 1) break;
            this.#queue.shift();
            if (counted) conn.tokens--;
            conn.lastSent = now();
            try {
                conn.driver.send(message);
            } catch (error) {
                return this.#lost(conn, { reason: `Sending failed: ${error?.message ?? error}` });
            }
        }
        if (conn.tokens < conn.burst && !conn.refill) {
            conn.refill = setTimeout(() => {
                conn.refill = null;
                conn.tokens = Math.min(conn.burst, conn.tokens + conn.rate);
                this.#flush();
            }, REFILL_MS);
        }
    }

    #unsubscribe(record) {
        if (this.#subscriptions.get(record.id) !== record) return Promise.resolve();
        if (record.state === "ending") return record.ending;
        const queued = this.#queue.findIndex(m => m.op === "subscribe" && m.id === record.id);
        if (!this.#conn || queued >= 0 || record.state === "gone") {
            if (queued >= 0) this.#queue.splice(queued, 1); // never sent: nothing to undo on the server
            this.#end(record, "unsubscribed");
            return Promise.resolve();
        }
        this.#checkQueue();
        record.state = "ending";
        record.ending = new Promise(resolve => { record.resolve = resolve; });
        this.#send({ op: "unsubscribe", id: record.id });
        return record.ending;
    }

    #end(record, reason) {
        if (this.#subscriptions.get(record.id) !== record) return;
        this.#subscriptions.delete(record.id);
        record.state = "ended";
        record.resolve?.();
        invoke(record.handlers.onEnd, reason);
    }

    // --- receiving ----------------------------------------------------------------------------------------------------

    #message(conn, message) {
        const record = this.#subscriptions.get(message.sub ?? message.id);
        if (message.op === "event" || message.op === "events") {
            // The last event the server sent, delivered or not: a 1001 position equal to it means the flush timed out.
            const last = message.op === "event" ? message.event : message.events?.at(-1);
            const position = `${last?.epoch}:${last?.seq}`;
            if (parsePosition(position)) conn.lastEvent = position;
        }
        switch (message.op) {
            case "welcome":
                return this.#opened(conn, message);
            case "event":
                return this.#deliver(record, [message.event]);
            case "events":
                return this.#deliver(record, message.events ?? []);
            case "subscribed":
                if (record?.state !== "pending") return;
                record.state = "active";
                if (parsePosition(message.position)) record.resume = message.position; // where it starts: a resume point
                return invoke(record.handlers.onSubscribed, message);
            case "overflow":
                if (!record || record.state === "ending") return;
                invoke(record.handlers.onOverflow, message);
                return this.#events.emit("overflow", message, record.subscription);
            case "unsubscribed":
                if (!record) return;
                if (message.reason === "shutdown" && record.state !== "ending") record.state = "gone"; // subscribed again after the reconnect
                else this.#end(record, message.reason);
                return;
            case "error": {
                const error = { code: message.code, message: message.message, ...(message.id !== undefined && { id: message.id }) };
                if (record?.state === "ending" && message.code === "unknown_subscription") return this.#end(record, "unsubscribed");
                if (record) invoke(record.handlers.onError, error);
                this.#events.emit("error", error);
                // A refused subscribe is not retried; one refused because the server is stopping is sent again on reconnect.
                if (record?.state === "pending" && message.code !== "shutting_down") this.#end(record, "error");
                return;
            }
            default:
                return; // pong, heartbeat, and ops of later versions: liveness only
        }
    }

    #deliver(record, events) {
        if (!record || record.state === "ending" || record.state === "ended") return;
        for (const event of events) {
            const position = `${event?.epoch}:${event?.seq}`;
            if (!parsePosition(position) || isSeen(position, record.lastPosition)) continue; // dedupe after a resume
            record.lastPosition = record.resume = this.#lastPosition = position;
            record.received = true;
            invoke(record.onEvent, event, record.subscription);
            if (record.state === "ending" || record.state === "ended") return; // the handler unsubscribed
        }
    }
}

/** Resolves a URL against the page (or `base`); only http(s) and ws(s) URLs are accepted. */
function resolveUrl(value, what, base = globalThis.location?.href) {
    let url;
    try {
        url = new URL(value, base);
    } catch {
        throw new TypeError(`${what} '${value}' is not a URL: give a path on this page's origin ('/realtime') or an absolute http(s) or ws(s) URL.`);
    }
    if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) throw new TypeError(`${what} '${value}' must be an http(s) or ws(s) URL.`);
    return url;
}

/**
 * Connects to the RealtimeEvents endpoints mapped by `app.MapRealtimeEvents(prefix)` (or, with transport "signalr", to
 * the hub mapped by `app.MapRealtimeEventsHub`). The client starts connecting at once and reconnects by itself.
 * @param {string} prefix the MapRealtimeEvents prefix: a path on this page's origin or an absolute http(s)/ws(s) URL
 * @param {object} [options] see client.d.ts
 * @returns {RealtimeClient}
 */
export function connect(prefix, options = {}) {
    return new RealtimeClient(prefix, options);
}
