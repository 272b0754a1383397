"""The one-command launcher behind `python run.py` / `make run` / `make demo`.

`cli` parses the command line and runs the sequence; `embedded` starts PostgreSQL/Redis when no URLs are given;
`children` starts and stops the Procfile processes; `watchdog` stops everything if the launcher itself is killed;
`console` prints the banner; `demo` adds the backfill, the simulated ZoneMTA nodes and the live sender.
"""
