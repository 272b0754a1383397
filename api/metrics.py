"""GET /metrics: Mailflow's own health in Prometheus' text format, for every web and worker process at once.

Counters and histograms that must add up over several processes live in Redis (pipeline/telemetry.py) and are
rendered by a custom collector; gauges (buffer backlog, RQ queue depths, dead letters, node poll state) are read
at scrape time. Scrape any web process: they all answer the same numbers.
"""

from __future__ import annotations

import redis
import rq
from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from pipeline import buffer, heartbeats, jobs, telemetry
from pipeline.vocabulary import ALERTS_QUEUE, ALL_QUEUES
from store import alert_stats

bp = Blueprint("metrics", __name__)
_HELP = {
    "write_batch_events": "Events per write transaction.",
    "write_seconds": "Seconds per write transaction (partitions, insert, rollups, commit).",
    "commit_lag_seconds": "Commit time minus event time, per newly stored event.",
}


class PipelineCollector:
    """Reads the shared counters and the live gauges from Redis on every scrape."""

    def __init__(self, conn: redis.Redis):
        self.conn = conn

    def collect(self):
        """Yield every metric family (prometheus_client's collector protocol)."""
        yield from self._ingest()
        yield from self._queues()
        for name, help_text in _HELP.items():
            buckets, total, _count = telemetry.read_histogram(self.conn, name)
            yield HistogramMetricFamily(f"mailflow_{name}", help_text, buckets=buckets, sum_value=total)
        errors = CounterMetricFamily("mailflow_zonemta_poll_errors", "Failed polls of a ZoneMTA node's API.",
                                     labels=["node"])
        for node, n in sorted(telemetry.poll_errors(self.conn).items()):
            errors.add_metric([node], n)
        yield errors
        yield from self._sources()
        yield from self._alerts()

    def _alerts(self):
        """Rules firing after the last evaluation, and notification attempts by outcome (store.alert_stats)."""
        firing = GaugeMetricFamily("mailflow_alerts_firing", "Alert rules firing after the last evaluation.")
        firing.add_metric([], alert_stats.firing(self.conn) or 0)
        sent = CounterMetricFamily("mailflow_alert_notifications", "Alert notification attempts by outcome "
                                   "(retried: failed with a retry left; failed: gave up).", labels=["outcome"])
        for outcome, n in alert_stats.notifications(self.conn).items():
            sent.add_metric([outcome], n)
        return firing, sent

    def _ingest(self):
        counters = telemetry.read_counters(self.conn)
        accepted = CounterMetricFamily("mailflow_ingest_accepted_events", "Events accepted (202) by ingest.")
        accepted.add_metric([], counters.get("accepted", 0))
        rejected = CounterMetricFamily("mailflow_ingest_rejected_events", "Events rejected by ingest, by reason.",
                                       labels=["reason"])
        for reason in telemetry.REASONS:
            rejected.add_metric([reason], counters.get(f"rejected:{reason}", 0))
        written = CounterMetricFamily("mailflow_written_events", "New events committed by the writers.")
        written.add_metric([], counters.get("written", 0))
        return accepted, rejected, written

    def _queues(self):
        buffered = GaugeMetricFamily("mailflow_buffered_events", "Events in the Redis buffer (claimed included).",
                                     labels=["class"])
        requests = GaugeMetricFamily("mailflow_buffered_requests", "Buffer elements (one per request and class).",
                                     labels=["class"])
        counts = {k.decode(): int(v) for k, v in self.conn.hgetall(telemetry.BUFFERED).items()}
        for cls, elements in buffer.backlog(self.conn).items():
            buffered.add_metric([cls], max(0, counts.get(cls, 0)))
            requests.add_metric([cls], elements)
        depth = GaugeMetricFamily("mailflow_rq_queue_jobs", "Jobs waiting in an RQ queue.", labels=["queue"])
        dead = GaugeMetricFamily("mailflow_dead_letters", "Jobs in an RQ queue's failed-job registry.",
                                 labels=["queue"])
        for name, failed in jobs.dead_letters(self.conn, (*ALL_QUEUES, ALERTS_QUEUE)).items():
            depth.add_metric([name], rq.Queue(name, connection=self.conn).count)
            dead.add_metric([name], failed)
        return buffered, requests, depth, dead


    def _sources(self):
        """Per MTA node, from its plugin processes' heartbeats (pipeline/heartbeats.py)."""
        families = {
            "processes": GaugeMetricFamily("mailflow_source_processes", "Plugin processes reporting (heartbeat "
                                           "within 3 x their interval).", labels=["node"]),
            "last_heartbeat": GaugeMetricFamily("mailflow_source_last_heartbeat_timestamp_seconds",
                                                "When the node's last heartbeat arrived.", labels=["node"]),
            "buffered": GaugeMetricFamily("mailflow_source_buffered_events", "Events in the plugins' memory "
                                          "buffers.", labels=["node"]),
            "spooled": GaugeMetricFamily("mailflow_source_spooled_events", "Events in the plugins' disk spools.",
                                         labels=["node"]),
            "lost": CounterMetricFamily("mailflow_source_lost_events", "Events lost at the source (plugin buffer "
                                        "or spool overflow), over every process the node ran.", labels=["node"]),
            "silent": GaugeMetricFamily("mailflow_source_silent", "1 when the node's heartbeats stopped.",
                                        labels=["node"]),
        }
        for n in heartbeats.read(self.conn):
            values = {"processes": n["processes_reporting"], "last_heartbeat": n["last_heartbeat"],
                      "buffered": n["buffered"], "spooled": n["spooled"], "lost": n["lost"], "silent": int(n["silent"])}
            for name, family in families.items():
                family.add_metric([n["node"]], values[name])
        return families.values()


@bp.get("/metrics")
def metrics():
    """The Prometheus exposition of the whole pipeline."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(current_app.extensions["redis"]))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
