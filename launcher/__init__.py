"""The one-command launcher's helpers (run.py is the entry point): embedded PostgreSQL and Redis, and the console
banner with quiet child commands.
"""
