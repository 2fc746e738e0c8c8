// The client over Server-Sent Events ({prefix}/sse, one EventSource per subscription) against a real server, and the
// "auto" transport's fallback to SSE when WebSockets cannot connect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { burst } from '../RealtimeEvents.SignalR.JsTests/support/http.mjs';
import { useServer } from '../RealtimeEvents.SignalR.JsTests/support/server.mjs';
import { recordClient } from './support/recorder.mjs';
import { receivesInOrder, resumesAfterForcedDisconnect } from './support/scenarios.mjs';
import { FailingWebSocket } from './support/sockets.mjs';

const server = useServer();

test('over SSE: opens and delivers a subscription\'s events in order', { timeout: 30_000 }, async t => {
    const recorder = await receivesInOrder(t, server.current.baseUrl, 'sse');
    assert.equal(recorder.client.connectionId, null, 'SSE has no welcome');
    assert.deepEqual(recorder.welcomes, []);
});

test('over SSE: after an administrator ends the stream, it reconnects with its own backoff and resumes with no gap', { timeout: 30_000 }, async t => {
    await resumesAfterForcedDisconnect(t, server.current.baseUrl, 'sse');
});

test('"auto" falls back to SSE when the WebSocket cannot connect, and events still arrive', { timeout: 30_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'runs/fallback';
    FailingWebSocket.created = 0;
    const recorder = recordClient(t, baseUrl, { transport: 'auto', WebSocket: FailingWebSocket });
    assert.equal(recorder.client.transport, 'websocket', 'it tries the WebSocket first');
    recorder.subscribe({ id: 'fallback', topics: [topic] });
    await recorder.waitForState('open');
    assert.equal(recorder.client.transport, 'sse');
    assert.equal(FailingWebSocket.created, 1);
    assert.equal(recorder.errors[0]?.code, 'websocket_failed', JSON.stringify(recorder.errors));
    assert.deepEqual(recorder.states.map(s => s.state), ['open'], 'no reconnect: the fallback is immediate');

    await recorder.waitUntil(() => recorder.of('fallback').subscribed.length, 'subscribed');
    await burst(baseUrl, { topic, count: 10, start: 0 });
    const events = await recorder.waitUntil(() => recorder.of('fallback').events.length === 10 && recorder.of('fallback').events, '10 events');
    assert.deepEqual(events.map(e => e.data.i), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('over SSE: a refused stream reports the server\'s error (asked with fetch) and ends only that subscription', { timeout: 30_000 }, async t => {
    const { baseUrl } = server.current;
    const recorder = recordClient(t, baseUrl, { transport: 'sse' });
    recorder.subscribe({ id: 'allowed', topics: ['runs/sse-allowed'] });
    const refused = recorder.subscribe({ id: 'secret', topics: ['secret/plans'] });
    await recorder.waitUntil(() => recorder.of('secret').ends.length, 'the refused subscription to end');
    const [error] = recorder.of('secret').errors;
    assert.equal(error.code, 'forbidden');
    assert.equal(error.id, 'secret');
    assert.match(error.message, /secret/);
    assert.deepEqual(recorder.of('secret').ends, ['error']);
    assert.equal(refused.ended, true);

    await recorder.waitForState('open');
    await recorder.waitUntil(() => recorder.of('allowed').subscribed.length, 'the other subscription');
    await burst(baseUrl, { topic: 'runs/sse-allowed', count: 3, start: 0 });
    await recorder.waitUntil(() => recorder.of('allowed').events.length === 3, '3 events');
    assert.ok(recorder.states.every(s => s.state === 'open'), 'no reconnect');
});

test('over SSE: unsubscribe closes the stream and no event follows it', { timeout: 30_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'runs/sse-unsubscribe';
    const recorder = recordClient(t, baseUrl, { transport: 'sse' });
    const leaving = recorder.subscribe({ id: 'leaving', topics: [topic] });
    recorder.subscribe({ id: 'staying', topics: [topic] });
    await recorder.waitUntil(() => recorder.of('leaving').subscribed.length && recorder.of('staying').subscribed.length, 'both subscribed');
    await leaving.unsubscribe();
    assert.deepEqual(recorder.of('leaving').ends, ['unsubscribed']);
    await burst(baseUrl, { topic, count: 5, start: 0 });
    await recorder.waitUntil(() => recorder.of('staying').events.length === 5, 'the other subscription\'s 5 events');
    assert.equal(recorder.of('leaving').events.length, 0);
});
