// The client over the WebSocket protocol ({prefix}/ws) against a real server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst, managedConnection } from '../RealtimeEvents.SignalR.JsTests/support/http.mjs';
import { useServer } from '../RealtimeEvents.SignalR.JsTests/support/server.mjs';
import { recordClient } from './support/recorder.mjs';
import { receivesInOrder, resumesAfterForcedDisconnect } from './support/scenarios.mjs';
import { spyingWebSocket } from './support/sockets.mjs';

const server = useServer();

test('connects, opens and delivers a subscription\'s events in order', { timeout: 30_000 }, async t => {
    const recorder = await receivesInOrder(t, server.current.baseUrl, 'websocket');
    const [welcome] = recorder.welcomes;
    assert.equal(welcome.protocol, 1);
    assert.match(recorder.client.connectionId, /^c-/);
    assert.equal(recorder.client.connectionId, welcome.connectionId);
    assert.deepEqual(recorder.states.map(s => s.state), ['open']);
    assert.equal(recorder.states[0].previous, 'connecting');
});

test('after an administrator disconnects it (1008), it reconnects and resumes with no gap and no duplicate', { timeout: 30_000 }, async t => {
    await resumesAfterForcedDisconnect(t, server.current.baseUrl, 'websocket');
});

test('subscriptions made before the connection opened are sent once it is open; one unsubscribed meanwhile is not', { timeout: 30_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'runs/queued';
    const recorder = recordClient(t, baseUrl, { transport: 'websocket' });
    assert.equal(recorder.client.state, 'connecting');
    recorder.subscribe({ id: 'early', topics: [topic] });
    const dropped = recorder.subscribe({ id: 'dropped', topics: [topic] });
    await dropped.unsubscribe(); // resolves at once: it never reached a connection
    assert.equal(dropped.ended, true);
    assert.deepEqual(recorder.of('dropped').ends, ['unsubscribed']);
    assert.equal(recorder.client.state, 'connecting', 'still connecting: everything above was queued');

    await recorder.waitUntil(() => recorder.of('early').subscribed.length, 'subscribed');
    const { body } = await managedConnection(baseUrl, recorder.client.connectionId);
    assert.deepEqual(body.subscriptions.map(s => s.id), ['early']);
    await burst(baseUrl, { topic, count: 5, start: 0 });
    await recorder.waitUntil(() => recorder.of('early').events.length === 5, '5 events');
    assert.equal(recorder.of('dropped').events.length, 0);
});

test('more subscriptions than the server\'s message burst are paced, so none is rate limited', { timeout: 30_000 }, async t => {
    const recorder = recordClient(t, server.current.baseUrl, { transport: 'websocket' });
    const count = 60; // the test server keeps the default limits: bursts of 40, 20 a second
    for (let k = 0; k < count; k++) {
        recorder.subscribe({ id: `pace-${k}`, topics: [`runs/pace-${k}`] });
    }

    await recorder.waitUntil(() => [...recorder.subscriptions.values()].every(log => log.subscribed.length === 1 || log.errors.length),
        `${count} answers`);
    assert.deepEqual(recorder.errors, [], 'no error (rate_limited would be one)');
    assert.equal(recorder.welcomes[0].limits.messageBurst, 40);
});

test('unsubscribe resolves on the server\'s answer and no event follows it', { timeout: 30_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'runs/unsubscribe';
    const recorder = recordClient(t, baseUrl, { transport: 'websocket' });
    const leaving = recorder.subscribe({ id: 'leaving', topics: [topic] });
    recorder.subscribe({ id: 'staying', topics: [topic] });
    await recorder.waitUntil(() => recorder.of('leaving').subscribed.length && recorder.of('staying').subscribed.length, 'both subscribed');
    await burst(baseUrl, { topic, count: 5, start: 0 });
    await recorder.waitUntil(() => recorder.of('leaving').events.length === 5, 'the first 5 events');

    await leaving.unsubscribe();
    assert.deepEqual(recorder.of('leaving').ends, ['unsubscribed']);
    const { body } = await managedConnection(baseUrl, recorder.client.connectionId);
    assert.deepEqual(body.subscriptions.map(s => s.id), ['staying'], 'gone from the server');

    await burst(baseUrl, { topic, count: 5, start: 5 });
    await recorder.waitUntil(() => recorder.of('staying').events.length === 10, 'the other subscription\'s 10 events');
    assert.equal(recorder.of('leaving').events.length, 5, 'nothing after unsubscribe');
});

