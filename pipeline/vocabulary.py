"""The words every part of the pipeline shares, defined once: event types, which of them are failures,
directions, priority classes and the RQ queue names.

`dropped` is not a failure: it is an event the operator's own system chose to end (deleted from the queue, a DROP
rule, a virus dropped at the MX), not a refusal or a retry by the other side. Bounce analysis, the rollups'
per-reason tables and the derived `reason_class` all follow FAILURES, so they always agree
(tests/unit/test_vocabulary.py pins it).
"""

from __future__ import annotations

EVENT_TYPES = ("received", "delivered", "deferred", "bounced", "rejected", "greylisted", "dropped")
FAILURES = ("deferred", "bounced", "rejected", "greylisted")
DIRECTIONS = ("outbound", "inbound")

# Priority classes (DESIGN.md 2.1): buffer class -> RQ queue; workers listen to the queues in this order.
QUEUES = {"high": "email-events-high", "normal": "email-events", "low": "email-events-low"}
CLASS_OF_TYPE = {"rejected": "high", "bounced": "high", "deferred": "normal", "received": "normal",
                 "delivered": "low", "greylisted": "low", "dropped": "low"}
MAINTENANCE_QUEUE = "maintenance"  # the scheduler's periodic jobs: kick, queue poll, retention
EVENT_QUEUES = tuple(QUEUES.values())
ALL_QUEUES = (MAINTENANCE_QUEUE, *EVENT_QUEUES)
# alert notifications: their failures are shown on the Alerts page, not counted as pipeline dead letters
ALERTS_QUEUE = "alerts"
