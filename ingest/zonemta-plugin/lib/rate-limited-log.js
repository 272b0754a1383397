'use strict';

// Aggregates a repeating warning (e.g. "buffer full, dropped N events") into at most one log line per
// interval, so an ingest outage does not flood ZoneMTA's log with one line per lost event.

class RateLimitedCounter {
    /**
     * @param {number} interval ms between log lines
     * @param {(count: number) => void} emit writes one aggregated line
     */
    constructor(interval, emit) {
        this.interval = interval;
        this.emit = emit;
        this.pending = 0;
        this.lastEmit = 0;
        this.timer = null;
    }

    add(count) {
        this.pending += count;
        let wait = this.lastEmit + this.interval - Date.now();
        if (wait <= 0) {
            this.flush();
        } else if (!this.timer) {
            // report what accumulated during the quiet period even if nothing else gets dropped
            this.timer = setTimeout(() => this.flush(), wait);
            this.timer.unref();
        }
    }

    flush() {
        clearTimeout(this.timer);
        this.timer = null;
        if (!this.pending) {
            return;
        }
        let count = this.pending;
        this.pending = 0;
        this.lastEmit = Date.now();
        this.emit(count);
    }
}

module.exports = RateLimitedCounter;
