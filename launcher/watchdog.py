"""The launcher's watchdog: a small process that stops what the launcher started if the launcher dies without
cleaning up (SIGKILL, a crash, the OOM killer).

The embedded PostgreSQL and Redis daemonise (they are nobody's children, so PR_SET_PDEATHSIG cannot reach them),
and a process group can outlive its leader. The launcher tells the watchdog what to guard over a pipe; the kernel
closes that pipe when the launcher dies, however it dies. On end of file without a prior `done` line, the watchdog
stops, in the launcher's own order, first the child process groups (`group <pid>`: SIGTERM, as PR_SET_PDEATHSIG
already sent, and SIGKILL for a child that hangs, e.g. one whose graceful stop needs the Redis about to go), then
the servers (`guard <pid> <SIGNAME>`), each only while it is still the same process (pid and start time).
Run as `python -m launcher.watchdog` with the pipe on stdin.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil

from launcher import children

GRACE_SECONDS = 15.0


class Watchdog:
    """The launcher's side: start the watchdog process and tell it what to guard."""

    def __init__(self, cwd: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "launcher.watchdog"], cwd=cwd, stdin=subprocess.PIPE,
                                     text=True, start_new_session=True)  # Ctrl-C at the terminal must not reach it

    def guard(self, pid: int, signum: signal.Signals = signal.SIGTERM) -> None:
        """A server: sent `signum` (then SIGKILL), after the children, should the launcher die."""
        self._send(f"guard {pid} {signum.name}")

    def guard_group(self, pid: int) -> None:
        """A child leading its own process group: SIGTERM, then SIGKILL, to the whole group."""
        self._send(f"group {pid}")

    def done(self) -> None:
        """Everything was stopped cleanly: let the watchdog exit without touching anything."""
        with contextlib.suppress(OSError):  # a watchdog that is already gone has nothing left to do
            self._send("done")
            self.proc.stdin.close()
        self.proc.wait(timeout=10)

    def _send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()


@dataclass
class Guarded:
    """One process to stop: how (signal, whole group or not) and when (phase 0 children, 1 servers)."""

    proc: psutil.Process
    signum: signal.Signals
    group: bool
    phase: int

    def send(self, signum: signal.Signals) -> None:
        """Signal the process (or its group) if it is still the one we were told about."""
        with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
            if self.group:
                if self.proc.is_running() or signum == signal.SIGKILL:  # a group can outlive its leader
                    os.killpg(self.proc.pid, signum)
            elif self.proc.is_running():
                self.proc.send_signal(signum)


def parse(line: str) -> Guarded | None:
    """A guard line as a Guarded, or None for a process already gone or a line that is not understood."""
    words = line.split()
    with contextlib.suppress(psutil.Error, ValueError, KeyError):
        if len(words) == 3 and words[0] == "guard":
            return Guarded(psutil.Process(int(words[1])), signal.Signals[words[2]], group=False, phase=1)
        if len(words) == 2 and words[0] == "group":
            return Guarded(psutil.Process(int(words[1])), signal.SIGTERM, group=True, phase=0)
    return None


def stop(guarded: list[Guarded]) -> None:
    """Phase by phase: signal, wait up to GRACE_SECONDS, SIGKILL what is left (and any group's stragglers)."""
    for phase in sorted({g.phase for g in guarded}):
        batch = [g for g in guarded if g.phase == phase]
        for item in batch:
            item.send(item.signum)
        left = children.wait_gone([g.proc for g in batch], GRACE_SECONDS)
        for item in batch:
            if item.group or item.proc in left:
                item.send(signal.SIGKILL)


def main() -> int:
    """Read guard lines until `done` (exit quietly) or end of file (the launcher died: stop everything)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    guarded: list[Guarded] = []
    for line in sys.stdin:
        if line.strip() == "done":
            return 0
        item = parse(line)
        if item is not None:
            guarded.append(item)
    print("[watchdog] the launcher is gone; stopping what it started", file=sys.stderr, flush=True)
    stop(guarded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
