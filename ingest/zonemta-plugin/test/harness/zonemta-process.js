#!/usr/bin/env node
'use strict';

// A stand-in ZoneMTA process for tests that need a real process to stop and start: loads the plugin
// through ZoneMTA's loader with the JSON config given as argv[2], handles SIGTERM the way ZoneMTA's
// app.js does (process.exit()), logs `count` DELETED entries named `<prefix><n>` (argv[3..4]) and
// prints the plugin's stats as one JSON line every 50 ms. With NO_FETCH=1 it first deletes the global
// fetch, as on Node 16.

if (process.env.NODE_TEST_CONTEXT && process.argv.length <= 2) {
    require('node:test').test('zonemta-process.js (run by spool.test.js)', { skip: true }, () => {});
} else {
    run();
}

function run() {
    if (process.env.NO_FETCH === '1') {
        delete globalThis.fetch;
    }
    let config = JSON.parse(process.argv[2]);
    let prefix = process.argv[3] || 'p';
    let count = Number(process.argv[4]) || 0;
    process.argv.splice(2); // wild-config would merge our arguments into ZoneMTA's config
    let harness = require('./zonemta');
    let plugin = require(harness.PLUGIN_DIR);
    process.on('SIGTERM', () => process.exit(0));
    harness.loadPlugin('sender', config).then(handler => {
        for (let i = 0; i < count; i++) {
            handler.remotelog(`${prefix}${i}`, '001', 'DELETED', { reason: 'Deletion requested from API' });
        }
        let report = () => process.stdout.write(JSON.stringify(Object.assign({ fetch: typeof globalThis.fetch }, plugin._stats()[0])) + '\n');
        setInterval(report, 50);
    });
}
