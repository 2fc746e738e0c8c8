// Where the client resumes each subscription after a reconnect, against a scripted server (support/fake-server.mjs):
// 1001 shutdown positions, duplicates after a resume, snapshots, unsubscribes cut short, and the access token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { event, FakeServer } from './support/fake-server.mjs';
import { recordClient } from './support/recorder.mjs';

const FAST = { baseDelayMs: 5, maxDelayMs: 5 };

/** A started fake server, stopped after the test. */
async function fakeServer(t) {
    const server = await FakeServer.start();
    t.after(() => server.stop());
    return server;
}

/** The subscribe messages of one connection, by subscription id. */
function byId(messages) {
    return Object.fromEntries(messages.filter(m => m.op === 'subscribe').map(m => [m.id, m]));
}

test('a 1001 close\'s position (the shutdown flush completed) is the resume point of every subscription behind it', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    const recorder = recordClient(t, server.baseUrl, { transport: 'websocket', reconnect: FAST });
    recorder.subscribe({ id: 'a', topics: ['t'] });
    recorder.subscribe({ id: 'b', topics: ['t'] });
    recorder.subscribe({ id: 'unanswered', topics: ['t'], resumeAfter: 'e1:3' });
    const first = byId(await server.messagesOf(1, 3));
    assert.equal(first.a.resumeAfter, undefined);
    assert.equal(first.unanswered.resumeAfter, 'e1:3');
    assert.equal(server.connections[0].protocol, 'realtime-events.v1.json');
    server.send(1, { op: 'subscribed', id: 'a', resume: null, position: 'e1:10' });
    server.send(1, { op: 'subscribed', id: 'b', resume: null, position: 'e1:10' });
    server.send(1, { op: 'event', sub: 'a', event: event('e1', 11) });
    await recorder.waitUntil(() => recorder.of('a').events.length === 1, 'the event');

    server.connections[0].socket.close(1001, 'e1:30');
    const second = byId(await server.messagesOf(2, 3));
    assert.equal(second.a.resumeAfter, 'e1:30');
    assert.equal(second.b.resumeAfter, 'e1:30');
    assert.equal(second.unanswered.resumeAfter, 'e1:3', 'never subscribed on that connection: the flush did not cover it');
});

test('a 1001 position that is the last event received (the flush may have timed out) resumes only that event\'s subscription', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    const recorder = recordClient(t, server.baseUrl, { transport: 'websocket', reconnect: FAST });
    recorder.subscribe({ id: 'a', topics: ['t'] });
    recorder.subscribe({ id: 'b', topics: ['t'] });
    await server.messagesOf(1, 2);
    server.send(1, { op: 'subscribed', id: 'a', resume: null, position: 'e1:10' });
    server.send(1, { op: 'subscribed', id: 'b', resume: null, position: 'e1:10' });
    server.send(1, { op: 'event', sub: 'b', event: event('e1', 15) });
    server.send(1, { op: 'event', sub: 'a', event: event('e1', 20) });
    await recorder.waitUntil(() => recorder.of('a').events.length === 1, 'the last event');

    server.connections[0].socket.close(1001, 'e1:20');
    const second = byId(await server.messagesOf(2, 2));
    assert.equal(second.a.resumeAfter, 'e1:20');
    assert.equal(second.b.resumeAfter, 'e1:15', 'its own last event: e1:20 may not cover it');
});

test('after a resume, events at or before the last position are dropped; a new epoch\'s events are delivered', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    const recorder = recordClient(t, server.baseUrl, { transport: 'websocket', reconnect: FAST });
    recorder.subscribe({ id: 'a', topics: ['t'] });
    await server.messagesOf(1, 1);
    server.send(1, { op: 'subscribed', id: 'a', resume: null, position: 'e1:10' });
    server.send(1, { op: 'events', sub: 'a', events: [event('e1', 11), event('e1', 12)] });
    await recorder.waitUntil(() => recorder.of('a').events.length === 2, 'two events');

    server.connections[0].socket.terminate(); // no close frame: a network failure
    const [again] = await server.messagesOf(2, 1);
    assert.equal(again.resumeAfter, 'e1:12');
    server.send(2, { op: 'subscribed', id: 'a', resume: 'complete', position: 'e1:12' });
    server.send(2, { op: 'events', sub: 'a', events: [event('e1', 11), event('e1', 12), event('e1', 13)] });
    server.send(2, { op: 'overflow', sub: 'a', reason: 'epoch_changed', dropped: null, first: null, last: null, recoverable: false });
    server.send(2, { op: 'event', sub: 'a', event: event('e2', 1) });
    await recorder.waitUntil(() => recorder.of('a').events.length === 4, 'four events');
    assert.deepEqual(recorder.of('a').events.map(e => `${e.epoch}:${e.seq}`), ['e1:11', 'e1:12', 'e1:13', 'e2:1']);
    assert.equal(recorder.of('a').overflows[0].reason, 'epoch_changed');
    assert.equal(recorder.client.lastPosition, 'e2:1');
});

