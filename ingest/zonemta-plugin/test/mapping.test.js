'use strict';

// Unit tests for lib/mapping.js: ZoneMTA log:entry objects (as ZoneMTA 3.10 builds them) → events.

const test = require('node:test');
const assert = require('node:assert/strict');
const { mapEntry, formatSeq, parseSmtpCode } = require('../lib/mapping');

const NOW = 1764321243512;
const ctx = (extra = {}) => Object.assign({ now: NOW, node: 'mta-02.example.net' }, extra);

// The keys lib/mail-drop.js logs with QUEUED (messageInfo.keys() + envelope keys).
const queued = {
    id: '18c2f1a9e0b000abcd',
    action: 'QUEUED',
    'message-id': '<a1b2@example.net>',
    from: 'alice@example.net',
    to: 'bob@gmail.com,carol@example.org,dave@example.org',
    src: '192.0.2.7',
    subject: 'Quarterly figures (secret)',
    body: 48213,
    md5: '0123456789ab',
    interface: 'feeder',
    originhost: '[192.0.2.7]',
    transhost: 'client.example.net',
    transtype: 'ESMTPSA',
    user: 'alice',
    headerFrom: 'Alice <alice@example.net>'
};

test('QUEUED with 3 recipients → 3 received events with seq 001..003', () => {
    let events = mapEntry(queued, ctx());
    assert.equal(events.length, 3);
    assert.deepEqual(events.map(e => e.seq), ['001', '002', '003']);
    assert.deepEqual(events.map(e => e.to_address), ['bob@gmail.com', 'carol@example.org', 'dave@example.org']);
    assert.deepEqual(events[0], {
        event_id: '18c2f1a9e0b000abcd.001.QUEUED.1',
        event_type: 'received',
        direction: 'outbound',
        timestamp: NOW,
        mta_node: 'mta-02.example.net',
        queue_id: '18c2f1a9e0b000abcd',
        seq: '001',
        message_id: '<a1b2@example.net>',
        remote_ip: '192.0.2.7',
        message_size: 48213,
        from_address: 'alice@example.net',
        to_address: 'bob@gmail.com',
        delivery_time_ms: 0
    });
});

test('no subject, body text or other headers ever leave the plugin', () => {
    let json = JSON.stringify(mapEntry(queued, ctx()));
    assert.doesNotMatch(json, /Quarterly|secret|subject|headerFrom|Alice </);
});

test('seq numbering follows ZoneMTA: hex, at least 3 characters', () => {
    assert.equal(formatSeq(1), '001');
    assert.equal(formatSeq(10), '00a');
    assert.equal(formatSeq(255), '0ff');
    assert.equal(formatSeq(4096), '1000');
    let many = mapEntry(Object.assign({}, queued, { to: Array.from({ length: 17 }, (_, i) => `u${i}@x.org`).join(',') }), ctx());
    assert.equal(many[16].seq, '011');
});

test('QUEUED from the null sender keeps an empty from_address; rspamd score becomes spam_score', () => {
    let [event] = mapEntry(Object.assign({}, queued, { from: '<>', to: 'x@y.org', score: '5.20' }), ctx());
    assert.equal(event.from_address, '');
    assert.equal(event.spam_score, 5.2);
    let [cached] = mapEntry(Object.assign({}, queued, { to: 'x@y.org' }), ctx({ spamScore: 1.5 }));
    assert.equal(cached.spam_score, 1.5);
});

test('NOQUEUE (app.reject) → one rejected event per recipient with the response', () => {
    let entry = Object.assign({}, queued, {
        action: 'NOQUEUE',
        to: 'bob@gmail.com,carol@example.org',
        description: 'spam',
        responseText: '550 This message was classified as SPAM and may not be delivered'
    });
    let events = mapEntry(entry, ctx());
    assert.equal(events.length, 2);
    assert.equal(events[1].event_id, '18c2f1a9e0b000abcd.002.NOQUEUE.1');
    assert.equal(events[1].event_type, 'rejected');
    assert.equal(events[1].smtp_code, 550);
    assert.equal(events[1].bounce_category, 'spam');
    assert.match(events[1].smtp_response, /classified as SPAM/);
});

test('NOQUEUE after a queue failure carries the error text, no code', () => {
    let [event] = mapEntry({ id: 'q1', action: 'NOQUEUE', to: 'a@b.org', error: 'Failed to store message' }, ctx());
    assert.equal(event.smtp_response, 'Failed to store message');
    assert.equal(event.smtp_code, undefined);
});

test('DROP from app.drop() → dropped events per recipient', () => {
    let entry = Object.assign({}, queued, { action: 'DROP', to: 'bob@gmail.com,carol@example.org', description: 'spam' });
    let events = mapEntry(entry, ctx());
    assert.deepEqual(events.map(e => [e.event_id, e.event_type, e.bounce_category]), [
        ['18c2f1a9e0b000abcd.001.DROP.1', 'dropped', 'spam'],
        ['18c2f1a9e0b000abcd.002.DROP.1', 'dropped', 'spam']
    ]);
});

test('DROP from the suppression list (already per recipient) keeps its seq', () => {
    let entry = { id: 'q2', seq: '004', action: 'DROP', reason: 'Recipient was found from suppression list', recipient: 'x@y.org', 'suppressed address': 'x@y.org' };
    let [event] = mapEntry(entry, ctx());
    assert.equal(event.event_id, 'q2.004.DROP.1');
    assert.equal(event.seq, '004');
    assert.equal(event.to_address, 'x@y.org');
    assert.equal(event.bounce_category, undefined);
});

