'use strict';

// Config validation for the Mailflow ZoneMTA plugin.
//
// ZoneMTA hands the plugin its whole `[plugins."..."]` TOML table as `app.config`. This module turns
// that object into a normalised options object with defaults, and collects human-readable errors so
// that init() can log them and disable itself instead of stopping ZoneMTA from starting.

const os = require('os');

const DEFAULTS = {
    batchSize: 100,
    flushInterval: 1000,
    maxBuffer: 10000,
    timeout: 5000,
    retryDelay: 500,
    maxRetryDelay: 30000,
    maxRetryAfter: 60000,
    spoolMaxBytes: 100 * 1024 * 1024,
    heartbeatInterval: 15,
    cacheSize: 10000,
    cacheTTL: 60 * 60 * 1000,
    logInterval: 10000
};

// The ingest API accepts at most 1000 events per request, so larger batches could never succeed.
const MAX_BATCH_SIZE = 1000;

// Integer options: [name, minimum, maximum].
const INTEGER_OPTIONS = [
    ['batchSize', 1, MAX_BATCH_SIZE],
    ['flushInterval', 1, 3600 * 1000],
    ['maxBuffer', 1, 10000000],
    ['timeout', 1, 10 * 60 * 1000],
    ['retryDelay', 1, 10 * 60 * 1000],
    ['maxRetryDelay', 1, 60 * 60 * 1000],
    ['maxRetryAfter', 0, 24 * 3600 * 1000],
    ['spoolMaxBytes', 64 * 1024, Number.MAX_SAFE_INTEGER],
    // the heartbeat contract: a node is silent after 3 missed intervals, and plugins report every <= 30 s
    ['heartbeatInterval', 1, 30],
    ['cacheSize', 1, 10000000],
    ['cacheTTL', 1, 7 * 24 * 3600 * 1000],
    ['logInterval', 0, 24 * 3600 * 1000]
];

// Options of earlier versions that no longer do anything: say so instead of silently ignoring them.
const RETIRED = {
    retries: 'retryable failures are now retried until Mailflow accepts the batch',
    concurrency: 'one request is in flight at a time'
};

function validateUrl(value, errors, name = 'url') {
    if (typeof value !== 'string' || !value.trim()) {
        errors.push(`"${name}" is required (e.g. http://dash:8050/api/v1/events/ingest)`);
        return null;
    }
    let parsed;
    try {
        parsed = new URL(value.trim());
    } catch (err) {
        errors.push(`"${name}" is not a valid URL: ${value}`);
        return null;
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) {
        errors.push(`"${name}" must be http:// or https://, got ${parsed.protocol}`);
        return null;
    }
    return parsed.toString();
}

// The heartbeat endpoint sits next to the ingest endpoint unless configured explicitly.
function readHeartbeatUrl(raw, url, errors) {
    if (raw.heartbeatUrl !== undefined && raw.heartbeatUrl !== null && raw.heartbeatUrl !== '') {
        return validateUrl(raw.heartbeatUrl, errors, 'heartbeatUrl');
    }
    return url ? new URL('/api/v1/events/heartbeat', new URL(url).origin).toString() : null;
}

// A relative spool path would depend on the directory ZoneMTA happens to be started from.
function readSpoolPath(raw, errors, warnings) {
    let value = readOptionalString(raw, 'spoolPath', warnings);
    if (value && !require('path').isAbsolute(value)) {
        errors.push(`"spoolPath" must be an absolute directory path, got ${JSON.stringify(value)}`);
        return null;
    }
    return value;
}

// Missing → default; present but not an integer in range → warning and default: a typo in a tuning
// knob should be visible in the log but must not stop the plugin from shipping events.
function readInteger(raw, name, min, max, warnings) {
    let value = raw[name];
    if (value === undefined || value === null || value === '') {
        return DEFAULTS[name];
    }
    let num = Number(value);
    if (!Number.isInteger(num) || num < min || num > max) {
        warnings.push(`"${name}" must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}; using ${DEFAULTS[name]}`);
        return DEFAULTS[name];
    }
    return num;
}

function readOptionalString(raw, name, warnings) {
    let value = raw[name];
    if (value === undefined || value === null || value === '') {
        return null;
    }
    if (typeof value !== 'string') {
        warnings.push(`"${name}" must be a string; ignored`);
        return null;
    }
    return value.trim() || null;
}

function readNode(raw, warnings) {
    let node = readOptionalString(raw, 'node', warnings);
    if (node && node.length > 255) {
        warnings.push('"node" is longer than 255 characters; using the hostname');
        node = null;
    }
    return node || os.hostname().slice(0, 255);
}

/**
 * @param {object} raw app.config as given by ZoneMTA
 * @returns {{options: object, errors: string[], warnings: string[]}} errors disable the plugin,
 *   warnings only get logged
 */
function parseConfig(raw) {
    raw = raw && typeof raw === 'object' ? raw : {};
    let errors = [];
    let warnings = [];
    let options = {
        url: validateUrl(raw.url, errors),
        apiKey: readOptionalString(raw, 'apiKey', warnings),
        node: readNode(raw, warnings)
    };
    for (let [name, min, max] of INTEGER_OPTIONS) {
        options[name] = readInteger(raw, name, min, max, warnings);
    }
    options.heartbeatUrl = readHeartbeatUrl(raw, options.url, errors);
    options.spoolPath = readSpoolPath(raw, errors, warnings);
    for (let [name, why] of Object.entries(RETIRED)) {
        if (raw[name] !== undefined) {
            warnings.push(`"${name}" is no longer used (${why}); ignored`);
        }
    }
    return { options, errors, warnings };
}

module.exports = { parseConfig, DEFAULTS, MAX_BATCH_SIZE };
