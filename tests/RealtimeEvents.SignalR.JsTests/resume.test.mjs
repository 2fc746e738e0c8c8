// Resume after a dropped transport: the official client reconnects by itself (withAutomaticReconnect), subscribes again
// with resumeAfter = the last position it received, and gets every event exactly once, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertIndexes, assertLogOrder, positionOf } from './support/assertions.mjs';
import { connectFor } from './support/client.mjs';
import { burst, dropTransport } from './support/http.mjs';
import { useServer } from './support/server.mjs';
import { Signal } from './support/wait.mjs';

const server = useServer();

test('after a dropped connection, resubscribing with resumeAfter continues with no gap and no duplicate', { timeout: 90_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'runs/resume-1';
    const subscription = { id: 'run', topics: [topic] };
    // The negotiate path: the drop endpoint needs the SignalR connection id, which skipNegotiation leaves unknown.
    const client = await connectFor(t, baseUrl, { negotiate: true, reconnectDelays: [0, 100, 200, 500] });
    const firstWelcome = await client.welcome();
    const lastPosition = () => {
        const last = client.events('run').at(-1);
        return last ? positionOf(last) : undefined;
    };

    const resubscribed = new Signal();
    client.hub.onreconnected(() => {
        const resumeAfter = lastPosition();
        client.subscribe({ ...subscription, resumeAfter }).then(reply => resubscribed.resolve({ resumeAfter, reply }), resubscribed.reject);
    });

    const first = await client.subscribe(subscription);
    assert.equal(first.op, 'subscribed');
    assert.equal(first.resume, null);

    // A: received on the first connection.
    await burst(baseUrl, { topic, count: 50, start: 0 });
    await client.waitUntil(() => client.events('run').length >= 50, 'the first 50 events');

    // B: published while the transport is dropped; some may arrive before the drop, the rest must come from history.
    // More than the queue capacity (64), so a resume that overflowed its own queue would show.
    const dropped = client.hub.connectionId;
    await Promise.all([dropTransport(baseUrl, dropped), burst(baseUrl, { topic, count: 300, start: 50 })]);

    const { resumeAfter, reply } = await resubscribed.wait(30_000, 'the reconnect and the resubscribe');
    assert.notEqual(client.hub.connectionId, dropped, 'a new SignalR connection');
    assert.equal(reply.op, 'subscribed', JSON.stringify(reply));
    assert.equal(reply.id, 'run');
    assert.equal(reply.resume, 'complete');
    assert.equal(reply.position, resumeAfter);
    const secondWelcome = await client.welcome(2);
    assert.notEqual(secondWelcome.connectionId, firstWelcome.connectionId);

    // C: live events after the resume.
    await burst(baseUrl, { topic, count: 50, start: 350 });
    const events = await client.waitUntil(
        () => client.events('run').some(e => e.data.i === 399) && client.events('run'), 'event 399', 30_000);

    assertIndexes(events, 0, 400);
    assertLogOrder(events);
    for (let k = 1; k < events.length; k++) {
        assert.equal(events[k].seq, events[k - 1].seq + 1, `seq is contiguous at #${k}`);
    }

    assert.equal(client.timeline('run').filter(item => item.kind === 'overflow').length, 0, 'no overflow');
    assert.ok(client.reconnectingCount >= 1, 'the client reconnected by itself');
    const afterReconnect = client.timeline('run').filter(item => item.kind === 'event' && item.connection >= 1);
    assert.ok(afterReconnect.length >= 50, 'the events of C at least came over the new connection');
    t.diagnostic(`resumed after seq ${resumeAfter}; ${afterReconnect.length - 50} events of B came after the reconnect`);
});
