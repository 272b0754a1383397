'use strict';

// Runs real ZoneMTA 3.10.3 code (its plugin loader and its sender) in-process, without MongoDB/Redis,
// plus the two fakes around it: a local SMTP sink playing the remote MX and a local HTTP server playing
// the Mailflow ingest API. Shared by the tests and by deliver.js (see shared/reference/zonemta.md §5).
//
// ZoneMTA reads its config through wild-config at require time, so NODE_CONFIG_DIR must point at
// ZoneMTA's own config directory before anything from zone-mta is required. wild-config also merges
// command-line flags into the config; callers that take flags of their own must strip them first.

const path = require('path');
const http = require('http');
const crypto = require('crypto');
const { PassThrough } = require('stream');

const { createRequire } = require('module');

// Which ZoneMTA the suite runs against: `zone-mta` (3.10.3, the last unscoped release) or
// `zone-mta-latest` (npm alias of the newest @zone-eu/zone-mta 3.10.x that installs); see `npm test`.
const ZONEMTA_PACKAGE = process.env.ZONEMTA_PACKAGE || 'zone-mta';
const ZONEMTA_DIR = path.dirname(require.resolve(`${ZONEMTA_PACKAGE}/package.json`));
const ZONEMTA_VERSION = require(path.join(ZONEMTA_DIR, 'package.json')).version;
process.env.NODE_CONFIG_DIR = path.join(ZONEMTA_DIR, 'config');

// Modules as ZoneMTA itself resolves them: its config loader is `wild-config` up to 3.10.3 and
// `@zone-eu/wild-config` later; npmlog must be ZoneMTA's own instance to capture its log lines.
const zoneRequire = createRequire(path.join(ZONEMTA_DIR, 'package.json'));
function zoneMta(file) {
    return require(path.join(ZONEMTA_DIR, file));
}
const ZONEMTA_DEPENDENCIES = require(path.join(ZONEMTA_DIR, 'package.json')).dependencies;
function zoneConfig() {
    return zoneRequire(ZONEMTA_DEPENDENCIES['@zone-eu/wild-config'] ? '@zone-eu/wild-config' : 'wild-config');
}

const PLUGIN_DIR = path.resolve(__dirname, '..', '..');

let npmlogQuieted = false;

// ZoneMTA logs every SMTP step at info level through npmlog; keep test output readable.
function quietZoneMtaLogs(level = process.env.ZONEMTA_LOG_LEVEL || 'silent') {
    if (!npmlogQuieted) {
        npmlogQuieted = true;
        zoneRequire('npmlog').level = level;
    }
}

/**
 * Loads this plugin through ZoneMTA's own loader (lib/plugins.js → @zone-eu/wild-plugins), exactly as a
 * ZoneMTA process would, and returns the PluginHandler (handler.remotelog, handler.runHooks, ...).
 * @param {string} context 'main' | 'receiver' | 'sender'
 * @param {object} pluginConfig the plugin's config table (url, apiKey, ...); `enabled` defaults to all three
 * @param {object} [extraPlugins] more plugins to load after it, keyed by absolute path
 */
function loadPlugin(context, pluginConfig, extraPlugins = {}) {
    quietZoneMtaLogs();
    let config = zoneConfig();
    // the key is resolved against pluginsPath, like a zone-mta-template `plugins/<name>` install
    config.pluginsPath = path.dirname(PLUGIN_DIR);
    config.plugins = {
        [path.basename(PLUGIN_DIR)]: Object.assign({ enabled: ['main', 'receiver', 'sender'] }, pluginConfig),
        ...extraPlugins
    };
    config.mtaSts = { enabled: false };
    let plugins = zoneMta('lib/plugins');
    plugins.init(context);
    let handler = plugins.handler;
    return new Promise(resolve => handler.load(() => resolve(handler)));
}

/**
 * Local SMTP server standing in for remote MXes: 250 for ok@, 451 (greylisting) for defer@,
 * 550 (unknown user) for bad@, at RCPT TO time like a real MX.
 */
function startSmtpSink() {
    let { SMTPServer } = require('smtp-server');
    let messages = [];
    let sockets = new Set();
    let server = new SMTPServer({
        disabledCommands: ['AUTH', 'STARTTLS'],
        // the reverse lookup of 127.0.0.1 costs ~100 ms per connection
        disableReverseLookup: true,
        logger: false,
        onRcptTo(address, session, callback) {
            let local = address.address.split('@')[0].toLowerCase();
            if (local === 'defer') {
                return callback(smtpError(451, '4.7.1 Greylisted, please try again later'));
            }
            if (local === 'bad') {
                return callback(smtpError(550, '5.1.1 <' + address.address + '>: User unknown'));
            }
            callback();
        },
        onData(stream, session, callback) {
            let size = 0;
            stream.on('data', chunk => (size += chunk.length));
            stream.on('end', () => {
                messages.push({ to: session.envelope.rcptTo.map(r => r.address), size });
                callback(null, 'Message accepted as ' + crypto.randomBytes(4).toString('hex'));
            });
        }
    });
    server.server.on('connection', socket => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            resolve({
                port: server.server.address().port,
                messages,
                close: () =>
                    new Promise(done => {
                        sockets.forEach(socket => socket.destroy());
                        server.close(done);
                    })
            });
        });
    });
}

