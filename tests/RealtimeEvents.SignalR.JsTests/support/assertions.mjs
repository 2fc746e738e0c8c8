// Checks shared by the test files.
import assert from 'node:assert/strict';
import { parsePosition } from './client.mjs';

/**
 * The position of an event, "epoch:seq": what a client passes as resumeAfter.
 * @param {{ epoch: string, seq: number }} event
 */
export function positionOf(event) {
    return `${event.epoch}:${event.seq}`;
}

/**
 * Asserts that events are in log order: one epoch and strictly increasing seq (and position == "epoch:seq" where the
 * event carries one; docs/protocol.md's event object has no position field).
 * @param {any[]} events
 */
export function assertLogOrder(events) {
    for (let k = 0; k < events.length; k++) {
        const event = events[k];
        assert.equal(typeof event.epoch, 'string', `event #${k} epoch`);
        assert.ok(Number.isSafeInteger(event.seq) && event.seq > 0, `event #${k} seq ${event.seq}`);
        if ('position' in event) {
            assert.equal(event.position, positionOf(event), `event #${k} position`);
        }

        if (k > 0) {
            const previous = events[k - 1];
            assert.equal(event.epoch, previous.epoch, `event #${k} epoch`);
            assert.ok(event.seq > previous.seq, `event #${k} seq ${event.seq} must be after seq ${previous.seq}`);
        }
    }
}

/**
 * Asserts that the events carry data.i = from, from + 1, ... exactly once each, in order.
 * @param {any[]} events
 * @param {number} from
 * @param {number} count
 */
export function assertIndexes(events, from, count) {
    const indexes = events.map(e => e.data?.i);
    const expected = Array.from({ length: count }, (_, k) => from + k);
    if (indexes.length !== expected.length || indexes.some((i, k) => i !== expected[k])) {
        const firstWrong = indexes.findIndex((i, k) => i !== expected[k]);
        assert.fail(`expected data.i ${from}..${from + count - 1} once each in order; got ${indexes.length} events, ` +
            `first difference at #${firstWrong}: ${JSON.stringify(indexes.slice(Math.max(0, firstWrong - 3), firstWrong + 3))}`);
    }
}

/** The seq of a position string. */
export function seqOf(position) {
    return parsePosition(position).seq;
}
