'use strict';

// The on-disk spool across process restarts, and the plugin in a runtime without global fetch. Each
// "ZoneMTA process" is a real child process (test/harness/zonemta-process.js) loading the plugin
// through ZoneMTA's loader; it is stopped with SIGTERM, which ZoneMTA answers with process.exit().

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { startIngestServer, loadPlugin, PLUGIN_DIR } = require('./harness/zonemta');

const SCRIPT = path.join(__dirname, 'harness', 'zonemta-process.js');

// Starts a child process; `latest` holds its last stats line, `until(cond)` polls it.
function startProcess(t, config, prefix, count, env = {}) {
    let childEnv = Object.assign({}, process.env, env);
    delete childEnv.NODE_TEST_CONTEXT;
    let child = spawn(process.execPath, [SCRIPT, JSON.stringify(config), prefix, String(count)], { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    let state = { child, latest: null, waiters: [] };
    let rest = '';
    child.stdout.on('data', chunk => {
        let lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (let line of lines) {
            state.latest = JSON.parse(line);
        }
        state.waiters = state.waiters.filter(w => !(w.cond(state.latest) && (w.resolve(state.latest), true)));
    });
    state.until = cond => new Promise(resolve => (state.latest && cond(state.latest) ? resolve(state.latest) : state.waiters.push({ cond, resolve })));
    state.stop = () => new Promise(resolve => (child.exitCode !== null ? resolve(child.exitCode) : (child.once('exit', code => resolve(code)), child.kill('SIGTERM'))));
    t.after(() => child.exitCode === null && child.kill('SIGKILL'));
    return state;
}

function tempDir(t) {
    let dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailflow-spool-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}

function uniqueIds(server) {
    return new Set(server.events.map(e => e.event_id));
}

test('a ZoneMTA restart in the middle of an outage loses nothing with the spool', { timeout: 60000 }, async t => {
    let ingest = await startIngestServer();
    t.after(() => ingest.close());
    await ingest.stop();
    let spoolPath = tempDir(t);
    let config = { url: ingest.url, apiKey: 'k', node: 'spool', spoolPath, batchSize: 50, flushInterval: 100, retryDelay: 50, maxRetryDelay: 300 };

    let first = startProcess(t, config, 'r', 500);
    let before = await first.until(s => s.seen === 500 && s.failedAttempts >= 2);
    assert.equal(before.spooled + before.buffered, 500);
    assert.equal(await first.stop(), 0);
    let files = fs.readdirSync(spoolPath);
    assert.ok(files.length >= 1 && files.every(f => f.startsWith(`mailflow-${first.child.pid}-`)), files.join(','));

    // the restarted process (new pid) adopts the old files, keeps its own events, and ships all once back
    let second = startProcess(t, config, 's', 300);
    await second.until(s => s.seen === 300 && s.spooled >= 500);
    await ingest.restart();
    await ingest.waitFor(() => uniqueIds(ingest).size >= 800);
    let after = await second.until(s => s.spooled === 0 && s.buffered === 0 && s.sent >= 800);
    assert.equal(after.dropped, 0);
    let ids = uniqueIds(ingest);
    for (let i of [0, 499]) {
        assert.ok(ids.has(`r${i}.001.DELETED.1`) && ids.has(`s${i % 300}.001.DELETED.1`));
    }
    // acknowledged files are deleted
    await second.until(() => fs.readdirSync(spoolPath).length === 0);
    assert.equal(await second.stop(), 0);
});

test('spool full and buffer full: the overflow is dropped and counted, memory and disk stay bounded', async t => {
    let plugin = require(PLUGIN_DIR);
    let ingest = await startIngestServer();
    t.after(async () => {
        plugin._reset();
        await ingest.close();
    });
    await ingest.stop();
    let spoolPath = tempDir(t);
    let handler = await loadPlugin('sender', { url: ingest.url, spoolPath, spoolMaxBytes: 65536, maxBuffer: 100, batchSize: 100, flushInterval: 20, retryDelay: 1000 });
    let instance = plugin._instances().at(-1);
    for (let i = 0; i < 2000; i++) {
        handler.remotelog(`o${i}`, '001', 'DELETED', { reason: 'Deletion requested from API' });
    }
    await new Promise(resolve => setImmediate(resolve));
    await instance.spool.flushed();
    let stats = instance.stats();
    let onDisk = fs.readdirSync(spoolPath).reduce((sum, f) => sum + fs.statSync(path.join(spoolPath, f)).size, 0);
    assert.equal(stats.seen, 2000);
    assert.ok(stats.spool_bytes <= 65536 && onDisk === stats.spool_bytes, `${stats.spool_bytes} accounted, ${onDisk} on disk`);
    assert.ok(stats.buffered <= 100);
    assert.ok(stats.dropped > 0);
    assert.equal(stats.dropped + stats.spooled + stats.buffered, 2000);
});

test('without a global fetch (Node 16) the plugin still ships events', async t => {
    let ingest = await startIngestServer();
    t.after(() => ingest.close());
    let proc = startProcess(t, { url: ingest.url, apiKey: 'k', node: 'nofetch', flushInterval: 20 }, 'n', 10, { NO_FETCH: '1' });
    let stats = await proc.until(s => s.sent === 10);
    assert.equal(stats.fetch, 'undefined');
    assert.equal(uniqueIds(ingest).size, 10);
    assert.equal(ingest.requests[0].headers.authorization, 'Bearer k');
    await proc.stop();
});
