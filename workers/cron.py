"""The periodic jobs, loaded by `python -m workers scheduler` (RQ's cron scheduler), run on the maintenance queue."""

from rq import cron

from pipeline.vocabulary import MAINTENANCE_QUEUE
from workers import alerts, maintenance, queue_poll, tasks

cron.register(tasks.kick, MAINTENANCE_QUEUE, interval=5, job_timeout=60, result_ttl=60)
cron.register(queue_poll.poll, MAINTENANCE_QUEUE, interval=10, job_timeout=30, result_ttl=60)
cron.register(alerts.evaluate, MAINTENANCE_QUEUE, interval=60, job_timeout=50, result_ttl=300)
cron.register(maintenance.maintain, MAINTENANCE_QUEUE, interval=3600, job_timeout=600)
