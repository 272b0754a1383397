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
    retries: 3,
    retryDelay: 1000,
    maxRetryAfter: 60000,
    concurrency: 2,
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
    ['retries', 0, 100],
    ['retryDelay', 0, 10 * 60 * 1000],
    ['maxRetryAfter', 0, 24 * 3600 * 1000],
    ['concurrency', 1, 100],
    ['cacheSize', 1, 10000000],
    ['cacheTTL', 1, 7 * 24 * 3600 * 1000],
    ['logInterval', 0, 24 * 3600 * 1000]
];

function validateUrl(value, errors) {
    if (typeof value !== 'string' || !value.trim()) {
        errors.push('"url" is required (e.g. http://dash:8050/api/v1/events/ingest)');
        return null;
    }
    let parsed;
    try {
        parsed = new URL(value.trim());
    } catch (err) {
        errors.push(`"url" is not a valid URL: ${value}`);
        return null;
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) {
        errors.push(`"url" must be http:// or https://, got ${parsed.protocol}`);
        return null;
    }
    return parsed.toString();
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
    return { options, errors, warnings };
}

module.exports = { parseConfig, DEFAULTS, MAX_BATCH_SIZE };
