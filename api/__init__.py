"""Read-only HTTP endpoints: /healthz now, the JSON query API (/api/v1/email/...) as it arrives."""
