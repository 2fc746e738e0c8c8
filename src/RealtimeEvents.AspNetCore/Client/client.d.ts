// Types of the RealtimeEvents browser client ({prefix}/client.js). The wire protocol is docs/protocol.md.

/** An event priority. */
export type Priority = "low" | "normal" | "high" | "critical";

/** The transport to use: "auto" is WebSocket, falling back to Server-Sent Events when a WebSocket can't connect. */
export type TransportOption = "auto" | "websocket" | "sse" | "signalr";

/** The transport in use. */
export type Transport = "websocket" | "sse" | "signalr";

/** The client's connection state. */
export type ClientState = "connecting" | "open" | "reconnecting" | "offline" | "closed";

/** An event as the server sends it. Its position is `${epoch}:${seq}`. */
export interface RealtimeEvent<TData = unknown> {
    id: string;
    type: string;
    topic: string;
    priority: Priority;
    /** ISO 8601 with the UTC offset. */
    time: string;
    epoch: string;
    seq: number;
    data: TData | null;
    meta?: Record<string, string>;
    conflationKey?: string;
}

/** Reconnect timing: exponential backoff with full jitter. */
export interface ReconnectOptions {
    /** The ceiling of the first retry's delay. The default value is 500. */
    baseDelayMs?: number;
    /** The largest delay. The default value is 15000. */
    maxDelayMs?: number;
    /** Failed attempts before the state becomes "offline". The default value is Infinity. */
    maxAttempts?: number;
    /** How long a connection must stay open for the attempt count to start again from 0. The default value is 10000. */
    stableAfterMs?: number;
}

/** The minimal WebSocket the client uses (the browser's, or `ws` in Node). */
export interface WebSocketLike {
    onopen: ((event: any) => void) | null;
    onmessage: ((event: { data: any }) => void) | null;
    onerror: ((event: any) => void) | null;
    onclose: ((event: { code: number; reason: string }) => void) | null;
    send(data: string): void;
    close(code?: number, reason?: string): void;
}

/** The minimal EventSource the client uses (the browser's, or the `eventsource` package in Node). */
export interface EventSourceLike {
    onerror: ((event: any) => void) | null;
    addEventListener(type: string, listener: (event: { data: string; lastEventId?: string }) => void): void;
    close(): void;
}

export interface ConnectOptions {
    /** The default value is "auto". */
    transport?: TransportOption;
    /** For "signalr": the MapRealtimeEventsHub route. The default value is `${prefix}/hub`. */
    hubUrl?: string;
    reconnect?: ReconnectOptions;
    /**
     * No message (heartbeat, ping and pong included) within this time means a dead connection: the client closes it and
     * reconnects. The default value is 2.5 × welcome.heartbeatMs. Not used with SSE, whose heartbeats a page can't see.
     */
    heartbeatTimeoutMs?: number;
    /** Called on every (re)connect; the token is sent as `?access_token=`. */
    accessToken?: () => string | null | undefined | Promise<string | null | undefined>;
    /** The default value is globalThis.WebSocket. */
    WebSocket?: new (url: string, protocols?: string | string[]) => WebSocketLike;
    /** The default value is globalThis.EventSource. */
    EventSource?: new (url: string) => EventSourceLike;
    /** Asks the server why an event stream was refused (an EventSource shows no status). The default value is globalThis.fetch. */
    fetch?: (url: string, init?: any) => Promise<{ status: number; json(): Promise<any> }>;
    /** Returns a number in [0, 1). The default value is Math.random. */
    random?: () => number;
}

/** What the server sends first on a WebSocket or SignalR connection. */
export interface WelcomeMessage {
    op: "welcome";
    protocol: number;
    connectionId: string;
    position: string | null;
    heartbeatMs: number;
    limits: { maxMessageBytes: number | null; maxSubscriptions: number; messagesPerSecond: number; messageBurst: number };
}

export interface Snapshot {
    topic: string;
    position: string;
    state: unknown;
}

/** The server made the subscription (again, after each reconnect). */
export interface SubscribedMessage {
    op: "subscribed";
    id: string;
    resume: "complete" | "truncated" | "epoch_changed" | null;
    /** Where the subscription starts. */
    position: string;
    snapshots?: Snapshot[];
}