function smtpError(code, message) {
    let err = new Error(message);
    err.responseCode = code;
    return err;
}

/**
 * Stand-in for the Mailflow ingest API. `respond(req, events, n)` may return
 * {status, body, headers} or 'hang'; default is 202 with every event queued.
 * `waitForEvents(n)` resolves once n events were answered with 2xx. Heartbeats (POST …/heartbeat)
 * are answered 202 and recorded apart, in `heartbeats`. `stop()` closes the port (connections are
 * refused) and `restart()` listens on the same port again, as a Mailflow outage would.
 */
function startIngestServer(respond) {
    let state = { requests: [], events: [], heartbeats: [], waiters: [], hanging: new Set() };
    let server = http.createServer((req, res) => handleIngest(req, res, respond, state));
    let sockets = new Set();
    server.on('connection', socket => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
    });
    let close = () =>
        new Promise(done => {
            sockets.forEach(socket => socket.destroy());
            server.close(() => done());
        });
    let listen = port => new Promise(resolve => server.listen(port, '127.0.0.1', resolve));
    return listen(0).then(() => {
        let port = server.address().port;
        return {
            url: `http://127.0.0.1:${port}/api/v1/events/ingest`,
            requests: state.requests,
            events: state.events,
            heartbeats: state.heartbeats,
            waitForEvents: count => waitFor(state, () => state.events.length >= count),
            waitForRequests: count => waitFor(state, () => state.requests.length >= count),
            waitFor: condition => waitFor(state, condition),
            stop: close,
            restart: () => listen(port),
            close: () => (server.listening ? close() : Promise.resolve())
        };
    });
}

function waitFor(state, condition) {
    if (condition()) {
        return Promise.resolve();
    }
    return new Promise(resolve => state.waiters.push({ condition, resolve }));
}

function notify(state) {
    state.waiters = state.waiters.filter(waiter => {
        if (waiter.condition()) {
            waiter.resolve();
            return false;
        }
        return true;
    });
}

function handleIngest(req, res, respond, state) {
    let chunks = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
        let body = Buffer.concat(chunks).toString();
        let events;
        try {
            events = [].concat(JSON.parse(body));
        } catch (err) {
            events = [];
        }
        let record = { method: req.method, url: req.url, headers: req.headers, events, at: Date.now() };
        if (req.url.endsWith('/heartbeat')) {
            state.heartbeats.push(Object.assign(record, { body: events[0] }));
            res.writeHead(202, { 'Content-Type': 'application/json' });
            res.end('{"ok":true}');
            return notify(state);
        }
        state.requests.push(record);
        let answer = (respond && respond(record, state.requests.length)) || {};
        if (answer === 'hang') {
            notify(state);
            return; // never answer; the client has to time out
        }
        let status = answer.status || 202;
        if (status >= 200 && status < 300) {
            state.events.push(...events);
        }
        let payload = answer.body || { queued: events.length, rejected: [] };
        res.writeHead(status, Object.assign({ 'Content-Type': 'application/json' }, answer.headers));
        res.end(JSON.stringify(payload));
        notify(state);
    });
}

/**
 * A delivery as ZoneMTA's master hands it to a sender (queue row + stored envelope meta).
 * @param {{id, seq, from, to, body: string, time?: number, deferredCount?: number, mxName?: string}} spec
 */
function makeDelivery(spec, sinkPort) {
    let headers = [
        { key: 'from', line: `From: ${spec.from}` },
        { key: 'to', line: `To: ${spec.to}` },
        { key: 'subject', line: 'Subject: harness message' },
        { key: 'message-id', line: `Message-ID: <${spec.id}@harness.local>` }
    ];
    let delivery = {
        id: spec.id,
        seq: spec.seq,
        from: spec.from,
        recipient: spec.to,
        domain: spec.to.split('@')[1],
        sendingZone: 'default',
        interface: 'feeder',
        time: spec.time || Date.now(),
        created: new Date(spec.time || Date.now()).toISOString(),
        headers,
        messageId: `<${spec.id}@harness.local>`,
        bodySize: Buffer.byteLength(spec.body),
        dnsOptions: { ignoreIPv6: true, blockLocalAddresses: false },
        disabledAddresses: [],
        skipSTS: true,
        // a named MX pointing at the sink, so mx_host is a hostname as in production
        mx: [{ priority: 10, exchange: spec.mxName || `mx.${spec.to.split('@')[1]}`, mx: true, A: ['127.0.0.1'], AAAA: [] }],
        mxPort: sinkPort
    };
    if (spec.deferredCount) {
        delivery._deferred = { first: Date.now() - 60000, count: spec.deferredCount, last: Date.now() - 1000, next: Date.now() };
    }
    return delivery;
}

