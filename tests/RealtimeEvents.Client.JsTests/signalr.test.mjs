// The client over the SignalR hub (MapRealtimeEventsHub, JSON hub protocol on a raw WebSocket) against a real server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useServer } from '../RealtimeEvents.SignalR.JsTests/support/server.mjs';
import { recordClient } from './support/recorder.mjs';
import { receivesInOrder, resumesAfterForcedDisconnect } from './support/scenarios.mjs';

const server = useServer();

test('over SignalR: opens with the hub\'s welcome and delivers a subscription\'s events in order', { timeout: 30_000 }, async t => {
    const recorder = await receivesInOrder(t, server.current.baseUrl, 'signalr');
    assert.match(recorder.client.connectionId, /^c-/);
    assert.equal(recorder.welcomes[0].connectionId, recorder.client.connectionId);
});

test('over SignalR: after an administrator aborts it (reconnect not allowed), the client still reconnects and resumes with no gap', { timeout: 30_000 }, async t => {
    await resumesAfterForcedDisconnect(t, server.current.baseUrl, 'signalr');
});

test('over SignalR: a refused subscription reports the server\'s error and ends', { timeout: 30_000 }, async t => {
    const recorder = recordClient(t, server.current.baseUrl, { transport: 'signalr' });
    recorder.subscribe({ id: 'secret', topics: ['secret/plans'] });
    await recorder.waitUntil(() => recorder.of('secret').ends.length, 'the end');
    assert.equal(recorder.of('secret').errors[0]?.code, 'forbidden');
    assert.deepEqual(recorder.of('secret').ends, ['error']);
    assert.equal(recorder.client.state, 'open');
});
