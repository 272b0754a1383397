'use strict';

// Batching, retries and failure handling, end to end: hooks fired through ZoneMTA's PluginHandler,
// batches received by a local HTTP server that answers as scripted.

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('net');
const { setupPlugin, captureLogs, loadPlugin } = require('./harness/zonemta');

// Fires `count` log:entry DELETED entries (one event each) the way ZoneMTA does; returns how long the
// synchronous part (what ZoneMTA's code path waits for) took.
function fireEvents(handler, count, prefix = 'q') {
    let started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
        handler.remotelog(`${prefix}${i}`, '001', 'DELETED', { reason: 'Deletion requested from API' });
    }
    return Number(process.hrtime.bigint() - started) / 1e6;
}

// remotelog() runs log:entry asynchronously; flushing after a macrotask sees every entry buffered.
function entriesSettled() {
    return new Promise(resolve => setImmediate(resolve));
}

async function freePort() {
    let server = net.createServer();
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
    let { port } = server.address();
    await new Promise(resolve => server.close(resolve));
    return port;
}

test('100 events → exactly one POST of 100, without waiting for the interval', async t => {
    let { ingest, handler } = await setupPlugin(t, { config: { flushInterval: 60000 } });
    fireEvents(handler, 100);
    await ingest.waitForEvents(100);
    assert.equal(ingest.requests.length, 1);
    assert.equal(ingest.requests[0].events.length, 100);
});

test('250 events with batchSize 100 → batches of 100, 100 and (after the interval) 50', async t => {
    let { ingest, handler } = await setupPlugin(t, { config: { flushInterval: 50 } });
    fireEvents(handler, 250);
    await ingest.waitForEvents(250);
    assert.deepEqual(ingest.requests.map(r => r.events.length).sort((a, b) => b - a), [100, 100, 50]);
    assert.equal(new Set(ingest.events.map(e => e.event_id)).size, 250);
});

test('5 events → one POST once flushInterval has passed', async t => {
    let { ingest, handler } = await setupPlugin(t, { config: { flushInterval: 150 } });
    let started = Date.now();
    fireEvents(handler, 5);
    await ingest.waitForEvents(5);
    let waited = ingest.requests[0].at - started;
    assert.equal(ingest.requests.length, 1);
    assert.ok(waited >= 140, `sent after ${waited} ms`);
});

test('_flushAll() sends a partial batch immediately and resolves with the stats', async t => {
    let { ingest, handler, plugin } = await setupPlugin(t, { config: { flushInterval: 60000 } });
    fireEvents(handler, 7);
    await entriesSettled();
    let [stats] = await plugin._flushAll();
    assert.equal(ingest.events.length, 7);
    assert.equal(stats.sent, 7);
    assert.equal(stats.buffered, 0);
    assert.equal(stats.dropped, 0);
});

test('503, 503, 202 → the batch is delivered once after two retries, nothing dropped', async t => {
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 20 },
        respond: (req, n) => (n <= 2 ? { status: 503, body: { error: 'queue unavailable' } } : null)
    });
    fireEvents(handler, 3);
    await ingest.waitForEvents(3);
    let [stats] = await plugin._flushAll();
    assert.deepEqual(ingest.requests.map(r => r.events.length), [3, 3, 3]);
    assert.equal(ingest.events.length, 3);
    assert.deepEqual([stats.seen, stats.sent, stats.dropped, stats.failedAttempts, stats.last_error], [3, 3, 0, 2, null]);
});

test('429 with Retry-After is honoured as the minimum wait', async t => {
    let { ingest, handler } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 10 },
        respond: (req, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '1' }, body: { error: 'slow down' } } : null)
    });
    fireEvents(handler, 2);
    await ingest.waitForEvents(2);
    let gap = ingest.requests[1].at - ingest.requests[0].at;
    assert.ok(gap >= 950, `retried after ${gap} ms`);
});

test('Retry-After as an HTTP date is honoured too', async t => {
    let { ingest, handler } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 10 },
        respond: (req, n) => (n === 1 ? { status: 503, headers: { 'Retry-After': new Date(Date.now() + 2000).toUTCString() } } : null)
    });
    fireEvents(handler, 1);
    await ingest.waitForEvents(1);
    let gap = ingest.requests[1].at - ingest.requests[0].at;
    // an HTTP date has 1 s resolution
    assert.ok(gap >= 900, `retried after ${gap} ms`);
});

