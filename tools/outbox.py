"""The demo's mail in flight: events scheduled for later, and the ZoneMTA queue they imply on each node.

A message posted up to its `received` (or a `deferred`) event but not yet to its final event is in its node's
queue, exactly as in ZoneMTA: "active" while its next attempt is due, "deferred" until then. Entries carry the
fields ZoneMTA's `/queued/...` lists have (id, zone, recipient, created, queued, deferred), so the queue poller can
look up each deferral's reason in the events the demo posted.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path

FINAL = frozenset({"delivered", "bounced", "rejected", "dropped"})


def iso(ms: int) -> str:
    """ZoneMTA's timestamp form: ISO 8601 with milliseconds and Z."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class Outbox:
    """Future events in time order, and the queue entries of outbound messages in flight."""

    def __init__(self):
        self._heap: list[tuple[int, int, dict, list[dict]]] = []
        self._seq = itertools.count()
        self.queue: dict[str, dict] = {}  # queue id -> entry (outbound messages in flight)

    def later(self, event: dict, message: list[dict]) -> None:
        """Schedule one event of `message` for its time."""
        heapq.heappush(self._heap, (event["timestamp"], next(self._seq), event, message))

    def track(self, message: list[dict], now: int) -> None:
        """Update the queue for a message whose events up to `now` have been posted."""
        posted = [e for e in message if e["timestamp"] <= now]
        if posted:
            self._apply(posted[-1], message)

    def due(self, now: int) -> list[dict]:
        """Pop every event due by `now`, updating the queue as each is posted."""
        ready = []
        while self._heap and self._heap[0][0] <= now:
            _ts, _n, event, message = heapq.heappop(self._heap)
            self._apply(event, message)
            ready.append(event)
        return ready

    def _apply(self, event: dict, message: list[dict]) -> None:
        qid = event.get("queue_id")
        if event["direction"] != "outbound" or not qid:
            return
        if event["event_type"] in FINAL:
            self.queue.pop(qid, None)
            return
        later = [e["timestamp"] for e in message if e["timestamp"] > event["timestamp"]]
        deferred = event["event_type"] == "deferred"
        self.queue[qid] = {"node": event["mta_node"], "id": qid, "zone": event.get("zone", "default"),
                           "recipient": event.get("to_address", ""), "created": message[0]["timestamp"],
                           "queued": later[0] if deferred and later else event["timestamp"],
                           "deferred": event.get("attempt", 1) if deferred else 0}

    def snapshot(self) -> dict[str, list[dict]]:
        """Each node's queue entries, oldest first, in ZoneMTA's list shape (times as epoch ms)."""
        nodes: dict[str, list[dict]] = {}
        for entry in sorted(self.queue.values(), key=lambda e: e["created"]):
            nodes.setdefault(entry["node"], []).append({k: v for k, v in entry.items() if k != "node"})
        return nodes

    def save(self, path: Path, now: int) -> None:
        """Write the snapshot atomically (the simulated nodes read it at any moment)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"saved_ms": now, "nodes": self.snapshot()}))
        os.replace(tmp, path)
