#!/usr/bin/env node
'use strict';

// ZoneMTA's real HTTP API server, N times, for testing Mailflow's queue poller without MongoDB.
//
//   node test/harness/api-server.js [--instances N] [--seed seed.json]
//
// Each instance is ZoneMTA 3.10.3's unmodified `lib/api-server.js` with a real `MailQueue` whose `mongodb`
// (false until init(), which is never called) is an in-memory stand-in (shared/reference/zonemta.md §5.4).
// Every instance listens on its own ephemeral 127.0.0.1 port. The first stdout line is JSON:
//   {"started": ISO, "zones": [...], "instances": [{"index": 0, "port": 40123, "entries": 12}, ...]}
// Then it reads commands from stdin, one per line, and answers each with one JSON line:
//   stop <i>   close instance i (its port then refuses connections)
//   hang <i>   instance i accepts requests but never answers (a stuck node)
// It exits when stdin closes or on SIGTERM/SIGINT.
//
// Seed file: {"zones": ["default", ...], "instances": [[entry, ...], ...]} where an entry is
//   {"id", "seq", "zone", "recipient", "age_s", "next_s"?, "deferred"?}
// `created` = start − age_s; `queued` = start + next_s when next_s > 0 (deferred: the next attempt is in the
// future), else = created (active). Without --seed a small built-in queue is served.

const fs = require('fs');
const readline = require('readline');

const USAGE = 'usage: node test/harness/api-server.js [--instances N] [--seed seed.json]';

function parseArgs(argv) {
    let args = { instances: 1, seed: null };
    for (let i = 0; i < argv.length; i += 2) {
        if (argv[i] === '--instances') {
            args.instances = Number(argv[i + 1]);
        } else if (argv[i] === '--seed') {
            args.seed = argv[i + 1];
        } else {
            throw new Error(`unknown argument "${argv[i]}"`);
        }
    }
    if (!Number.isInteger(args.instances) || args.instances < 1 || args.instances > 50) {
        throw new Error('--instances must be an integer between 1 and 50');
    }
    return args;
}

function builtinSeed(instances) {
    let ages = [60, 600, 3600, 4 * 3600, 10 * 3600, 30 * 3600];
    let perInstance = [];
    for (let n = 0; n < instances; n++) {
        perInstance.push(
            ages.map((age, i) => ({
                id: `1900000000${n}${i}0000aa`.slice(0, 18),
                seq: '001',
                zone: i % 2 ? 'bounces' : 'default',
                recipient: `user${i}@example${i % 3}.com`,
                age_s: age,
                next_s: i % 3 === 0 ? 900 : 0,
                deferred: i % 3 === 0 ? 2 : 0
            }))
        );
    }
    return { zones: ['bounces', 'default'], instances: perInstance };
}

function toDocuments(entries, start) {
    return entries.map((e, i) => {
        let created = new Date(start - e.age_s * 1000);
        let queued = e.next_s > 0 ? new Date(start + e.next_s * 1000) : created;
        let doc = { _id: i + 1, id: e.id, seq: e.seq || '001', sendingZone: e.zone, recipient: e.recipient, created, queued };
        doc.domain = e.recipient.split('@').pop();
        if (e.deferred) {
            doc._deferred = { first: created.getTime(), count: e.deferred, last: start, next: queued.getTime() };
        }
        return doc;
    });
}

// --- in-memory stand-in for the MongoDB collection calls MailQueue's count/list/get code makes ---

function compare(a, b) {
    let x = a instanceof Date ? a.getTime() : a;
    let y = b instanceof Date ? b.getTime() : b;
    return x < y ? -1 : x > y ? 1 : 0;
}

const OPERATORS = {
    $gt: (v, arg) => compare(v, arg) > 0,
    $gte: (v, arg) => compare(v, arg) >= 0,
    $lt: (v, arg) => compare(v, arg) < 0,
    $lte: (v, arg) => compare(v, arg) <= 0,
    $ne: (v, arg) => compare(v, arg) !== 0,
    $in: (v, arg) => arg.some(item => compare(v, item) === 0)
};

function matches(doc, query) {
    return Object.entries(query || {}).every(([key, cond]) => {
        let value = doc[key];
        let isOperatorObject = cond && typeof cond === 'object' && !(cond instanceof Date) && !Array.isArray(cond);
        if (!isOperatorObject) {
            return compare(value, cond) === 0;
        }
        return Object.entries(cond).every(([op, arg]) => {
            if (!OPERATORS[op]) {
                throw new Error(`in-memory collection: unsupported operator ${op}`);
            }
            return value !== undefined && OPERATORS[op](value, arg);
        });
    });
}

