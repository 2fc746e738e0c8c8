// A client that stops reading: its subscription's bounded queue drops its oldest events, and the client is told in-band
// with an overflow notice before the events that follow; nothing is lost silently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { assertLogOrder, seqOf } from './support/assertions.mjs';
import { connectFor } from './support/client.mjs';
import { useServer } from './support/server.mjs';
import { Signal } from './support/wait.mjs';

const QUEUE_CAPACITY = 64;
const server = useServer({ REALTIME_QUEUE_CAPACITY: String(QUEUE_CAPACITY) });

test('a stalled client gets an overflow notice with the exact gap, then the events after it in order', { timeout: 120_000 }, async t => {
    const { baseUrl } = server.current;
    const topic = 'floods/1';
    const client = await connectFor(t, baseUrl);
    const welcome = await client.welcome();
    assert.equal((await client.subscribe({ id: 'slow', topics: [topic] })).op, 'subscribed');

    // The first event of the subscription blocks this thread, so the socket is not read, until a worker thread has
    // published (in chunks the server can deliver without dropping) enough to fill the transport and has seen the
    // server drop events of this subscription.
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const workerResult = new Signal();
    let stall;
    client.onEvent = sub => {
        if (sub === 'slow' && stall === undefined) {
            stall = Atomics.wait(flag, 0, 0, 60_000);
        }
    };
    const worker = new Worker(new URL('./support/stall-worker.mjs', import.meta.url), {
        workerData: {
            baseUrl, topic, chunk: 50, extraChunks: 4, size: 4000, capacity: QUEUE_CAPACITY, connectionId: welcome.connectionId,
            subscriptionId: 'slow', timeoutMs: 45_000, flag: flag.buffer,
        },
    });
    t.after(() => worker.terminate());
    worker.once('message', workerResult.resolve);
    worker.once('error', workerResult.reject);

    const result = await workerResult.wait(90_000, 'the worker to fill the transport and see drops');
    assert.equal(result.error, undefined, result.error);
    assert.equal(stall, 'ok', 'the client was stalled until the worker woke it');
    assert.equal(result.status, 1,
        `a stalled subscription's queue must drop its oldest events; after ${result.published.count} events it showed ${JSON.stringify(result.subscription)}`);
    const { count } = result.published;
    const firstSeq = seqOf(result.published.first);
    const lastSeq = seqOf(result.published.last);
    assert.equal(lastSeq - firstSeq + 1, count);

    // The newest events are never dropped (drop-oldest), so the last one arrives.
    await client.waitUntil(() => client.events('slow').some(e => e.seq === lastSeq), `the last event (seq ${lastSeq})`, 60_000);

    const timeline = client.timeline('slow').filter(item => item.kind === 'event' || item.kind === 'overflow');
    const events = timeline.filter(item => item.kind === 'event').map(item => item.payload);
    const overflows = timeline.filter(item => item.kind === 'overflow').map(item => item.payload);
    assert.ok(overflows.length >= 1, 'at least one overflow notice');
    assertLogOrder(events);

    // Walk the timeline: events and gaps must tile what was published exactly, in order.
    let expected = firstSeq;
    let dropped = 0;
    for (const { kind, payload } of timeline) {
        if (kind === 'event') {
            assert.equal(payload.seq, expected, `event seq ${payload.seq} where ${expected} was next`);
            assert.equal(payload.data.i, payload.seq - firstSeq);
            expected++;
        } else {
            assert.equal(payload.sub, 'slow');
            assert.equal(payload.reason, 'overflow', JSON.stringify(payload));
            assert.ok(payload.dropped > 0, JSON.stringify(payload));
            assert.equal(seqOf(payload.first), expected, `overflow ${JSON.stringify(payload)} starts where the events stopped`);
            assert.equal(seqOf(payload.last) - seqOf(payload.first) + 1, payload.dropped, `overflow ${JSON.stringify(payload)} counts its range`);
            assert.equal(payload.recoverable, true, 'history (100000 events) still holds the dropped events');
            assert.equal(seqOf(payload.resumeAfter), expected - 1);
            expected = seqOf(payload.last) + 1;
            dropped += payload.dropped;
        }
    }

    assert.equal(expected, lastSeq + 1, 'the events and gaps reach the last event');
    assert.equal(events.length + dropped, count, 'received + dropped account for every event');
    // The management endpoint was read while the last events may still have been on their way to the queue.
    assert.ok(dropped >= result.subscription.dropped, `the notices count at least the ${result.subscription.dropped} drops the management endpoint showed`);
    assert.equal(timeline.at(-1).kind, 'event', 'events continue after the last overflow');
    t.diagnostic(`published ${count} events of 4 KB; received ${events.length}, ${overflows.length} overflow notice(s) for ${dropped} dropped`);
});
