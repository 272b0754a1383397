'use strict';

// In-memory event buffer that hands out batches to an async `send` function.
//
// A batch goes out as soon as `batchSize` events are buffered, or `flushInterval` ms after the first
// buffered event, whichever comes first. At most `concurrency` sends run at once; while they are busy,
// events keep accumulating in the buffer, which is capped at `maxBuffer`: the oldest events are dropped
// first (newer events are more useful on a live dashboard) and counted via `onDrop`.
// push() is synchronous and cheap, so ZoneMTA's hooks never wait for the network.

class Batcher {
    /**
     * @param {{batchSize: number, flushInterval: number, maxBuffer: number, concurrency: number}} options
     * @param {(batch: object[]) => Promise<void>} send must not reject (a rejection is only swallowed)
     * @param {{onDrop?: (count: number) => void}} [callbacks]
     */
    constructor(options, send, callbacks = {}) {
        this.options = options;
        this.send = send;
        this.onDrop = callbacks.onDrop || (() => {});
        this.buffer = [];
        this.inFlight = 0;
        this.timer = null;
        this.drainScheduled = false;
        // once the interval has expired (or a flush was requested) everything buffered is due, not
        // just full batches
        this.due = false;
        this.idleWaiters = [];
        this.counters = { pushed: 0, droppedOverflow: 0, batches: 0 };
    }

    push(events) {
        if (!events.length) {
            return;
        }
        this.counters.pushed += events.length;
        this.buffer.push(...events);
        let overflow = this.buffer.length - this.options.maxBuffer;
        if (overflow > 0) {
            this.buffer.splice(0, overflow);
            this.counters.droppedOverflow += overflow;
            this.onDrop(overflow);
        }
        if (this.buffer.length >= this.options.batchSize) {
            // deferred so that a burst of synchronous pushes still forms full batches
            this.scheduleDrain();
        } else {
            this.startTimer();
        }
    }

    scheduleDrain() {
        if (!this.drainScheduled) {
            this.drainScheduled = true;
            setImmediate(() => {
                this.drainScheduled = false;
                this.drain();
            });
        }
    }

    startTimer() {
        if (this.timer || this.due || !this.buffer.length) {
            return;
        }
        this.timer = setTimeout(() => {
            this.timer = null;
            this.due = true;
            this.drain();
        }, this.options.flushInterval);
        // the process may exit with events buffered: the beforeExit handler flushes them
        this.timer.unref();
    }

    hasSendableBatch() {
        return this.buffer.length >= this.options.batchSize || (this.due && this.buffer.length > 0);
    }

    drain() {
        while (this.inFlight < this.options.concurrency && this.hasSendableBatch()) {
            this.startSend(this.buffer.splice(0, this.options.batchSize));
        }
        if (!this.buffer.length) {
            this.due = false;
            clearTimeout(this.timer);
            this.timer = null;
        }
        this.startTimer();
        this.checkIdle();
    }

    startSend(batch) {
        this.inFlight++;
        this.counters.batches++;
        Promise.resolve()
            .then(() => this.send(batch))
            .catch(() => {})
            .finally(() => {
                this.inFlight--;
                this.drain();
            });
    }

    /**
     * Sends everything buffered now, ignoring the interval. Resolves once the buffer is empty and no
     * send is in flight (including retries), i.e. every event was either accepted or given up on.
     */
    flushAll() {
        let idle = new Promise(resolve => this.idleWaiters.push(resolve));
        this.due = this.buffer.length > 0;
        this.drain();
        return idle;
    }

    checkIdle() {
        if (this.buffer.length || this.inFlight || !this.idleWaiters.length) {
            return;
        }
        let waiters = this.idleWaiters;
        this.idleWaiters = [];
        waiters.forEach(resolve => resolve());
    }

    stats() {
        return Object.assign({ buffered: this.buffer.length, inFlight: this.inFlight }, this.counters);
    }

    close() {
        clearTimeout(this.timer);
        this.timer = null;
    }
}

module.exports = Batcher;
