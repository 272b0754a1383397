'use strict';

// The plugin as ZoneMTA sees it: loaded by ZoneMTA's own loader (zone-mta/lib/plugins →
// @zone-eu/wild-plugins) in each process type, with hooks fired through the PluginHandler.

const test = require('node:test');
const assert = require('node:assert/strict');
const { setupPlugin, captureLogs, loadPlugin, fireQueued } = require('./harness/zonemta');

for (let context of ['main', 'receiver', 'sender']) {
    test(`loads in the ${context} context and registers its hooks`, async t => {
        let logs = captureLogs(t);
        let { handler } = await setupPlugin(t, { context });
        assert.deepEqual(handler.loaded.map(p => p.title), ['Mailflow']);
        for (let name of ['log:entry', 'sender:fetch', 'sender:connection']) {
            assert.equal(handler.hooks.get(name).length, 1, name);
        }
        assert.ok(logs.some(l => l.prefix === 'Mailflow' && /shipping events to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/events\/ingest as mta_node=test-node/.test(l.message)));
        assert.ok(logs.some(l => /Initialized Mailflow/.test(l.message)));
    });
}

test('a missing url logs an error and disables the plugin without failing ZoneMTA', async t => {
    let logs = captureLogs(t);
    let handler = await loadPlugin('sender', { url: '', apiKey: 'k' });
    t.after(() => require('..')._reset());
    // init called done() without an error: ZoneMTA counts the plugin as loaded, it just has no hooks
    assert.deepEqual(handler.loaded.map(p => p.title), ['Mailflow']);
    assert.equal(handler.hooks.get('log:entry'), undefined);
    assert.ok(logs.some(l => l.level === 'error' && /plugin disabled, invalid config: "url" is required/.test(l.message)));
    assert.ok(!logs.some(l => /Failed loading plugin/.test(l.message)));
    // hooks still run fine with nothing registered
    await handler.runHooks('sender:fetch', [{ id: 'x', seq: '001' }]);
});

test('bad tuning values are logged and replaced by defaults', async t => {
    let logs = captureLogs(t);
    let { instance } = await setupPlugin(t, { config: { batchSize: 'lots', timeout: -1 } });
    assert.equal(instance.options.batchSize, 100);
    assert.equal(instance.options.timeout, 5000);
    assert.equal(logs.filter(l => l.level === 'warn' && /config:/.test(l.message)).length, 2);
});

test('QUEUED through handler.remotelog → 3 received events with Bearer auth', async t => {
    let { ingest, handler } = await setupPlugin(t, { context: 'receiver', config: { flushInterval: 20 } });
    fireQueued(handler, { id: '18c2f1a9e0b000abcd', from: 'alice@example.net', to: ['a@x.org', 'b@x.org', 'c@y.org'], size: 4321 });
    await ingest.waitForEvents(3);
    assert.equal(ingest.requests.length, 1);
    let req = ingest.requests[0];
    assert.equal(req.headers.authorization, 'Bearer test-key');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(ingest.events.map(e => [e.event_id, e.event_type, e.seq, e.to_address, e.message_size, e.mta_node]), [
        ['18c2f1a9e0b000abcd.001.QUEUED.1', 'received', '001', 'a@x.org', 4321, 'test-node'],
        ['18c2f1a9e0b000abcd.002.QUEUED.1', 'received', '002', 'b@x.org', 4321, 'test-node'],
        ['18c2f1a9e0b000abcd.003.QUEUED.1', 'received', '003', 'c@y.org', 4321, 'test-node']
    ]);
    assert.ok(Number.isInteger(ingest.events[0].timestamp) && Math.abs(ingest.events[0].timestamp - Date.now()) < 5000);
    assert.doesNotMatch(JSON.stringify(ingest.events), /secret subject/);
});

test('a SPAMCHECK score fills spam_score of the same message later', async t => {
    let { ingest, handler } = await setupPlugin(t, { context: 'receiver', config: { flushInterval: 20 } });
    handler.remotelog('q-spam', false, 'SPAMCHECK', { score: '3.40', result: 'no action', tests: 'BAYES_HAM' });
    fireQueued(handler, { id: 'q-spam', from: 'a@b.org', to: ['c@d.org'], size: 10 });
    await ingest.waitForEvents(1);
    assert.equal(ingest.events.length, 1, 'SPAMCHECK itself is not an event');
    assert.equal(ingest.events[0].spam_score, 3.4);
});

test('the hook always answers: later plugins on log:entry still run, odd payloads do not throw', async t => {
    let { handler, instance } = await setupPlugin(t);
    let seen = [];
    handler.addHook('test', 'log:entry', (entry, next) => {
        seen.push(entry && entry.action);
        next();
    });
    let hostile = {
        id: 'q5',
        seq: '001',
        action: 'ACCEPTED',
        get response() {
            throw new Error('boom');
        }
    };
    await handler.runHooks('log:entry', [hostile]);
    await handler.runHooks('log:entry', [null]);
    await handler.runHooks('sender:fetch', [null]);
    await handler.runHooks('sender:fetch', [{ id: 'q5', seq: '001', time: 'garbage', _deferred: 'nope' }]);
    await handler.runHooks('sender:connection', [{ id: 'q5', seq: '001' }, undefined]);
    await handler.runHooks('log:entry', [{ id: 'q6', seq: '001', action: 'ACCEPTED', to: 'x@y.org' }]);
    assert.deepEqual(seen, ['ACCEPTED', null, 'ACCEPTED']);
    assert.equal(instance.stats().hookErrors, 1);
});
