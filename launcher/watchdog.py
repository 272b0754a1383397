"""The launcher's watchdog: a small process that stops what the launcher started if the launcher dies without
cleaning up (SIGKILL, a crash, the OOM killer).

The embedded PostgreSQL and Redis daemonise (they are nobody's children, so PR_SET_PDEATHSIG cannot reach them),
and a process group can outlive its leader. The launcher tells the watchdog each pid to guard over a pipe
(`guard <pid> <SIGNAME>` lines); the kernel closes that pipe when the launcher dies, however it dies. On end of file
without a prior `done` line, the watchdog signals every guarded process that is still the same process (pid and
start time), waits, and SIGKILLs what is left. Run as `python -m launcher.watchdog` with the pipe on stdin.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
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
        """Have `pid` sent `signum` (then SIGKILL) should the launcher die without calling done()."""
        self._send(f"guard {pid} {signum.name}")

    def done(self) -> None:
        """Everything was stopped cleanly: let the watchdog exit without touching anything."""
        with contextlib.suppress(OSError):  # a watchdog that is already gone has nothing left to do
            self._send("done")
            self.proc.stdin.close()
        self.proc.wait(timeout=10)

    def _send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()


def _identify(pid: int) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        proc.create_time()  # remembered by psutil: a reused pid no longer matches is_running()
        return proc
    except psutil.Error:
        return None


def stop(guarded: list[tuple[psutil.Process, signal.Signals]]) -> None:
    """Signal every guarded process still running, wait up to GRACE_SECONDS, SIGKILL the rest."""
    alive = []
    for proc, signum in guarded:
        if proc.is_running():
            try:
                proc.send_signal(signum)
                alive.append(proc)
            except psutil.Error:
                pass
    for proc in children.wait_gone(alive, GRACE_SECONDS):
        try:
            proc.kill()
        except psutil.Error:
            pass


def main() -> int:
    """Read guard lines until `done` (exit quietly) or end of file (the launcher died: stop everything)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    guarded: list[tuple[psutil.Process, signal.Signals]] = []
    for line in sys.stdin:
        words = line.split()
        if words == ["done"]:
            return 0
        if len(words) == 3 and words[0] == "guard":
            proc = _identify(int(words[1]))
            if proc is not None:
                guarded.append((proc, signal.Signals[words[2]]))
    print("[watchdog] the launcher is gone; stopping what it started", file=sys.stderr, flush=True)
    stop(guarded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
