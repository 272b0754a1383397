"""The login form (plain Flask + Jinja, works without JavaScript), logout, and the wall-screen entry
/kiosk/<token> that turns a long random token into a read-only viewer session.

Forms carry a per-session CSRF token; cookies are SameSite=Lax as well. Login is rate limited per source IP and
per username (LOGIN_RATE_LIMIT), answered 429 with Retry-After.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, redirect, render_template, request, session
from sqlalchemy.exc import SQLAlchemyError

from pipeline import apikeys
from store import accounts, db
from webauth import identity, passwords
from webauth.limiter import LoginLimiter

MAX_TOKEN_LENGTH = 128


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _csrf_ok() -> bool:
    given, expected = request.form.get("csrf", ""), session.get("csrf", "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-site path to go to after login; anything else (another host, a scheme, //x) becomes the default."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and "\\" not in target else default


def _form(error: str | None = None, status: int = 200, username: str = ""):
    page = render_template("login.html", error=error, csrf=csrf_token(), username=username[:64],
                           next=safe_next(request.values.get("next")))
    return page, status


def login():
    """The login form (or straight on when the session is already valid)."""
    try:
        known = identity.current() is not None
    except SQLAlchemyError:  # the form still renders; the POST will say what is wrong
        known = False
    if known:
        return redirect(safe_next(request.args.get("next")))
    return _form()


def login_name() -> str:
    """The submitted username in its one normalised form: the per-username limit and the lookup both use it, so
    padding, case or width variants of a name share one limit."""
    return accounts.normalise_username(request.form.get("username", "")[:200])


def login_submit():
    """Check the credentials; on success start a fresh session (no fixation) and go to `next`."""
    username, password = login_name(), request.form.get("password", "")
    if not _csrf_ok():
        return _form("The form expired; please try again.", 400, username)
    with db.engine().begin() as conn:
        user = accounts.user_by_name(conn, username) if username else None
        good = passwords.verify(user["password_hash"] if user else None, password)
        if not good or user["disabled"]:
            return _form("Invalid username or password.", 401, username)
        if passwords.needs_rehash(user["password_hash"]):
            accounts.set_password(conn, user["username"], passwords.hash_password(password), end_sessions=False)
        accounts.logged_in(conn, user["id"])
        identity.begin(conn, user_id=user["id"])
    return redirect(safe_next(request.form.get("next")))


def logout():
    """End the session (CSRF-checked, so another site cannot log a wall screen out)."""
    if not _csrf_ok():
        return redirect("/")
    identity.end()  # the server-side record goes: a copy of the cookie no longer works either
    return redirect("/login")


def kiosk(token: str):
    """Open a read-only kiosk session for a live token, then show the page named by `next` in kiosk mode."""
    found = None
    if len(token) <= MAX_TOKEN_LENGTH:
        with db.engine().connect() as conn:
            found = accounts.kiosk_by_hash(conn, apikeys.digest(token))
    if found is None:
        return render_template("login.html", error="This wall-screen link is unknown or was revoked.", csrf="",
                               username="", next="/", kiosk_only=True), 404
    with db.engine().begin() as conn:
        identity.begin(conn, kiosk_id=found["id"])
    target = safe_next(request.args.get("next"))
    return redirect(target + ("&" if "?" in target else "?") + urlencode({"kiosk": "1"}))


def blueprint(limiter: LoginLimiter) -> Blueprint:
    """The views as a blueprint (a new one per app) with their rate limits: per IP, and per username for the
    login form."""
    bp = Blueprint("webauth", __name__, template_folder="templates")
    per_ip = limiter.limit(lambda: "ip:" + str(request.remote_addr), _too_many)
    per_user = limiter.limit(lambda: "user:" + login_name(), _too_many)
    bp.add_url_rule("/login", "login", login, methods=["GET"])
    bp.add_url_rule("/login", "login_submit", per_ip(per_user(login_submit)), methods=["POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    bp.add_url_rule("/kiosk/<path:token>", "kiosk", per_ip(kiosk), methods=["GET"])
    return bp


def _too_many(rate: str, retry_after: int):
    page, status = _form(f"Too many attempts ({rate}); wait a minute and try again.", 429,
                         request.form.get("username", ""))
    return page, status, {"Retry-After": str(retry_after)}
