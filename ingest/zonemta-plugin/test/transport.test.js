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
    assert.equal(stats.inFlight, 0);
});

test('503, 503, 202 → the batch is delivered once after two retries', async t => {
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 20 },
        respond: (req, n) => (n <= 2 ? { status: 503, body: { error: 'queue unavailable' } } : null)
    });
    fireEvents(handler, 3);
    await ingest.waitForEvents(3);
    let [stats] = await plugin._flushAll();
    assert.equal(ingest.requests.length, 3);
    assert.deepEqual(ingest.requests.map(r => r.events.length), [3, 3, 3]);
    assert.equal(ingest.events.length, 3);
    assert.equal(stats.sent, 3);
    assert.equal(stats.lost, 0);
    // backoff doubles: ~20 ms, then ~40 ms
    let [a, b, c] = ingest.requests.map(r => r.at);
    assert.ok(b - a >= 15 && c - b >= 35, `gaps ${b - a} ms, ${c - b} ms`);
});

test('429 with Retry-After is honoured instead of the backoff', async t => {
    let { ingest, handler } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 10 },
        respond: (req, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '1' }, body: { error: 'slow down' } } : null)
    });
    fireEvents(handler, 2);
    await ingest.waitForEvents(2);
    let gap = ingest.requests[1].at - ingest.requests[0].at;
    assert.ok(gap >= 950, `retried after ${gap} ms`);
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

for (let status of [400, 401]) {
    test(`no retry on ${status}; the batch is dropped with a warning`, async t => {
        let logs = captureLogs(t);
        let rejected = [{ index: 0, errors: [{ field: 'timestamp', reason: 'in the future' }] }];
        let { ingest, handler, plugin } = await setupPlugin(t, {
            config: { flushInterval: 10, retryDelay: 10 },
            respond: () => ({ status, body: status === 400 ? { queued: 0, rejected } : { error: 'unauthorized' } })
        });
        fireEvents(handler, 2);
        await entriesSettled();
        let [stats] = await plugin._flushAll();
        assert.equal(ingest.requests.length, 1);
        assert.equal(stats.lost, 2);
        let warning = logs.find(l => l.level === 'warn' && /dropped a batch/.test(l.message));
        assert.match(warning.message, new RegExp(`dropped a batch of 2 events after 1 attempt\\(s\\): HTTP ${status}`));
        if (status === 401) {
            assert.match(warning.message, /HTTP 401: unauthorized/);
        }
        if (status === 400) {
            assert.match(warning.message, /1 of 2 events rejected: timestamp: in the future \(1\)/);
        }
    });
}

test('202 with per-event rejections: the rest counts as sent, the errors are logged in summary', async t => {
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
    assert.equal(stats.sent, 7);
    assert.equal(stats.rejectedByServer, 3);
    assert.ok(logs.some(l => l.level === 'warn' && l.message === 'ingest API: 3 of 10 events rejected: to_address: invalid (2), timestamp: invalid (1)'));
});

test('after the last retry the batch is dropped and the warning says how many events were lost', async t => {
    let logs = captureLogs(t);
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10, retryDelay: 5 },
        respond: () => ({ status: 503 })
    });
    fireEvents(handler, 4);
    await entriesSettled();
    let [stats] = await plugin._flushAll();
    assert.equal(ingest.requests.length, 4, '1 try + 3 retries');
    assert.equal(stats.lost, 4);
    assert.equal(stats.failedBatches, 1);
    assert.ok(logs.some(l => l.level === 'warn' && l.message === 'dropped a batch of 4 events after 4 attempt(s): HTTP 503'));
});

test('dead endpoint (connection refused): hooks return immediately, nothing throws, events are counted lost', async t => {
    let logs = captureLogs(t);
    let url = `http://127.0.0.1:${await freePort()}/api/v1/events/ingest`;
    let handler = await loadPlugin('sender', { url, flushInterval: 10, retryDelay: 5 });
    let plugin = require('..');
    t.after(() => plugin._reset());
    let elapsed = fireEvents(handler, 20);
    await handler.runHooks('sender:fetch', [{ id: 'q0', seq: '001', time: Date.now() }]);
    assert.ok(elapsed < 100, `hooks took ${elapsed} ms`);
    await entriesSettled();
    let [stats] = await plugin._flushAll();
    assert.equal(stats.lost, 20);
    assert.match(stats.lastError, /ECONNREFUSED/);
    assert.ok(logs.some(l => /dropped a batch of 20 events after 4 attempt\(s\): ECONNREFUSED/.test(l.message)));
});

test('hanging endpoint: the request times out and is retried; the hook never waits', async t => {
    let logs = captureLogs(t);
    let { ingest, handler, plugin } = await setupPlugin(t, {
        config: { flushInterval: 10, timeout: 100, retries: 1, retryDelay: 5 },
        respond: () => 'hang'
    });
    let elapsed = fireEvents(handler, 3);
    assert.ok(elapsed < 100, `hooks took ${elapsed} ms`);
    await entriesSettled();
    let started = Date.now();
    let [stats] = await plugin._flushAll();
    assert.equal(ingest.requests.length, 2);
    assert.equal(stats.lost, 3);
    assert.ok(Date.now() - started >= 190, 'two attempts of 100 ms each');
    assert.ok(logs.some(l => l.message === 'dropped a batch of 3 events after 2 attempt(s): timeout after 100 ms'));
});

test('at most `concurrency` POSTs are in flight', async t => {
    let { ingest, handler, instance } = await setupPlugin(t, { config: { batchSize: 10, flushInterval: 10 } });
    let peak = 0;
    let send = instance.batcher.send;
    instance.batcher.send = batch => {
        peak = Math.max(peak, instance.batcher.inFlight);
        return send(batch);
    };
    fireEvents(handler, 100);
    await ingest.waitForEvents(100);
    assert.equal(ingest.requests.length, 10);
    assert.equal(peak, 2);
});

test('maxBuffer: with the endpoint down, 200 events leave at most 50 buffered and 150 counted dropped', async t => {
    let logs = captureLogs(t);
    let url = `http://127.0.0.1:${await freePort()}/api/v1/events/ingest`;
    let handler = await loadPlugin('sender', { url, maxBuffer: 50, retryDelay: 5, flushInterval: 60000 });
    let plugin = require('..');
    t.after(() => plugin._reset());
    fireEvents(handler, 200);
    await entriesSettled();
    let [stats] = plugin._stats();
    assert.equal(stats.buffered, 50);
    assert.equal(stats.droppedOverflow, 150);
    // rate limited: one line for the first drop, the rest is aggregated into the next line
    let drops = logs.filter(l => /buffer full/.test(l.message));
    assert.equal(drops.length, 1);
    assert.equal(drops[0].message, 'buffer full (maxBuffer=50): dropped 1 oldest events');
    // the survivors are the newest events
    let [after] = await plugin._flushAll();
    assert.equal(after.lost, 50);
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
