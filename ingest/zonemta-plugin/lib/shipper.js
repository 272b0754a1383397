'use strict';

// Moves events from ZoneMTA's hooks to Mailflow without losing them while Mailflow is away.
//
// Events wait in a bounded memory buffer. A batch goes out when `batchSize` events are buffered or
// `flushInterval` ms after the first one; one request is in flight at a time. A batch that fails for
// a reason that can pass (network error, timeout, 429, 5xx, and also 401/403/404, which an operator
// can fix) is kept: back at the head of the buffer, or in the spool when one is configured, and the
// next attempt waits a capped exponential backoff with full jitter, at least as long as Retry-After.
// While Mailflow is unreachable, every formed batch goes to the spool, so a restart loses little.
// Events are lost only when the buffer is full and the spool is off or full: then the oldest
// buffered events are dropped, counted and reported.

const EventEmitter = require('events');
const { post, classify, rejectedList, describeResult } = require('./http-post');

class Shipper extends EventEmitter {
    /**
     * @param {object} options parseConfig() output (url, apiKey, timeout, batchSize, flushInterval,
     *   maxBuffer, retryDelay, maxRetryDelay, maxRetryAfter)
     * @param {import('./spool')|null} spool
     */
    constructor(options, spool) {
        super();
        this.options = options;
        this.spool = spool;
        this.buffer = [];
        this.sending = null; // {events, source: 'memory' | 'spool'}
        this.healthy = true;
        this.failures = 0;
        this.retryAt = 0;
        this.timer = null;
        this.retryTimer = null;
        this.due = false;
        this.idleWaiters = [];
        this.counters = { sent: 0, rejected: 0, dropped: 0, batches: 0, failedAttempts: 0 };
        this.lastError = null;
        this.lastErrorAt = null;
    }

    /** Buffers events; synchronous and cheap (called from ZoneMTA's hooks). */
    push(events) {
        if (!events.length) {
            return;
        }
        this.buffer.push(...events);
        if (this.spool && !this.healthy) {
            this.spill(false);
        }
        this.enforceLimit();
        if (this.buffer.length >= this.options.batchSize) {
            setImmediate(() => this.pump()); // a burst of synchronous pushes still forms full batches
        } else {
            this.startTimer();
        }
    }

    // Moves whole batches (or, when `all`, everything) from memory to the spool.
    spill(all) {
        while (this.buffer.length >= (all ? 1 : this.options.batchSize)) {
            let batch = this.buffer.slice(0, this.options.batchSize);
            if (!this.spool.append(batch)) {
                return; // full: keep them in memory
            }
            this.buffer.splice(0, batch.length);
        }
    }

    // Memory cap: overflow goes to the spool; what does not fit there either is dropped, oldest first.
    enforceLimit() {
        let overflow = this.buffer.length - this.options.maxBuffer;
        if (overflow > 0 && this.spool) {
            this.spill(false);
            overflow = this.buffer.length - this.options.maxBuffer;
        }
        if (overflow > 0) {
            this.buffer.splice(0, overflow);
            this.drop(overflow, 'buffer full');
        }
    }

    drop(count, reason) {
        this.counters.dropped += count;
        this.emit('drop', count, reason);
    }

    startTimer() {
        if (this.timer || this.due || !this.buffer.length) {
            return;
        }
        this.timer = setTimeout(() => {
            this.timer = null;
            this.due = true;
            if (this.spool && !this.healthy) {
                this.spill(true);
            }
            this.pump();
        }, this.options.flushInterval);
        this.timer.unref(); // the exit handlers take care of what is left
    }

    /** Sends the next batch if nothing is in flight and no backoff is pending. */
    async pump() {
        if (this.closed) {
            return;
        }
        if (this.sending || this.retryTimer) {
            return this.checkIdle();
        }
        let batch = await this.nextBatch();
        if (!batch) {
            if (!this.buffer.length) {
                this.due = false;
            }
            this.startTimer();
            return this.checkIdle();
        }
        this.counters.batches++;
        let outcome = await this.sendBatch(batch.events);
        this.sending = null;
        this.settle(batch, outcome);
        this.pump();
    }

    // The spool holds the older events, so it goes first.
    async nextBatch() {
        if (this.spool && this.spool.events > 0) {
            this.sending = { source: 'spool', events: [] };
            let head = await this.spool.peek();
            if (head) {
                return Object.assign(this.sending, head);
            }
            this.sending = null;
        }
        if (this.buffer.length >= this.options.batchSize || (this.due && this.buffer.length)) {
            this.sending = { source: 'memory', events: this.buffer.splice(0, this.options.batchSize) };
            return this.sending;
        }
        return null;
    }

