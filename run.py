"""One-command launcher: web + worker + scheduler together, on embedded PostgreSQL/Redis when the URLs are unset.

It runs the same commands as the Procfile (read from it, so the two never drift), applies migrations first, prints
one banner (URL, ingest key, login, data dir; again with --info) once the web process answers, keeps the children
quiet (WARNING, no access log) unless LOG_LEVEL is set, and on Ctrl-C stops the processes, then the embedded servers.
Usage: python run.py [--demo] [--workers N] | python run.py --info
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from config import ConfigError, Settings
from launcher import console, embedded

ROOT = Path(__file__).resolve().parent


def procfile() -> dict[str, str]:
    """The Procfile's process commands by name."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line and not line.startswith("#"))


def prepare_env(services: embedded.Services) -> dict[str, str]:
    """The environment for child processes, with embedded servers and generated secrets filled in."""
    env = dict(os.environ)
    data_dir = Path(env.get("MAILFLOW_DATA_DIR", "./data")).resolve()
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = services.start_postgres()
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = services.start_redis()
    env.setdefault("SECRET_KEY", embedded.stored_secret(data_dir, "secret_key"))
    if not env.get("INGEST_API_KEYS"):
        env["INGEST_API_KEYS"] = embedded.stored_secret(data_dir, "ingest_key")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    env["LOG_LEVEL"] = console.child_level(env)
    return env


def start(name: str, command: str, env: dict[str, str]) -> subprocess.Popen:
    """Start one process in its own session, so a signal can reach its whole group."""
    command = console.quiet_command(command, env["LOG_LEVEL"])
    print(f"[run] starting {name}: {command}", flush=True)
    return subprocess.Popen(["sh", "-c", "exec " + command], cwd=ROOT, env=env, start_new_session=True)


def wait_healthy(url: str, procs: dict[str, subprocess.Popen], timeout: float = 60.0) -> bool:
    """Poll /healthz until it answers 200 (so the banner comes after the start-up lines); False on timeout or exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p in procs.values()):
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "healthz", timeout=2) as response:
            if response.status == 200:
                return True
        time.sleep(0.25)  # a poll interval: there is nothing to wait on but the port
    return False


def stop_all(procs: dict[str, subprocess.Popen], timeout: float = 15.0) -> None:
    """SIGTERM every process group, then SIGKILL whatever is still alive after the timeout."""
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def supervise(procs: dict[str, subprocess.Popen]) -> int:
    """Wait until a process exits or a stop signal arrives; return the exit code for the launcher."""
    stop = {"signal": None}

    def on_signal(signum, _frame):
        stop["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while stop["signal"] is None:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"[run] {name} exited with {proc.returncode}; stopping everything", flush=True)
                return proc.returncode or 1
        time.sleep(0.5)
    print("[run] stopping ...", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bring everything up, supervise, and shut down cleanly."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="also send generated ZoneMTA-like traffic")
    parser.add_argument("--demo-rate", type=float, default=40.0, help="demo events per second")
    parser.add_argument("--workers", type=int, default=1, help="number of RQ worker processes")
    parser.add_argument("--info", action="store_true", help="print the banner of the last start and exit")
    args = parser.parse_args(argv)
    data_dir = Path(os.environ.get("MAILFLOW_DATA_DIR", "./data")).resolve()
    if args.info:
        text = console.read_banner(data_dir)
        print(text or f"No banner in {data_dir} yet: start Mailflow with `python run.py` (or make run) first.")
        return 0 if text else 1
    services = embedded.Services(data_dir)
    procs: dict[str, subprocess.Popen] = {}
    try:
        env = prepare_env(services)
        settings = Settings.from_env(env)
        commands = procfile()
        subprocess.run(["sh", "-c", commands["release"]], cwd=ROOT, env=env, check=True)
        # first start: an `admin` user with a random password, printed once (README "Security")
        admin = subprocess.run([sys.executable, "-m", "webauth", "ensure-admin"], cwd=ROOT, env=env, check=True,
                               stdout=subprocess.PIPE, text=True).stdout.strip()
        procs["web"] = start("web", commands["web"], env)
        for n in range(args.workers):
            procs[f"worker{n + 1}"] = start(f"worker{n + 1}", commands["worker"], env)
        procs["scheduler"] = start("scheduler", commands["scheduler"], env)
        url = f"http://127.0.0.1:{settings.port}/"
        if args.demo:
            key = shlex.quote(settings.ingest_api_keys[0])
            demo = f"python -m tools.send --url {url}api/v1/events/ingest --key {key} --rate {args.demo_rate}"
            procs["demo"] = start("demo", demo, env)
        if not wait_healthy(url, procs):
            print(f"[run] {url}healthz did not answer yet; the banner follows anyway", flush=True)
        text = console.banner(url, settings.ingest_api_keys[0], data_dir, env["LOG_LEVEL"], args.demo)
        console.write_banner(data_dir, text)
        # the first admin password is shown in this console only, never stored in banner.txt
        print("\n" + text + ("\n" + admin if admin else "") + "\n", flush=True)
        return supervise(procs)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        stop_all(procs)
        services.stop()
        print("[run] stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
