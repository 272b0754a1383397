"""Send generated traffic to a Mailflow ingest URL: `python -m tools.send --url URL --key KEY [--rate N] [--seconds S]`.

Live mode keeps a schedule of every message's future events (deferrals, later deliveries) and posts each event when
its time comes, in batches like the ZoneMTA plugin's (at most --batch events, at least once a second).
"""

from __future__ import annotations

import argparse
import heapq
import http.client
import json
import sys
import time
from urllib.parse import urlsplit

from tools.traffic import Generator, arrivals


class Poster:
    """A keep-alive HTTP client that POSTs event batches to the ingest endpoint."""

    def __init__(self, url: str, key: str, timeout: float = 10.0):
        self.url, self.key, self.timeout = urlsplit(url), key, timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, events: list[dict] | bytes) -> tuple[int, dict]:
        """POST one batch (events, or their JSON already encoded); return (status, JSON body). Reconnects once
        after a dropped connection."""
        body = events if isinstance(events, bytes) else json.dumps(events).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port or 80,
                                                           timeout=self.timeout)
                self.conn.request("POST", self.url.path, body, headers)
                response = self.conn.getresponse()
                return response.status, json.loads(response.read() or b"{}")
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def live(poster: Poster, rate: float, seconds: float, batch: int, seed: int) -> int:
    """Post about `rate` events/s for `seconds` (forever when 0); return the number of events accepted."""
    gen, due, accepted, seq = Generator(seed), [], 0, 0
    started = time.time()
    # a message has ~2.2 events on average; Poisson arrivals give each message its own start time
    clock = arrivals(gen.rng, started * 1000, rate / 2.2)
    arrival = next(clock)
    while seconds <= 0 or time.time() - started < seconds:
        now = int(time.time() * 1000)
        while arrival <= now:
            msg = gen.outbound(arrival) if gen.rng.random() > gen.inbound_share else gen.inbound(arrival)
            for event in msg:
                seq += 1
                heapq.heappush(due, (event["timestamp"], seq, event))
            arrival = next(clock)
        ready = []
        while due and due[0][0] <= now:
            ready.append(heapq.heappop(due)[2])
        for i in range(0, len(ready), batch):
            try:
                status, body = poster.post(ready[i:i + batch])
                accepted += body.get("queued", 0) if status == 202 else 0
            except OSError as exc:
                print(f"send: {exc}", file=sys.stderr)
        time.sleep(max(0.0, 1.0 - (time.time() * 1000 - now) / 1000))
    return accepted


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--rate", type=float, default=40.0, help="events per second (about)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = run until killed)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args(argv)
    try:
        accepted = live(Poster(args.url, args.key), args.rate, args.seconds, args.batch, args.seed)
    except KeyboardInterrupt:
        return 0
    print(f"accepted {accepted} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
