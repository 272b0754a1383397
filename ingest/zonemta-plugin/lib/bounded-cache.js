'use strict';

// A small Map with a size cap and per-entry TTL.
//
// The plugin remembers a few facts per delivery (when ZoneMTA received the message, how often it was
// deferred, TLS, spam score) between the `sender:fetch` hook and the `log:entry` that reports the outcome.
// An entry whose outcome never arrives (crash, suppressed delivery) must not leak, so every entry
// expires, and the oldest entries are evicted once the cap is reached. A Map keeps insertion order, so
// "oldest" is simply the first key.

class BoundedCache {
    /**
     * @param {{maxSize: number, ttl: number, now?: () => number}} options
     */
    constructor({ maxSize, ttl, now }) {
        this.maxSize = maxSize;
        this.ttl = ttl;
        this.now = now || Date.now;
        this.map = new Map();
    }

    get size() {
        return this.map.size;
    }

    get(key) {
        let item = this.map.get(key);
        if (!item) {
            return undefined;
        }
        if (item.expires <= this.now()) {
            this.map.delete(key);
            return undefined;
        }
        return item.value;
    }

    set(key, value) {
        // delete first so that a refreshed key moves to the end of the eviction order
        this.map.delete(key);
        this.map.set(key, { value, expires: this.now() + this.ttl });
        this.evict();
    }

    // Merge fields into an existing value, so that different hooks can each contribute a field.
    update(key, fields) {
        this.set(key, Object.assign({}, this.get(key), fields));
    }

    delete(key) {
        this.map.delete(key);
    }

    evict() {
        while (this.map.size > this.maxSize) {
            this.map.delete(this.map.keys().next().value);
        }
        // Entries are in insertion order and share one TTL, so expired ones sit at the front.
        let now = this.now();
        for (let [key, item] of this.map) {
            if (item.expires > now) {
                break;
            }
            this.map.delete(key);
        }
    }
}

module.exports = BoundedCache;
