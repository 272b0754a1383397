#!/usr/bin/env node
'use strict';

// `npm test`: the whole plugin suite once per ZoneMTA release, both at the same time (most of the
// time is the 60 s outage test, which waits rather than computes). ZONEMTA_PACKAGE tells the test
// harness which installed package to load: `zone-mta` is 3.10.3, `zone-mta-latest` the npm alias of
// the newest @zone-eu/zone-mta 3.10.x that installs from npm (see package.json). Extra arguments are
// passed to `node --test` (e.g. a single test file).

const path = require('path');
const { spawn } = require('child_process');

const PACKAGES = (process.env.ZONEMTA_PACKAGES || 'zone-mta,zone-mta-latest').split(',');
const ROOT = path.resolve(__dirname, '..');
const files = process.argv.slice(2).length ? process.argv.slice(2) : ['test/'];

function run(pkg) {
    let version = require(path.join(ROOT, 'node_modules', pkg, 'package.json')).version;
    let env = Object.assign({}, process.env, { ZONEMTA_PACKAGE: pkg });
    return new Promise(resolve => {
        let output = [];
        let child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], { cwd: ROOT, env });
        child.stdout.on('data', chunk => output.push(chunk));
        child.stderr.on('data', chunk => output.push(chunk));
        child.on('close', code => resolve({ pkg, version, code, output: Buffer.concat(output).toString() }));
    });
}

Promise.all(PACKAGES.map(run)).then(results => {
    for (let { pkg, version, code, output } of results) {
        process.stdout.write(`\n===== ZoneMTA ${version} (${pkg}): ${code === 0 ? 'passed' : 'FAILED'} =====\n${output}`);
    }
    process.exit(results.every(r => r.code === 0) ? 0 : 1);
});
