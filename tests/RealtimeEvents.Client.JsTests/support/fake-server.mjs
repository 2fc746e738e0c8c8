// A scripted WebSocket-protocol server (`ws` on 127.0.0.1) for what a real server does only at shutdown or by chance: a
// test reads the client's messages per connection and sends exactly the frames and close statuses it wants.
import { WebSocketServer } from 'ws';
import { DEFAULT_TIMEOUT_MS, withTimeout } from '../../RealtimeEvents.SignalR.JsTests/support/wait.mjs';

/** A welcome as the server sends it (docs/protocol.md). */
export function welcome(connectionId) {
    return {
        op: 'welcome', protocol: 1, connectionId, position: null, heartbeatMs: 15000,
        limits: { maxMessageBytes: 16384, maxSubscriptions: 100, messagesPerSecond: 20, messageBurst: 40 },
    };
}

/** An event of topic "t" at epoch:seq. */
export function event(epoch, seq, data = null) {
    return { id: `e${seq}`, type: 'task.progress', topic: 't', priority: 'normal', time: '2026-11-22T10:00:00+00:00', epoch, seq, data };
}

export class FakeServer {
    /** Starts listening on a free port; `stop()` closes it. */
    static async start(port = 0) {
        const server = new FakeServer();
        server.wss = new WebSocketServer({ host: '127.0.0.1', port });
        await withTimeout(new Promise(resolve => server.wss.once('listening', resolve)), DEFAULT_TIMEOUT_MS, 'the fake server to listen');
        server.port = server.wss.address().port;
        server.wss.on('connection', (socket, request) => {
            const connection = { socket, url: request.url, protocol: socket.protocol, messages: [], closed: false };
            server.connections.push(connection);
            socket.on('message', data => {
                connection.messages.push(JSON.parse(String(data)));
                server._notify();
            });
            socket.on('close', () => {
                connection.closed = true;
                server._notify();
            });
            socket.send(JSON.stringify(welcome(`c-fake${server.connections.length}`)));
            server._notify();
        });
        return server;
    }

    constructor() {
        /** @type {{ socket: import('ws').WebSocket, url: string, protocol: string, messages: any[], closed: boolean }[]} */
        this.connections = [];
        this._waiters = new Set();
    }

    get baseUrl() {
        return `http://127.0.0.1:${this.port}`;
    }

    _notify() {
        for (const waiter of [...this._waiters]) {
            waiter();
        }
    }

    /** Waits until `condition()` is truthy, re-checked on every connection, message and close. */
    waitUntil(condition, what, ms = DEFAULT_TIMEOUT_MS) {
        let waiter;
        const met = new Promise(resolve => {
            waiter = () => {
                const value = condition();
                if (value) {
                    resolve(value);
                }
            };
            this._waiters.add(waiter);
            waiter();
        });
        return withTimeout(met, ms, `${what}; connections: ${JSON.stringify(this.connections.map(c => c.messages))}`)
            .finally(() => this._waiters.delete(waiter));
    }

    /** Waits for the n-th (1-based) connection to have sent `count` messages, and returns them. */
    messagesOf(n, count) {
        return this.waitUntil(() => this.connections[n - 1]?.messages.length >= count && this.connections[n - 1].messages,
            `${count} messages on connection ${n}`);
    }

    /** Sends a message on the n-th connection. */
    send(n, message) {
        this.connections[n - 1].socket.send(JSON.stringify(message));
    }

    async stop() {
        for (const { socket } of this.connections) {
            socket.terminate();
        }

        await withTimeout(new Promise(resolve => this.wss.close(resolve)), DEFAULT_TIMEOUT_MS, 'the fake server to close');
    }
}
