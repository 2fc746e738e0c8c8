// backoffDelay: exponential backoff with full jitter, delay = random(0, min(maxDelayMs, baseDelayMs * 2 ** attempt)).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../../src/RealtimeEvents.AspNetCore/Client/client.js';

test('the delay stays within 0 and min(cap, base * 2^attempt) (full jitter)', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 5000 };
    for (let attempt = 0; attempt < 12; attempt++) {
        const ceiling = Math.min(5000, 100 * 2 ** attempt);
        assert.equal(backoffDelay(attempt, options, () => 0), 0, `attempt ${attempt}: random 0 gives 0`);
        assert.equal(backoffDelay(attempt, options, () => 0.999999), ceiling, `attempt ${attempt}: random near 1 gives the ceiling`);
        for (let k = 0; k < 50; k++) {
            const delay = backoffDelay(attempt, options);
            assert.ok(delay >= 0 && delay <= ceiling, `attempt ${attempt}: ${delay} within [0, ${ceiling}]`);
        }
    }
});

test('the delay uses the injected random', () => {
    const draws = [0.25, 0.5, 0.75];
    const random = () => draws.shift();
    assert.equal(backoffDelay(2, { baseDelayMs: 1000, maxDelayMs: 100_000 }, random), 1000); // 0.25 * 4000
    assert.equal(backoffDelay(2, { baseDelayMs: 1000, maxDelayMs: 100_000 }, random), 2000);
    assert.equal(backoffDelay(2, { baseDelayMs: 1000, maxDelayMs: 100_000 }, random), 3000);
    assert.equal(draws.length, 0, 'one draw per delay');
});

test('the delay is capped at maxDelayMs, even for huge attempts, and the defaults are 500 and 15000', () => {
    assert.equal(backoffDelay(30, { baseDelayMs: 500, maxDelayMs: 15_000 }, () => 0.5), 7500);
    assert.equal(backoffDelay(10_000, { baseDelayMs: 500, maxDelayMs: 15_000 }, () => 0.5), 7500);
    assert.equal(backoffDelay(10_000, { baseDelayMs: 0, maxDelayMs: 15_000 }, () => 0.5), 0);
    assert.equal(backoffDelay(0, undefined, () => 0.5), 250);
    assert.equal(backoffDelay(100, {}, () => 0.5), 7500);
});
