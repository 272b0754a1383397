"""Operator and developer tools that are not part of the running service (traffic generator)."""
