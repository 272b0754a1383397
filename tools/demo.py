"""The demo sender behind `make demo`: seven days of history through the real ingest path, then live traffic.

`python -m tools.demo --url INGEST_URL --key KEY --state FILE [--events 600000] [--days 7] [--rate N]`
Backfill posts the scenario's history (tools/scenario.py) in batches of 1000 from two connections, prints its
progress ("backfill 43% (260K events)"), and waits until the writers have *written* every event (the pipeline's
`written` counter in Redis), not only until ingest accepted them. Live then posts each event when its time comes,
continuing the same scenario at the same rhythm. Throughout, the outbound messages still in flight (received but
not yet delivered or bounced) are kept as each node's ZoneMTA queue in FILE, which tools/zonemta_sim.py serves.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from queue import Queue

import msgspec
import redis

from pipeline import telemetry
from tools.outbox import Outbox
from tools.scenario import DAY_MS, EVENTS_PER_MESSAGE, Scenario
from tools.send import Poster

_encoder = msgspec.json.Encoder()
WRITE_WAIT_SECONDS = 600


class Sender:
    """Posts batches from a bounded queue over `connections` keep-alive connections; counts what was accepted."""

    def __init__(self, url: str, key: str, connections: int = 2):
        self.pending: Queue = Queue(maxsize=4 * connections)
        self.accepted, self.failed, self._lock = 0, 0, threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(Poster(url, key, timeout=60),), daemon=True)
                        for _ in range(connections)]
        for thread in self.threads:
            thread.start()

    def _run(self, poster: Poster) -> None:
        while (batch := self.pending.get()) is not None:
            encoded = _encoder.encode(batch)  # msgspec: several times faster than json, on a busy 2-core box
            for _attempt in range(5):  # a 429/503 is retried after a pause; a 4xx would be a generator bug
                try:
                    status, body = poster.post(encoded)
                except OSError as exc:
                    status, body = 0, {"error": str(exc)}
                if status == 202:
                    with self._lock:
                        self.accepted += body.get("queued", 0)
                        self.failed += len(body.get("rejected", []))
                    break
                print(f"demo: ingest answered {status}: {str(body)[:200]}", file=sys.stderr, flush=True)
                if status in (400, 401, 413):
                    break  # not worth retrying: the same batch would get the same answer
                time.sleep(1)  # back-off before the retry, as the ZoneMTA plugin does
            self.pending.task_done()

    def close(self) -> None:
        """Send what is queued, then stop the threads."""
        for _ in self.threads:
            self.pending.put(None)
        for thread in self.threads:
            thread.join()


def written(redis_url: str) -> int:
    """The pipeline's count of events written to PostgreSQL (telemetry.COUNTERS "written")."""
    return int(redis.Redis.from_url(redis_url).hget(telemetry.COUNTERS, "written") or 0)


def backfill(scenario: Scenario, sender: Sender, outbox: Outbox, days: float, redis_url: str | None) -> int:
    """Post `days` of history up to the anchor, wait until it is written; return the number of events."""
    end = scenario.anchor
    start, before, began = end - int(days * DAY_MS), written(redis_url) if redis_url else 0, time.monotonic()
    batch, total, step = [], 0, 10
    for message in scenario.messages(start, end):
        for event in message:
            if event["timestamp"] <= end:
                batch.append(event)
            else:
                outbox.later(event, message)
        outbox.track(message, end)
        if len(batch) >= 1000:
            sender.pending.put(batch[:1000])
            total, batch = total + 1000, batch[1000:]
            done = 100 * (message[0]["timestamp"] - start) // (end - start)
            if done >= step:
                print(f"backfill {done}% ({total // 1000}K events)", flush=True)
                step = done + 10
    if batch:
        sender.pending.put(batch)
    total += len(batch)
    sender.pending.join()
    posted = time.monotonic() - began
    while redis_url and written(redis_url) - before < sender.accepted:
        if time.monotonic() - began > WRITE_WAIT_SECONDS:
            print("demo: the writers have not stored everything yet (see python -m workers); going live anyway",
                  file=sys.stderr, flush=True)
            break
        time.sleep(0.2)  # the writers are busy: poll their counter until every accepted event is in PostgreSQL
    print(f"backfill 100% ({total:,} events posted, {sender.accepted:,} accepted and written) in "
          f"{time.monotonic() - began:.1f} s (all accepted after {posted:.1f} s)", flush=True)
    return total


def live(scenario: Scenario, sender: Sender, outbox: Outbox, state: Path) -> None:
    """Post each event when its time comes, forever; refresh the queue file every 2 seconds."""
    messages = scenario.messages(scenario.anchor)
    upcoming = next(messages)
    saved = 0.0
    while True:
        now = int(time.time() * 1000)
        while upcoming[0]["timestamp"] <= now:
            for event in upcoming:
                outbox.later(event, upcoming)
            upcoming = next(messages)
        ready = outbox.due(now)
        for i in range(0, len(ready), 100):  # plugin-sized batches, at least once a second
            sender.pending.put(ready[i:i + 100])
        if time.monotonic() - saved >= 2:
            outbox.save(state, now)
            saved = time.monotonic()
        time.sleep(max(0.0, 1.0 - (time.time() * 1000 - now) / 1000))


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: backfill, then live traffic until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the ingest URL")
    parser.add_argument("--key", required=True)
    parser.add_argument("--state", type=Path, required=True, help="where to keep the nodes' queues (JSON)")
    parser.add_argument("--events", type=int, default=500_000, help="about how many events of history")
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="live events/s at the daily peak (0: the rate of the history)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    from config import Settings

    redis_url = Settings.from_env(os.environ).redis_url
    anchor = int(time.time() * 1000)
    peak = Scenario.peak_for(args.events, anchor - int(args.days * DAY_MS), anchor) if args.events else 1.0
    scenario, outbox = Scenario(anchor, args.seed, peak), Outbox()
    sender = Sender(args.url, args.key)
    try:
        if args.events:
            backfill(scenario, sender, outbox, args.days, redis_url)
        if args.rate:
            scenario.peak_rate = peak = args.rate / EVENTS_PER_MESSAGE
        outbox.save(args.state, int(time.time() * 1000))
        print(f"demo: live traffic on (about {peak * 3600:,.0f} messages an hour at the daily peak)", flush=True)
        live(scenario, sender, outbox, args.state)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
