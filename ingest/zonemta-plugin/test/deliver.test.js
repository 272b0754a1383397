'use strict';

// The integration harness CLI (test/harness/deliver.js), run as a child process the way the Python
// integration test runs it, against a local stand-in for the ingest API.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { execFile } = require('child_process');
const { startIngestServer } = require('./harness/zonemta');

const SCRIPT = path.join(__dirname, 'harness', 'deliver.js');

function runCli(args) {
    let env = Object.assign({}, process.env);
    delete env.NODE_TEST_CONTEXT;
    return new Promise(resolve => {
        execFile(process.execPath, [SCRIPT, ...args], { env, timeout: 30000 }, (err, stdout, stderr) => {
            resolve({ code: err ? err.code : 0, stdout, stderr });
        });
    });
}

test('deliver.js prints a JSON summary matching what the ingest API received', async t => {
    let ingest = await startIngestServer();
    t.after(() => ingest.close());
    let { code, stdout, stderr } = await runCli(['--url', ingest.url, '--key', 'secret-key', '--node', 'harness-node', '--count', '3']);
    assert.equal(code, 0, stderr);
    let summary = JSON.parse(stdout);
    assert.deepEqual(Object.keys(summary), [
        'ok', 'node', 'url', 'messages', 'events_sent', 'events_lost', 'events_rejected',
        'counts', 'expected_counts', 'event_ids', 'rejected', 'failures'
    ]);
    assert.equal(summary.ok, true);
    assert.equal(summary.events_sent, 24);
    assert.deepEqual(summary.counts, { received: 12, delivered: 6, deferred: 3, bounced: 3 });
    assert.deepEqual(summary.counts, summary.expected_counts);
    assert.deepEqual(summary.messages.map(m => m.message_size), [1000, 1100, 1200]);
    assert.deepEqual(summary.event_ids, ingest.events.map(e => e.event_id).sort());
    assert.ok(ingest.requests.every(r => r.headers.authorization === 'Bearer secret-key'));
    assert.ok(ingest.events.every(e => e.mta_node === 'harness-node'));
    let received = ingest.events.filter(e => e.event_type === 'received' && e.queue_id === summary.messages[1].queue_id);
    assert.deepEqual(received.map(e => [e.seq, e.message_size]), [['001', 1100], ['002', 1100], ['003', 1100], ['004', 1100]]);
});

test('deliver.js exits 1 with ok=false when the ingest API refuses the events', async t => {
    let ingest = await startIngestServer(() => ({ status: 401, body: { error: 'bad key' } }));
    t.after(() => ingest.close());
    let { code, stdout } = await runCli(['--url', ingest.url, '--key', 'wrong', '--node', 'n', '--count', '1', '--wait', '1000']);
    assert.equal(code, 1);
    let summary = JSON.parse(stdout);
    assert.equal(summary.ok, false);
    assert.equal(summary.events_sent, 0);
    assert.equal(summary.events_lost, 8);
    assert.ok(summary.failures.every(f => f.status === 401));
});

test('deliver.js exits 2 with usage on bad arguments', async () => {
    let { code, stderr } = await runCli(['--url', 'http://127.0.0.1:1/x']);
    assert.equal(code, 2);
    assert.match(stderr, /--url, --key and --node are required/);
    assert.match(stderr, /usage:/);
});
