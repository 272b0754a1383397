'use strict';

// A real 60 s Mailflow outage under steady traffic, through ZoneMTA's own plugin loader: one plugin
// instance ships to a receiver that is shut down (connections refused), another to one that answers
// 503 with Retry-After. Both run in the same 60 s window. After recovery every event must arrive.

const test = require('node:test');
const assert = require('node:assert/strict');
const { startIngestServer, loadPlugin, PLUGIN_DIR } = require('./harness/zonemta');

const OUTAGE_MS = Number(process.env.MAILFLOW_OUTAGE_MS) || 60000;

function fireTick(handler, prefix, tick, perTick) {
    for (let i = 0; i < perTick; i++) {
        handler.remotelog(`${prefix}${tick}x${i}`, '001', 'DELETED', { reason: 'Deletion requested from API' });
    }
}

test(`a ${OUTAGE_MS / 1000} s outage with steady traffic loses nothing (connection refused, and 503 + Retry-After)`, { timeout: OUTAGE_MS + 60000 }, async t => {
    let plugin = require(PLUGIN_DIR);
    let unavailable = true;
    let refused = await startIngestServer();
    let busy = await startIngestServer(() => (unavailable ? { status: 503, headers: { 'Retry-After': '2' }, body: { error: 'event queue unavailable, retry later' } } : null));
    t.after(async () => {
        plugin._reset();
        await Promise.all([refused.close(), busy.close()]);
    });
    await refused.stop();
    // maxRetryDelay 2 s instead of the default 30 s only shortens the wait after recovery
    let config = { apiKey: 'k', node: 'outage', flushInterval: 200, retryDelay: 500, maxRetryDelay: 2000, heartbeatInterval: 30 };
    let handlerA = await loadPlugin('sender', Object.assign({ url: refused.url }, config));
    let handlerB = await loadPlugin('sender', Object.assign({ url: busy.url }, config));
    let [instanceA, instanceB] = plugin._instances();

    let started = Date.now();
    let ticks = 0;
    // steady traffic: 5 events per instance every 100 ms for the whole outage (and a bit after)
    let traffic = setInterval(() => {
        fireTick(handlerA, 'a', ticks, 5);
        fireTick(handlerB, 'b', ticks, 5);
        ticks++;
    }, 100);
    await new Promise(resolve => setTimeout(resolve, OUTAGE_MS)); // the outage itself: a duration, not a sync
    assert.equal(refused.events.length, 0);
    assert.equal(busy.events.length, 0);
    // Retry-After: 2 s is the minimum gap, so about one attempt per 2-4 s
    assert.ok(busy.requests.length >= OUTAGE_MS / 4000 && busy.requests.length <= OUTAGE_MS / 2000 + 1, `${busy.requests.length} attempts on the 503 receiver`);
    let during = [instanceA.stats(), instanceB.stats()];
    await refused.restart();
    unavailable = false;
    let outage = Date.now() - started;
    clearInterval(traffic);
    let expected = ticks * 5;

    // at-least-once: a batch may arrive twice (the server stores each event_id once), so count ids
    let unique = server => new Set(server.events.map(e => e.event_id)).size;
    await Promise.all([refused, busy].map(server => server.waitFor(() => unique(server) >= expected)));
    // the plugins have read the last 202s (resolves once nothing is buffered or in flight)
    await plugin._flushAll();
    for (let [server, prefix] of [[refused, 'a'], [busy, 'b']]) {
        let ids = new Set(server.events.map(e => e.queue_id));
        assert.equal(ids.size, expected, `${prefix}: every event arrived`);
        assert.ok(ids.has(`${prefix}0x0`) && ids.has(`${prefix}${ticks - 1}x4`));
    }
    for (let [index, stats] of [instanceA.stats(), instanceB.stats()].entries()) {
        assert.equal(stats.dropped, 0);
        assert.equal(stats.seen, expected);
        assert.ok(stats.sent >= expected, JSON.stringify(stats));
        assert.ok(during[index].failedAttempts >= 2 && during[index].buffered > (OUTAGE_MS / 1000) * 25, JSON.stringify(during[index]));
    }
    assert.ok(outage >= OUTAGE_MS, `outage lasted ${outage} ms`);
    t.diagnostic(`outage ${outage} ms, ${expected} events per receiver, recovered in ${Date.now() - started - outage} ms, ` +
        `duplicates ${refused.events.length - expected} / ${busy.events.length - expected}`);
});
