'use strict';

// Maps one ZoneMTA `log:entry` object to zero or more Mailflow events (shared/EVENT_SCHEMA.md).
//
// Pure functions: everything that is not in the entry itself (clock, node name, what the sender:fetch
// hook cached about the delivery) comes in through `ctx`, so the mapping can be unit-tested without
// ZoneMTA. Only whitelisted metadata is copied: never the subject, body or other headers.

const net = require('net');

const TYPE_BY_ACTION = {
    QUEUED: 'received',
    ACCEPTED: 'delivered',
    DEFERRED: 'deferred',
    REJECTED: 'bounced',
    NOQUEUE: 'rejected',
    DROP: 'dropped',
    DELETED: 'dropped'
};

// Actions logged once per message (no seq): one event per envelope recipient, like ZoneMTA's queue rows.
const PER_MESSAGE_ACTIONS = new Set(['QUEUED', 'NOQUEUE', 'DROP']);
const DELIVERY_ACTIONS = new Set(['ACCEPTED', 'DEFERRED', 'REJECTED']);

// Used in event_id when ZoneMTA logged a message-level event without a seq (e.g. DELETED "Not found
// from GridStore"). Real seqs start at 001, so this can never collide with a recipient.
const NO_SEQ = '000';

// ZoneMTA assigns seq per recipient in envelope order: 1 → '001', 255 → '0ff', 4096 → '1000'
// (lib/mail-queue.js push()).
function formatSeq(index) {
    return index.toString(16).padStart(3, '0');
}

function str(value) {
    if (typeof value === 'string') {
        return value.trim();
    }
    if (typeof value === 'number' && Number.isFinite(value)) {
        return String(value);
    }
    return '';
}

// ZoneMTA writes '<>' for a missing address or Message-ID.
function address(value) {
    let text = str(value);
    return text === '<>' ? '' : text;
}

function splitRecipients(value) {
    return str(value)
        .split(',')
        .map(addr => addr.trim())
        .filter(addr => addr && addr !== '<>');
}

function parseSmtpCode(response) {
    let match = /^([2-5]\d\d)\b/.exec(str(response));
    return match ? Number(match[1]) : undefined;
}

function toInteger(value) {
    let num = typeof value === 'string' && value.trim() ? Number(value) : value;
    return typeof num === 'number' && Number.isFinite(num) && num >= 0 ? Math.round(num) : undefined;
}

function toNumber(value) {
    let num = typeof value === 'string' && value.trim() ? Number(value) : value;
    return typeof num === 'number' && Number.isFinite(num) ? num : undefined;
}

function firstBoolean(...values) {
    return values.find(value => typeof value === 'boolean');
}

// Optional fields are dropped rather than truncated when they would break the schema's limits: the
// server rejects an event with an invalid field, and losing one field is better than losing the event.
function setString(event, key, value, maxLength) {
    let text = str(value);
    if (text && text.length <= maxLength) {
        event[key] = text;
    }
}

// Unlike setString, keeps an empty value: an empty envelope sender is the null sender of a bounce.
function setAddress(event, key, value) {
    if (value === undefined || value === null) {
        return;
    }
    let text = address(value);
    if (text.length <= 320) {
        event[key] = text;
    }
}

// Response texts have no limit in the schema (the server truncates); cap them anyway to bound the payload.
function setText(event, key, value) {
    let text = str(value);
    if (text) {
        event[key] = text.slice(0, 1000);
    }
}

function setIp(event, key, value) {
    let text = str(value);
    // 45 = the longest textual IPv6 address; rules out zone ids such as fe80::1%eth0
    if (net.isIP(text) && text.length <= 45 && !text.includes('%')) {
        event[key] = text;
    }
}

function setDefined(event, key, value) {
    if (value !== undefined) {
        event[key] = value;
    }
}

function baseEvent(entry, action, seq, attempt, ctx) {
    let queueId = str(entry.id);
    let event = {
        event_id: [queueId, seq || NO_SEQ, action, attempt || 1].join('.'),
        event_type: TYPE_BY_ACTION[action],
        direction: 'outbound',
        timestamp: ctx.now,
        mta_node: ctx.node
    };
    setString(event, 'queue_id', queueId, 64);
    setString(event, 'seq', seq, 16);
    return event;
}

// Fields shared by the message-level actions (QUEUED / NOQUEUE / DROP), taken from ZoneMTA's messageInfo.
function messageFields(event, entry, ctx) {
    setString(event, 'message_id', address(entry['message-id']), 998);
    setIp(event, 'remote_ip', entry.src);
    setDefined(event, 'message_size', toInteger(entry.body));
    setDefined(event, 'spam_score', toNumber(entry.score) ?? ctx.spamScore);
    setAddress(event, 'from_address', entry.from);
}

// A category is only a bounce category if it looks like one of ZoneMTA's short lower-case labels;
// app.reject()/app.drop() descriptions are free text.
function category(value) {
    let text = str(value).toLowerCase();
    return /^[a-z][a-z0-9_-]{0,31}$/.test(text) ? text : undefined;
}

