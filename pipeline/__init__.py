"""The pipeline's shared vocabulary and Redis contract, used by ingest, the workers, the store and the web side.

vocabulary (event types, failure types, queue names), row (the event row's positions), inet (an IP address's one
spelling), buffer (the Redis event buffer), telemetry (counters and histograms), deltas (the realtime feed),
heartbeats (ZoneMTA plugin heartbeats), apikeys (the ingest keys' Redis mirror) and jobs (drains and dead letters).
It imports nothing of Mailflow's.
"""
