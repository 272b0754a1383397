"""Page callback benchmark: every dashboard callback that queries, x 1h / 24h / 7d / 30d, on the 10M-event data set.

    .venv/bin/python -m bench.pages     # needs the query benchmark's database (python -m bench.queries loads it)

Each page callback function runs as Dash runs it on the server (named queries + figure building + shaping), inside
a request context of the real app, one at a time; set_props (the error banner) is a no-op here. The browser's own
rendering time is not included. 2 warm-up + N timed calls per cell; p50 / p95 in ms; target p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from pathlib import Path

from bench.queries import RANGES, app_client
from bench.query_data import DATABASE_URL as DEFAULT_URL

CALLBACKS = [  # (page module, callback, extra positional args after search)
    ("outbound", "update_counters", (0,)), ("outbound", "update_throughput", (0, "light")),
    ("outbound", "update_nodes", (0, "light")), ("outbound", "update_sizes", (0, "light")),
    ("outbound", "update_bounces", (0, "light")), ("inbound", "update_inbound_counters", (0,)),
    ("inbound", "update_inbound", (0, "light")), ("inbound", "update_inbound_domains", (0, "light")),
    ("inbound", "update_inbound_nodes", (0, "light")), ("performance", "update_performance", (0, "light")),
    ("performance", "update_domains", (0,)), ("queue", "update_queue", None), ("queue", "update_pipeline", None),
    ("events", "update_events", ("/events",)),
]
RESULTS = Path(__file__).with_name("RESULTS.md")
HEADING = "## Page callbacks (issue 6)"


def measure(repeat: int, url: str) -> dict:
    """{(callback, range): (p50, p95)} in ms."""
    client = app_client(url)
    from pages import _context

    _context.set_props = lambda *_a, **_k: None  # no Dash request context here: the banner is irrelevant to timing
    out = {}
    with client.application.test_request_context():
        for module, name, extra in CALLBACKS:
            fn = getattr(importlib.import_module(f"pages.{module}"), name)
            for rng in RANGES:
                samples = []
                for i in range(repeat + 2):
                    started = time.perf_counter()
                    args = (0, "light")[:1 + (name == "update_queue")]  # queue callbacks take no URL
                    if extra is not None:
                        args = (f"?range={rng}", *extra)
                    fn(*args)
                    if i >= 2:
                        samples.append((time.perf_counter() - started) * 1000)
                samples.sort()
                out[(f"{module}.{name}", rng)] = (statistics.median(samples),
                                                  samples[min(len(samples) - 1, round(0.95 * len(samples)) - 1)])
    return out


def table(results: dict) -> str:
    """The markdown table of the figures."""
    names = list(dict.fromkeys(k[0] for k in results))
    lines = ["| callback | " + " | ".join(RANGES) + " |", "|---" * (len(RANGES) + 1) + "|"]
    for name in names:
        cells = [f"{results[(name, r)][0]:.1f} / {results[(name, r)][1]:.1f}" for r in RANGES]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args()
    results = measure(args.repeat, args.url)
    print(table(results))
    worst = max(p95 for _p50, p95 in results.values())
    print(f"\nworst p95: {worst:.1f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()