function mapPerMessage(entry, action, ctx) {
    // DROP from the suppression list is already per recipient (seq + recipient)
    let recipients = entry.seq ? [str(entry.recipient)] : splitRecipients(entry.to);
    if (!recipients.length) {
        recipients = [''];
    }
    return recipients.map((recipient, index) => {
        let seq = entry.seq ? str(entry.seq) : recipient ? formatSeq(index + 1) : '';
        let event = baseEvent(entry, action, seq, 1, ctx);
        messageFields(event, entry, ctx);
        setString(event, 'to_address', recipient, 320);
        if (action === 'QUEUED') {
            event.delivery_time_ms = 0;
        } else {
            setDefined(event, 'bounce_category', category(entry.description));
        }
        if (action === 'NOQUEUE') {
            let response = str(entry.responseText) || str(entry.error);
            setText(event, 'smtp_response', response);
            setDefined(event, 'smtp_code', parseSmtpCode(response));
        }
        return event;
    });
}

function deliveryAttempt(entry, action, info) {
    if (action === 'DEFERRED') {
        let defcount = toInteger(entry.defcount);
        if (defcount >= 1) {
            return defcount;
        }
    }
    return info && Number.isInteger(info.deferredCount) ? info.deferredCount + 1 : 1;
}

// TLS is a property of an SMTP session. ZoneMTA 3.10.12+ logs tls:false even when no connection was
// made (connection refused, DNS failure); a session existed when the entry names the remote host
// (`connection.options.host`) or sender:connection reported one for this attempt (3.10.3-3.10.11).
function hadSession(entry, info) {
    return Boolean(str(entry.host)) || Boolean(info && typeof info.tls === 'boolean');
}

function mapDelivery(entry, action, ctx) {
    let info = ctx.delivery;
    let attempt = deliveryAttempt(entry, action, info);
    let event = baseEvent(entry, action, str(entry.seq), attempt, ctx);
    event.attempt = attempt;
    setString(event, 'message_id', address(entry.messageId), 998);
    setString(event, 'zone', entry.zone, 64);
    setAddress(event, 'from_address', entry.from);
    setString(event, 'to_address', address(entry.to), 320);
    setString(event, 'mx_host', entry.mx, 255);
    setIp(event, 'remote_ip', entry.host);
    setIp(event, 'local_ip', entry.ip);
    setText(event, 'smtp_response', entry.response);
    setDefined(event, 'smtp_code', parseSmtpCode(entry.response));
    setDefined(event, 'bounce_category', category(entry.category));
    setDefined(event, 'message_size', toInteger(entry.size) ?? toInteger(info && info.bodySize));
    if (hadSession(entry, info)) {
        setDefined(event, 'tls', firstBoolean(entry.tls, entry.secure, info && info.tls));
    }
    setDefined(event, 'spam_score', toNumber(info && info.spamScore) ?? ctx.spamScore);
    if (info && Number.isFinite(info.time)) {
        event.delivery_time_ms = Math.max(0, Math.round(ctx.now - info.time));
    }
    return event;
}

// DELETED without a seq (message missing from storage) removes every queued recipient at once: one
// event per recipient still queued when the plugin saw them routed (ctx.queued), else one seq-000 event.
function mapDeleted(entry, ctx) {
    let queued = !entry.seq && ctx.queued;
    if (!queued) {
        return [baseEvent(entry, 'DELETED', str(entry.seq), 1, ctx)];
    }
    return queued.recipients.map(recipient => {
        let event = baseEvent(entry, 'DELETED', recipient.seq, 1, ctx);
        setAddress(event, 'from_address', queued.from);
        setString(event, 'to_address', address(recipient.to), 320);
        setString(event, 'zone', recipient.zone, 64);
        return event;
    });
}

/**
 * @param {object} entry the object ZoneMTA passes to `log:entry`
 * @param {{now: number, node: string, delivery?: object, spamScore?: number, queued?: object}} ctx
 *   delivery: what sender:fetch cached for `id.seq` ({time, deferredCount, bodySize, tls, spamScore});
 *   queued: for DELETED, {from, recipients: [{seq, to, zone}]} still queued (from queue:route)
 * @returns {object[]} events (empty for actions Mailflow does not track)
 */
function mapEntry(entry, ctx) {
    if (!entry || typeof entry !== 'object' || !str(entry.id)) {
        return [];
    }
    let action = str(entry.action).toUpperCase();
    if (DELIVERY_ACTIONS.has(action)) {
        return [mapDelivery(entry, action, ctx)];
    }
    if (PER_MESSAGE_ACTIONS.has(action)) {
        return mapPerMessage(entry, action, ctx);
    }
    if (action === 'DELETED') {
        return mapDeleted(entry, ctx);
    }
    return [];
}

module.exports = { mapEntry, formatSeq, parseSmtpCode, TYPE_BY_ACTION, NO_SEQ };
