'use strict';

// Periodic liveness report of one plugin instance (one ZoneMTA process) to Mailflow.
//
// Body and endpoint follow the heartbeat contract v1 (POST /api/v1/events/heartbeat, same key as
// ingest). A heartbeat that fails is not retried and never spooled: the next interval sends fresh
// numbers anyway, and Mailflow marks a node silent only after three missed intervals.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { post, describeResult } = require('./http-post');

const PLUGIN_VERSION = require('../package.json').version;

// ZoneMTA does not tell plugins its version. The ZoneMTA that loaded this plugin is the one whose
// lib/plugins.js is in the module cache; failing that, an installed package of either name.
function findZoneMtaVersion() {
    for (let file of Object.keys(require.cache)) {
        let match = /^(.*)[/\\]lib[/\\]plugins\.js$/.exec(file);
        let version = match && zoneMtaVersionIn(match[1]);
        if (version) {
            return version;
        }
    }
    let paths = [process.cwd(), require.main && require.main.path].filter(Boolean);
    for (let name of ['@zone-eu/zone-mta', 'zone-mta']) {
        try {
            return zoneMtaVersionIn(path.dirname(require.resolve(`${name}/package.json`, { paths })));
        } catch (err) {
            // not installed under that name
        }
    }
    return undefined;
}

function zoneMtaVersionIn(dir) {
    try {
        let pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        return ['zone-mta', '@zone-eu/zone-mta'].includes(pkg.name) ? String(pkg.version).slice(0, 32) : undefined;
    } catch (err) {
        return undefined;
    }
}

class Heartbeat {
    /**
     * @param {object} options parseConfig() output (heartbeatUrl, heartbeatInterval, apiKey, timeout, node)
     * @param {() => object} readCounters {seen, sent, rejected, dropped, buffered, spooled, spool_bytes,
     *   last_error, last_error_at}
     * @param {{startedAt?: number, zonemtaVersion?: string}} [identity]
     */
    constructor(options, readCounters, identity = {}) {
        this.options = options;
        this.readCounters = readCounters;
        this.startedAt = identity.startedAt || Date.now();
        this.processId = `${os.hostname()}:${process.pid}:${this.startedAt}`.slice(0, 128);
        this.zonemtaVersion = identity.zonemtaVersion || findZoneMtaVersion();
        this.timer = null;
        this.lastResult = null;
    }

    /** The contract body, built now. */
    body() {
        let body = {
            mta_node: this.options.node,
            process_id: this.processId,
            pid: process.pid,
            started_at: this.startedAt,
            sent_at: Date.now(),
            interval_seconds: this.options.heartbeatInterval,
            plugin_version: PLUGIN_VERSION,
            node_version: process.version.slice(0, 32)
        };
        if (this.zonemtaVersion) {
            body.zonemta_version = this.zonemtaVersion;
        }
        return Object.assign(body, this.readCounters());
    }

    /** Sends one heartbeat; resolves with the outcome, never rejects. */
    async send() {
        let result = await post(this.options.heartbeatUrl, JSON.stringify(this.body()), this.options);
        this.lastResult = result.status === 202 ? null : describeResult(result);
        return result;
    }

    start() {
        // unref'd: a heartbeat must never keep a stopping ZoneMTA process alive
        this.timer = setInterval(() => this.send(), this.options.heartbeatInterval * 1000);
        this.timer.unref();
    }

    stop() {
        clearInterval(this.timer);
        this.timer = null;
    }
}

module.exports = { Heartbeat, findZoneMtaVersion, PLUGIN_VERSION };
