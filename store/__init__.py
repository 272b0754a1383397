"""The only code that talks to PostgreSQL and to the Redis data (not the RQ queues): engine, migrations, writes."""
