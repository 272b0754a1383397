"""HTTP client for ZoneMTA's API server (zonemta.md §3): fetch one node's counters and oldest-first queue pages,
and poll every configured node concurrently under one deadline, so a slow or dead node never delays the others.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import requests

TIMEOUT_SECONDS = 2.0
PAGE_SIZE = 1000  # ZoneMTA caps pageSize at 1000


class NodeError(Exception):
    """A node could not be polled; the message is short enough to show on a dashboard."""


def fetch_node(base_url: str, deadline: float) -> dict[str, Any]:
    """One node's `/counter/zone/` answer plus, per zone with entries, its oldest-first queued/deferred pages."""
    with requests.Session() as session:
        counter = _get(session, f"{base_url}/counter/zone/", {}, deadline)
        if not isinstance(counter.get("active"), dict) or not isinstance(counter.get("deferred"), dict):
            raise NodeError("unexpected /counter/zone/ answer")
        lists: dict[str, dict[str, list]] = {}
        for kind, list_type in (("active", "queued"), ("deferred", "deferred")):
            for entry in counter[kind].get("entries") or []:
                if entry.get("value"):
                    params = {"sort": "created", "order": "asc", "pageSize": PAGE_SIZE}
                    page = _get(session, f"{base_url}/queued/{list_type}/{entry['key']}", params, deadline)
                    lists.setdefault(entry["key"], {})[list_type] = page.get("list") or []
        return {"counter": counter, "lists": lists}


def _get(session: requests.Session, url: str, params: dict, deadline: float) -> dict:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise NodeError(f"timeout after {TIMEOUT_SECONDS:g} s")
    try:
        response = session.get(url, params=params, timeout=remaining)
    except requests.Timeout:
        raise NodeError(f"timeout after {TIMEOUT_SECONDS:g} s") from None
    except requests.ConnectionError as exc:
        raise NodeError(_connection_reason(exc)) from None
    if response.status_code != 200:
        raise NodeError(f"HTTP {response.status_code}: {response.text[:80]}")
    try:
        return response.json()
    except ValueError:
        raise NodeError("answer is not JSON") from None


def _connection_reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for needle, reason in (("refused", "connection refused"), ("Name or service", "host not found"),
                           ("timed out", f"timeout after {TIMEOUT_SECONDS:g} s"), ("reset", "connection reset")):
        if needle in text:
            return reason
    return "connection failed: " + text[-80:]


def poll_all(nodes: tuple[tuple[str, str], ...], timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """Fetch every node in parallel; each result is its fetch_node() dict or a NodeError, within `timeout`."""
    if not nodes:
        return {}
    deadline = time.monotonic() + timeout
    pool = ThreadPoolExecutor(max_workers=min(16, len(nodes)), thread_name_prefix="zonemta-poll")
    futures: dict[str, Future] = {name: pool.submit(fetch_node, url, deadline) for name, url in nodes}
    # wait for the deadline at most: a node still answering then counts as timed out, and its thread (bounded by
    # the request timeout) finishes on its own without holding the poll up
    wait(futures.values(), timeout=timeout + 0.1)
    pool.shutdown(wait=False, cancel_futures=True)
    return {name: _outcome(future) for name, future in futures.items()}


def _outcome(future: Future) -> Any:
    if not future.done():
        return NodeError(f"timeout after {TIMEOUT_SECONDS:g} s")
    exc = future.exception()
    if exc is None:
        return future.result()
    return exc if isinstance(exc, NodeError) else NodeError(f"{type(exc).__name__}: {str(exc)[:80]}")