test('DELETED → dropped; without seq the event_id uses 000', () => {
    let [withSeq] = mapEntry({ id: 'q3', seq: '002', action: 'DELETED', reason: 'Deletion requested from API' }, ctx());
    assert.equal(withSeq.event_id, 'q3.002.DELETED.1');
    assert.equal(withSeq.event_type, 'dropped');
    let [noSeq] = mapEntry({ id: 'q3', action: 'DELETED', reason: 'Not found from GridStore' }, ctx());
    assert.equal(noSeq.event_id, 'q3.000.DELETED.1');
    assert.equal(noSeq.seq, undefined);
});

test('ignored actions produce nothing', () => {
    for (let action of ['QUEUE_BOUNCE', 'QUEUE_POLL', 'SPAMCHECK', 'VIRUSCHECK', 'SOMETHING_NEW']) {
        assert.deepEqual(mapEntry({ id: 'q4', action }, ctx()), []);
    }
    assert.deepEqual(mapEntry(null, ctx()), []);
    assert.deepEqual(mapEntry({ action: 'QUEUED' }, ctx()), []);
});

// The keys lib/sender.js logs with ACCEPTED (3.10.18 adds the TLS keys).
const accepted = {
    id: '18c2f1a9e0b000abcd',
    seq: '001',
    action: 'ACCEPTED',
    zone: 'default',
    from: 'alice@example.net',
    returnPath: 'alice@example.net',
    to: 'bob@gmail.com',
    mx: 'gmail-smtp-in.l.google.com',
    host: '198.51.100.26',
    ip: '192.0.2.10',
    response: '250 2.0.0 OK 1732785243 q1si123 - gsmtp',
    size: 48213,
    timer: 812,
    start: 40,
    messageId: '<a1b2@example.net>',
    secure: true,
    tls: true,
    protocol: 'smtp',
    httpUrl: undefined,
    httpResponse: undefined
};

test('ACCEPTED → delivered with all sender fields (the EVENT_SCHEMA example)', () => {
    let [event] = mapEntry(accepted, ctx({ delivery: { time: NOW - 1840, deferredCount: 0 } }));
    assert.deepEqual(event, {
        event_id: '18c2f1a9e0b000abcd.001.ACCEPTED.1',
        event_type: 'delivered',
        direction: 'outbound',
        timestamp: NOW,
        mta_node: 'mta-02.example.net',
        queue_id: '18c2f1a9e0b000abcd',
        seq: '001',
        message_id: '<a1b2@example.net>',
        zone: 'default',
        from_address: 'alice@example.net',
        to_address: 'bob@gmail.com',
        local_ip: '192.0.2.10',
        remote_ip: '198.51.100.26',
        mx_host: 'gmail-smtp-in.l.google.com',
        smtp_code: 250,
        smtp_response: '250 2.0.0 OK 1732785243 q1si123 - gsmtp',
        message_size: 48213,
        delivery_time_ms: 1840,
        attempt: 1,
        tls: true
    });
});

test('attempt: DEFERRED uses defcount, ACCEPTED/REJECTED use cached deferral count + 1', () => {
    let [deferred] = mapEntry(Object.assign({}, accepted, { action: 'DEFERRED', category: 'greylist', defcount: 3, nextattempt: NOW + 1 }), ctx());
    assert.equal(deferred.attempt, 3);
    assert.equal(deferred.event_id, '18c2f1a9e0b000abcd.001.DEFERRED.3');
    assert.equal(deferred.bounce_category, 'greylist');
    let [later] = mapEntry(accepted, ctx({ delivery: { deferredCount: 3 } }));
    assert.equal(later.attempt, 4);
    assert.equal(later.event_id, '18c2f1a9e0b000abcd.001.ACCEPTED.4');
    let [unknown] = mapEntry(Object.assign({}, accepted, { action: 'REJECTED', category: 'Recipient' }), ctx());
    assert.equal(unknown.attempt, 1);
    assert.equal(unknown.event_type, 'bounced');
    assert.equal(unknown.bounce_category, 'recipient');
});

test('delivery_time_ms is omitted when the receive time is unknown', () => {
    let [event] = mapEntry(accepted, ctx());
    assert.equal('delivery_time_ms' in event, false);
});

test('3.10.3 entries without TLS keys fall back to what sender:connection cached; size falls back to bodySize', () => {
    let entry = Object.assign({}, accepted, { action: 'REJECTED', secure: undefined, tls: undefined, size: undefined, response: '550 5.1.1 User unknown' });
    let [event] = mapEntry(entry, ctx({ delivery: { tls: false, bodySize: 1234 } }));
    assert.equal(event.tls, false);
    assert.equal(event.message_size, 1234);
    assert.equal(event.smtp_code, 550);
});

test('fields that would violate the schema are left out rather than failing the event', () => {
    let entry = Object.assign({}, accepted, { host: 'not-an-ip', mx: 'm'.repeat(300), category: 'Some free text', response: 'Network error: timeout' });
    let [event] = mapEntry(entry, ctx());
    assert.equal(event.remote_ip, undefined);
    assert.equal(event.mx_host, undefined);
    assert.equal(event.bounce_category, undefined);
    assert.equal(event.smtp_code, undefined);
    assert.equal(event.smtp_response, 'Network error: timeout');
});

test('parseSmtpCode takes the leading 3 digits only when they are an SMTP code', () => {
    assert.equal(parseSmtpCode('451 4.7.1 Greylisted'), 451);
    assert.equal(parseSmtpCode('250-OK'), 250);
    assert.equal(parseSmtpCode('999 nope'), undefined);
    assert.equal(parseSmtpCode('12345'), undefined);
    assert.equal(parseSmtpCode(undefined), undefined);
});
