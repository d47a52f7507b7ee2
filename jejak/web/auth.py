"""Dashboard access: users with argon2 password hashes, login sessions, CSRF tokens and login back-off.

- Passwords are hashed with argon2id (`argon2-cffi`'s defaults, RFC 9106's second
  recommended option); a hash made with older parameters is re-hashed at the next login.
- A session is a random 256-bit token in an `HttpOnly; SameSite=Lax` cookie; SQLite keeps
  only its SHA-256, so a copy of `jejak.sqlite` lets nobody in. Sessions last
  `SESSION_SECONDS` and end at logout.
- Every session has its own CSRF token, sent back by every form (hidden field) and every
  script (`X-CSRF-Token` header); the login form, before there is a session, uses a
  double-submit cookie.
- Back-off: after `FREE_FAILURES_PER_NAME` failed logins for one name (or
  `FREE_FAILURES_PER_ADDRESS` from one address, higher because colleagues share an office
  address), each further try must wait twice as long as the last (1 s, 2 s, 4 s … at most
  `MAX_WAIT_SECONDS`), counted from the last failure. A success clears both counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from jejak.core.clock import utc_now
from jejak.core.errors import AccessError, SettingError, ThrottledError
from jejak.store.appstate import open_state, writing_state

SESSION_SECONDS = 7 * 86_400
FREE_FAILURES_PER_NAME = 5
FREE_FAILURES_PER_ADDRESS = 20
MAX_WAIT_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the name is unknown takes as long as a real check, so timing
# does not tell which names exist.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class WebSession:
    """A logged-in user's session: who, and the CSRF token their forms must carry."""

    user: str
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(sqlite_path: Path, name: str, password: str, *, admin: bool = False) -> None:
    """Create a user (or set a new password for an existing one)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise SettingError("A user name must be 1 to 100 characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SettingError(f"A password must have at least {MIN_PASSWORD_LENGTH} characters.")
    with writing_state(sqlite_path) as db:
        db.execute(
            "INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
            (name, _hasher.hash(password), int(admin), utc_now().isoformat()),
        )
        # A new password ends the sessions made with the old one.
        db.execute("DELETE FROM web_sessions WHERE user_name = ?", (name,))


def user_names(sqlite_path: Path) -> list[str]:
    with open_state(sqlite_path) as db:
        return [row[0] for row in db.execute("SELECT name FROM users ORDER BY name")]


def _wait_seconds(failures: int, free: int, last_failure_at: dt.datetime, now: dt.datetime) -> int:
    """Seconds still to wait before the next try, after `failures` failed ones of which `free` cost nothing."""
    if failures < free:
        return 0
    wait = min(2 ** (failures - free), MAX_WAIT_SECONDS)
    waited = (now - last_failure_at).total_seconds()
    return max(0, int(wait - waited + 0.999))


def _throttle(db: object, keys: list[str], now: dt.datetime) -> None:
    longest = 0
    for key in keys:
        row = db.execute(  # type: ignore[attr-defined]
            "SELECT failures, last_failure_at FROM login_failures WHERE login_key = ?", (key,)
        ).fetchone()
        if row:
            free = FREE_FAILURES_PER_NAME if key.startswith("user:") else FREE_FAILURES_PER_ADDRESS
            longest = max(longest, _wait_seconds(row[0], free, dt.datetime.fromisoformat(row[1]), now))
    if longest:
        raise ThrottledError(f"Too many failed logins. Try again in {longest} s.", retry_after_seconds=longest)


def log_in(sqlite_path: Path, name: str, password: str, client: str) -> tuple[str, WebSession]:
    """Check a name and password; on success a new session (cookie token, session), else AccessError.

    `client` is the caller's address; failures count per name and per address.
    """
    now = utc_now()
    keys = [f"user:{name.strip().lower()}", f"client:{client}"]
    with open_state(sqlite_path) as db:
        _throttle(db, keys, now)
        row = db.execute("SELECT password_hash FROM users WHERE name = ?", (name.strip(),)).fetchone()
        try:
            _hasher.verify(row[0] if row else _UNKNOWN_USER_HASH, password)
            matched = row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            matched = False
        if not matched:
            # Committed before raising: an exception inside `with db` would roll the count back.
            with db:
                for key in keys:
                    db.execute(
                        "INSERT INTO login_failures (login_key, failures, last_failure_at) VALUES (?, 1, ?) "
                        "ON CONFLICT (login_key) DO UPDATE SET failures = failures + 1, "
                        "last_failure_at = excluded.last_failure_at",
                        (key, now.isoformat()),
                    )
            raise AccessError("The name or the password is wrong.")
        with db:
            db.execute("DELETE FROM login_failures WHERE login_key IN (?, ?)", (keys[0], keys[1]))
            if _hasher.check_needs_rehash(row[0]):
                db.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name.strip()))
            token, session = secrets.token_urlsafe(32), WebSession(name.strip(), secrets.token_urlsafe(32))
            db.execute(
                "INSERT INTO web_sessions (token_sha256, user_name, csrf_token, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    _digest(token),
                    session.user,
                    session.csrf_token,
                    now.isoformat(),
                    (now + dt.timedelta(seconds=SESSION_SECONDS)).isoformat(),
                ),
            )
        return token, session


def session_for(sqlite_path: Path, token: str | None) -> WebSession | None:
    """The live session a cookie token belongs to, or None."""
    if not token:
        return None
    with open_state(sqlite_path) as db:
        row = db.execute(
            "SELECT user_name, csrf_token, expires_at FROM web_sessions WHERE token_sha256 = ?", (_digest(token),)
        ).fetchone()
    if row is None or dt.datetime.fromisoformat(row[2]) <= utc_now():
        return None
    return WebSession(row[0], row[1])


def log_out(sqlite_path: Path, token: str | None) -> None:
    if not token:
        return
    with writing_state(sqlite_path) as db:
        db.execute("DELETE FROM web_sessions WHERE token_sha256 = ?", (_digest(token),))


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (both must be present)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
