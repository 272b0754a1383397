"""Pure derivations of one node's queue state from ZoneMTA API answers: per-zone counts, the age distribution,
the oldest message, operator buckets for deferral reasons, and the node record kept in Redis (fresh or stale).

Ages come from the oldest-first page of each zone's queued and deferred lists (≤1000 entries each). Entries
beyond that page are younger than the page's last entry; they are counted in that entry's bracket, and the
distribution is flagged `approximate`.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

# (upper bound in seconds, key, label); the last bracket is open-ended
BRACKETS = (
    (300, "lt_5m", "< 5 min"), (1800, "5m_30m", "5–30 min"), (7200, "30m_2h", "30 min–2 h"),
    (21600, "2h_6h", "2–6 h"), (86400, "6h_24h", "6–24 h"), (None, "gt_24h", "> 24 h"),
)
REASON_BUCKETS = ("rate-limited", "greylisted", "mx/network unavailable", "timeout", "blacklist/policy",
                  "recipient", "other", "unknown")
_BUCKET_OF_CATEGORY = {
    "rate": "rate-limited", "capacity": "rate-limited",  # deferred "capacity" = too many connections, busy
    "greylist": "greylisted",
    "network": "mx/network unavailable", "dns": "mx/network unavailable",
    "blacklist": "blacklist/policy", "block": "blacklist/policy", "spam": "blacklist/policy",
    "policy": "blacklist/policy", "dmarc": "blacklist/policy", "auth": "blacklist/policy",
    "sender": "blacklist/policy",
    "recipient": "recipient", "envelope": "recipient",
}
_BUCKET_OF_CLASS = {"throttling": "rate-limited", "infrastructure": "mx/network unavailable",
                    "reputation": "blacklist/policy", "recipient": "recipient"}
# ZoneMTA files timeouts under "network"; the response text tells them apart
_TIMEOUT = re.compile(r"time[ds]?[ -]?out|ETIMEDOUT", re.IGNORECASE)


def bracket_of(age_seconds: float) -> str:
    """The age bracket key for an age in seconds."""
    for bound, key, _label in BRACKETS:
        if bound is None or age_seconds < bound:
            return key
    raise AssertionError("unreachable: the last bracket is open-ended")


def parse_time(value: str) -> datetime:
    """A ZoneMTA ISO timestamp ("…Z") as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def zone_counts(counter: dict) -> list[dict]:
    """Per-zone active/deferred counts from a /counter/zone/ answer (its first key is always "all")."""
    zones: dict[str, dict] = {}
    for kind in ("active", "deferred"):
        for entry in counter.get(kind, {}).get("entries") or []:
            zones.setdefault(entry["key"], {"zone": entry["key"], "active": 0, "deferred": 0})[kind] = entry["value"]
    return sorted(zones.values(), key=lambda z: z["zone"])


def age_distribution(zones: list[dict], lists: dict, now: datetime) -> tuple[list[dict], bool]:
    """Counts per age bracket (in bracket order) over every queued entry, and whether any had to be estimated."""
    counts = dict.fromkeys((key for _b, key, _l in BRACKETS), 0)
    approximate = False
    for zone in zones:
        for kind, list_type in (("active", "queued"), ("deferred", "deferred")):
            entries = lists.get(zone["zone"], {}).get(list_type, [])
            for entry in entries:
                counts[bracket_of((now - parse_time(entry["created"])).total_seconds())] += 1
            unlisted = zone[kind] - len(entries)
            if unlisted > 0:
                approximate = True
                youngest = parse_time(entries[-1]["created"]) if entries else now
                counts[bracket_of((now - youngest).total_seconds())] += unlisted
    return [{"bracket": key, "label": label, "count": counts[key]} for _b, key, label in BRACKETS], approximate


def oldest(lists: dict, now: datetime) -> dict | None:
    """The entry with the earliest `created` over all zones and both lists, with its age and recipient domain."""
    firsts = [page[0] for zone in lists.values() for page in zone.values() if page]
    if not firsts:
        return None
    entry = min(firsts, key=lambda e: parse_time(e["created"]))
    return {"id": entry["id"], "zone": entry.get("zone"), "created": entry["created"],
            "age_seconds": int((now - parse_time(entry["created"])).total_seconds()),
            "recipient_domain": entry.get("recipient", "").rpartition("@")[2].lower() or None}


def deferred_keys(lists: dict) -> list[tuple[str, str, str]]:
    """(queue id, lower-cased recipient, created) of every listed deferred entry, for the reason lookup."""
    return [(e["id"], e.get("recipient", "").lower(), e["created"])
            for zone in lists.values() for e in zone.get("deferred", [])]


def reason_bucket(category: str | None, reason_class: str | None, response: str | None) -> str:
    """Operator bucket of a deferral from its latest deferred event; "unknown" when there is no such event."""
    if category is None and reason_class is None and response is None:
        return "unknown"
    if category in (None, "network", "other") and response and _TIMEOUT.search(response):
        return "timeout"
    return _BUCKET_OF_CATEGORY.get(category or "") or _BUCKET_OF_CLASS.get(reason_class or "", "other")


def deferred_reasons(keys: list[tuple], latest: dict[tuple[str, str], tuple]) -> dict[str, int]:
    """Counts per reason bucket of the listed deferred entries, given their latest deferred events."""
    counts = Counter(reason_bucket(*latest.get((qid, rcpt), (None, None, None))) for qid, rcpt, _c in keys)
    return {bucket: counts[bucket] for bucket in REASON_BUCKETS if counts[bucket]}


def fresh_record(node: str, raw: dict, reasons: dict[str, int], now: datetime) -> dict:
    """The Redis record of a node that answered this poll."""
    zones = zone_counts(raw["counter"])
    ages, approximate = age_distribution(zones, raw["lists"], now)
    return {
        "node": node, "stale": False, "polled_at": now.isoformat(), "since": now.isoformat(), "error": None,
        "zones": zones, "active": sum(z["active"] for z in zones), "deferred": sum(z["deferred"] for z in zones),
        "ages": ages, "ages_approximate": approximate, "oldest": oldest(raw["lists"], now),
        "deferred_reasons": reasons,
    }


def stale_record(node: str, previous: dict | None, error: str, now: datetime) -> dict:
    """The record of a node that failed: its last good numbers, flagged, with the time of that success."""
    base = previous or {"zones": [], "active": 0, "deferred": 0, "ages": [], "ages_approximate": False,
                        "oldest": None, "deferred_reasons": {}, "since": None}
    return {**base, "node": node, "stale": True, "polled_at": now.isoformat(), "error": error}