class Cursor {
    constructor(docs) {
        this.docs = docs;
        this.order = null;
        this.offset = 0;
        this.max = 0;
    }
    // MailQueue maps the listed fields itself, so the projection can return whole documents
    project() {
        return this;
    }
    sort(order) {
        this.order = order;
        return this;
    }
    skip(n) {
        this.offset = n;
        return this;
    }
    limit(n) {
        this.max = n;
        return this;
    }
    toArray(callback) {
        let docs = this.docs.slice();
        if (this.order) {
            let keys = Object.entries(this.order);
            docs.sort((a, b) => keys.reduce((r, [key, dir]) => r || compare(a[key], b[key]) * dir, 0));
        }
        docs = docs.slice(this.offset, this.max ? this.offset + this.max : undefined);
        if (callback) {
            return setImmediate(() => callback(null, docs));
        }
        return Promise.resolve(docs);
    }
}

function fakeCollection(documents) {
    let reply = (callback, value) => (callback ? setImmediate(() => callback(null, value)) : Promise.resolve(value));
    return {
        countDocuments: (query, opts, callback) => reply(callback || opts, documents.filter(d => matches(d, query)).length),
        find: query => new Cursor(documents.filter(d => matches(d, query))),
        findOne: (query, opts, callback) => reply(callback || opts, documents.find(d => matches(d, query)) || null)
    };
}

// only the queue collection (config.queue.collection) holds data; GridFS and the suppression list are empty
function memoryDb(documents, queueCollection) {
    return { collection: name => fakeCollection(name === queueCollection ? documents : []) };
}

// --- instances ---

async function startInstance(index, documents) {
    let config = require('wild-config');
    let APIServer = require('zone-mta/lib/api-server');
    let MailQueue = require('zone-mta/lib/mail-queue');
    let queue = new MailQueue(config.queue);
    queue.mongodb = memoryDb(documents, config.queue.collection);
    let apiServer = new APIServer();
    apiServer.setQueue(queue);
    let state = { hung: false, closed: false };
    // a stuck node: the request is read but never answered
    apiServer.server.pre((req, res, next) => (state.hung ? undefined : next()));
    config.api.port = 0; // read synchronously by start(): an ephemeral port per instance
    config.api.host = '127.0.0.1';
    await new Promise((resolve, reject) => apiServer.start(err => (err ? reject(err) : resolve())));
    return { index, apiServer, state, port: apiServer.server.address().port, entries: documents.length };
}

function stopInstance(instance) {
    if (instance.state.closed) {
        return Promise.resolve();
    }
    instance.state.closed = true;
    return new Promise(resolve => {
        instance.apiServer.close(() => resolve());
        // keep-alive and hung connections would otherwise keep the port answering
        instance.apiServer.server.server.closeAllConnections();
    });
}

function handleCommand(line, instances) {
    let [command, arg] = line.trim().split(/\s+/);
    let instance = instances[Number(arg)];
    if (!instance || !['stop', 'hang'].includes(command)) {
        return Promise.resolve({ ok: false, error: `unknown command or instance: ${line.trim()}` });
    }
    if (command === 'hang') {
        instance.state.hung = true;
        return Promise.resolve({ ok: true, command, instance: instance.index });
    }
    return stopInstance(instance).then(() => ({ ok: true, command, instance: instance.index }));
}

async function main() {
    let args = parseArgs(process.argv.slice(2));
    process.argv.splice(2); // wild-config would merge our flags into ZoneMTA's config
    require('./zonemta'); // sets NODE_CONFIG_DIR to ZoneMTA's own config before wild-config loads
    require('npmlog').level = process.env.ZONEMTA_LOG_LEVEL || 'silent';
    let seed = args.seed ? JSON.parse(fs.readFileSync(args.seed, 'utf-8')) : builtinSeed(args.instances);
    let config = require('wild-config');
    // /counter/zone/ lists the enabled zones of the config; every instance shares this process's config
    config.zones = Object.fromEntries(seed.zones.map(zone => [zone, {}]));
    let start = Date.now();
    let instances = [];
    for (let i = 0; i < args.instances; i++) {
        instances.push(await startInstance(i, toDocuments(seed.instances[i] || [], start)));
    }
    let ready = { started: new Date(start).toISOString(), zones: seed.zones };
    ready.instances = instances.map(({ index, port, entries }) => ({ index, port, entries }));
    process.stdout.write(JSON.stringify(ready) + '\n');

    let shutdown = async () => {
        await Promise.all(instances.map(stopInstance));
        process.exit(0);
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
    let input = readline.createInterface({ input: process.stdin });
    input.on('line', line => handleCommand(line, instances).then(reply => process.stdout.write(JSON.stringify(reply) + '\n')));
    input.on('close', shutdown);
}

// `node --test test/` executes every .js file under test/; this server is started by Python's tests instead.
if (process.env.NODE_TEST_CONTEXT && process.argv.length <= 2) {
    require('node:test').test('api-server.js harness (exercised by tests/integration/test_queue_poll.py)', { skip: true }, () => {});
} else {
    main().catch(err => {
        process.stderr.write(`api-server.js: ${err.message}\n${USAGE}\n`);
        process.exit(2);
    });
}
