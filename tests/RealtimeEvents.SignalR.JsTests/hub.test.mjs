// The official @microsoft/signalr client against RealtimeEventsHub: welcome, subscribe, ordering, refusals, unsubscribe
// and the management endpoints, on a real Kestrel host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertIndexes, assertLogOrder, seqOf } from './support/assertions.mjs';
import { connectFor, signalR } from './support/client.mjs';
import { ADMIN_PATH, burst, managedConnection, publish, request } from './support/http.mjs';
import { useServer } from './support/server.mjs';

const server = useServer();
const TEST_TIMEOUT_MS = 60_000;

test('welcome arrives right after connect, with protocol 1 and a c- connection id', { timeout: TEST_TIMEOUT_MS }, async t => {
    const client = await connectFor(t, server.current.baseUrl);

    const welcome = await client.welcome();

    assert.equal(welcome.op, 'welcome');
    assert.equal(welcome.protocol, 1);
    assert.match(welcome.connectionId, /^c-[A-Za-z0-9_-]{12}$/);
    assert.ok(welcome.position === null || /^[A-Za-z0-9_-]+:\d+$/.test(welcome.position), `position ${welcome.position}`);
    assert.equal(typeof welcome.heartbeatMs, 'number');
    assert.equal(typeof welcome.limits, 'object');
    assert.equal(client.messages[0].op, 'welcome', 'welcome is the first message');
});

test('over the default negotiate path, welcome, subscribe and an event work', { timeout: TEST_TIMEOUT_MS }, async t => {
    const client = await connectFor(t, server.current.baseUrl, { negotiate: true });
    const welcome = await client.welcome();
    assert.ok(client.hub.connectionId, 'negotiate gives the SignalR connection id');
    assert.match(welcome.connectionId, /^c-/);

    const reply = await client.subscribe({ id: 'n1', topics: ['negotiated/1'] });
    assert.equal(reply.op, 'subscribed');
    const published = await publish(server.current.baseUrl, { topic: 'negotiated/1', data: { i: 0 } });

    const [event] = await client.waitUntil(() => client.events('n1').length >= 1 && client.events('n1'), 'the event');
    assert.equal(event.id, published.id);
    assert.equal(event.seq, published.seq);
    assert.equal(event.epoch, published.epoch);
    assert.deepEqual(event.data, { i: 0 });
});

test('every published event arrives once, in order, with contiguous seq', { timeout: TEST_TIMEOUT_MS }, async t => {
    const { baseUrl } = server.current;
    const client = await connectFor(t, baseUrl);
    await client.welcome();
    const count = 200;

    const reply = await client.subscribe({ id: 's1', topics: ['orders/1'] });

    assert.equal(reply.op, 'subscribed');
    assert.equal(reply.id, 's1');
    assert.equal(reply.resume, null);
    assert.match(reply.position, /^[A-Za-z0-9_-]+:\d+$/);
    const published = [];
    for (let i = 0; i < count; i++) {
        published.push(await publish(baseUrl, { topic: 'orders/1', data: { i } }));
    }

    const events = await client.waitUntil(() => client.events('s1').length >= count && client.events('s1'), `${count} events`);
    assert.equal(events.length, count);
    assertIndexes(events, 0, count);
    assertLogOrder(events);
    for (let k = 1; k < count; k++) {
        assert.equal(events[k].seq, events[k - 1].seq + 1, `seq is contiguous at #${k}`);
    }

    assert.deepEqual(events.map(e => e.id), published.map(p => p.id));
    assert.ok(events[0].seq > seqOf(reply.position), 'the first event is after the subscribed position');
    assert.equal(events[0].topic, 'orders/1');
    assert.equal(events[0].type, 'task.progress');
    assert.equal(client.timeline('s1').filter(item => item.kind === 'overflow').length, 0, 'no overflow');
});

