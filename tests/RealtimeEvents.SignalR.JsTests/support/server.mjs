// Starts RealtimeEvents.SignalR.TestServer (a real Kestrel host on 127.0.0.1) as a child process and stops it by PID.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './wait.mjs';

const testFolder = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The server's dll: REALTIME_SIGNALR_TEST_SERVER, or the Release build next to this folder. */
export const serverDll = process.env.REALTIME_SIGNALR_TEST_SERVER
    ? resolve(process.env.REALTIME_SIGNALR_TEST_SERVER)
    : resolve(testFolder, '../RealtimeEvents.SignalR.TestServer/bin/Release/net10.0/RealtimeEvents.SignalR.TestServer.dll');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const KEPT_LOG_LINES = 200;

/**
 * A running test server.
 * @typedef {object} TestServer
 * @property {string} baseUrl for example http://127.0.0.1:41234
 * @property {number} pid
 * @property {() => string} log the server's last stderr lines, for failure messages
 * @property {() => Promise<void>} stop
 */

/**
 * Starts the test server and waits for its READY line.
 * @param {Record<string, string>} [env] extra environment variables, such as REALTIME_QUEUE_CAPACITY
 * @returns {Promise<TestServer>}
 */
export async function startServer(env = {}) {
    if (!existsSync(serverDll)) {
        throw new Error(`The test server is not built: ${serverDll} does not exist. Build it with ` +
            '`dotnet build tests/RealtimeEvents.SignalR.TestServer -c Release`, or set REALTIME_SIGNALR_TEST_SERVER to its dll.');
    }

    const child = spawn('dotnet', [serverDll], {
        env: { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1', ...env },
        // stdin stays open: the server stops when it closes, so it cannot outlive this process.
        stdio: ['pipe', 'pipe', 'pipe'],
    });

    const logLines = [];
    const echo = process.env.REALTIME_TEST_SERVER_LOGS === '1';
    createInterface({ input: child.stderr }).on('line', line => {
        if (echo) {
            process.stderr.write(`[server ${child.pid}] ${line}\n`);
        }

        logLines.push(line);
        if (logLines.length > KEPT_LOG_LINES) {
            logLines.shift();
        }
    });
    const log = () => logLines.join('\n');

    const exited = new Promise(resolveExit => child.once('exit', (code, signal) => resolveExit({ code, signal })));
    const ready = new Promise((resolveReady, rejectReady) => {
        createInterface({ input: child.stdout }).on('line', line => {
            const match = /^READY (http:\/\/\S+)$/.exec(line);
            if (match) {
                resolveReady(match[1]);
            }
        });
        child.once('error', rejectReady);
        exited.then(({ code, signal }) =>
            rejectReady(new Error(`The test server exited before it was ready (code ${code}, signal ${signal}):\n${log()}`)));
    });

    const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
            return;
        }

        child.stdin.end();
        process.kill(child.pid, 'SIGTERM');
        try {
            await withTimeout(exited, STOP_TIMEOUT_MS, `test server ${child.pid} to exit after SIGTERM`);
        } catch (error) {
            process.kill(child.pid, 'SIGKILL');
            await withTimeout(exited, STOP_TIMEOUT_MS, `test server ${child.pid} to exit after SIGKILL`);
            throw error;
        }
    };

    let baseUrl;
    try {
        baseUrl = await withTimeout(ready, READY_TIMEOUT_MS, `the test server's READY line (${serverDll})`);
    } catch (error) {
        await stop().catch(() => { });
        error.message += `\n${log()}`;
        throw error;
    }

    return { baseUrl, pid: child.pid, log, stop };
}

/**
 * Starts one server for the test file (in a before hook) and stops it in an after hook.
 * @param {Record<string, string>} [env]
 * @returns {{ readonly current: TestServer }} the server, once the before hook has run
 */
export function useServer(env = {}) {
    /** @type {TestServer | undefined} */
    let server;
    before(async () => {
        server = await startServer(env);
    });
    after(async () => {
        await server?.stop();
    });
    return {
        get current() {
            if (!server) {
                throw new Error('The test server has not started.');
            }

            return server;
        },
    };
}
