#!/usr/bin/env node
'use strict';

// End-to-end event generator for integration tests against a real Mailflow ingest endpoint.
//
//   node test/harness/deliver.js --url <ingestUrl> --key <apiKey> --node <name> [--count N] [--wait MS]
//
// Loads the plugin through ZoneMTA's loader (once as a "receiver" and once as a "sender", as two ZoneMTA
// processes would), logs QUEUED for N messages, delivers their recipients with ZoneMTA's real sender to
// a local SMTP sink (ok@ → 250, defer@ → 451 greylist, bad@ → 550 user unknown), waits until Mailflow
// acknowledged every event (at most --wait ms, default 20000; the plugin keeps retrying failures), and prints one JSON summary on stdout. Exit code 0 only if no event was lost or
// rejected. ZoneMTA's own logging is silenced (ZONEMTA_LOG_LEVEL=info to see it, on stderr).

const USAGE = 'usage: node test/harness/deliver.js --url <ingestUrl> --key <apiKey> --node <name> [--count N] [--wait MS]';

// Recipients of every message, in envelope order (seq 001..004), and what the sink answers.
const RECIPIENTS = ['ok@example.com', 'ok@example.org', 'defer@example.org', 'bad@example.com'];
const EXPECTED_PER_MESSAGE = { received: 4, delivered: 2, deferred: 1, bounced: 1 };

const FLAGS = { '--url': 'url', '--key': 'key', '--node': 'node', '--count': 'count', '--wait': 'wait' };

function parseArgs(argv) {
    let args = { count: 3, wait: 20000 };
    for (let i = 0; i < argv.length; i++) {
        let arg = argv[i];
        let eq = arg.indexOf('=');
        let flag = eq > 0 ? arg.slice(0, eq) : arg;
        let value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
        let name = FLAGS[flag];
        if (!name) {
            throw new Error(`unknown argument "${arg}"`);
        }
        if (value === undefined) {
            throw new Error(`missing value for ${flag}`);
        }
        args[name] = name === 'count' || name === 'wait' ? Number(value) : value;
    }
    if (!args.url || !args.key || !args.node) {
        throw new Error('--url, --key and --node are required');
    }
    if (!Number.isInteger(args.count) || args.count < 1 || args.count > 1000) {
        throw new Error('--count must be an integer between 1 and 1000');
    }
    if (!Number.isInteger(args.wait) || args.wait < 0) {
        throw new Error('--wait must be a number of milliseconds');
    }
    return args;
}

// Message i has a body of a known, distinct size so message_size can be checked downstream.
function messageBody(i) {
    let size = 1000 + i * 100;
    let line = 'harness body line\r\n';
    return line.repeat(Math.ceil(size / line.length)).slice(0, size - 2) + '\r\n';
}

function buildMessages(count, queueId) {
    let messages = [];
    for (let i = 0; i < count; i++) {
        let body = messageBody(i);
        messages.push({ id: queueId(), from: `sender${i}@example.net`, body, size: Buffer.byteLength(body), time: Date.now() });
    }
    return messages;
}

function deliverySpecs(messages) {
    let specs = [];
    for (let message of messages) {
        RECIPIENTS.forEach((to, index) => {
            let seq = (index + 1).toString(16).padStart(3, '0');
            specs.push({ id: message.id, seq, from: message.from, to, body: message.body, time: message.time });
        });
    }
    return specs;
}

// Records what the ingest API accepted, per event, from the plugin's own batch outcomes.
function recordBatches(plugin) {
    let record = { sentIds: [], rejected: [], failures: [] };
    for (let instance of plugin._instances()) {
        instance.on('batch', ({ events, result, kind }) => {
            if (kind !== 'ok') {
                record.failures.push({ events: events.length, status: result.status || null, error: result.error || null });
                return;
            }
            let rejectedList = (result.body && result.body.rejected) || [];
            let rejectedIndexes = new Set(rejectedList.map(item => item && item.index));
            events.forEach((event, index) => {
                if (rejectedIndexes.has(index)) {
                    record.rejected.push({ event_id: event.event_id, errors: rejectedList.find(r => r.index === index).errors || [] });
                } else {
                    record.sentIds.push(event.event_id);
                }
            });
        });
    }
    return record;
}

function countTypes(eventIds) {
    let byAction = { QUEUED: 'received', ACCEPTED: 'delivered', DEFERRED: 'deferred', REJECTED: 'bounced' };
    let counts = { received: 0, delivered: 0, deferred: 0, bounced: 0 };
    for (let id of eventIds) {
        counts[byAction[id.split('.')[2]]]++;
    }
    return counts;
}

async function main() {
    let args = parseArgs(process.argv.slice(2));
    // wild-config (ZoneMTA's config loader) would merge our flags into ZoneMTA's config
    process.argv.splice(2);
    let harness = require('./zonemta');
    let plugin = require(harness.PLUGIN_DIR);
    let pluginConfig = { url: args.url, apiKey: args.key, node: args.node, retryDelay: 200, maxRetryDelay: 2000 };

    let sink = await harness.startSmtpSink();
    let receiver = await harness.loadPlugin('receiver', pluginConfig);
    // loaded last, so ZoneMTA's sender code (which uses the current plugin handler) runs its hooks
    await harness.loadPlugin('sender', pluginConfig);
    let record = recordBatches(plugin);

    let messages = buildMessages(args.count, harness.queueId);
    for (let message of messages) {
        harness.fireQueued(receiver, { id: message.id, from: message.from, to: RECIPIENTS, size: message.size });
    }
    // several sender connections in parallel, as a ZoneMTA zone with connections > 1 would run them
    await harness.runSender(deliverySpecs(messages), sink.port, { connections: 4 });
    let stats = await plugin._flushAll(args.wait);
    await sink.close();

    let expected = {};
    for (let [type, perMessage] of Object.entries(EXPECTED_PER_MESSAGE)) {
        expected[type] = perMessage * args.count;
    }
    let eventIds = record.sentIds.slice().sort();
    // not acknowledged by Mailflow (still waiting, or dropped)
    let lost = stats.reduce((sum, s) => sum + s.seen - s.sent, 0);
    let summary = {
        ok: lost === 0 && record.rejected.length === 0 && eventIds.length === Object.values(expected).reduce((a, b) => a + b, 0),
        node: args.node,
        url: args.url,
        messages: messages.map(m => ({ queue_id: m.id, from: m.from, recipients: RECIPIENTS, message_size: m.size })),
        events_sent: eventIds.length,
        events_lost: lost,
        events_rejected: record.rejected.length,
        counts: countTypes(eventIds),
        expected_counts: expected,
        event_ids: eventIds,
        rejected: record.rejected,
        failures: record.failures
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return summary.ok ? 0 : 1;
}

function run() {
    main().then(
        code => process.exit(code),
        err => {
            process.stderr.write(`deliver.js: ${err.message}\n${USAGE}\n`);
            process.exit(2);
        }
    );
}

// `node --test test/` also executes every .js file under test/, this CLI included; without arguments
// it then reports itself as skipped (test/deliver.test.js runs it for real).
if (process.env.NODE_TEST_CONTEXT && process.argv.length <= 2) {
    require('node:test').test('deliver.js CLI (exercised by deliver.test.js)', { skip: true }, () => {});
} else {
    run();
}