test('subscribed arrives before the first event of its subscription, even while events pour in', { timeout: TEST_TIMEOUT_MS }, async t => {
    const { baseUrl } = server.current;
    const client = await connectFor(t, baseUrl);
    await client.welcome();
    const topic = 'race/1';
    const ids = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];

    // r0 exists before the burst; r1 to r5 subscribe while the server publishes (40 chunks of 500, 25 ms apart, about
    // a second), so their subscribed messages race events already flowing on the connection.
    assert.equal((await client.subscribe({ id: 'r0', topics: [topic] })).op, 'subscribed');
    const pouring = burst(baseUrl, { topic, count: 20_000, pauseEvery: 500, pauseMs: 25 });
    await client.waitUntil(() => client.events('r0').length > 0, 'the burst to begin');
    for (const id of ids.slice(1)) {
        const reply = await client.subscribe({ id, topics: [topic] });
        assert.equal(reply.op, 'subscribed');
        // The invocation completes only after the subscribed message went out, so it is already here.
        assert.equal(client.timeline(id)[0]?.kind, 'subscribed', `${id}: subscribed was received before Subscribe completed`);
    }

    const { last } = await pouring;
    const marker = await publish(baseUrl, { topic, data: { marker: true } });
    for (const id of ids) {
        await client.waitUntil(() => client.events(id).some(e => e.seq === marker.seq), `${id}: the marker event`);
        const timeline = client.timeline(id);
        assert.equal(timeline[0].kind, 'subscribed', `${id}: the first message is subscribed`);
        assert.equal(timeline.filter(item => item.kind === 'subscribed').length, 1, `${id}: one subscribed`);
        const startSeq = seqOf(timeline[0].payload.position);
        const events = client.events(id);
        assertLogOrder(events);
        assert.ok(events[0].seq > startSeq, `${id}: the first event (seq ${events[0].seq}) is after the subscribed position (seq ${startSeq})`);
    }

    const midBurst = ids.slice(1).filter(id => client.events(id).some(e => e.seq <= seqOf(last)));
    assert.ok(midBurst.length > 0, 'at least one subscription was made while the burst was running');
    t.diagnostic(`events per subscription: ${ids.map(id => client.events(id).length).join(', ')}`);
});

test('a forbidden topic is refused with forbidden, and the connection stays usable', { timeout: TEST_TIMEOUT_MS }, async t => {
    const { baseUrl } = server.current;
    const client = await connectFor(t, baseUrl);
    await client.welcome();

    const refused = await client.subscribe({ id: 'f1', topics: ['secret/plans'] });

    assert.equal(refused.op, 'error');
    assert.equal(refused.code, 'forbidden');
    assert.equal(refused.id, 'f1');
    assert.equal(typeof refused.message, 'string');
    const message = await client.waitUntil(() => client.all('error').find(e => e.id === 'f1'), 'the error hub message');
    assert.deepEqual(message, refused);
    assert.equal(client.all('subscribed').length, 0);

    const wildcard = await client.subscribe({ id: 'f2', topics: ['*/plans'] });
    assert.equal(wildcard.code, 'forbidden', 'a pattern that could match secret/ topics is refused too');

    const allowed = await client.subscribe({ id: 'ok', topics: ['public/1'] });
    assert.equal(allowed.op, 'subscribed');
    await publish(baseUrl, { topic: 'secret/plans', data: { i: -1 } });
    const published = await publish(baseUrl, { topic: 'public/1', data: { i: 1 } });
    const [event] = await client.waitUntil(() => client.events('ok').length >= 1 && client.events('ok'), 'the allowed event');
    assert.equal(event.id, published.id);
    assert.equal(client.hub.state, signalR.HubConnectionState.Connected);
    assert.equal(client.events('f1').length + client.events('f2').length, 0, 'nothing for refused subscriptions');
});

test('an invalid field is refused with invalid_field', { timeout: TEST_TIMEOUT_MS }, async t => {
    const client = await connectFor(t, server.current.baseUrl);
    await client.welcome();

    const reply = await client.subscribe({ id: 'bad', topics: 5 });

    assert.equal(reply.op, 'error');
    assert.equal(reply.code, 'invalid_field');
    assert.equal(reply.id, 'bad');
    assert.match(reply.message, /topics/);
    await client.waitUntil(() => client.all('error').some(e => e.id === 'bad' && e.code === 'invalid_field'), 'the error hub message');

    const after = await client.subscribe({ id: 'bad', topics: ['fine/1'] });
    assert.equal(after.op, 'subscribed', 'the refused id is free, and the connection works');
});

