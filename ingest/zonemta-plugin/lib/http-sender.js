'use strict';

// Posts one batch of events to the Mailflow ingest API, with timeout and retries.
//
// Uses Node's global fetch (Node >= 18), so the plugin has no runtime dependencies. `deliverBatch`
// never throws: it resolves to an outcome object that the batcher turns into counters and log lines.
// Retries: network errors, timeouts, 5xx and 429 (honouring Retry-After); other 4xx are final because
// sending the same body again cannot succeed. The server deduplicates by event_id, so a batch that
// was stored but whose 202 got lost can safely be sent again (at-least-once delivery).

const USER_AGENT = 'mailflow-zonemta-plugin/' + require('../package.json').version;

// Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
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

function isRetryableStatus(status) {
    return status === 429 || status >= 500;
}

/**
 * One HTTP attempt. Resolves to {status, body, retryAfterMs} or {error} for network errors/timeouts.
 */
async function postOnce(events, options) {
    let controller = new AbortController();
    // The socket keeps the process alive while a request is pending, so this timer need not.
    let timer = setTimeout(() => controller.abort(), options.timeout);
    timer.unref();
    let headers = { 'Content-Type': 'application/json', 'User-Agent': USER_AGENT };
    if (options.apiKey) {
        headers.Authorization = 'Bearer ' + options.apiKey;
    }
    try {
        let res = await fetch(options.url, {
            method: 'POST',
            headers,
            body: JSON.stringify(events),
            signal: controller.signal
        });
        // reading the body is covered by the same timeout: a server may hang after the headers
        let text = await res.text();
        return { status: res.status, body: parseJson(text), retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
    } catch (err) {
        let message = controller.signal.aborted ? `timeout after ${options.timeout} ms` : describeError(err);
        return { error: message };
    } finally {
        clearTimeout(timer);
    }
}

// fetch() reports every network problem as "fetch failed"; the useful part is in err.cause.
function describeError(err) {
    let cause = err && err.cause;
    if (cause && (cause.code || cause.message)) {
        return [cause.code, cause.message].filter(Boolean).join(' ');
    }
    return (err && err.message) || String(err);
}

function sleep(ms) {
    // Not unref'd: a pending retry should keep a shutting-down process alive long enough to finish.
    return new Promise(resolve => setTimeout(resolve, ms));
}

function retryDelay(attempt, result, options) {
    if (result.retryAfterMs !== undefined) {
        return Math.min(result.retryAfterMs, options.maxRetryAfter);
    }
    // 1 s, 2 s, 4 s with the default retryDelay of 1000
    return options.retryDelay * 2 ** attempt;
}

function rejectedList(body) {
    return body && Array.isArray(body.rejected) ? body.rejected : [];
}

/**
 * Sends a batch, retrying as configured.
 * @param {object[]} events
 * @param {{url, apiKey, timeout, retries, retryDelay, maxRetryAfter}} options
 * @returns {Promise<{ok: boolean, status?: number, error?: string, message?: string, attempts: number, rejected: object[]}>}
 */
async function deliverBatch(events, options) {
    for (let attempt = 0; ; attempt++) {
        let result = await postOnce(events, options);
        let ok = result.status >= 200 && result.status < 300;
        let retryable = result.error !== undefined || isRetryableStatus(result.status);
        if (ok || !retryable || attempt >= options.retries) {
            return {
                ok,
                status: result.status,
                error: result.error,
                attempts: attempt + 1,
                // the API's {"error": "..."} text, e.g. "missing or invalid API key"
                message: result.body && typeof result.body.error === 'string' ? result.body.error.slice(0, 200) : undefined,
                rejected: rejectedList(result.body)
            };
        }
        await sleep(retryDelay(attempt, result, options));
    }
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

module.exports = { deliverBatch, postOnce, parseRetryAfter, summariseRejected };
