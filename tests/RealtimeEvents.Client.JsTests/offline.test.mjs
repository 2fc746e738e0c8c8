// Reconnect limits: after maxAttempts failed attempts the client is "offline"; reconnect() tries again at once. No real
// server here: a port nothing listens on, then a `ws` server on that port that answers with a welcome.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { withTimeout } from '../RealtimeEvents.SignalR.JsTests/support/wait.mjs';
import { recordClient } from './support/recorder.mjs';
import { closedPort } from './support/sockets.mjs';

test('after maxAttempts failed reconnects the state is "offline"; reconnect() tries again and opens', { timeout: 30_000 }, async t => {
    const port = await closedPort();
    const recorder = recordClient(t, `http://127.0.0.1:${port}`, {
        transport: 'websocket', reconnect: { baseDelayMs: 20, maxDelayMs: 40, maxAttempts: 2 },
    });
    const offline = await recorder.waitForState('offline');
    assert.deepEqual(recorder.states.map(s => [s.state, s.attempt]), [['reconnecting', 1], ['reconnecting', 2], ['offline', 2]]);
    assert.ok(recorder.states.slice(0, 2).every(s => s.delayMs >= 0 && s.delayMs <= 40), JSON.stringify(recorder.states));
    assert.match(offline.reason, /Gave up after 2 reconnect attempts/);
    assert.equal(recorder.errors.filter(e => e.code === 'connect_failed').length, 3, 'the first connect and two reconnects failed');

    // reconnect() from "offline", with the port still closed: one more round of attempts, then "offline" again.
    let from = recorder.states.length;
    recorder.client.reconnect();
    assert.equal(recorder.client.state, 'reconnecting');
    await recorder.waitForState('offline', 'offline again', { from });

    // Now something answers on the port: reconnect() opens.
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    t.after(() => withTimeout(new Promise(resolve => wss.close(resolve)), 5_000, 'the ws server to close'));
    await withTimeout(new Promise(resolve => wss.once('listening', resolve)), 5_000, 'the ws server to listen');
    const requests = [];
    wss.on('connection', (socket, request) => {
        requests.push({ url: request.url, protocol: socket.protocol });
        socket.send(JSON.stringify({ op: 'welcome', protocol: 1, connectionId: 'c-fake', position: null, heartbeatMs: 15000, limits: { maxMessageBytes: 16384, maxSubscriptions: 100, messagesPerSecond: 20, messageBurst: 40 } }));
    });
    from = recorder.states.length;
    recorder.client.reconnect();
    await recorder.waitForState('open', 'open', { from });
    assert.equal(recorder.client.connectionId, 'c-fake');
    assert.deepEqual(requests, [{ url: '/realtime/ws', protocol: 'realtime-events.v1.json' }]);
});

test('close() ends every subscription, stops reconnecting and is final', { timeout: 30_000 }, async t => {
    const port = await closedPort();
    const recorder = recordClient(t, `http://127.0.0.1:${port}`, { transport: 'websocket', reconnect: { baseDelayMs: 5, maxDelayMs: 5 } });
    recorder.subscribe({ id: 'a', topics: ['runs/a'] });
    await recorder.waitForState('reconnecting');
    recorder.client.close();
    assert.equal(recorder.client.state, 'closed');
    assert.deepEqual(recorder.of('a').ends, ['closed']);
    assert.throws(() => recorder.client.subscribe({ topics: ['runs/b'] }, () => { }), /closed/);
    assert.throws(() => recorder.client.reconnect(), /closed/);
    const count = recorder.states.length;
    // Had a retry been left scheduled (5 ms), it would have failed and reported by now; give it a few timer turns.
    await new Promise(resolve => setTimeout(resolve, 50));
    assert.equal(recorder.states.length, count, 'no state change after close');
});

test('invalid options and arguments fail with messages that say what to do', () => {
    const WebSocket = class { };
    assert.throws(() => recordClient({ after() { } }, 'http://127.0.0.1:1', { transport: 'carrier-pigeon', WebSocket }), /transport must be one of auto, websocket, sse, signalr/);
    assert.throws(() => recordClient({ after() { } }, 'http://127.0.0.1:1', { reconnect: { baseDelayMs: -1 }, WebSocket }), /reconnect.baseDelayMs must be a number >= 0/);
    assert.throws(() => recordClient({ after() { } }, '', { prefix: 'realtime', WebSocket }), /not a URL/);
    assert.throws(() => recordClient({ after() { } }, '', { prefix: 'ftp://example.test/realtime', WebSocket }), /http\(s\) or ws\(s\)/);
    assert.throws(() => recordClient({ after() { } }, 'http://127.0.0.1:1', { transport: 'sse', EventSource: {} }), /EventSource/);
});
