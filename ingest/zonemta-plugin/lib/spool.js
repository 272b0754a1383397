'use strict';

// Bounded on-disk spool: batches of events that could not be sent (yet), kept across process restarts.
//
// Files: `<dir>/mailflow-<pid>-<start ms>-<n>.jsonl`, one JSON array (a batch) per line. Each process
// writes only files with its own prefix, so ZoneMTA's worker processes can share one directory. Writes
// are asynchronous and serialised (ZoneMTA's event loop never waits for the disk), except at process
// exit, where the lines still queued are written synchronously. A file is read back whole (files are
// at most `segmentBytes`) and deleted once every batch in it was acknowledged. Files of dead
// processes are adopted by renaming them into the adopter's prefix: rename is atomic, so of two
// processes adopting at once exactly one wins.

const fs = require('fs');
const path = require('path');

const FILE_RE = /^mailflow-(\d+)-(\d+)-(\d+)\.jsonl$/;

// Is the process that wrote `pid`'s files gone? Our own pid with another start time is a previous
// life of this process (pids are reused, e.g. in containers).
function isDead(pid, start, self) {
    if (pid === self.pid) {
        return start !== self.start;
    }
    try {
        process.kill(pid, 0);
        return false;
    } catch (err) {
        return err.code === 'ESRCH';
    }
}

class Spool {
    /**
     * @param {{dir: string, maxBytes: number, onError?: (err: Error) => void}} options
     */
    constructor({ dir, maxBytes, onError }) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(64 * 1024, Math.min(4 * 1024 * 1024, Math.floor(maxBytes / 8)));
        this.self = { pid: process.pid, start: Date.now() };
        this.prefix = `mailflow-${this.self.pid}-${this.self.start}-`;
        this.onError = onError || (() => {});
        this.segments = []; // oldest first: {file, bytes, events, batches: null | [{events, bytes}], open}
        this.nextNumber = 0;
        this.pending = []; // [segment, line] not written yet
        this.writing = null;
        this.bytes = 0;
        this.events = 0;
        fs.mkdirSync(dir, { recursive: true }); // once, at init: not on the hot path
    }

    /** Would `bytes` more still fit? */
    hasRoom(bytes) {
        return this.bytes + bytes <= this.maxBytes;
    }

    /**
     * Queues a batch for writing; false (and nothing written) when the spool is full.
     * @param {object[]} events
     */
    append(events) {
        let line = JSON.stringify(events) + '\n';
        let bytes = Buffer.byteLength(line);
        if (!this.hasRoom(bytes)) {
            return false;
        }
        let segment = this.segments.at(-1);
        if (!segment || !segment.open || segment.bytes >= this.segmentBytes) {
            if (segment) {
                segment.open = false;
            }
            segment = this.addSegment(this.fileName(), true);
        }
        segment.bytes += bytes;
        segment.events += events.length;
        this.bytes += bytes;
        this.events += events.length;
        this.pending.push([segment, line]);
        this.writeNext();
        return true;
    }

    fileName() {
        return this.prefix + String(this.nextNumber++).padStart(6, '0') + '.jsonl';
    }

    addSegment(name, open, front = false) {
        let segment = { file: path.join(this.dir, name), bytes: 0, events: 0, batches: null, open };
        this.segments[front ? 'unshift' : 'push'](segment);
        return segment;
    }

    writeNext() {
        if (this.writing || !this.pending.length) {
            return;
        }
        let [segment, line] = this.pending[0];
        this.writing = fs.promises
            .appendFile(segment.file, line)
            .catch(err => this.onError(err))
            .then(() => {
                this.pending.shift();
                this.writing = null;
                this.writeNext();
            });
    }

    async flushed() {
        while (this.writing) {
            await this.writing;
        }
    }

    /**
     * The oldest batch, without removing it: {events, ack()}; null when the spool is empty.
     * ack() removes it (call once Mailflow answered), deleting the file after its last batch.
     */
    async peek() {
        let segment = this.segments[0];
        if (!segment) {
            return null;
        }
        if (!segment.batches) {
            segment.open = false; // new batches go to a new file from now on
            await this.flushed();
            segment.batches = await this.readBatches(segment);
        }
        if (!segment.batches.length) {
            this.removeSegment(segment);
            return this.peek();
        }
        let batch = segment.batches[0];
        return { events: batch.events, ack: () => this.ack(segment, batch) };
    }

    async readBatches(segment) {
        let text = '';
        try {
            text = await fs.promises.readFile(segment.file, 'utf8');
        } catch (err) {
            this.onError(err);
        }
        let batches = [];
        for (let line of text.split('\n')) {
            try {
                let events = line ? JSON.parse(line) : null;
                if (Array.isArray(events) && events.length) {
                    batches.push({ events, bytes: Buffer.byteLength(line) + 1 });
                }
            } catch (err) {
                // a line torn by a crash mid-write: the rest of the file is still good
            }
        }
        // adopted files are counted here; our own were counted when written
        this.resync(segment, batches);
        return batches;
    }

    resync(segment, batches) {
        let bytes = batches.reduce((sum, b) => sum + b.bytes, 0);
        let events = batches.reduce((sum, b) => sum + b.events.length, 0);
        this.bytes += bytes - segment.bytes;
        this.events += events - segment.events;
        segment.bytes = bytes;
        segment.events = events;
    }

    ack(segment, batch) {
        let index = segment.batches.indexOf(batch);
        if (index < 0) {
            return;
        }
        segment.batches.splice(index, 1);
        segment.bytes -= batch.bytes;
        segment.events -= batch.events.length;
        this.bytes -= batch.bytes;
        this.events -= batch.events.length;
        if (!segment.batches.length) {
            this.removeSegment(segment);
        }
    }

    removeSegment(segment) {
        this.segments = this.segments.filter(s => s !== segment);
        this.bytes -= segment.bytes;
        this.events -= segment.events;
        fs.promises.unlink(segment.file).catch(err => err.code !== 'ENOENT' && this.onError(err));
    }

    /**
     * Claims the files of dead processes (renamed into our prefix) and counts their events.
     * @returns {Promise<number>} files adopted
     */
    async adoptOrphans() {
        let names = await fs.promises.readdir(this.dir).catch(() => []);
        let adopted = [];
        for (let name of names.sort()) {
            let match = FILE_RE.exec(name);
            if (!match || name.startsWith(this.prefix) || !isDead(Number(match[1]), Number(match[2]), this.self)) {
                continue;
            }
            let mine = this.fileName();
            try {
                await fs.promises.rename(path.join(this.dir, name), path.join(this.dir, mine));
                adopted.push(mine);
            } catch (err) {
                // ENOENT: another process claimed it first
            }
        }
        // oldest first, ahead of anything we wrote ourselves
        for (let name of adopted.reverse()) {
            let segment = this.addSegment(name, false, true);
            // read once to count its events, then let go: only the file being replayed is held in memory
            await this.readBatches(segment);
        }
        return adopted.length;
    }

    /** At process exit: writes the queued lines and `events` synchronously (no event loop left). */
    writeSyncAtExit(events) {
        let lines = this.pending.map(([segment, line]) => [segment.file, line]);
        let line = JSON.stringify(events) + '\n';
        if (events.length && this.hasRoom(Buffer.byteLength(line))) {
            lines.push([path.join(this.dir, this.fileName()), line]);
        }
        for (let [file, line] of lines) {
            try {
                fs.appendFileSync(file, line);
            } catch (err) {
                this.onError(err);
            }
        }
    }

    stats() {
        return { spooled: this.events, spool_bytes: this.bytes };
    }
}

module.exports = Spool;