test('a snapshot subscription asks for a new snapshot until it has an event, then resumes from its last event', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    const recorder = recordClient(t, server.baseUrl, { transport: 'websocket', reconnect: FAST });
    recorder.subscribe({ id: 'dash', topics: ['t'], snapshot: true });
    const [first] = await server.messagesOf(1, 1);
    assert.equal(first.snapshot, true);
    server.send(1, { op: 'subscribed', id: 'dash', resume: 'complete', position: 'e1:5', snapshots: [{ topic: 't', position: 'e1:5', state: { done: 1 } }] });
    await recorder.waitUntil(() => recorder.of('dash').subscribed.length === 1, 'subscribed');
    assert.deepEqual(recorder.of('dash').subscribed[0].snapshots[0].state, { done: 1 });

    server.connections[0].socket.terminate();
    const [second] = await server.messagesOf(2, 1);
    assert.equal(second.snapshot, true, 'no event yet: a new snapshot');
    assert.equal(second.resumeAfter, undefined);
    server.send(2, { op: 'subscribed', id: 'dash', resume: 'complete', position: 'e1:5', snapshots: [] });
    server.send(2, { op: 'event', sub: 'dash', event: event('e1', 6) });
    await recorder.waitUntil(() => recorder.of('dash').events.length === 1, 'an event');

    server.connections[1].socket.terminate();
    const [third] = await server.messagesOf(3, 1);
    assert.equal(third.snapshot, undefined);
    assert.equal(third.resumeAfter, 'e1:6');
});

test('an unsubscribe cut short by a disconnect resolves, and the subscription is not sent again', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    const recorder = recordClient(t, server.baseUrl, { transport: 'websocket', reconnect: FAST });
    const leaving = recorder.subscribe({ id: 'leaving', topics: ['t'] });
    recorder.subscribe({ id: 'staying', topics: ['t'] });
    await server.messagesOf(1, 2);
    server.send(1, { op: 'subscribed', id: 'leaving', resume: null, position: 'e1:1' });
    server.send(1, { op: 'subscribed', id: 'staying', resume: null, position: 'e1:1' });
    await recorder.waitUntil(() => recorder.of('staying').subscribed.length, 'subscribed');

    const unsubscribed = leaving.unsubscribe();
    const messages = await server.messagesOf(1, 3);
    assert.deepEqual(messages[2], { op: 'unsubscribe', id: 'leaving' });
    server.send(1, { op: 'event', sub: 'leaving', event: event('e1', 2) }); // in flight before the server handled it
    server.connections[0].socket.terminate();
    await unsubscribed;
    assert.deepEqual(recorder.of('leaving').ends, ['unsubscribed']);
    assert.equal(recorder.of('leaving').events.length, 0, 'no event after unsubscribe()');
    const again = await server.messagesOf(2, 1);
    assert.deepEqual(again.map(m => m.id), ['staying']);
});

test('accessToken is called on every connect and sent as access_token', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    let calls = 0;
    const recorder = recordClient(t, server.baseUrl, {
        transport: 'websocket', reconnect: FAST, accessToken: async () => `token-${++calls}`,
    });
    await recorder.waitForState('open');
    server.connections[0].socket.terminate();
    await server.waitUntil(() => server.connections.length === 2, 'the second connection');
    assert.deepEqual(server.connections.map(c => c.url), ['/realtime/ws?access_token=token-1', '/realtime/ws?access_token=token-2']);
});

test('a 1001 position equal to the last event sent, even one the client dropped, does not move the other subscriptions on', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    const recorder = recordClient(t, server.baseUrl, { transport: 'websocket', reconnect: FAST });
    recorder.subscribe({ id: 'a', topics: ['t'] });
    const b = recorder.subscribe({ id: 'b', topics: ['t'] });
    await server.messagesOf(1, 2);
    server.send(1, { op: 'subscribed', id: 'a', resume: null, position: 'e1:10' });
    server.send(1, { op: 'subscribed', id: 'b', resume: null, position: 'e1:10' });
    server.send(1, { op: 'event', sub: 'a', event: event('e1', 11) });
    await recorder.waitUntil(() => recorder.of('a').events.length === 1, 'the event of a');
    void b.unsubscribe(); // b is ending: its next event is dropped by the client
    await server.messagesOf(1, 3);
    server.send(1, { op: 'event', sub: 'b', event: event('e1', 50) }); // the last event sent: a flush that timed out

    server.connections[0].socket.close(1001, 'e1:50');
    const second = byId(await server.messagesOf(2, 1));
    assert.equal(second.a.resumeAfter, 'e1:11', 'e1:50 is where a timed-out flush stopped, not where a was flushed to');
});

test('close() from a welcome listener leaves the client closed', { timeout: 30_000 }, async t => {
    const server = await fakeServer(t);
    const recorder = recordClient(t, server.baseUrl, { transport: 'websocket', reconnect: FAST });
    recorder.client.on('welcome', () => recorder.client.close());
    await recorder.waitUntil(() => recorder.welcomes.length === 1, 'the welcome');

    assert.equal(recorder.client.state, 'closed');
    assert.ok(!recorder.states.some(s => s.state === 'open'), recorder.states.map(s => s.state).join(','));
});
