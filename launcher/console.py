"""What the launcher shows on the console: one findable banner (also kept in data/banner.txt for
`python run.py --info`) and quiet child commands, so per-job and per-request log lines do not bury it.

Quiet means: children log at WARNING unless LOG_LEVEL is set, and the web process's access log is dropped unless
LOG_LEVEL is INFO or DEBUG (production keeps the Procfile's access log; only the launcher trims it).
"""

from __future__ import annotations

from pathlib import Path

BANNER_FILE = "banner.txt"
DEFAULT_LEVEL = "WARNING"
RULE = "=" * 72


def child_level(env: dict[str, str]) -> str:
    """The log level for the launcher's children: LOG_LEVEL when set, else WARNING."""
    return (env.get("LOG_LEVEL") or DEFAULT_LEVEL).upper()


def quiet_command(command: str, level: str) -> str:
    """A Procfile command as the launcher runs it: gunicorn at `level`, without the access log unless verbose."""
    if not command.startswith("gunicorn "):
        return command
    if level not in ("DEBUG", "INFO"):
        command = command.replace(" --access-logfile -", "")
    return command.replace("gunicorn ", f"gunicorn --log-level {level.lower()} ", 1)


def banner(url: str, ingest_key: str, data_dir: Path, level: str, demo: bool) -> str:
    """The banner: where the dashboard is, how to send events, how to log in, where data lives, how to stop."""
    lines = [RULE, "Mailflow is running" + (" with demo traffic" if demo else ""), "",
             f"  Dashboard   {url}",
             f"  Ingest URL  {url}api/v1/events/ingest",
             f"  Ingest key  {ingest_key}",
             "  Login       admin (password printed at first start; reset: python -m webauth users passwd admin)",
             f"  Data dir    {data_dir}",
             f"  Log level   {level} (set LOG_LEVEL=INFO for job and access logs)",
             "  Stop        Ctrl-C     Show this again: python run.py --info", RULE]
    return "\n".join(lines)


def write_banner(data_dir: Path, text: str) -> Path:
    """Keep the banner in the data dir (owner-only: it holds the ingest key) for `run.py --info`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / BANNER_FILE
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text + "\n")
    return path


def read_banner(data_dir: Path) -> str | None:
    """The last banner written, or None before the first start."""
    path = data_dir / BANNER_FILE
    return path.read_text() if path.exists() else None
