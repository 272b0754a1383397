'use strict';

// Heartbeat (contract v1), TLS only with an SMTP session, and a message-level DELETED expanded to the
// recipients still queued — all through ZoneMTA's own loader, sender and queue code.

const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('net');
const os = require('os');
const { setupPlugin, startSmtpSink, runSender, queueId, zoneMta, ZONEMTA_VERSION } = require('./harness/zonemta');
const { mapEntry } = require('../lib/mapping');

const CONTRACT = {
    mta_node: 'string', process_id: 'string', pid: 'integer', started_at: 'integer', sent_at: 'integer',
    interval_seconds: 'integer', plugin_version: 'string', zonemta_version: 'string', node_version: 'string',
    seen: 'integer', sent: 'integer', rejected: 'integer', dropped: 'integer', buffered: 'integer',
    spooled: 'integer', last_error: 'null', last_error_at: 'null'
};

function typeOf(value) {
    return value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
}

test(`heartbeat: the contract body, same auth, every interval (ZoneMTA ${ZONEMTA_VERSION})`, async t => {
    let { ingest, handler, plugin } = await setupPlugin(t, { config: { heartbeatInterval: 1, flushInterval: 10 } });
    for (let i = 0; i < 3; i++) {
        handler.remotelog(`h${i}`, '001', 'DELETED', { reason: 'Deletion requested from API' });
    }
    await ingest.waitForEvents(3);
    await plugin._flushAll();
    let first = ingest.heartbeats.length;
    await ingest.waitFor(() => ingest.heartbeats.length >= first + 2);
    let [a, b] = ingest.heartbeats.slice(-2);
    assert.equal(a.url, '/api/v1/events/heartbeat');
    assert.equal(a.headers.authorization, 'Bearer test-key');
    assert.equal(a.headers['content-type'], 'application/json');
    assert.deepEqual(Object.fromEntries(Object.keys(b.body).map(k => [k, typeOf(b.body[k])])), CONTRACT);
    assert.equal(b.body.process_id, `${os.hostname()}:${process.pid}:${b.body.started_at}`);
    assert.deepEqual([b.body.mta_node, b.body.pid, b.body.interval_seconds, b.body.plugin_version, b.body.node_version], ['test-node', process.pid, 1, require('../package.json').version, process.version]);
    assert.equal(b.body.zonemta_version, ZONEMTA_VERSION);
    assert.deepEqual([b.body.seen, b.body.sent, b.body.rejected, b.body.dropped, b.body.buffered, b.body.spooled], [3, 3, 0, 0, 0, 0]);
    let gap = b.at - a.at;
    assert.ok(gap >= 900 && gap < 2000, `heartbeats ${gap} ms apart`);
    assert.ok(b.body.sent_at >= a.body.sent_at + 900);
});

test('heartbeat after a failed send reports last_error and when', async t => {
    let { ingest, handler } = await setupPlugin(t, { config: { heartbeatInterval: 1, flushInterval: 10, retryDelay: 5000 }, respond: () => ({ status: 503, body: { error: 'down' } }) });
    handler.remotelog('hx', '001', 'DELETED', { reason: 'x' });
    await ingest.waitForRequests(1);
    let count = ingest.heartbeats.length;
    await ingest.waitFor(() => ingest.heartbeats.length > count);
    let body = ingest.heartbeats.at(-1).body;
    assert.deepEqual([body.seen, body.sent, body.buffered, body.last_error], [1, 0, 1, 'HTTP 503: down']);
    assert.ok(Number.isInteger(body.last_error_at) && body.last_error_at <= body.sent_at);
});

async function closedPort() {
    let server = net.createServer();
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
    let { port } = server.address();
    await new Promise(resolve => server.close(resolve));
    return port;
}

test('tls: reported for an SMTP session (false here: no STARTTLS), absent when the connection was refused', async t => {
    let sink = await startSmtpSink();
    t.after(() => sink.close());
    let { ingest, plugin } = await setupPlugin(t, { config: { flushInterval: 10 } });
    let id = queueId();
    let spec = seq => ({ id, seq, from: 'alice@example.net', to: 'ok@example.com', body: 'x\r\n' });
    await runSender([spec('001')], sink.port);
    await runSender([spec('002')], await closedPort());
    await plugin._flushAll();
    let bySeq = Object.fromEntries(ingest.events.map(e => [e.seq, e]));
    assert.equal(bySeq['001'].event_type, 'delivered');
    assert.equal(bySeq['001'].tls, false);
    assert.equal(bySeq['002'].event_type, 'deferred');
    assert.match(bySeq['002'].smtp_response || '', /ECONNREFUSED|connect/i);
    assert.equal('tls' in bySeq['002'], false);
});

test('tls: a 3.10.18-style entry (tls:false logged without any connection) gets no tls field', () => {
    let ctx = { now: Date.now(), node: 'n' };
    // lib/sender.js 3.10.18 getConnectionTlsLogData(undefined) on a refused connection
    let refused = { id: 'q1', seq: '001', action: 'DEFERRED', zone: 'default', to: 'a@b.c', mx: 'b.c', host: undefined, secure: false, tls: false, tlsVersion: false, defcount: 1 };
    let session = Object.assign({}, refused, { host: '192.0.2.1', secure: true, tls: true, tlsVersion: 'TLSv1.3' });
    assert.equal('tls' in mapEntry(refused, ctx)[0], false);
    assert.equal(mapEntry(session, ctx)[0].tls, true);
    assert.equal(mapEntry(Object.assign({}, session, { tls: false, secure: false }), ctx)[0].tls, false);
});

test('DELETED without seq → one dropped event per recipient still queued, with addresses and zone', async t => {
    let { ingest, handler, plugin } = await setupPlugin(t, { context: 'main', config: { flushInterval: 10 } });
    // ZoneMTA's own MailQueue.push runs queue:route per recipient; only its MongoDB insert is faked
    let MailQueue = zoneMta('lib/mail-queue');
    let queue = new MailQueue({});
    queue.mongodb = { collection: () => ({ insertMany: (docs, opts, cb) => cb(null, docs) }) };
    let id = queueId();
    let envelope = { id, from: 'alice@example.net', to: ['a@x.org', 'b@y.org', 'c@z.org'], headers: {}, sessionId: 's1' };
    await new Promise((resolve, reject) => queue.push(id, envelope, err => (err ? reject(err) : resolve())));
    // b@y.org was delivered (queue:release in main); then the stored message goes missing
    await handler.runHooks('queue:release', [{ name: 'default' }, { id, seq: '002', status: { delivered: true } }]);
    handler.remotelog(id, false, 'DELETED', { reason: 'Not found from GridStore' });
    handler.remotelog('unknownmessage0001', false, 'DELETED', { reason: 'Not found from GridStore' });
    await ingest.waitForEvents(3);
    await plugin._flushAll();
    let rows = ingest.events.map(e => [e.event_id, e.event_type, e.to_address, e.from_address, e.zone]);
    assert.deepEqual(rows, [
        [`${id}.001.DELETED.1`, 'dropped', 'a@x.org', 'alice@example.net', 'default'],
        [`${id}.003.DELETED.1`, 'dropped', 'c@z.org', 'alice@example.net', 'default'],
        // never seen queued by this process: one message-level event, as before
        ['unknownmessage0001.000.DELETED.1', 'dropped', undefined, undefined, undefined]
    ]);
});
