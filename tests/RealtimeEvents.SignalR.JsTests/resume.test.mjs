// Resume after a dropped transport: the official client reconnects by itself (withAutomaticReconnect), subscribes again
// with resumeAfter, and the subscription's events are all handled exactly once, in order. The client does what
// docs/protocol.md tells one to: while the old connection is still alive it may overflow (its queue holds 64 events and
// the burst is faster than its send loop), and then it resumes from the overflow's resumeAfter; otherwise from the last
// event it handled. The burst is more than the queue holds, so a resume that replays it must lose nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertIndexes, assertLogOrder } from './support/assertions.mjs';
import { connectFor } from './support/client.mjs';
import { burst, dropTransport } from './support/http.mjs';
import { ResumingSubscription } from './support/resuming.mjs';
import { useServer } from './support/server.mjs';

const server = useServer();

test('after a dropped connection, resubscribing with resumeAfter continues with no gap and no duplicate', { timeout: 90_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'runs/resume-1';
    // The negotiate path: the drop endpoint needs the SignalR connection id, which skipNegotiation leaves unknown.
    const client = await connectFor(t, baseUrl, { negotiate: true, reconnectDelays: [0, 100, 200, 500] });
    const firstWelcome = await client.welcome();
    const run = new ResumingSubscription(client, { id: 'run', topics: [topic] });

    const first = await run.subscribe();
    assert.equal(first.op, 'subscribed');
    assert.equal(first.resume, null);

    // A: received on the first connection.
    await burst(baseUrl, { topic, count: 50, start: 0 });
    await run.waitUntil(() => run.handled.length >= 50, 'the first 50 events');

    // B: published while the transport is dropped; some may arrive before the drop, the rest must come from history.
    // More than the queue capacity (64): if the old connection is still alive for part of the burst, its queue may drop
    // events, announced by a recoverable overflow, and the client resumes from there.
    const dropped = client.hub.connectionId;
    await Promise.all([dropTransport(baseUrl, dropped), burst(baseUrl, { topic, count: 300, start: 50 })]);

    const resubscribed = await run.waitUntil(
        () => run.resumes.find(r => r.via === 'reconnect' && (r.reply || r.error)), 'the reconnect and the resubscribe', 30_000);
    assert.equal(resubscribed.error, undefined, String(resubscribed.error));
    assert.notEqual(client.hub.connectionId, dropped, 'a new SignalR connection');
    const secondWelcome = await client.welcome(2);
    assert.notEqual(secondWelcome.connectionId, firstWelcome.connectionId);

    // C: live events after the resume.
    await burst(baseUrl, { topic, count: 50, start: 350 });
    const events = await run.waitUntil(() => run.handled.some(e => e.data.i === 399) && run.handled, 'event 399', 30_000);

    const overflows = client.timeline('run').filter(item => item.kind === 'overflow').map(item => item.payload);
    for (const overflow of overflows) {
        assert.equal(overflow.recoverable, true, `history (100000 events) still holds what was dropped: ${JSON.stringify(overflow)}`);
    }

    for (const { via, resumeAfter, connection, reply, error } of run.resumes) {
        if (error) {
            // Only a resume after an overflow can fail, because its connection dropped; the reconnect resumed instead.
            assert.equal(via, 'overflow', `the ${via} resume failed: ${error}`);
            assert.ok(connection < client.connectionNumber, `the ${via} resume failed on the current connection: ${error}`);
            continue;
        }

        assert.equal(reply.op, 'subscribed', JSON.stringify(reply));
        assert.equal(reply.id, 'run');
        assert.equal(reply.resume, 'complete', JSON.stringify(reply));
        assert.equal(reply.position, resumeAfter);
    }

    // Every event handled once, in order, with contiguous seq; a resume delivers only what follows its resumeAfter, so
    // nothing had to be skipped.
    assertIndexes(events, 0, 400);
    assertLogOrder(events);
    for (let k = 1; k < events.length; k++) {
        assert.equal(events[k].seq, events[k - 1].seq + 1, `seq is contiguous at #${k}`);
    }

    assert.deepEqual(run.skipped.map(e => e.data.i), [], 'no event came again at or before a resume position');
    assert.ok(client.reconnectingCount >= 1, 'the client reconnected by itself');
    const afterReconnect = client.timeline('run').filter(item => item.kind === 'event' && item.connection >= 1);
    assert.ok(afterReconnect.length >= 50, 'the events of C at least came over the new connection');
    t.diagnostic(`resumed after seq ${resubscribed.resumeAfter} on reconnect; ${afterReconnect.length - 50} events of B came ` +
        `after the reconnect; ${overflows.length} overflow notice(s), ${run.resumes.length} resume(s) ` +
        `(${run.resumes.map(r => r.via + (r.error ? ' failed' : '')).join(', ')}), ${run.heldBack} event(s) held back after a gap`);
});
