'use strict';

// ZoneMTA's real sender (lib/sender.js + SendingZone + ConnectionPool, unmodified) delivers to a local
// SMTP sink; the ACCEPTED / DEFERRED / REJECTED entries it logs flow through the plugin to a local
// ingest server. Nothing here fakes what ZoneMTA puts into log:entry.

const test = require('node:test');
const assert = require('node:assert/strict');
const { setupPlugin, startSmtpSink, runSender, queueId } = require('./harness/zonemta');

const EVENT_ID = /^[0-9a-f]{18}\.[0-9a-f]{3}\.(ACCEPTED|DEFERRED|REJECTED)\.\d+$/;
const RECEIVED_AGO = 5000;

test('real sender: delivered / deferred (greylist) / bounced (recipient) events', async t => {
    let sink = await startSmtpSink();
    t.after(() => sink.close());
    let { ingest } = await setupPlugin(t, { config: { node: 'mta-test-01', flushInterval: 20 } });

    let id = queueId();
    let body = 'Hello,\r\nthis is the body.\r\n'.repeat(20);
    let time = Date.now() - RECEIVED_AGO;
    let specs = [
        { id, seq: '001', from: 'alice@example.net', to: 'ok@example.com', body, time },
        { id, seq: '002', from: 'alice@example.net', to: 'ok@example.org', body, time, deferredCount: 1 },
        { id, seq: '003', from: 'alice@example.net', to: 'defer@example.org', body, time, deferredCount: 2 },
        { id, seq: '004', from: 'alice@example.net', to: 'bad@example.com', body, time }
    ];
    let { commands } = await runSender(specs, sink.port);
    let finishedAt = Date.now();
    await ingest.waitForEvents(4);

    // ZoneMTA itself saw the outcomes we expect
    assert.deepEqual(
        commands.filter(c => ['RELEASE', 'DEFER'].includes(c.cmd)).map(c => [c.seq, c.cmd, c.category || (c.status && c.status.delivered)]),
        [
            ['001', 'RELEASE', true],
            ['002', 'RELEASE', true],
            ['003', 'DEFER', 'greylist'],
            ['004', 'RELEASE', false]
        ]
    );
    assert.equal(sink.messages.length, 2);

    let bySeq = Object.fromEntries(ingest.events.map(e => [e.seq, e]));
    assert.deepEqual(
        ['001', '002', '003', '004'].map(seq => [bySeq[seq].event_type, bySeq[seq].attempt, bySeq[seq].bounce_category, bySeq[seq].smtp_code]),
        [
            ['delivered', 1, undefined, 250],
            ['delivered', 2, undefined, 250],
            ['deferred', 3, 'greylist', 451],
            ['bounced', 1, 'recipient', 550]
        ]
    );
    assert.equal(bySeq['002'].event_id, `${id}.002.ACCEPTED.2`);
    assert.equal(bySeq['003'].event_id, `${id}.003.DEFERRED.3`);

    for (let event of ingest.events) {
        assert.match(event.event_id, EVENT_ID);
        assert.equal(event.direction, 'outbound');
        assert.equal(event.mta_node, 'mta-test-01');
        assert.equal(event.queue_id, id);
        assert.equal(event.zone, 'default');
        assert.equal(event.from_address, 'alice@example.net');
        assert.equal(event.to_address, specs.find(s => s.seq === event.seq).to);
        assert.equal(event.mx_host, 'mx.' + event.to_address.split('@')[1]);
        assert.equal(event.remote_ip, '127.0.0.1');
        assert.equal(event.local_ip, '127.0.0.1');
        assert.equal(event.message_id, `<${id}@harness.local>`);
        assert.equal(event.tls, false);
        assert.ok(Number.isInteger(event.timestamp) && event.timestamp <= finishedAt);
        // the body plus the headers and the Received header ZoneMTA adds
        assert.ok(event.message_size > Buffer.byteLength(body) && event.message_size < Buffer.byteLength(body) + 1000, `size ${event.message_size}`);
        // ≈ now − delivery.time: at least the 5 s backdating, at most that plus the test's run time
        let expected = event.timestamp - time;
        assert.equal(event.delivery_time_ms, expected);
        assert.ok(event.delivery_time_ms >= RECEIVED_AGO && event.delivery_time_ms < RECEIVED_AGO + 10000);
    }
    assert.match(bySeq['004'].smtp_response, /^550 5\.1\.1 <bad@example\.com>: User unknown/);
});

test('real sender: a hanging ingest API never stalls deliveries', async t => {
    let sink = await startSmtpSink();
    t.after(() => sink.close());
    let { ingest, plugin } = await setupPlugin(t, { config: { flushInterval: 10, timeout: 5000 }, respond: () => 'hang' });
    let id = queueId();
    let specs = Array.from({ length: 6 }, (_, i) => ({
        id,
        seq: (i + 1).toString(16).padStart(3, '0'),
        from: 'alice@example.net',
        to: i % 2 ? 'ok@example.com' : 'bad@example.org',
        body: 'x\r\n'
    }));
    let started = Date.now();
    await runSender(specs, sink.port);
    // six SMTP transactions against localhost, while the ingest API never answers
    assert.ok(Date.now() - started < 3000, `deliveries took ${Date.now() - started} ms`);
    await ingest.waitForRequests(1);
    let [stats] = plugin._stats();
    assert.equal(stats.seen, 6);
    assert.equal(stats.hookErrors, 0);
});
