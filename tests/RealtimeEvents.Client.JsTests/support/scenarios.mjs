// Scenarios every transport runs: subscribe and receive in order; a forced disconnect resumes with no gap and no duplicate.
import assert from 'node:assert/strict';
import { ADMIN_PATH, burst, request } from '../../RealtimeEvents.SignalR.JsTests/support/http.mjs';
import { assertContiguous, recordClient } from './recorder.mjs';

/**
 * Disconnects the connection that serves subscription `subscriptionId` through the management endpoint
 * (DELETE {admin}/connections/{id}); the connection is found in GET {admin}/connections by transport and subscription.
 */
export async function forceDisconnect(baseUrl, transport, subscriptionId) {
    const { body } = await request(`${baseUrl}${ADMIN_PATH}/connections`, { expect: 200 });
    const connection = body.find(c => c.transport === transport && c.subscriptions.some(s => s.id === subscriptionId));
    assert.ok(connection, `a ${transport} connection with subscription '${subscriptionId}' in ${JSON.stringify(body)}`);
    await request(`${baseUrl}${ADMIN_PATH}/connections/${encodeURIComponent(connection.id)}`, { method: 'DELETE', expect: 204 });
    return connection.id;
}

/** Subscribes over `transport`, then checks that events arrive in order, once each. */
export async function receivesInOrder(t, baseUrl, transport) {
    const topic = `runs/${transport}-order`;
    const recorder = recordClient(t, baseUrl, { transport });
    recorder.subscribe({ id: 'order', topics: [topic] });
    await recorder.waitForState('open');
    assert.equal(recorder.client.state, 'open');
    assert.equal(recorder.client.transport, transport);
    const [subscribed] = await recorder.waitUntil(() => recorder.of('order').subscribed.length && recorder.of('order').subscribed, 'subscribed');
    assert.equal(subscribed.id, 'order');
    assert.equal(subscribed.resume, null);

    // Fewer than the test server's queue capacity (64): a burst is published faster than any client reads.
    const published = await burst(baseUrl, { topic, count: 50, start: 0 });
    const events = await recorder.waitUntil(() => recorder.of('order').events.length >= 50 && recorder.of('order').events, '50 events');
    assertContiguous(assert, events, 0, 50);
    assert.equal(`${events[49].epoch}:${events[49].seq}`, published.last);
    assert.equal(recorder.client.lastPosition, published.last);
    return recorder;
}

/**
 * Subscribes over `transport`, receives events, has the server disconnect the client (management DELETE), publishes while
 * the client waits to reconnect, and checks that the client reconnects by itself, subscribes again with resumeAfter = the
 * last position, and gets every event once, in order.
 */
export async function resumesAfterForcedDisconnect(t, baseUrl, transport) {
    const topic = `runs/${transport}-resume`;
    // Every reconnect delay is 300 ms (random 0.999 of a 300 ms ceiling): time to publish while the client is away.
    const recorder = recordClient(t, baseUrl, { transport, reconnect: { baseDelayMs: 300, maxDelayMs: 300 }, random: () => 0.999 });
    const subscription = recorder.subscribe({ id: 'run', topics: [topic] });
    const log = recorder.of('run');
    await recorder.waitUntil(() => log.subscribed.length === 1, 'the first subscribed');

    await burst(baseUrl, { topic, count: 20, start: 0 });
    await recorder.waitUntil(() => log.events.length >= 20, 'the first 20 events');
    const before = recorder.client.lastPosition;
    assert.equal(subscription.lastPosition, before);
    const firstConnection = recorder.client.connectionId;

    const statesBefore = recorder.states.length;
    await forceDisconnect(baseUrl, transport, 'run');
    const reconnecting = await recorder.waitForState('reconnecting', 'reconnecting after the disconnect', { from: statesBefore });
    assert.equal(reconnecting.previous, 'open');
    assert.equal(reconnecting.attempt, 1);
    assert.equal(reconnecting.delayMs, 300);
    assert.equal(reconnecting.lastPosition, before);
    t.diagnostic(`reconnecting: ${reconnecting.reason}`);

    // Published while the client is away: they must come from history after the resume.
    await burst(baseUrl, { topic, count: 30, start: 20 });
    await recorder.waitForState('open', 'open again', { from: statesBefore });
    const [, again] = await recorder.waitUntil(() => log.subscribed.length >= 2 && log.subscribed, 'the second subscribed');
    assert.equal(again.resume, 'complete', JSON.stringify(again));
    assert.equal(again.position, before, 'resubscribed with resumeAfter = the last position');
    if (transport !== 'sse') {
        assert.ok(recorder.client.connectionId && recorder.client.connectionId !== firstConnection, 'a new connection');
    }

    await burst(baseUrl, { topic, count: 10, start: 50 });
    const events = await recorder.waitUntil(() => log.events.some(e => e.data.i === 59) && log.events, 'event 59');
    assertContiguous(assert, events, 0, 60);
    assert.equal(log.overflows.length, 0, 'no overflow');
    assert.deepEqual(log.ends, [], 'the subscription did not end');
    return recorder;
}
