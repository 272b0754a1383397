"""The launcher's command line and sequence: services, migrations, children, banner, supervision, clean stop.

It runs the same commands as the Procfile (read from it, so the two never drift). Every exit path (Ctrl-C, SIGTERM
or SIGHUP to the launcher, a child exiting or crashing, an error while starting) goes through one `finally` that
stops every child group and then the embedded servers; if the launcher is killed outright, the kernel SIGTERMs
its children (PR_SET_PDEATHSIG) and the watchdog stops the embedded servers (launcher/watchdog.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from config import ConfigError, Settings
from launcher import children, console, demo, embedded
from launcher.watchdog import Watchdog

ROOT = Path(__file__).resolve().parents[1]


def procfile() -> dict[str, str]:
    """The Procfile's process commands by name."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line and not line.startswith("#"))


def prepare_env(services: embedded.Services, data_dir: Path, watchdog: Watchdog) -> dict[str, str]:
    """The environment for child processes, with embedded servers and generated secrets filled in."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = services.start_postgres()
        _guard(services, watchdog)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = services.start_redis()
        _guard(services, watchdog)
    env.setdefault("SECRET_KEY", embedded.stored_secret(data_dir, "secret_key"))
    if not env.get("INGEST_API_KEYS"):
        env["INGEST_API_KEYS"] = embedded.stored_secret(data_dir, "ingest_key")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    env["LOG_LEVEL"] = console.child_level(env)
    return env


def _guard(services: embedded.Services, watchdog: Watchdog) -> None:
    for pid, signame in services.pids():
        watchdog.guard(pid, signal.Signals[signame])


def start(name: str, command: str, env: dict[str, str]) -> subprocess.Popen:
    """Start one Procfile-style command in its own session, bound to the launcher's life."""
    command = console.quiet_command(command, env["LOG_LEVEL"])
    print(f"[run] starting {name}: {command}", flush=True)
    return children.spawn(["sh", "-c", "exec " + command], ROOT, env)


def wait_healthy(url: str, procs: dict[str, subprocess.Popen], stop: children.StopSignals,
                 timeout: float = 60.0) -> bool:
    """Poll /healthz until it answers 200; False on timeout, a child's exit or a stop signal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and stop.received is None and all(p.poll() is None for p in procs.values()):
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "healthz", timeout=2) as response:
            if response.status == 200:
                return True
        time.sleep(0.25)  # a poll interval: there is nothing to wait on but the port
    return False


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="Run Mailflow: web + worker + scheduler (python run.py --help)")
    parser.add_argument("--demo", action="store_true", help="backfill 7 days of demo history, then live traffic")
    parser.add_argument("--demo-events", type=int, default=500_000, help="about how many events of history")
    parser.add_argument("--demo-rate", type=float, default=0.0,
                        help="live demo events/s at the daily peak (default: the history's own rate)")
    parser.add_argument("--workers", type=int, default=None, help="RQ worker processes (1; 2 with --demo)")
    parser.add_argument("--info", action="store_true", help="print the banner of the last start and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bring everything up, supervise, and shut down cleanly on every exit path."""
    args = parse(argv)
    data_dir = Path(os.environ.get("MAILFLOW_DATA_DIR", "./data")).resolve()
    if args.info:
        text = console.read_banner(data_dir)
        print(text or f"No banner in {data_dir} yet: start Mailflow with `python run.py` (or make run) first.")
        return 0 if text else 1
    stop = children.StopSignals()
    watchdog = Watchdog(ROOT)
    services = embedded.Services(data_dir)
    procs: dict[str, subprocess.Popen] = {}
    try:
        return run(args, data_dir, stop, watchdog, services, procs)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"[run] {exc}", file=sys.stderr)
        return exc.returncode or 1
    finally:
        children.stop_all(procs)
        services.stop()
        watchdog.done()
        print("[run] stopped.", flush=True)


def run(args: argparse.Namespace, data_dir: Path, stop: children.StopSignals, watchdog: Watchdog,
        services: embedded.Services, procs: dict[str, subprocess.Popen]) -> int:
    """Start everything into `procs` (the caller stops them) and supervise; the launcher's exit code."""
    env = prepare_env(services, data_dir, watchdog)
    if args.demo:
        nodes, env["ZONEMTA_NODES"] = demo.node_commands(data_dir)
        env["MAILFLOW_DEMO"] = "1"
        for name, argv in nodes.items():
            procs[name] = children.spawn(argv, ROOT, env)
            watchdog.guard_group(procs[name].pid)
    settings = Settings.from_env(env)
    commands = procfile()
    children.run(["sh", "-c", commands["release"]], ROOT, env)
    if stop.received is not None:  # Ctrl-C while the servers started or migrations ran: go no further
        return children.supervise(procs, stop)
    # first start: an `admin` user with a random password, printed once (README "Security")
    admin = children.run([sys.executable, "-m", "webauth", "ensure-admin"], ROOT, env)
    procs["web"] = start("web", commands["web"], env)
    for n in range(args.workers or (2 if args.demo else 1)):
        procs[f"worker{n + 1}"] = start(f"worker{n + 1}", commands["worker"], env)
    procs["scheduler"] = start("scheduler", commands["scheduler"], env)
    for name in ("web", "scheduler", *(n for n in procs if n.startswith("worker"))):
        watchdog.guard_group(procs[name].pid)
    url = f"http://127.0.0.1:{settings.port}/"
    if not wait_healthy(url, procs, stop):
        if stop.received is not None or any(p.poll() is not None for p in procs.values()):
            return children.supervise(procs, stop)
        print(f"[run] {url}healthz did not answer yet; the banner follows anyway", flush=True)
    key = settings.ingest_api_keys[0]
    text = console.banner(url, key, data_dir, env["LOG_LEVEL"], args.demo)
    console.write_banner(data_dir, text)
    # the first admin password is shown in this console only, never stored in banner.txt
    print("\n" + text + ("\n" + admin if admin else "") + "\n", flush=True)
    if args.demo:
        procs["demo"] = start("demo", demo.sender_command(url, key, data_dir, args.demo_events, args.demo_rate), env)
        watchdog.guard_group(procs["demo"].pid)
    return children.supervise(procs, stop)
