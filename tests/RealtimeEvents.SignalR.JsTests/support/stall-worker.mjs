// Runs in a worker thread while the main thread is stalled inside a SignalR handler, so its socket is not read.
// Publishes chunks smaller than the subscription's queue, each only once the server has drained the previous one into
// the transport (or has stopped draining: the transport is full), so nothing overflows while the client keeps up and
// the only way to lose events is the stall. Once the management endpoint shows the subscription dropping events, it
// publishes `extraChunks` more and wakes the main thread through the shared flag.
// Status: 1 = drops seen, 2 = no drop within the time limit, 3 = failed.
import { parentPort, workerData } from 'node:worker_threads';
import { burst, managedConnection } from './http.mjs';

const { baseUrl, topic, chunk, extraChunks, size, capacity, connectionId, subscriptionId, timeoutMs, flag: sharedFlag } = workerData;
const flag = new Int32Array(sharedFlag);
// How long the queue depth may stay unchanged before the server counts as no longer draining it.
const STUCK_MS = 100;

function wake(status, result) {
    parentPort.postMessage({ status, ...result });
    Atomics.store(flag, 0, status);
    Atomics.notify(flag, 0);
}

async function subscriptionStats() {
    const { status, body } = await managedConnection(baseUrl, connectionId);
    const stats = body?.subscriptions?.find(s => s.id === subscriptionId);
    if (status !== 200 || !stats) {
        throw new Error(`The management endpoint does not show subscription '${subscriptionId}' of ${connectionId}: ${status} ${JSON.stringify(body)}`);
    }

    return stats;
}

try {
    const deadline = performance.now() + timeoutMs;
    let first;
    let last;
    let published = 0;
    let stats = { dropped: 0, queueDepth: 0 };
    while (stats.dropped === 0 && performance.now() < deadline) {
        const result = await burst(baseUrl, { topic, count: chunk, size, start: published });
        first ??= result.first;
        last = result.last;
        published += chunk;

        // Each look is one awaited request; the loop ends on an observed condition or the deadline.
        let depth = -1;
        let unchangedSince = performance.now();
        while (performance.now() < deadline) {
            stats = await subscriptionStats();
            if (stats.dropped > 0 || stats.queueDepth + chunk <= capacity) {
                break; // dropping, or room for the next chunk without dropping
            }

            if (stats.queueDepth !== depth) {
                depth = stats.queueDepth;
                unchangedSince = performance.now();
            } else if (performance.now() - unchangedSince >= STUCK_MS) {
                break; // the server no longer drains the queue: the transport is full
            }

            await new Promise(resolve => setTimeout(resolve, 5));
        }
    }

    if (stats.dropped > 0) {
        // A few more chunks while the client is still stalled: the queue keeps dropping its oldest, bounded.
        for (let k = 0; k < extraChunks; k++) {
            last = (await burst(baseUrl, { topic, count: chunk, size, start: published })).last;
            published += chunk;
        }

        stats = await subscriptionStats();
    }

    wake(stats.dropped > 0 ? 1 : 2, { published: { count: published, first, last }, subscription: stats });
} catch (error) {
    wake(3, { error: String(error?.stack ?? error) });
}