test('missing id, malformed topic and duplicate id get their error codes', { timeout: TEST_TIMEOUT_MS }, async t => {
    const client = await connectFor(t, server.current.baseUrl);
    await client.welcome();

    const missing = await client.subscribe({ topics: ['a/b'] });
    assert.equal(missing.op, 'error');
    assert.equal(missing.code, 'missing_field');
    assert.equal(missing.id, undefined, 'no id to echo');

    const malformed = await client.subscribe({ id: 'm', topics: ['executions/exec-*'] });
    assert.equal(malformed.code, 'invalid_subscription');
    assert.equal(malformed.id, 'm');

    assert.equal((await client.subscribe({ id: 'd', topics: ['a/b'] })).op, 'subscribed');
    const duplicate = await client.subscribe({ id: 'd', topics: ['a/c'] });
    assert.equal(duplicate.code, 'duplicate_subscription');
    assert.equal(duplicate.id, 'd');
    assert.equal(client.hub.state, signalR.HubConnectionState.Connected);
});

test('unsubscribe answers unsubscribed, and nothing of the subscription follows', { timeout: TEST_TIMEOUT_MS }, async t => {
    const { baseUrl } = server.current;
    const client = await connectFor(t, baseUrl);
    await client.welcome();
    assert.equal((await client.subscribe({ id: 'u1', topics: ['leaving/1'] })).op, 'subscribed');
    assert.equal((await client.subscribe({ id: 'control', topics: ['control/1'] })).op, 'subscribed');
    await burst(baseUrl, { topic: 'leaving/1', count: 10 });
    await client.waitUntil(() => client.events('u1').length >= 10, 'the first 10 events');

    // Unsubscribe while events of the subscription are still pouring in.
    const pouring = burst(baseUrl, { topic: 'leaving/1', count: 5_000, start: 10 });
    const reply = await client.unsubscribe('u1');
    await pouring;

    assert.deepEqual(reply, { op: 'unsubscribed', id: 'u1', reason: 'unsubscribed' });
    const timeline = client.timeline('u1');
    const unsubscribedAt = timeline.findIndex(item => item.kind === 'unsubscribed');
    assert.ok(unsubscribedAt >= 0, 'the unsubscribed hub message arrived before Unsubscribe completed');
    assert.deepEqual(timeline[unsubscribedAt].payload, reply);

    // Everything published so far has been routed before this marker; once it arrives, no late event can be in flight.
    await burst(baseUrl, { topic: 'leaving/1', count: 10, start: 5_010 });
    const marker = await publish(baseUrl, { topic: 'control/1', data: { marker: true } });
    await client.waitUntil(() => client.events('control').some(e => e.id === marker.id), 'the control marker');
    const late = client.timeline('u1').slice(unsubscribedAt + 1);
    assert.deepEqual(late.map(item => item.kind), [], 'nothing after unsubscribed');

    const unknown = await client.unsubscribe('u1');
    assert.equal(unknown.op, 'error');
    assert.equal(unknown.code, 'unknown_subscription');
    assert.equal(unknown.id, 'u1');
});

test('management lists the SignalR connection, and DELETE closes it without reconnect', { timeout: TEST_TIMEOUT_MS }, async t => {
    const { baseUrl } = server.current;
    const client = await connectFor(t, baseUrl, { reconnectDelays: [0, 100, 200] });
    const welcome = await client.welcome();
    assert.equal((await client.subscribe({ id: 'watched', topics: ['managed/1'] })).op, 'subscribed');

    const { body: connections } = await request(`${baseUrl}${ADMIN_PATH}/connections`, { expect: 200 });
    const listed = connections.find(c => c.id === welcome.connectionId);
    assert.ok(listed, `the connection ${welcome.connectionId} is listed: ${JSON.stringify(connections)}`);
    assert.equal(listed.transport, 'signalr');
    const { status, body: one } = await managedConnection(baseUrl, welcome.connectionId);
    assert.equal(status, 200);
    assert.deepEqual(one.subscriptions.map(s => s.id), ['watched']);

    await request(`${baseUrl}${ADMIN_PATH}/connections/${welcome.connectionId}`, { method: 'DELETE', expect: 204 });

    await client.waitUntil(() => client.closed, 'the connection to close');
    assert.equal(client.reconnectingCount, 0, 'the client was told not to reconnect');
    assert.equal(client.hub.state, signalR.HubConnectionState.Disconnected);
});
