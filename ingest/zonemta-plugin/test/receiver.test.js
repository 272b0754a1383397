'use strict';

// ZoneMTA's real mail drop (lib/mail-drop.js, the receiving side) with an in-memory queue: the QUEUED,
// NOQUEUE (app.reject) and DROP (app.drop) entries it logs become received / rejected / dropped events.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { setupPlugin, queueId } = require('./harness/zonemta');

const POLICY_PLUGIN = path.join(__dirname, 'harness', 'fixtures', 'policy-plugin.js');

// What MailDrop needs from ZoneMTA's MailQueue (MongoDB/GridFS in production).
const memoryQueue = {
    store(id, stream, callback) {
        stream.on('data', () => {});
        stream.once('end', () => callback());
    },
    setMeta: (id, envelope, callback) => setImmediate(callback),
    push: (id, envelope, callback) => setImmediate(callback),
    removeMessage: (id, callback) => setImmediate(callback)
};

function message(to) {
    return [
        'From: Alice <alice@example.net>',
        `To: ${to.join(', ')}`,
        'Subject: Confidential quarterly figures',
        'Message-ID: <m1@example.net>',
        '',
        'Body text that must never be shipped.',
        ''
    ].join('\r\n');
}

function drop(mailDrop, to) {
    let envelope = { id: queueId(), from: 'alice@example.net', to, origin: '192.0.2.9', sessionId: 'sess1', interface: 'feeder', transtype: 'ESMTP' };
    return new Promise(resolve => mailDrop.add(envelope, message(to), (err, response) => resolve({ id: envelope.id, err, response })));
}

test('real mail drop: QUEUED / NOQUEUE / DROP → received / rejected / dropped', async t => {
    let { ingest } = await setupPlugin(t, {
        context: 'receiver',
        config: { flushInterval: 20 },
        extraPlugins: { [POLICY_PLUGIN]: { enabled: 'receiver' } }
    });
    let MailDrop = require('./harness/zonemta').zoneMta('lib/mail-drop');
    let mailDrop = new MailDrop(memoryQueue);

    let queued = await drop(mailDrop, ['x@example.com', 'y@example.org']);
    let rejected = await drop(mailDrop, ['spam@example.com']);
    let dropped = await drop(mailDrop, ['drop@example.com', 'z@example.com']);
    assert.equal(queued.err, null);
    assert.equal(rejected.err.responseCode, 550);
    assert.equal(dropped.err.name, 'SMTPResponse');

    await ingest.waitForEvents(5);
    let summary = ingest.events.map(e => [e.event_id.replace(/^[0-9a-f]{18}/, 'ID'), e.event_type, e.to_address, e.bounce_category, e.smtp_code]);
    assert.deepEqual(summary.sort(), [
        ['ID.001.DROP.1', 'dropped', 'drop@example.com', 'spam', undefined],
        ['ID.001.NOQUEUE.1', 'rejected', 'spam@example.com', 'spam', 550],
        ['ID.001.QUEUED.1', 'received', 'x@example.com', undefined, undefined],
        ['ID.002.DROP.1', 'dropped', 'z@example.com', 'spam', undefined],
        ['ID.002.QUEUED.1', 'received', 'y@example.org', undefined, undefined]
    ]);
    let received = ingest.events.find(e => e.event_id === `${queued.id}.001.QUEUED.1`);
    assert.equal(received.remote_ip, '192.0.2.9');
    assert.equal(received.from_address, 'alice@example.net');
    assert.equal(received.message_size, Buffer.byteLength('Body text that must never be shipped.\r\n'));
    assert.doesNotMatch(JSON.stringify(ingest.requests.map(r => r.events)), /Confidential|Body text|Alice </);
});
