"""ZoneMTA-shaped traffic: realistic outbound and inbound events for the demo, the tests and the benchmarks.

Messages follow ZoneMTA's life cycle: a `received` event per recipient, then delivery, deferrals (greylist, rate,
network ...) with later success or a bounce, or an immediate bounce/rejection/drop. Destinations have a heavy head
(gmail, outlook, yahoo ...) and a long tail; delivery times and sizes are log-normal with long tails. Event ids use
the plugin's `<queue_id>.<seq>.<ACTION>.<attempt>` form. Optional duplicates and out-of-order delivery.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

NODES = ("mta-01", "mta-02", "mta-03", "mta-04")
ZONES = ("default", "bulk", "transactional")
HEAD = [("gmail.com", "gmail-smtp-in.l.google.com", 30), ("outlook.com", "outlook-com.olc.protection.outlook.com", 14),
        ("hotmail.com", "hotmail-com.olc.protection.outlook.com", 5), ("yahoo.com", "mta5.am0.yahoodns.net", 9),
        ("icloud.com", "mx01.mail.icloud.com", 4), ("gmx.de", "mx00.emig.gmx.net", 3), ("web.de", "mx-ha02.web.de", 2),
        ("aol.com", "mx-aol.mail.gm0.yahoodns.net", 2), ("mail.ru", "mxs.mail.ru", 1), ("yandex.ru", "mx.yandex.ru", 1)]
_WORDS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne", "soylent",
          "wonka", "oscorp", "vandelay", "pied", "dunder")
TAIL = [(f"{w}{n}.{tld}", f"mx{n % 3}.{w}{n}.{tld}")
        for n, (w, tld) in enumerate((w, tld) for w in _WORDS for tld in ("com", "net", "de", "io"))]
DEFER = [("greylist", 40, "451 4.7.1 Greylisted, please try again in 300 seconds"),
         ("rate", 25, "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to user complaints"),
         ("network", 25, "Connection timed out after 120 seconds"),
         ("other", 10, "450 4.2.1 The user you are trying to contact is receiving mail too quickly")]
BOUNCE = [("recipient", 60, "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown"),
          ("blacklist", 15, "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org"),
          ("spam", 10, "550 5.7.1 Message rejected as spam (id {qid})"),
          ("capacity", 8, "552 5.2.2 <{rcpt}> Mailbox full"),
          ("policy", 7, "550 5.7.26 Unauthenticated email is not accepted due to the sender's DMARC policy")]


def _pick(rng: random.Random, table: list) -> tuple:
    return rng.choices(table, weights=[row[1] for row in table])[0]


class Generator:
    """Deterministic (seeded) source of events; `messages()` yields each message's events in time order."""

    def __init__(self, seed: int = 1, nodes: tuple[str, ...] = NODES, inbound_share: float = 0.25):
        self.rng = random.Random(seed)
        self.nodes, self.inbound_share, self.counter = nodes, inbound_share, 0

    def _destination(self) -> tuple[str, str]:
        if self.rng.random() < 0.75:
            domain, mx, _ = self.rng.choices(HEAD, weights=[h[2] for h in HEAD])[0]
            return domain, mx
        return TAIL[min(int(self.rng.paretovariate(1.2)) - 1, len(TAIL) - 1)]

    def _base(self, ts: int, qid: str, seq: str, direction: str, node: str) -> dict:
        return {"timestamp": ts, "queue_id": qid, "seq": seq, "direction": direction, "mta_node": node,
                "message_id": f"<{qid}@{node}.example.net>", "zone": self.rng.choice(ZONES),
                "message_size": min(int(self.rng.lognormvariate(10.3, 1.4)), 40 * 1024 * 1024)}

    def outbound(self, ts: int) -> list[dict]:
        """Events of one outbound message to one recipient, starting at ts (epoch ms)."""
        self.counter += 1
        qid, node = f"{ts:x}{self.counter:08x}", self.rng.choice(self.nodes)
        domain, mx = self._destination()
        rcpt = f"user{self.rng.randrange(10**6)}@{domain}"
        base = self._base(ts, qid, "001", "outbound", node) | {
            "from_address": f"news@sender{self.counter % 7}.example.net", "to_address": rcpt,
            "local_ip": f"192.0.2.{10 + NODES.index(node) if node in NODES else 10}"}
        events = [base | {"event_id": f"{qid}.001.QUEUED.1", "event_type": "received"}]
        roll, t, attempt = self.rng.random(), ts, 1
        if roll < 0.01:
            return [base | {"event_id": f"{qid}.001.NOQUEUE.1", "event_type": "rejected", "bounce_category": "spam",
                            "smtp_response": "550 5.7.1 Message rejected by policy"}]
        deferrals = self.rng.choices((0, 1, 2, 3), weights=(88, 7, 3, 2))[0] if roll > 0.03 else 0
        for _ in range(deferrals):
            t += int(self.rng.uniform(2_000, 60_000)) * attempt
            cat, _, resp = _pick(self.rng, DEFER)
            events.append(base | {"event_id": f"{qid}.001.DEFERRED.{attempt}", "event_type": "deferred",
                                  "timestamp": t, "bounce_category": cat, "smtp_response": resp, "mx_host": mx,
                                  "attempt": attempt, "delivery_time_ms": t - ts})
            attempt += 1
        t += int(self.rng.lognormvariate(7.2, 1.1)) + 50
        outcome = {"mx_host": mx, "remote_ip": f"198.51.100.{self.rng.randrange(1, 250)}", "attempt": attempt,
                   "timestamp": t, "delivery_time_ms": t - ts, "tls": self.rng.random() < 0.93}
        if roll < 0.03 or (deferrals == 3 and self.rng.random() < 0.5):
            cat, _, resp = _pick(self.rng, BOUNCE)
            return events + [base | outcome | {"event_id": f"{qid}.001.REJECTED.{attempt}", "event_type": "bounced",
                                               "bounce_category": cat,
                                               "smtp_response": resp.format(rcpt=rcpt, qid=qid)}]
        if roll < 0.032:
            return events + [base | {"event_id": f"{qid}.001.DROP.1", "event_type": "dropped", "timestamp": t}]
        accepted = {"event_id": f"{qid}.001.ACCEPTED.{attempt}", "event_type": "delivered", "smtp_code": 250,
                    "smtp_response": f"250 2.0.0 OK {t // 1000} {qid} - gsmtp"}
        return events + [base | outcome | accepted]

    def inbound(self, ts: int) -> list[dict]:
        """Events of one inbound message (accepted, greylisted or rejected at SMTP time)."""
        self.counter += 1
        qid, node = f"{ts:x}{self.counter:08x}", self.rng.choice(self.nodes)
        domain, mx = self._destination()
        base = self._base(ts, qid, "001", "inbound", node) | {
            "from_address": f"someone{self.rng.randrange(1000)}@{domain}", "to_address": "support@example.net",
            "mx_host": mx, "remote_ip": f"203.0.113.{self.rng.randrange(1, 250)}"}
        roll = self.rng.random()
        if roll < 0.06:
            return [base | {"event_id": f"{qid}.001.GREY.1", "event_type": "greylisted", "bounce_category": "greylist",
                            "smtp_response": "451 4.7.1 Greylisted"}]
        if roll < 0.12:
            return [base | {"event_id": f"{qid}.001.NOQUEUE.1", "event_type": "rejected", "bounce_category": "spam",
                            "smtp_response": "554 5.7.1 Rejected: listed at zen.spamhaus.org"}]
        score = round(self.rng.expovariate(0.6), 2)
        delivered = base | {"timestamp": ts + int(self.rng.lognormvariate(5.5, 0.8)), "spam_score": score}
        return [base | {"event_id": f"{qid}.001.QUEUED.1", "event_type": "received", "spam_score": score},
                delivered | {"event_id": f"{qid}.001.STORED.1", "event_type": "delivered",
                             "delivery_time_ms": delivered["timestamp"] - ts}]

    def messages(self, start_ms: int, end_ms: int, count: int) -> Iterator[list[dict]]:
        """`count` messages with start times spread uniformly over [start_ms, end_ms)."""
        for _ in range(count):
            ts = self.rng.randrange(start_ms, end_ms)
            yield self.inbound(ts) if self.rng.random() < self.inbound_share else self.outbound(ts)


def arrivals(rng: random.Random, start_ms: float, per_second: float) -> Iterator[int]:
    """Endless Poisson arrival times (epoch ms) after start_ms, `per_second` on average.

    Exponential gaps give every message its own moment, as real traffic has, instead of bursts sharing one
    timestamp; the mean rate stays `per_second`.
    """
    if per_second <= 0:
        raise ValueError(f"per_second must be positive, got {per_second}")
    t = float(start_ms)
    while True:
        t += rng.expovariate(per_second) * 1000.0
        yield int(t)


def dataset(seed: int, start_ms: int, end_ms: int, messages: int, *, duplicates: float = 0.0,
            shuffle: bool = False, now_ms: int | None = None) -> list[dict]:
    """A flat event list: events after now_ms are left out; some repeated (duplicates), optionally shuffled."""
    gen = Generator(seed)
    events = [e for msg in gen.messages(start_ms, end_ms, messages) for e in msg
              if now_ms is None or e["timestamp"] <= now_ms]
    events += [dict(e) for e in gen.rng.sample(events, int(len(events) * duplicates))]
    if shuffle:
        gen.rng.shuffle(events)
    return events