    // Posts events; a 413 splits the batch in halves. Resolves to {kind, result, rejected, tooLarge}.
    async sendBatch(events) {
        let body = JSON.stringify(events);
        let result = await post(this.options.url, body, this.options);
        let kind = classify(result);
        this.emit('batch', { events, result, kind });
        if (kind !== 'too-large') {
            return { kind, result, rejected: rejectedList(result.body).length, tooLarge: 0 };
        }
        if (events.length === 1) {
            return { kind: 'ok', result, rejected: 0, tooLarge: 1 };
        }
        let half = Math.ceil(events.length / 2);
        let first = await this.sendBatch(events.slice(0, half));
        if (first.kind !== 'ok' && first.kind !== 'invalid') {
            return first; // the whole batch is kept; the first half may arrive twice, harmless
        }
        let second = await this.sendBatch(events.slice(half));
        if (second.kind !== 'ok' && second.kind !== 'invalid') {
            return second;
        }
        return { kind: 'ok', result, rejected: first.rejected + second.rejected, tooLarge: first.tooLarge + second.tooLarge };
    }

    settle(batch, outcome) {
        if (outcome.kind === 'ok' || outcome.kind === 'invalid') {
            let rejected = outcome.kind === 'invalid' ? batch.events.length - outcome.tooLarge : outcome.rejected;
            this.counters.sent += batch.events.length - outcome.tooLarge;
            this.counters.rejected += rejected;
            if (outcome.tooLarge) {
                this.drop(outcome.tooLarge, 'too large for Mailflow (413)');
            }
            if (batch.ack) {
                batch.ack();
            }
            this.healthy = true;
            this.failures = 0;
            this.lastError = null;
            this.emit('acknowledged', { events: batch.events, outcome, rejected });
            return;
        }
        this.keep(batch);
        this.scheduleRetry(outcome);
    }

    // A failed batch stays: in the spool (where spool batches already are), else at the buffer's head.
    keep(batch) {
        this.healthy = false;
        if (batch.source === 'spool') {
            return;
        }
        if (!this.spool || !this.spool.append(batch.events)) {
            this.buffer.unshift(...batch.events);
            this.enforceLimit();
        }
        if (this.spool) {
            this.spill(true);
        }
    }

    scheduleRetry({ kind, result }) {
        this.failures++;
        this.counters.failedAttempts++;
        this.lastError = describeResult(result).slice(0, 500);
        this.lastErrorAt = Date.now();
        let { retryDelay, maxRetryDelay, maxRetryAfter } = this.options;
        // full jitter: uniformly in [0, min(cap, base * 2^n)); misconfiguration: retry slowly, at the cap
        let ceiling = Math.min(maxRetryDelay, retryDelay * 2 ** Math.min(this.failures - 1, 30));
        let delay = kind === 'config' ? maxRetryDelay : Math.random() * ceiling;
        if (result.retryAfterMs !== undefined) {
            delay = Math.max(delay, Math.min(result.retryAfterMs, maxRetryAfter));
        }
        this.retryAt = Date.now() + delay;
        this.emit('failure', { kind, result, delay });
        this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.pump();
        }, delay);
        this.retryTimer.unref();
    }

    /**
     * Sends everything now (ignoring flushInterval, not the backoff). Resolves once memory, spool and
     * in-flight are empty, or after `timeoutMs` (then with events still waiting).
     */
    flushAll(timeoutMs = Infinity) {
        this.due = this.buffer.length > 0;
        let idle = new Promise(resolve => this.idleWaiters.push(resolve));
        this.pump();
        if (!Number.isFinite(timeoutMs)) {
            return idle;
        }
        let timer;
        let timeout = new Promise(resolve => (timer = setTimeout(resolve, timeoutMs)));
        return Promise.race([idle, timeout]).finally(() => clearTimeout(timer));
    }

    isIdle() {
        return !this.buffer.length && !this.sending && !(this.spool && this.spool.events);
    }

    checkIdle() {
        if (!this.isIdle() || !this.idleWaiters.length) {
            return;
        }
        let waiters = this.idleWaiters;
        this.idleWaiters = [];
        waiters.forEach(resolve => resolve());
    }

    /** Events held in memory: buffered plus a memory batch in flight. */
    buffered() {
        return this.buffer.length + (this.sending && this.sending.source === 'memory' ? this.sending.events.length : 0);
    }

    /** Process exit: with a spool, everything in memory is written to it synchronously. */
    saveAtExit() {
        if (this.spool) {
            let inFlight = this.sending && this.sending.source === 'memory' ? this.sending.events : [];
            this.spool.writeSyncAtExit(inFlight.concat(this.buffer));
        }
    }

    close() {
        this.closed = true;
        clearTimeout(this.timer);
        clearTimeout(this.retryTimer);
        this.timer = null;
        this.retryTimer = null;
    }
}

module.exports = Shipper;