test('Retry-After is capped by maxRetryAfter', async t => {
    let { ingest, handler } = await setupPlugin(t, {
        config: { flushInterval: 10, maxRetryAfter: 30 },
        respond: (req, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '3600' } } : null)
    });
    fireEvents(handler, 1);
    await ingest.waitForEvents(1);
    assert.ok(ingest.requests[1].at - ingest.requests[0].at < 1000);
});

test('400: not retried; the events count as sent and rejected, and the reasons are logged', async t => {
    let logs = captureLogs(t);
    let rejected = [0, 1].map(index => ({ index, errors: [{ field: 'timestamp', reason: 'in the future' }] }));
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 10 },
        respond: () => ({ status: 400, body: { error: 'no valid events in the body', queued: 0, rejected } })
    });
    fireEvents(handler, 2);
    await entriesSettled();
    let [stats] = await plugin._flushAll();
    assert.equal(ingest.requests.length, 1);
    assert.deepEqual([stats.sent, stats.rejected, stats.dropped], [2, 2, 0]);
    assert.ok(logs.some(l => l.level === 'warn' && l.message === 'ingest API: 2 of 2 events rejected: timestamp: in the future (2)'));
});

test('401 (wrong key): the events are kept and retried slowly until the key works', async t => {
    let logs = captureLogs(t);
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 10, maxRetryDelay: 200, logInterval: 0 },
        respond: (req, n) => (n <= 2 ? { status: 401, body: { error: 'missing or invalid API key' } } : null)
    });
    fireEvents(handler, 2);
    await ingest.waitForEvents(2);
    let [stats] = await plugin._flushAll();
    assert.deepEqual([stats.sent, stats.dropped], [2, 0]);
    // misconfiguration is retried at the cap, not quickly
    assert.ok(ingest.requests[1].at - ingest.requests[0].at >= 190);
    assert.ok(logs.some(l => l.level === 'warn' && /failed attempt\(s\), last: HTTP 401: missing or invalid API key; events kept \(memory 2, spool off\), retrying/.test(l.message)));
});

test('413: the batch is split until the pieces fit; a single event that never fits is dropped and counted', async t => {
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10 },
        respond: req => (req.events.length > 2 || req.events.some(e => e.queue_id === 'huge0') ? { status: 413, body: { error: 'body too large' } } : null)
    });
    fireEvents(handler, 5);
    fireEvents(handler, 1, 'huge');
    await entriesSettled();
    let [stats] = await plugin._flushAll();
    assert.equal(ingest.events.length, 5);
    assert.ok(ingest.requests.filter(r => r.events.length <= 2).length >= 3);
    assert.deepEqual([stats.seen, stats.sent, stats.dropped], [6, 5, 1]);
});

test('202 with per-event rejections: all count as sent, 3 as rejected, the errors are logged in summary', async t => {
    let logs = captureLogs(t);
    let { handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10 },
        respond: req => ({
            status: 202,
            body: {
                queued: req.events.length - 3,
                rejected: [0, 1, 2].map(index => ({ index, errors: [{ field: index < 2 ? 'to_address' : 'timestamp', reason: 'invalid' }] }))
            }
        })
    });
    fireEvents(handler, 10);
    await entriesSettled();
    let [stats] = await plugin._flushAll();
    assert.equal(stats.sent, 10);
    assert.equal(stats.rejected, 3);
    assert.ok(logs.some(l => l.level === 'warn' && l.message === 'ingest API: 3 of 10 events rejected: to_address: invalid (2), timestamp: invalid (1)'));
});

test('dead endpoint (connection refused): hooks return immediately, events stay buffered, nothing is dropped', async t => {
    let logs = captureLogs(t);
    let url = `http://127.0.0.1:${await freePort()}/api/v1/events/ingest`;
    let handler = await loadPlugin('sender', { url, flushInterval: 10, retryDelay: 5, maxRetryDelay: 20, logInterval: 0 });
    let plugin = require('..');
    t.after(() => plugin._reset());
    let elapsed = fireEvents(handler, 20);
    await handler.runHooks('sender:fetch', [{ id: 'q0', seq: '001', time: Date.now() }]);
    assert.ok(elapsed < 100, `hooks took ${elapsed} ms`);
    await entriesSettled();
    let [stats] = await plugin._flushAll(300);
    assert.deepEqual([stats.seen, stats.sent, stats.dropped, stats.buffered], [20, 0, 0, 20]);
    assert.ok(stats.failedAttempts >= 3, `${stats.failedAttempts} attempts`);
    assert.match(stats.last_error, /ECONNREFUSED/);
    assert.ok(logs.some(l => /failed attempt\(s\), last: ECONNREFUSED .*events kept \(memory 20, spool off\)/.test(l.message)));
});

