"""The launcher's child processes: each in its own session (so one signal reaches its whole group) and bound to
the launcher's life by the kernel (PR_SET_PDEATHSIG), and every exit path stops all of them.

Why PR_SET_PDEATHSIG through ctypes: it is the kernel's own guarantee (the signal is sent even when the launcher is
SIGKILLed and cannot run any code), costs no dependency and no polling thread. It covers direct children; their own
children (gunicorn's workers) are stopped by their parent on that SIGTERM, and the daemonised embedded servers,
which are nobody's children, by the watchdog process (launcher/watchdog.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> None:
    """preexec_fn: ask the kernel to SIGTERM this process when its parent (the launcher) dies (Linux only)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    os.setsid()


def spawn(argv: list[str], cwd: Path, env: dict[str, str], **popen) -> subprocess.Popen:
    """Start argv in a new session that dies with the launcher."""
    return subprocess.Popen(argv, cwd=cwd, env=env, preexec_fn=die_with_parent, **popen)  # noqa: PLW1509


def stop_all(procs: dict[str, subprocess.Popen], timeout: float = 15.0) -> None:
    """SIGTERM every process group still running, then SIGKILL whatever is left after the timeout."""
    for proc in procs.values():
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.1, deadline - time.monotonic()))
        # a group outlives its leader when the leader exits first: sweep it either way
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is already gone
        os.killpg(proc.pid, signum)


class StopSignals:
    """SIGINT/SIGTERM/SIGHUP set a flag instead of raising, so the launcher always reaches its clean-up."""

    def __init__(self):
        self.received: int | None = None
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        self.received = signum


def supervise(procs: dict[str, subprocess.Popen], stop: StopSignals,
              tick: Callable[[], None] | None = None) -> int:
    """Wait until a child exits or a stop signal arrives; return the launcher's exit code."""
    while stop.received is None:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"[run] {name} exited with {proc.returncode}; stopping everything", flush=True)
                return proc.returncode or 1
        if tick is not None:
            tick()
        time.sleep(0.5)  # poll interval: child exits and signals are both checked here
    print(f"[run] {signal.Signals(stop.received).name} received; stopping ...", flush=True)
    return 0


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a short step (migrations, first admin) to completion, bound to the launcher's life; its stdout."""
    return subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, text=True,
                          preexec_fn=die_with_parent).stdout.strip()  # noqa: PLW1509


def gone(proc: psutil.Process) -> bool:
    """True once the process has exited: a zombie counts as gone (a daemon's zombie waits for init to reap it)."""
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to `timeout` for the processes to exit (they need not be our children); those still running."""
    deadline = time.monotonic() + timeout
    left = [p for p in procs if not gone(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)  # not our children: there is no wait() to block on, only their state to poll
        left = [p for p in left if not gone(p)]
    return left
