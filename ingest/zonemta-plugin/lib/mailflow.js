'use strict';

// One running instance of the plugin (one per ZoneMTA process that loads it).
//
// Wires the pieces together: hook payloads → per-delivery cache → mapping → batcher → HTTP sender,
// and keeps the counters behind `_stats()`. Every public handler is synchronous and cheap; the only
// asynchronous work is the batch sending, which no hook waits for.

const EventEmitter = require('events');
const BoundedCache = require('./bounded-cache');
const Batcher = require('./batcher');
const RateLimitedCounter = require('./rate-limited-log');
const { mapEntry } = require('./mapping');
const { deliverBatch, summariseRejected } = require('./http-sender');

const LOG_PREFIX = 'Mailflow';
const DELIVERY_OUTCOMES = new Set(['ACCEPTED', 'DEFERRED', 'REJECTED']);

// ZoneMTA stores epoch ms, but msgpack between processes turns Dates into strings, so accept both.
function toEpochMs(value) {
    if (typeof value === 'number') {
        return Number.isFinite(value) ? value : undefined;
    }
    let ms = value instanceof Date ? value.getTime() : Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
}

function deliveryKey(id, seq) {
    return `${id}.${seq}`;
}

// npmlog-style logger (`logger.warn(prefix, format, ...args)`); logging must never break a hook.
function makeLog(logger) {
    let write = level => (format, ...args) => {
        try {
            let fn = logger && typeof logger[level] === 'function' ? logger[level] : null;
            if (fn) {
                fn.call(logger, LOG_PREFIX, format, ...args);
            }
        } catch (err) {
            // nowhere left to report it
        }
    };
    return { info: write('info'), warn: write('warn'), error: write('error') };
}

class Mailflow extends EventEmitter {
    /**
     * @param {object} options output of parseConfig()
     * @param {object} logger ZoneMTA's app.logger (npmlog)
     */
    constructor(options, logger) {
        super();
        this.options = options;
        this.log = makeLog(logger);
        this.deliveries = new BoundedCache({ maxSize: options.cacheSize, ttl: options.cacheTTL });
        this.spamScores = new BoundedCache({ maxSize: options.cacheSize, ttl: options.cacheTTL });
        this.counters = { sent: 0, rejectedByServer: 0, lost: 0, failedBatches: 0, hookErrors: 0 };
        this.lastError = null;
        this.overflowLog = new RateLimitedCounter(options.logInterval, count =>
            this.log.warn('buffer full (maxBuffer=%s): dropped %s oldest events', options.maxBuffer, count)
        );
        this.hookErrorLog = new RateLimitedCounter(options.logInterval, count =>
            this.log.error('%s hook call(s) failed, last error: %s', count, this.lastHookError)
        );
        this.batcher = new Batcher(options, batch => this.sendBatch(batch), {
            onDrop: count => this.overflowLog.add(count)
        });
    }

    // Runs fn and swallows any error: a throw inside a sender:* hook would defer the mail.
    guard(fn) {
        try {
            fn();
        } catch (err) {
            this.counters.hookErrors++;
            this.lastHookError = (err && err.stack) || String(err);
            this.hookErrorLog.add(1);
        }
    }

    handleLogEntry(entry) {
        this.guard(() => {
            if (!entry || !entry.id) {
                return;
            }
            let action = String(entry.action || '').toUpperCase();
            if (action === 'SPAMCHECK') {
                return this.rememberSpamScore(entry);
            }
            let key = deliveryKey(entry.id, entry.seq);
            let events = mapEntry(entry, {
                now: Date.now(),
                node: this.options.node,
                delivery: entry.seq ? this.deliveries.get(key) : undefined,
                spamScore: this.spamScores.get(String(entry.id))
            });
            if (DELIVERY_OUTCOMES.has(action)) {
                // the next attempt (after a deferral) goes through sender:fetch again
                this.deliveries.delete(key);
            }
            this.batcher.push(events);
        });
    }

    // rspamd logs SPAMCHECK before QUEUED/NOQUEUE/DROP of the same message, in the same process.
    rememberSpamScore(entry) {
        let score = typeof entry.score === 'string' && entry.score.trim() ? Number(entry.score) : entry.score;
        if (typeof score === 'number' && Number.isFinite(score)) {
            this.spamScores.set(String(entry.id), score);
        }
    }

    // sender:fetch: the only place that knows when ZoneMTA received the message and how often this
    // recipient was deferred before.
    handleSenderFetch(delivery) {
        this.guard(() => {
            if (!delivery || !delivery.id || !delivery.seq) {
                return;
            }
            let spam = delivery.spam && delivery.spam.default;
            let info = {
                time: toEpochMs(delivery.time),
                deferredCount: Number((delivery._deferred && delivery._deferred.count) || 0) || 0,
                bodySize: delivery.bodySize,
                spamScore: spam ? Number(spam.score) : undefined
            };
            this.deliveries.update(deliveryKey(delivery.id, delivery.seq), info);
        });
    }

    // sender:connection: ZoneMTA 3.10.3 does not log TLS in its entries (3.10.18+ does), so note it here.
    handleSenderConnection(delivery, connection) {
        this.guard(() => {
            if (!delivery || !delivery.id || !delivery.seq || !connection || connection.http) {
                return;
            }
            this.deliveries.update(deliveryKey(delivery.id, delivery.seq), { tls: !!connection.secure });
        });
    }

    async sendBatch(batch) {
        let result = await deliverBatch(batch, this.options);
        if (result.ok) {
            this.recordSuccess(batch, result);
        } else {
            this.recordFailure(batch, result);
        }
        this.emit('batch', { events: batch, result });
    }

    recordSuccess(batch, result) {
        let rejected = result.rejected.length;
        this.counters.sent += batch.length - rejected;
        this.counters.rejectedByServer += rejected;
        if (rejected) {
            this.log.warn('ingest API: %s', summariseRejected(result.rejected, batch.length));
        }
    }

    recordFailure(batch, result) {
        this.counters.failedBatches++;
        this.counters.lost += batch.length;
        let reason = result.error || `HTTP ${result.status}` + (result.message ? `: ${result.message}` : '');
        this.lastError = reason;
        if (result.rejected.length) {
            reason += ` (${summariseRejected(result.rejected, batch.length)})`;
        }
        this.log.warn('dropped a batch of %s events after %s attempt(s): %s', batch.length, result.attempts, reason);
    }

    flushAll() {
        return this.batcher.flushAll().then(() => this.stats());
    }

    // Called from process 'beforeExit': only start work if there is something left, or the
    // beforeExit → flush → beforeExit cycle would never end.
    flushOnExit() {
        if (this.batcher.buffer.length) {
            this.batcher.flushAll();
        }
    }

    stats() {
        return Object.assign({ node: this.options.node, lastError: this.lastError }, this.batcher.stats(), this.counters);
    }

    close() {
        this.batcher.close();
        this.overflowLog.flush();
        this.hookErrorLog.flush();
    }
}

module.exports = Mailflow;