test('a refused subscription reports the server\'s error to onError and ends; the connection stays open', { timeout: 30_000 }, async t => {
    const recorder = recordClient(t, server.current.baseUrl, { transport: 'websocket' });
    const refused = recorder.subscribe({ id: 'secret', topics: ['secret/plans'] });
    await recorder.waitUntil(() => recorder.of('secret').ends.length, 'the end');
    const [error] = recorder.of('secret').errors;
    assert.equal(error.code, 'forbidden');
    assert.equal(error.id, 'secret');
    assert.match(error.message, /secret/);
    assert.deepEqual(recorder.of('secret').ends, ['error']);
    assert.equal(refused.ended, true);
    assert.deepEqual(recorder.errors, [error], 'also reported on the client');
    assert.equal(recorder.client.state, 'open');
});

test('a connection that goes silent is detected by the heartbeat timeout, and the client reconnects', { timeout: 30_000 }, async t => {
    // From a point on, the server's frames stop reaching the client, as on a half-open connection: no pong comes back.
    const silenced = new Set();
    const spy = { deliver: (data, socket) => !silenced.has(socket) };
    const recorder = recordClient(t, server.current.baseUrl, {
        transport: 'websocket', WebSocket: spyingWebSocket(spy), heartbeatTimeoutMs: 400, reconnect: { baseDelayMs: 10, maxDelayMs: 10 },
    });
    await recorder.waitForState('open');
    silenced.add(spy.current);
    const reconnecting = await recorder.waitForState('reconnecting', 'reconnecting after the heartbeat timeout', { ms: 5_000 });
    assert.match(reconnecting.reason, /Nothing was received for 400 ms/);
    assert.ok(recorder.errors.some(e => e.code === 'heartbeat_timeout'), JSON.stringify(recorder.errors));
    await recorder.waitForState('open', 'open again', { from: recorder.states.indexOf(reconnecting) });
});

test('a live connection with a short heartbeat timeout stays open: the client pings and the pongs count', { timeout: 30_000 }, async t => {
    let pongs = 0;
    let recorder;
    const spy = {
        onMessage: data => {
            if (data.includes('"op":"pong"')) {
                pongs++;
                recorder.notify();
            }
        },
    };
    recorder = recordClient(t, server.current.baseUrl, { transport: 'websocket', WebSocket: spyingWebSocket(spy), heartbeatTimeoutMs: 400 });
    await recorder.waitForState('open');
    // 6 pongs: the client pinged for over a second (every 200 ms) on a connection that carries nothing else.
    await recorder.waitUntil(() => pongs >= 6, '6 pongs', 10_000);
    assert.deepEqual(recorder.states.map(s => s.state), ['open'], 'never reconnected');
});

test('overflow notices reach onOverflow and the client\'s overflow listeners', { timeout: 60_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'runs/overflow';
    const spy = {};
    const recorder = recordClient(t, baseUrl, { transport: 'websocket', WebSocket: spyingWebSocket(spy) });
    recorder.subscribe({ id: 'slow', topics: [topic] });
    await recorder.waitUntil(() => recorder.of('slow').subscribed.length, 'subscribed');

    // The client stops reading its socket; the server's writes back up and the subscription's queue (64) drops its oldest.
    spy.current.pause();
    let published = 0;
    let stats;
    for (let chunk = 0; chunk < 40; chunk++) {
        await burst(baseUrl, { topic, count: 200, size: 4000, start: published });
        published += 200;
        ({ body: { subscriptions: [stats] } } = await managedConnection(baseUrl, recorder.client.connectionId));
        if (stats.dropped > 0) {
            break;
        }
    }

    assert.ok(stats.dropped > 0, `the server dropped events after ${published} were published: ${JSON.stringify(stats)}`);
    spy.current.resume();
    const [notice] = await recorder.waitUntil(() => recorder.of('slow').overflows.length && recorder.of('slow').overflows, 'an overflow notice');
    assert.equal(notice.op, 'overflow');
    assert.equal(notice.sub, 'slow');
    assert.equal(notice.reason, 'overflow');
    assert.ok(notice.dropped > 0);
    assert.equal(recorder.overflows[0].notice, notice, 'the client\'s overflow listener got the same notice');
    assert.equal(recorder.overflows[0].subscription.id, 'slow');
    await recorder.waitUntil(() => recorder.of('slow').events.at(-1)?.data.i === published - 1, 'the last event');
    t.diagnostic(`published ${published}, dropped ${notice.dropped} (server counted ${stats.dropped} when checked)`);
});