/**
 * Runs ZoneMTA's real lib/sender.js (with SendingZone and ConnectionPool) over `specs`, answering its
 * master commands in memory. Resolves with the commands once every delivery was RELEASEd or DEFERred.
 */
function runSender(specs, sinkPort, { connections = 1 } = {}) {
    quietZoneMtaLogs();
    let config = zoneConfig();
    config.mtaSts = { enabled: false };
    let Sender = zoneMta('lib/sender');
    let { SendingZone } = zoneMta('lib/sending-zone');
    let ConnectionPool = zoneMta('lib/connection-pool');

    let pending = specs.map(spec => makeDelivery(spec, sinkPort));
    let bodies = new Map(specs.map(spec => [spec.id, spec.body]));
    let remaining = specs.length;
    let commands = [];
    let senders = [];

    return new Promise(resolve => {
        let sendCommand = (cmd, callback) => {
            commands.push(cmd);
            if (cmd.cmd === 'GET') {
                return setImmediate(() => callback(null, pending.shift() || false));
            }
            setImmediate(() => callback(null, true));
            if (cmd.cmd === 'RELEASE' || cmd.cmd === 'DEFER') {
                if (--remaining === 0) {
                    senders.forEach(sender => sender.close());
                    // let the sender finish its bookkeeping (sender:delivered etc.) first
                    setImmediate(() => resolve({ commands, connectionPool }));
                }
            }
        };
        let zone = new SendingZone(
            'default',
            { pool: [{ address: '127.0.0.1', name: 'harness.local' }], connections, ignoreIPv6: true, connectionCache: { ttl: 1, reuseCount: 100 } },
            { get: () => false },
            false
        );
        let queue = { retrieve: id => streamOf(bodies.get(id)) };
        let connectionPool = new ConnectionPool(sendCommand);
        for (let i = 0; i < connections; i++) {
            senders.push(new Sender('harness', i + 1, zone, sendCommand, queue, connectionPool));
        }
    });
}

function streamOf(text) {
    let stream = new PassThrough();
    stream.end(Buffer.from(text || ''));
    return stream;
}

/**
 * Logs QUEUED the way lib/mail-drop.js does after a message was stored: one entry per message with the
 * comma-joined envelope recipients and the messageInfo keys (including a subject, which must not leak).
 */
function fireQueued(handler, { id, from, to, size, src = '192.0.2.44', messageId }) {
    handler.remotelog(id, false, 'QUEUED', {
        'message-id': messageId || `<${id}@harness.local>`,
        from,
        to: [].concat(to).join(','),
        src,
        subject: 'harness message (secret subject)',
        body: size,
        md5: crypto.createHash('md5').update(id).digest('hex').slice(0, 12),
        interface: 'feeder',
        originhost: `[${src}]`,
        transhost: 'client.harness.local',
        transtype: 'ESMTP',
        user: 'harness-user',
        headerFrom: from
    });
}

/** A ZoneMTA-style queue id (18 hex chars, like 18c2f1a9e0b000abcd). */
function queueId() {
    return (Date.now().toString(16) + crypto.randomBytes(6).toString('hex')).slice(0, 18);
}

module.exports = { fireQueued, loadPlugin, startSmtpSink, startIngestServer, runSender, makeDelivery, queueId, zoneMta, PLUGIN_DIR, ZONEMTA_DIR, ZONEMTA_PACKAGE, ZONEMTA_VERSION };

/**
 * Test fixture: an ingest server plus this plugin loaded through ZoneMTA's loader in `context`.
 * Cleans up (plugin instances, server) when the test ends.
 * @returns {Promise<{ingest, handler, instance, plugin}>} instance: the plugin's Mailflow object
 */
async function setupPlugin(t, { context = 'sender', config = {}, respond, extraPlugins } = {}) {
    let plugin = require(PLUGIN_DIR);
    let ingest = await startIngestServer(respond);
    let handler = await loadPlugin(context, Object.assign({ url: ingest.url, apiKey: 'test-key', node: 'test-node' }, config), extraPlugins);
    let instance = plugin._instances().at(-1);
    t.after(async () => {
        plugin._reset();
        await ingest.close();
    });
    return { ingest, handler, instance, plugin };
}

/** Collects npmlog lines (ZoneMTA's app.logger) regardless of the display level. */
function captureLogs(t) {
    let log = zoneRequire('npmlog');
    let lines = [];
    let listener = m => lines.push({ level: m.level, prefix: m.prefix, message: m.message });
    log.on('log', listener);
    t.after(() => log.removeListener('log', listener));
    return lines;
}

module.exports.setupPlugin = setupPlugin;
module.exports.captureLogs = captureLogs;
