'use strict';

// One running instance of the plugin (one per ZoneMTA process that loads it).
//
// Wires the pieces together: hook payloads → per-delivery and per-message caches → mapping →
// shipper (memory buffer, optional spool) → Mailflow, plus the heartbeat. Every hook handler is
// synchronous and cheap; nothing a hook calls waits for the network or the disk.

const EventEmitter = require('events');
const BoundedCache = require('./bounded-cache');
const Shipper = require('./shipper');
const Spool = require('./spool');
const RateLimitedCounter = require('./rate-limited-log');
const { Heartbeat } = require('./heartbeat');
const { mapEntry } = require('./mapping');
const { summariseRejected, describeResult } = require('./http-post');

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
        let cache = () => new BoundedCache({ maxSize: options.cacheSize, ttl: options.cacheTTL });
        this.deliveries = cache();
        this.spamScores = cache();
        this.queued = cache(); // main process: queue id → {from, recipients: Map(seq → routing)}
        this.counters = { seen: 0, hookErrors: 0 };
        let onError = err => this.spoolError(err);
        this.spool = options.spoolPath ? new Spool({ dir: options.spoolPath, maxBytes: options.spoolMaxBytes, onError }) : null;
        this.shipper = new Shipper(options, this.spool);
        this.heartbeat = new Heartbeat(options, () => this.heartbeatCounters());
        this.setupLogging();
    }

    // Repeating problems are aggregated into one log line per logInterval.
    setupLogging() {
        let every = this.options.logInterval;
        let dropLog = new RateLimitedCounter(every, count => this.log.warn('%s events LOST (%s); %s lost since start', count, this.lastDropReason, this.shipper.counters.dropped));
        let failLog = new RateLimitedCounter(every, count => this.log.warn('%s failed attempt(s), last: %s; events kept (memory %s, spool %s), retrying', count, this.shipper.lastError, this.shipper.buffered(), this.spool ? this.spool.events : 'off'));
        this.hookErrorLog = new RateLimitedCounter(every, count => this.log.error('%s hook call(s) failed, last error: %s', count, this.lastHookError));
        this.spoolErrorLog = new RateLimitedCounter(every, count => this.log.error('%s spool I/O error(s), last: %s', count, this.lastSpoolError));
        this.logs = [dropLog, failLog, this.hookErrorLog, this.spoolErrorLog];
        this.shipper.on('drop', (count, reason) => {
            this.lastDropReason = reason;
            dropLog.add(count);
        });
        this.shipper.on('failure', () => failLog.add(1));
        this.shipper.on('acknowledged', ({ events, rejected, outcome }) => {
            if (rejected) {
                let list = outcome.result.body && outcome.result.body.rejected;
                this.log.warn('ingest API: %s', Array.isArray(list) && list.length ? summariseRejected(list, events.length) : `${rejected} of ${events.length} events rejected: ${describeResult(outcome.result)}`);
            }
        });
        this.shipper.on('batch', info => this.emit('batch', info));
    }

    /** Starts the asynchronous parts: adopting orphaned spool files, the heartbeat. */
    start() {
        this.heartbeat.start();
        setImmediate(() => this.heartbeat.send());
        if (this.spool) {
            this.spool.adoptOrphans().then(
                count => {
                    if (count) {
                        this.log.info('spool: adopted %s file(s) (%s events) left by stopped processes', count, this.spool.events);
                    }
                    this.shipper.pump();
                },
                err => this.spoolError(err)
            );
        }
    }

    spoolError(err) {
        this.lastSpoolError = (err && err.message) || String(err);
        this.spoolErrorLog.add(1);
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
            let id = String(entry.id);
            let key = deliveryKey(id, entry.seq);
            let events = mapEntry(entry, {
                now: Date.now(),
                node: this.options.node,
                delivery: entry.seq ? this.deliveries.get(key) : undefined,
                spamScore: this.spamScores.get(id),
                queued: action === 'DELETED' ? this.queuedRecipients(id, entry.seq) : undefined
            });
            if (DELIVERY_OUTCOMES.has(action)) {
                // the next attempt (after a deferral) goes through sender:fetch again
                this.deliveries.delete(key);
            }
            this.counters.seen += events.length;
            this.shipper.push(events);
        });
    }

    // rspamd logs SPAMCHECK before QUEUED/NOQUEUE/DROP of the same message, in the same process.
    rememberSpamScore(entry) {
        let score = typeof entry.score === 'string' && entry.score.trim() ? Number(entry.score) : entry.score;
        if (typeof score === 'number' && Number.isFinite(score)) {
            this.spamScores.set(String(entry.id), score);
        }
    }

    // queue:route (main, once per recipient, in envelope order): ZoneMTA numbers the recipients in
    // the same order, so the n-th call is seq n. The routing object is kept, not copied: plugins
    // after this one may still change its recipient or zone.
    handleQueueRoute(envelope, routing) {
        this.guard(() => {
            if (!envelope || !envelope.id || !routing) {
                return;
            }
            let message = this.queued.get(envelope.id) || { from: envelope.from, recipients: new Map(), count: 0 };
            message.count++;
            message.recipients.set(message.count.toString(16).padStart(3, '0'), routing);
            this.queued.set(envelope.id, message);
        });
    }

    // queue:release (main): a recipient is done (delivered or bounced) and can no longer be deleted.
    handleQueueRelease(zone, data) {
        this.guard(() => {
            let message = data && this.queued.get(String(data.id));
            if (message) {
                message.recipients.delete(String(data.seq));
            }
        });
    }

    // For a message-level DELETED (no seq): the recipients still queued, as cached by queue:route.
    queuedRecipients(id, seq) {
        let message = this.queued.get(id);
        if (!message) {
            return undefined;
        }
        if (seq) {
            message.recipients.delete(String(seq));
            return undefined;
        }
        this.queued.delete(id);
        let recipients = [...message.recipients].map(([rseq, routing]) => ({ seq: rseq, to: routing.recipient, zone: routing.deliveryZone }));
        return recipients.length ? { from: message.from, recipients } : undefined;
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

    // sender:connection fires only once an SMTP session is up: ZoneMTA 3.10.3-3.10.11 do not log TLS
    // in their entries, so note it here.
    handleSenderConnection(delivery, connection) {
        this.guard(() => {
            if (!delivery || !delivery.id || !delivery.seq || !connection || connection.http) {
                return;
            }
            this.deliveries.update(deliveryKey(delivery.id, delivery.seq), { tls: !!connection.secure });
        });
    }

    heartbeatCounters() {
        let shipper = this.shipper;
        return Object.assign(
            {
                seen: this.counters.seen,
                sent: shipper.counters.sent,
                rejected: shipper.counters.rejected,
                dropped: shipper.counters.dropped,
                buffered: shipper.buffered(),
                spooled: 0,
                last_error: shipper.lastError,
                last_error_at: shipper.lastError ? shipper.lastErrorAt : null
            },
            this.spool ? this.spool.stats() : {}
        );
    }

    /** Sends everything now; resolves with stats when all is acknowledged or after timeoutMs. */
    flushAll(timeoutMs) {
        return this.shipper.flushAll(timeoutMs).then(() => this.stats());
    }

    // process 'beforeExit': only start work if there is something left, or the
    // beforeExit → flush → beforeExit cycle would never end.
    flushOnExit() {
        if (this.shipper.buffer.length && this.shipper.healthy) {
            this.shipper.flushAll();
        }
    }

    // process 'exit' (ZoneMTA's SIGTERM handler calls process.exit()): last chance, synchronous.
    saveOnExit() {
        this.shipper.saveAtExit();
    }

    stats() {
        return Object.assign({ node: this.options.node, hookErrors: this.counters.hookErrors, failedAttempts: this.shipper.counters.failedAttempts }, this.heartbeatCounters());
    }

    close() {
        this.shipper.close();
        this.heartbeat.stop();
        this.logs.forEach(log => log.flush());
    }
}

module.exports = Mailflow;
