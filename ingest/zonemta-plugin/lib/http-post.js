'use strict';

// One HTTP POST of a JSON body to Mailflow, with Node's own http/https modules.
//
// No global fetch: ZoneMTA 3.10 runs on Node >= 16, where fetch is missing or experimental. Keep-alive
// agents reuse the connection between batches. `post` never throws or rejects: it resolves to
// {status, body, retryAfterMs} or {error} (network error, timeout), and `classify` turns that into
// what the shipper does next. Retrying is the shipper's job, not this module's.

const http = require('http');
const https = require('https');

const USER_AGENT = 'mailflow-zonemta-plugin/' + require('../package.json').version;
// Bodies we read back are small JSON answers; anything bigger is not from Mailflow.
const MAX_RESPONSE_BYTES = 1024 * 1024;

const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 })
};

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3); returns ms or undefined. */
function parseRetryAfter(value, now = Date.now()) {
    if (!value) {
        return undefined;
    }
    let text = String(value).trim();
    if (/^\d+$/.test(text)) {
        return Number(text) * 1000;
    }
    let date = Date.parse(text);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function parseJson(text) {
    try {
        return JSON.parse(text);
    } catch (err) {
        return undefined;
    }
}

/**
 * POSTs `body` (a JSON string or Buffer) to `url`.
 * @param {string} url
 * @param {string|Buffer} body
 * @param {{apiKey?: string, timeout: number}} options timeout covers connect, response and body
 * @returns {Promise<{status?: number, body?: any, retryAfterMs?: number, error?: string}>}
 */
function post(url, body, options) {
    return new Promise(resolve => {
        let target = new URL(url);
        let transport = target.protocol === 'https:' ? https : http;
        let headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'User-Agent': USER_AGENT };
        if (options.apiKey) {
            headers.Authorization = 'Bearer ' + options.apiKey;
        }
        let done = false;
        let finish = result => {
            if (!done) {
                done = true;
                clearTimeout(timer);
                resolve(result);
            }
        };
        let req = transport.request(target, { method: 'POST', headers, agent: agents[target.protocol] }, res => {
            let chunks = [];
            let size = 0;
            res.on('data', chunk => {
                size += chunk.length;
                if (size <= MAX_RESPONSE_BYTES) {
                    chunks.push(chunk);
                }
            });
            res.on('end', () => {
                finish({
                    status: res.statusCode,
                    body: parseJson(Buffer.concat(chunks).toString()),
                    retryAfterMs: parseRetryAfter(res.headers['retry-after'])
                });
            });
            res.on('error', err => finish({ error: describeError(err) }));
        });
        // one timer for the whole exchange: a server may accept the connection and then hang
        let timer = setTimeout(() => {
            finish({ error: `timeout after ${options.timeout} ms` });
            req.destroy();
        }, options.timeout);
        req.on('error', err => finish({ error: describeError(err) }));
        req.end(body);
    });
}

function describeError(err) {
    return [err && err.code, err && err.message].filter(Boolean).join(' ') || String(err);
}

/**
 * What to do with the answer to a batch:
 * - 'ok': 2xx — acknowledged (per-event rejections in the body are final);
 * - 'invalid': 400 — Mailflow refused the events as invalid; resending the same body cannot help;
 * - 'too-large': 413 — split the batch and retry the halves;
 * - 'config': 401/403/404/other 4xx — misconfiguration (key, URL): keep the events, retry slowly;
 * - 'retry': network error, timeout, 429, 5xx — keep the events, retry with backoff.
 */
function classify(result) {
    let status = result.status;
    if (result.error !== undefined || status === 429 || status >= 500) {
        return 'retry';
    }
    if (status >= 200 && status < 300) {
        return 'ok';
    }
    if (status === 400) {
        return 'invalid';
    }
    if (status === 413) {
        return 'too-large';
    }
    return 'config';
}

function rejectedList(body) {
    return body && Array.isArray(body.rejected) ? body.rejected : [];
}

/** "HTTP 401: missing or invalid API key", or the network error text. */
function describeResult(result) {
    if (result.error !== undefined) {
        return result.error;
    }
    let message = result.body && typeof result.body.error === 'string' ? result.body.error.slice(0, 200) : '';
    return `HTTP ${result.status}` + (message ? `: ${message}` : '');
}

/**
 * "3 of 10 events rejected: timestamp: in the future (2), to_address: invalid (1)"; at most 5 reasons.
 */
function summariseRejected(rejected, total) {
    let counts = new Map();
    for (let item of rejected) {
        let errors = item && Array.isArray(item.errors) && item.errors.length ? item.errors : [{}];
        for (let error of errors) {
            let key = `${(error && error.field) || '?'}: ${(error && error.reason) || 'invalid'}`;
            counts.set(key, (counts.get(key) || 0) + 1);
        }
    }
    let reasons = [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([key, count]) => `${key} (${count})`);
    let more = counts.size > 5 ? `, and ${counts.size - 5} more reasons` : '';
    return `${rejected.length} of ${total} events rejected: ${reasons.join(', ')}${more}`;
}

module.exports = { post, classify, parseRetryAfter, rejectedList, describeResult, summariseRejected, USER_AGENT };