/** Events of a subscription were missed. */
export interface OverflowNotice {
    op: "overflow";
    sub: string;
    reason: "overflow" | "history_truncated" | "epoch_changed";
    dropped: number | null;
    first: string | null;
    last: string | null;
    recoverable: boolean;
    /** Present when recoverable: subscribe again with this resumeAfter to get the missed events. */
    resumeAfter?: string;
}

/**
 * A protocol error (codes of docs/protocol.md, with `id` when it concerns a subscription), or one of the client's own:
 * "connect_failed", "heartbeat_timeout", "websocket_failed" (auto fell back to SSE), "invocation_failed" (SignalR).
 */
export interface ClientError {
    code: string;
    message: string;
    id?: string;
}

export interface StateChange {
    state: ClientState;
    previous: ClientState;
    /** Reconnect attempts since the connection was last stable. */
    attempt: number;
    /** With "reconnecting": how long until the attempt. */
    delayMs?: number;
    lastPosition: string | null;
    transport: Transport;
    /** Why the state changed, for people; null when it opened. */
    reason?: string | null;
}

export interface SubscriptionRequest {
    /** Unique on this client. Generated when missing. */
    id?: string;
    /** Exact topics and patterns (`*` one segment, a final `**` any). Missing or empty: every topic. */
    topics?: string[];
    /** Type patterns. Missing or empty: every type. */
    types?: string[];
    minPriority?: Priority;
    meta?: Record<string, string>;
    /** Start with the current state (in onSubscribed's snapshots). */
    snapshot?: boolean;
    /** Start after this position (from an earlier session). */
    resumeAfter?: string | null;
}

/**
 * Why a subscription ended: "unsubscribed" (asked), "lagging" and "failed" (the server ended it), "error" (refused:
 * onError had the reason), "closed" (client.close()).
 */
export type EndReason = "unsubscribed" | "lagging" | "failed" | "error" | "closed" | (string & {});

export interface SubscriptionHandlers {
    onSubscribed?: (message: SubscribedMessage) => void;
    onOverflow?: (notice: OverflowNotice) => void;
    onError?: (error: ClientError) => void;
    onEnd?: (reason: EndReason) => void;
}

export interface Subscription {
    readonly id: string;
    /** The position of the last event delivered (or the initial resumeAfter), or null. */
    readonly lastPosition: string | null;
    readonly ended: boolean;
    /** Resolves once the server confirmed, or at once when the subscription is not on a connection. */
    unsubscribe(): Promise<void>;
}

export interface RealtimeClient {
    readonly state: ClientState;
    readonly transport: Transport;
    /** The position of the last event delivered on any subscription, or null. */
    readonly lastPosition: string | null;
    /** welcome.connectionId (WebSocket, SignalR); null for SSE and while not open. */
    readonly connectionId: string | null;
    on(name: "state", listener: (change: StateChange) => void): () => void;
    on(name: "welcome", listener: (welcome: WelcomeMessage) => void): () => void;
    on(name: "overflow", listener: (notice: OverflowNotice, subscription: Subscription) => void): () => void;
    on(name: "error", listener: (error: ClientError) => void): () => void;
    /**
     * Subscribes; sent when the client is open, and again with resumeAfter after every reconnect. Events at or before the
     * subscription's last position are dropped, so each arrives once, in order.
     */
    subscribe<TData = unknown>(request: SubscriptionRequest, onEvent: (event: RealtimeEvent<TData>, subscription: Subscription) => void,
        handlers?: SubscriptionHandlers): Subscription;
    /** State "closed": every subscription ends, no more reconnects. */
    close(): void;
    /** From "offline" (or while waiting to reconnect): try again now. */
    reconnect(): void;
}

/**
 * Connects to the endpoints of `app.MapRealtimeEvents(prefix)` (or the SignalR hub) and keeps reconnecting.
 * @param prefix a path on the page's origin ("/realtime") or an absolute http(s)/ws(s) URL
 */
export declare function connect(prefix: string, options?: ConnectOptions): RealtimeClient;

/** The reconnect delay before attempt `attempt` (0-based): random(0, min(maxDelayMs, baseDelayMs * 2 ** attempt)). */
export declare function backoffDelay(attempt: number, options?: Pick<ReconnectOptions, "baseDelayMs" | "maxDelayMs">,
    random?: () => number): number;
