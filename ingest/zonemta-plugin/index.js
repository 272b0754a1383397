'use strict';

// ZoneMTA plugin entry point: ships ZoneMTA's per-recipient lifecycle (log:entry) to Mailflow.
//
// Enable it in all three process types (`enabled = ["main", "receiver", "sender"]`): ZoneMTA runs the
// log:entry hook in the process where each event happens (QUEUED in receivers, ACCEPTED/DEFERRED/
// REJECTED in senders, DROP/DELETED in main). Configuration: see README.md.

const { parseConfig } = require('./lib/config');
const Mailflow = require('./lib/mailflow');

// Every instance created in this process. Normally one; tests and harnesses may load the plugin
// several times through separate ZoneMTA plugin handlers.
const instances = new Set();
let exitHandlerInstalled = false;

// Adapts a synchronous handler to ZoneMTA's hook contract: the last argument is a `next` callback
// that must always be called (an unanswered hook stalls the chain), and nothing may be thrown.
function hook(handler) {
    return (...args) => {
        let next = typeof args[args.length - 1] === 'function' ? args.pop() : null;
        try {
            handler(...args);
        } catch (err) {
            // handlers already guard themselves; this is the last line of defence
        }
        if (next) {
            next();
        }
    };
}

// When the event loop runs dry (a clean shutdown), send whatever is still buffered. On process.exit()
// (ZoneMTA's SIGTERM/SIGINT handling) there is no event loop left: with a spool, what is in memory is
// written to it synchronously, to be sent after the restart.
function installExitHandler() {
    if (exitHandlerInstalled) {
        return;
    }
    exitHandlerInstalled = true;
    process.on('beforeExit', () => instances.forEach(instance => instance.flushOnExit()));
    process.on('exit', () => instances.forEach(instance => instance.saveOnExit()));
}

function logTo(logger, level, ...args) {
    try {
        logger[level]('Mailflow', ...args);
    } catch (err) {
        // a broken logger must not stop ZoneMTA from starting
    }
}

function start(app) {
    let logger = app.logger || console;
    let { options, errors, warnings } = parseConfig(app.config);
    warnings.forEach(warning => logTo(logger, 'warn', 'config: %s', warning));
    if (errors.length) {
        logTo(logger, 'error', 'plugin disabled, invalid config: %s', errors.join('; '));
        return;
    }
    let mailflow = new Mailflow(options, logger);
    instances.add(mailflow);
    installExitHandler();
    app.addHook('log:entry', hook(entry => mailflow.handleLogEntry(entry)));
    app.addHook('sender:fetch', hook(delivery => mailflow.handleSenderFetch(delivery)));
    app.addHook('sender:connection', hook((delivery, connection) => mailflow.handleSenderConnection(delivery, connection)));
    app.addHook('queue:route', hook((envelope, routing) => mailflow.handleQueueRoute(envelope, routing)));
    app.addHook('queue:release', hook((zone, data) => mailflow.handleQueueRelease(zone, data)));
    mailflow.start();
    let { origin, pathname } = new URL(options.url);
    logTo(logger, 'info', 'shipping events to %s%s as mta_node=%s (batchSize=%s flushInterval=%sms maxBuffer=%s spool=%s heartbeat=%ss)',
        origin, pathname, options.node, options.batchSize, options.flushInterval, options.maxBuffer,
        options.spoolPath ? `${options.spoolPath} (max ${options.spoolMaxBytes} bytes)` : 'off', options.heartbeatInterval);
}

module.exports.title = 'Mailflow';

/**
 * ZoneMTA plugin init. Always succeeds: a broken config disables this plugin, not the MTA.
 */
module.exports.init = (app, done) => {
    try {
        start(app);
    } catch (err) {
        logTo(app.logger || console, 'error', 'plugin disabled, init failed: %s', (err && err.stack) || err);
    }
    done();
};

// ---- test and harness helpers (not part of the ZoneMTA plugin API) ----

/** Live plugin instances in this process (EventEmitters; 'batch' fires after every batch outcome). */
module.exports._instances = () => [...instances];

/**
 * Sends everything buffered now; resolves with each instance's stats once everything was acknowledged,
 * or after `timeoutMs` (the backoff still applies, so during an outage this waits for the timeout).
 */
module.exports._flushAll = timeoutMs => Promise.all([...instances].map(instance => instance.flushAll(timeoutMs)));

/** Counters per instance: the heartbeat's (seen, sent, rejected, dropped, buffered, spooled, ...) and more. */
module.exports._stats = () => [...instances].map(instance => instance.stats());

/** Stops timers and forgets all instances (buffered events are discarded). */
module.exports._reset = () => {
    instances.forEach(instance => instance.close());
    instances.clear();
};