test('hanging endpoint: the request times out and the same batch is retried; the hook never waits', async t => {
    let hang = true;
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10, timeout: 100, retryDelay: 5, maxRetryDelay: 20 },
        respond: () => (hang ? 'hang' : null)
    });
    let elapsed = fireEvents(handler, 3);
    assert.ok(elapsed < 100, `hooks took ${elapsed} ms`);
    await ingest.waitForRequests(2);
    assert.match(plugin._stats()[0].last_error, /timeout after 100 ms/);
    hang = false;
    let [stats] = await plugin._flushAll();
    assert.deepEqual(ingest.events.map(e => e.event_id).sort(), ['q0.001.DELETED.1', 'q1.001.DELETED.1', 'q2.001.DELETED.1']);
    assert.ok(ingest.requests.every(r => r.events.length === 3));
    assert.deepEqual([stats.sent, stats.dropped], [3, 0]);
});

test('one POST in flight at a time', async t => {
    let inFlight = 0;
    let peak = 0;
    let { ingest, handler } = await setupPlugin(t, {
        config: { batchSize: 10, flushInterval: 10 },
        respond: () => {
            peak = Math.max(peak, ++inFlight);
            setImmediate(() => inFlight--);
            return null;
        }
    });
    fireEvents(handler, 100);
    await ingest.waitForEvents(100);
    assert.equal(ingest.requests.length, 10);
    assert.equal(peak, 1);
});

test('maxBuffer without a spool: with the endpoint down, 200 events leave 50 buffered and 150 counted dropped', async t => {
    let logs = captureLogs(t);
    let url = `http://127.0.0.1:${await freePort()}/api/v1/events/ingest`;
    let handler = await loadPlugin('sender', { url, maxBuffer: 50, batchSize: 1000, retryDelay: 5, flushInterval: 60000 });
    let plugin = require('..');
    t.after(() => plugin._reset());
    fireEvents(handler, 200);
    await entriesSettled();
    let [stats] = plugin._stats();
    assert.deepEqual([stats.seen, stats.buffered, stats.dropped], [200, 50, 150]);
    // rate limited: one line for the first drop, the rest is aggregated into the next line
    let drops = logs.filter(l => /LOST/.test(l.message));
    assert.equal(drops.length, 1);
    assert.equal(drops[0].message, '1 events LOST (buffer full); 1 lost since start');
    // the survivors are the newest events
    assert.deepEqual(plugin._instances()[0].shipper.buffer.map(e => e.queue_id).slice(0, 2), ['q150', 'q151']);
});

test('on a clean process exit, buffered events are flushed (beforeExit)', async t => {
    let { startIngestServer } = require('./harness/zonemta');
    let ingest = await startIngestServer();
    t.after(() => ingest.close());
    // a child "ZoneMTA process" that buffers 3 events (interval: 1 min) and then runs out of work
    let script = `
        const { loadPlugin } = require(${JSON.stringify(require.resolve('./harness/zonemta'))});
        loadPlugin('main', { url: ${JSON.stringify(ingest.url)}, flushInterval: 60000 }).then(handler => {
            for (let i = 0; i < 3; i++) handler.remotelog('qexit' + i, '001', 'DELETED', { reason: 'test' });
        });
    `;
    let env = Object.assign({}, process.env);
    delete env.NODE_TEST_CONTEXT;
    let code = await new Promise(resolve => {
        require('child_process').execFile(process.execPath, ['-e', script], { env, timeout: 20000 }, err => resolve(err ? err.code : 0));
    });
    assert.equal(code, 0);
    assert.deepEqual(ingest.events.map(e => e.event_id).sort(), ['qexit0.001.DELETED.1', 'qexit1.001.DELETED.1', 'qexit2.001.DELETED.1']);
});
