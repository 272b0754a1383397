"""Command line for users, wall-screen links and ingest keys (argparse), for operators and the launcher:

    python -m webauth users create NAME [--role viewer|admin] [--password-stdin]
    python -m webauth users passwd NAME [--password-stdin] | disable NAME | enable NAME | role NAME ROLE | list
    python -m webauth keys create NAME | revoke NAME | list | sync
    python -m webauth kiosk create NAME [--base-url URL] | revoke ID | list
    python -m webauth ensure-admin      (the launcher: create `admin` with a printed password when no user exists)

Generated passwords and secrets are printed once; only their hashes are stored. Needs DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

import redis

from config import ConfigError, Settings
from pipeline import apikeys
from store import accounts, db, ingest_keys
from store.accounts import AccountError
from store.ingest_keys import IngestKeyError
from webauth import passwords


def _password(args) -> tuple[str, bool]:
    """(password, generated): from stdin, a prompt, or generated."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("password (empty: generate one): ")
        if first and getpass.getpass("again: ") != first:
            raise ValueError("the passwords differ")
        if first:
            return first, False
    return passwords.generate(), True


def _users(conn, args) -> str:
    if args.action == "list":
        return "\n".join(f"{u['username']:24} {u['role']:7} {'disabled' if u['disabled'] else 'active':9}"
                         f" last login {u['last_login_at'] or '-'}" for u in accounts.users(conn)) or "(no users)"
    if args.action in ("create", "passwd"):
        password, generated = _password(args)
        hashed = passwords.hash_password(password)
        if args.action == "create":
            accounts.create_user(conn, args.name, hashed, args.role)
        else:
            accounts.set_password(conn, args.name, hashed)
        return f"{args.action}: {args.name}" + (f"\npassword (shown once): {password}" if generated else "")
    if args.action in ("disable", "enable"):
        accounts.set_disabled(conn, args.name, args.action == "disable")
    else:
        accounts.set_role(conn, args.name, args.role_value)
    return f"{args.action}: {args.name} (their sessions ended)"


def _keys(conn, mirror, args) -> str:
    if args.action == "create":
        return f"ingest key {args.name} (shown once): {ingest_keys.create(conn, mirror, args.name, 'cli')}"
    if args.action == "revoke":
        return f"revoked {args.name}" if ingest_keys.revoke(conn, mirror, args.name) else f"no live key {args.name}"
    if args.action == "sync":
        return f"mirrored {ingest_keys.sync(conn, mirror)} live key(s) into Redis"
    return "\n".join(f"{k['name']:24} created {k['created_at']:%Y-%m-%d %H:%M} "
                     f"{'revoked ' + str(k['revoked_at']) if k['revoked_at'] else 'live'}"
                     for k in ingest_keys.keys(conn)) or "(no managed keys)"


def _kiosk(conn, args) -> str:
    if args.action == "create":
        token = secrets.token_urlsafe(32)
        token_id = accounts.create_kiosk(conn, args.name, apikeys.digest(token), "cli")
        return f"kiosk link #{token_id} (shown once): {args.base_url.rstrip('/')}/kiosk/{token}"
    if args.action == "revoke":
        return "revoked" if accounts.revoke_kiosk(conn, int(args.name)) else "no live link with that id"
    return "\n".join(f"#{k['id']:<5} {k['name']:24} {'revoked' if k['revoked_at'] else 'live'}"
                     for k in accounts.kiosks(conn)) or "(no kiosk links)"


def ensure_admin(conn) -> str:
    """Create `admin` with a generated password when there is no user at all; say what happened."""
    if accounts.user_count(conn):
        return ""
    password = passwords.generate()
    accounts.create_user(conn, "admin", passwords.hash_password(password), "admin")
    return f"[run] first admin user created: admin / {password}   (shown once: change it with the CLI or keep it safe)"


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="python -m webauth", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="group", required=True)
    users = sub.add_parser("users").add_subparsers(dest="action", required=True)
    for action in ("create", "passwd", "disable", "enable", "role"):
        cmd = users.add_parser(action)
        cmd.add_argument("name")
        if action == "create":
            cmd.add_argument("--role", choices=accounts.ROLES, default="viewer")
        if action == "role":
            cmd.add_argument("role_value", choices=accounts.ROLES)
        if action in ("create", "passwd"):
            cmd.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    users.add_parser("list")
    keys = sub.add_parser("keys").add_subparsers(dest="action", required=True)
    for action in ("create", "revoke"):
        keys.add_parser(action).add_argument("name")
    keys.add_parser("list")
    keys.add_parser("sync")
    kiosk = sub.add_parser("kiosk").add_subparsers(dest="action", required=True)
    create = kiosk.add_parser("create")
    create.add_argument("name")
    create.add_argument("--base-url", default="http://127.0.0.1:8050", help="dashboard URL for the link")
    kiosk.add_parser("revoke").add_argument("name", metavar="ID")
    kiosk.add_parser("list")
    sub.add_parser("ensure-admin")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit 2 on a configuration or input error."""
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
        if not settings.database_url or not settings.redis_url:
            raise ConfigError(["DATABASE_URL and REDIS_URL must be set (in embedded mode, use the admin page)"])
        mirror = redis.Redis.from_url(settings.redis_url)
        with db.init_engine(settings).connect() as conn:
            if args.group == "ensure-admin":
                out = ensure_admin(conn)
            elif args.group == "users":
                out = _users(conn, args)
            elif args.group == "keys":
                out = _keys(conn, mirror, args)
            else:
                out = _kiosk(conn, args)
            conn.commit()
    except (ConfigError, AccountError, IngestKeyError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if out:
        print(out)
    return 0
