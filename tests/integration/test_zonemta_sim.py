"""The demo's simulated ZoneMTA nodes (tools/zonemta_sim.py) read by our own queue poller: demo history posted
through the real ingest path and written by the real worker, the mail still in flight served as each node's queue,
then the real poll job derives every node's record, with the deferral reasons found in the events posted."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
import rq

from launcher.demo import free_port
from tests.support import make_settings, post, run_worker
from tools.outbox import Outbox
from tools.scenario import DAY_MS, Scenario
from workers import context, zonemta_api

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
NODES = ("mta-01", "mta-02", "mta-03", "mta-04")


@pytest.fixture
def demo_week(tmp_path):
    """Three days of the demo scenario up to now, and the queue file of what is still in flight."""
    anchor = int(time.time() * 1000) - 60_000
    scenario = Scenario(anchor, seed=5, peak_rate=Scenario.peak_for(40_000, anchor - 3 * DAY_MS, anchor))
    outbox, events = Outbox(), []
    for message in scenario.messages(anchor - 3 * DAY_MS, anchor):
        events += [e for e in message if e["timestamp"] <= anchor]
        outbox.track(message, anchor)
    state = tmp_path / "queue.json"
    outbox.save(state, anchor)
    return events, outbox, state


@pytest.fixture
def sims(demo_week):
    """One simulated node API per node, each in its own process like the launcher starts them."""
    _events, _outbox, state = demo_week
    ports = {node: free_port() for node in NODES}
    procs = [subprocess.Popen([sys.executable, "-m", "tools.zonemta_sim", "--node", node, "--port", str(port),
                               "--state", str(state)], cwd=ROOT) for node, port in ports.items()]
    deadline = time.monotonic() + 20
    for port in ports.values():
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/zones", timeout=1).raise_for_status()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "a simulated node did not answer within 20 s"
                time.sleep(0.1)  # the port opens when the child has imported its modules
    yield {node: f"http://127.0.0.1:{port}" for node, port in ports.items()}
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def test_the_simulated_nodes_answer_in_zonemtas_shapes(sims, demo_week):
    _events, outbox, _state = demo_week
    node, url = "mta-01", sims["mta-01"]
    mine = outbox.snapshot()[node]
    counter = requests.get(f"{url}/counter/zone/", timeout=5).json()
    assert counter["zone"] == "all" and set(counter) == {"zone", "active", "deferred"}
    assert counter["active"]["rows"] + counter["deferred"]["rows"] == len(mine)
    zone = counter["deferred"]["entries"][0]["key"]
    page = requests.get(f"{url}/queued/deferred/{zone}", params={"sort": "created", "order": "asc",
                                                                 "pageSize": 2}, timeout=5).json()
    assert page["zone"] == zone and page["type"] == "deferred" and 1 <= len(page["list"]) <= 2
    entry = page["list"][0]
    assert set(entry) == {"id", "zone", "recipient", "created", "queued", "deferred"} and entry["deferred"] >= 1
    oldest = min((e for e in mine if e["zone"] == zone and e["deferred"]), key=lambda e: e["created"])
    assert entry["id"] == oldest["id"] and entry["created"].endswith("Z")
    assert requests.get(f"{url}/message/nope", timeout=5).status_code == 404
    assert requests.get(f"{url}/message/{entry['id']}", timeout=5).json()["messages"][0]["status"] == "DEFERRED"


def test_our_poller_reads_the_demo_queues_with_reasons_from_the_posted_events(client, clean, redis, sims,
                                                                              demo_week):
    events, outbox, _state = demo_week
    for i in range(0, len(events), 1000):
        assert post(client, events[i:i + 1000]).status_code == 202
    run_worker(redis)
    context.use(make_settings(ZONEMTA_NODES=",".join(f"{n}={u}" for n, u in sims.items())))
    assert zonemta_api.poll_all(tuple(sims.items()))  # reachable directly too
    job = rq.Queue("maintenance", connection=redis).enqueue("workers.queue_poll.poll", job_timeout=30)
    run_worker(redis)
    job.refresh()
    assert job.return_value() == dict.fromkeys(NODES, "ok"), job.latest_result()

    body = client.get("/api/v1/email/queue").json
    expected = Counter(entry["node"] for entry in outbox.queue.values())
    assert {n["node"]: n["active"] + n["deferred"] for n in body["nodes"]} == {n: expected[n] for n in NODES}
    assert body["totals"]["total"] == len(outbox.queue) > 10
    reasons = {r["reason"]: r["count"] for r in body["deferred_reasons"]}
    # every deferred entry is a message the demo posted deferred events for: none is "unknown"
    assert sum(reasons.values()) == body["totals"]["deferred"] and "unknown" not in reasons
    # the Microsoft incident of the history is long over: what waits now is the unreachable domain's mail
    waiting = sum(1 for e in outbox.queue.values() if e["deferred"] and e["queued"] > time.time() * 1000 + 60_000)
    assert reasons == {"timeout": body["totals"]["deferred"]} and body["totals"]["deferred"] >= waiting > 0
    assert body["oldest"]["recipient_domain"] == "initech9.net"  # retried for days: the oldest in the queue
