// HTTP calls to the test server: the management endpoints RealtimeEvents.AspNetCore maps, and the test-only endpoints.
import { DEFAULT_TIMEOUT_MS } from './wait.mjs';

/** The management prefix the test server maps (MapRealtimeEventsManagement). */
export const ADMIN_PATH = '/realtime/admin';

/** The event type the tests publish. */
export const EVENT_TYPE = 'task.progress';

/**
 * Sends a request with a time limit and returns the response with its body parsed (JSON when there is one).
 * @param {string} url
 * @param {RequestInit & { expect?: number }} [init]
 */
export async function request(url, { expect, ...init } = {}) {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
    const text = await response.text();
    const body = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (expect !== undefined && response.status !== expect) {
        throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status} (expected ${expect}): ${text}`);
    }

    return { status: response.status, body };
}

/**
 * Publishes one event through the management endpoint (POST {admin}/events) and returns the published event.
 * @param {string} baseUrl
 * @param {{ topic: string, type?: string, data?: any, priority?: string }} draft
 */
export async function publish(baseUrl, { topic, type = EVENT_TYPE, data = null, priority }) {
    const { body } = await request(`${baseUrl}${ADMIN_PATH}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type, topic, data, ...(priority ? { priority } : {}) }),
        expect: 201,
    });
    return body;
}

/**
 * Publishes `count` events to `topic` in the server's process (the test server's POST /test/burst), each with data
 * `{ i, pad }` where i runs from `start` and pad is `size` characters; with `pauseEvery` and `pauseMs`, the server pauses
 * after every `pauseEvery` events, spreading the burst over a window. Resolves once every event is in the log.
 * @param {string} baseUrl
 * @param {{ topic: string, count: number, size?: number, start?: number, pauseEvery?: number, pauseMs?: number }} burst
 * @returns {Promise<{ count: number, first: string, last: string }>} the positions of the first and last event
 */
export async function burst(baseUrl, { topic, count, size = 0, start = 0, pauseEvery, pauseMs }) {
    const query = new URLSearchParams({ topic, count: String(count), size: String(size), start: String(start) });
    if (pauseEvery !== undefined) {
        query.set('pauseEvery', String(pauseEvery));
        query.set('pauseMs', String(pauseMs ?? 0));
    }

    const { body } = await request(`${baseUrl}/test/burst?${query}`, { method: 'POST', expect: 200 });
    return body;
}

/**
 * Aborts the transport under a SignalR connection (the test server's POST /test/drop/{id}), as a network failure would.
 * @param {string} baseUrl
 * @param {string} signalRConnectionId the SignalR connection id (HubConnection.connectionId), not the welcome's id
 */
export async function dropTransport(baseUrl, signalRConnectionId) {
    await request(`${baseUrl}/test/drop/${encodeURIComponent(signalRConnectionId)}`, { method: 'POST', expect: 204 });
}

/**
 * Reads one connection from the management endpoint (GET {admin}/connections/{id}).
 * @param {string} baseUrl
 * @param {string} connectionId the welcome's connection id
 */
export async function managedConnection(baseUrl, connectionId) {
    return request(`${baseUrl}${ADMIN_PATH}/connections/${encodeURIComponent(connectionId)}`);
}
