"""The demo's story: seven days of a mail site with a daily and weekly rhythm and a few things going wrong.

Pure logic (no I/O): `Scenario(anchor_ms, seed)` gives the message rate at any moment (busy office hours, quiet
nights, lighter weekends) and the incidents, anchored to the moment the demo starts (`anchor_ms`):

- a Microsoft (outlook.com / hotmail.com) incident two days ago, 14:00-17:00 UTC: most mail to them is deferred
  ("451 4.7.500 Server busy") and retried until it ends, so the deferred queue builds up and drains;
- a blocklisting of one sending IP four days ago, 09:00-23:00 UTC: much of its mail bounces with Spamhaus replies;
- one node (mta-02) quiet for an hour yesterday, 20:00-21:00 UTC (its share goes to the other nodes);
- one small destination (initech9.net) unreachable all week: its mail waits in the queue for two days, then bounces;
- the same Microsoft incident again, live, from 3 to 15 minutes after the start, so the Queue page moves.

`messages(start, end)` yields each message's events (tools.traffic's life cycle, changed by the incidents) in order of
their first event, every event timestamp unique.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from tools.traffic import NODES, Generator, arrivals

DAY_MS, HOUR_MS, MINUTE_MS = 86_400_000, 3_600_000, 60_000
EVENTS_PER_MESSAGE = 2.15  # measured mean over tools.traffic's mix (received + outcome, some deferrals)
IPS = {node: (f"192.0.2.{11 + 2 * i}", f"192.0.2.{12 + 2 * i}") for i, node in enumerate(NODES)}
BLOCKED_IP = IPS["mta-03"][0]
SENDERS = (("news@news.shopmail.example", 45), ("billing@billing.example.com", 20),
           ("no-reply@notify.example.org", 25), ("support@mail.example.net", 10))
MICROSOFT = frozenset({"outlook.com", "hotmail.com"})
UNREACHABLE = frozenset({"initech9.net"})  # its MX never answers all week: deferred for days, then bounced
GIVE_UP_MS = 2 * 86_400_000
BUSY = ("451 4.7.500 Server busy. Please try again later from [{ip}]. (S77719) "
        "[DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]")
LISTED = ("554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
          "https://www.spamhaus.org/query/ip/{ip}",
          "550 5.7.1 Service unavailable, Client host [{ip}] blocked using Spamhaus. To request removal from this "
          "list see https://www.spamhaus.org/query/ip/{ip} (AS3130)")


@dataclass(frozen=True)
class Incident:
    """Something going wrong between start_ms and end_ms."""

    kind: str  # "provider" | "blocklist" | "quiet"
    start_ms: int
    end_ms: int
    target: str  # provider name, sending IP or node

    def covers(self, ts: int) -> bool:
        """True when ts falls inside the incident."""
        return self.start_ms <= ts < self.end_ms


def rhythm(ts: int) -> float:
    """Relative traffic at ts (1.0 = a weekday afternoon): office-hours peak, quiet nights, lighter weekends."""
    hour = (ts % DAY_MS) / HOUR_MS
    daily = 0.12 + 0.88 * math.exp(-(((hour - 13.0) / 4.5) ** 2))
    weekday = (ts // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    return daily * (0.45 if weekday >= 5 else 1.0)


class Scenario:
    """The demo's timeline anchored at anchor_ms, with a peak rate of peak_rate messages/s."""

    def __init__(self, anchor_ms: int, seed: int = 15, peak_rate: float = 1.0):
        self.anchor, self.peak_rate = anchor_ms, peak_rate
        self.rng = random.Random(seed)
        self.gen = Generator(seed)
        self.gen.rng = self.rng
        self._used: set[int] = set()
        midnight = anchor_ms - anchor_ms % DAY_MS
        self.incidents = (
            Incident("blocklist", midnight - 4 * DAY_MS + 9 * HOUR_MS, midnight - 4 * DAY_MS + 23 * HOUR_MS,
                     BLOCKED_IP),
            Incident("provider", midnight - 2 * DAY_MS + 14 * HOUR_MS, midnight - 2 * DAY_MS + 17 * HOUR_MS,
                     "microsoft"),
            Incident("quiet", midnight - DAY_MS + 20 * HOUR_MS, midnight - DAY_MS + 21 * HOUR_MS, "mta-02"),
            Incident("provider", anchor_ms + 3 * MINUTE_MS, anchor_ms + 15 * MINUTE_MS, "microsoft"),
        )

    @staticmethod
    def peak_for(events: int, start_ms: int, end_ms: int) -> float:
        """The peak message rate that yields about `events` events between start_ms and end_ms."""
        mean = sum(rhythm(t) for t in range(start_ms, end_ms, MINUTE_MS)) / max(1, (end_ms - start_ms) // MINUTE_MS)
        return events / EVENTS_PER_MESSAGE / ((end_ms - start_ms) / 1000) / mean

    def active(self, kind: str, ts: int) -> Incident | None:
        """The incident of this kind going on at ts, if any."""
        return next((i for i in self.incidents if i.kind == kind and i.covers(ts)), None)

    def messages(self, start_ms: int, end_ms: int | None = None) -> Iterator[list[dict]]:
        """Every message starting in [start_ms, end_ms) (endless when end_ms is None), in start order."""
        for ts in arrivals(self.rng, start_ms, self.peak_rate):
            if end_ms is not None and ts >= end_ms:
                return
            if self.rng.random() < rhythm(ts):  # thinning: Poisson arrivals that follow the rhythm
                yield self.message(ts)

    def message(self, ts: int) -> list[dict]:
        """One message starting at ts with the incidents applied and unique timestamps."""
        inbound = self.rng.random() < self.gen.inbound_share
        events = self.gen.inbound(ts) if inbound else self.gen.outbound(ts)
        quiet = self.active("quiet", ts)
        node = events[0]["mta_node"]
        if quiet and node == quiet.target:
            node = self.rng.choice([n for n in NODES if n != quiet.target])
        ip = self.rng.choice(IPS[node])
        sender = self.rng.choices([s for s, _ in SENDERS], [w for _, w in SENDERS])[0]
        for event in events:
            event["mta_node"] = node
            if not inbound:
                event["local_ip"], event["from_address"] = ip, sender
        if not inbound:
            events = self._incidents(events, ts, ip)
        return self._unique(self._resume_after_outage(events))

    def _resume_after_outage(self, events: list[dict]) -> list[dict]:
        # a quiet node posts nothing: retries that fall into its hour happen after it, later ones move along
        quiet = next((i for i in self.incidents if i.kind == "quiet" and events[0]["mta_node"] == i.target), None)
        shift = 0
        for event in events[1:]:
            event["timestamp"] += shift
            if quiet and quiet.covers(event["timestamp"]):
                moved = quiet.end_ms + int(self.rng.uniform(1_000, 120_000))
                shift += moved - event["timestamp"]
                event["timestamp"] = moved
        return events

    def _incidents(self, events: list[dict], ts: int, ip: str) -> list[dict]:
        first, domain = events[0], events[0]["to_address"].rpartition("@")[2]
        listed = self.active("blocklist", ts)
        if listed and ip == listed.target and first["event_type"] == "received" and self.rng.random() < 0.6:
            t = ts + int(self.rng.uniform(400, 4000))
            return [first, first | {"event_id": f"{first['queue_id']}.001.REJECTED.1", "event_type": "bounced",
                                    "timestamp": t, "delivery_time_ms": t - ts, "attempt": 1,
                                    "bounce_category": "blacklist", "smtp_code": 554 if "zen" in (
                                        reply := self.rng.choice(LISTED)) else 550,
                                    "smtp_response": reply.format(ip=ip)}]
        if domain in UNREACHABLE and first["event_type"] == "received":
            return self._unreachable(events)
        busy = self.active("provider", ts)
        if busy and domain in MICROSOFT and first["event_type"] == "received" and self.rng.random() < 0.85:
            return self._deferred_until(events, busy.end_ms, ip)
        return events

    def _retries(self, first: dict, until_ms: int, reply: str, category: str, mx: str) -> tuple[list[dict], int]:
        """Deferred attempts with ZoneMTA-like growing gaps while before until_ms; (events, next attempt time)."""
        out, t, attempt = [], first["timestamp"], 1
        while True:
            t += int(self.rng.uniform(0.6, 1.0) * min(5 * MINUTE_MS * 2 ** (attempt - 1), 3 * HOUR_MS))
            if t >= until_ms:
                return out, t
            out.append(first | {"event_id": f"{first['queue_id']}.001.DEFERRED.{attempt}", "event_type": "deferred",
                                "timestamp": t, "attempt": attempt, "bounce_category": category, "mx_host": mx,
                                "delivery_time_ms": t - first["timestamp"], "smtp_response": reply})
            attempt += 1

    def _deferred_until(self, events: list[dict], end_ms: int, ip: str) -> list[dict]:
        first, last = events[0], events[-1]
        mx = last.get("mx_host") or "outlook-com.olc.protection.outlook.com"
        out, t = self._retries(first, end_ms, BUSY.format(ip=ip), "rate", mx)
        t = max(t, end_ms) + int(self.rng.uniform(5_000, 10 * MINUTE_MS))  # the first try after the incident
        done = {k: v for k, v in last.items() if k != "bounce_category"}
        attempt = len(out) + 1
        return [first, *out, done | {
            "event_id": f"{first['queue_id']}.001.ACCEPTED.{attempt}", "event_type": "delivered", "timestamp": t,
            "attempt": attempt, "delivery_time_ms": t - first["timestamp"], "smtp_code": 250, "mx_host": mx,
            "smtp_response": f"250 2.6.0 <{first['queue_id']}@{first['mta_node']}> Queued mail"}]

    def _unreachable(self, events: list[dict]) -> list[dict]:
        # a domain whose MX never answers: retried for two days (the queue's oldest entries), then bounced
        first = events[0]
        mx = f"mx.{first['to_address'].rpartition('@')[2]}"
        out, t = self._retries(first, first["timestamp"] + GIVE_UP_MS, "Connection timed out after 120 seconds",
                               "network", mx)
        attempt = len(out) + 1
        return [first, *out, first | {
            "event_id": f"{first['queue_id']}.001.REJECTED.{attempt}", "event_type": "bounced", "timestamp": t,
            "attempt": attempt, "delivery_time_ms": t - first["timestamp"], "bounce_category": "network",
            "mx_host": mx, "smtp_response": "Delivery failed: retries exhausted (Connection timed out after 120 "
                                            "seconds)"}]

    def _unique(self, events: list[dict]) -> list[dict]:
        # one moment per event, as a real log has: a clash moves the event by a millisecond
        if len(self._used) > 2_000_000:  # live for days: forget moments long past (messages start in order)
            self._used = {t for t in self._used if t > events[0]["timestamp"] - DAY_MS}
        start = None
        for event in events:
            t = event["timestamp"]
            while t in self._used:
                t += 1
            self._used.add(t)
            event["timestamp"] = t
            start = t if start is None else start
            if "delivery_time_ms" in event:
                event["delivery_time_ms"] = t - start
        return events
