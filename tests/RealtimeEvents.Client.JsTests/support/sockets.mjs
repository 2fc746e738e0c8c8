// WebSocket constructors to inject into the client: one that never connects, and a wrapper around `ws` that lets a test
// watch the frames, drop them (a half-open connection) or stop reading the socket (a stalled page).
import { createServer } from 'node:net';
import WebSocket from 'ws';

/** A WebSocket that always fails before it opens, as one blocked by a proxy does: error, then close 1006. */
export class FailingWebSocket {
    static created = 0;

    constructor(url) {
        FailingWebSocket.created++;
        this.url = url;
        setTimeout(() => {
            this.onerror?.({ type: 'error' });
            this.onclose?.({ code: 1006, reason: '' });
        }, 1);
    }

    send() {
        throw new Error('FailingWebSocket never opens.');
    }

    close() { }
}

/**
 * Makes a WebSocket class around `ws` whose instances call `spy.onMessage(data)` for every frame received, and deliver it
 * to the client only while `spy.deliver(data, socket)` returns true (default: always). The last instance is
 * `spy.current`; its raw `ws` socket is `spy.current.inner`.
 * @param {{ deliver?: (data: string, socket: object) => boolean, onMessage?: (data: string) => void }} spy
 */
export function spyingWebSocket(spy) {
    return class SpyingWebSocket {
        constructor(url, protocols) {
            const inner = new WebSocket(url, protocols);
            this.inner = inner;
            spy.current = this;
            inner.onopen = e => this.onopen?.(e);
            inner.onerror = e => this.onerror?.(e);
            inner.onclose = e => this.onclose?.(e);
            inner.onmessage = e => {
                spy.onMessage?.(e.data);
                if (spy.deliver?.(e.data, this) ?? true) {
                    this.onmessage?.(e);
                }
            };
        }

        send(data) {
            this.inner.send(data);
        }

        close(code, reason) {
            this.inner.close(code, reason);
        }

        /** Stops reading the TCP socket: the server's writes back up, as with a page that does not keep up. */
        pause() {
            this.inner._socket.pause();
        }

        resume() {
            this.inner._socket.resume();
        }
    };
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort() {
    const server = createServer();
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    await new Promise(resolve => server.close(resolve));
    return port;
}
