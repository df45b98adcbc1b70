"""Users, roles, login throttling and API tokens.

Roles: ``admin`` manages users and settings, ``member`` creates and edits, ``viewer`` only reads.
Passwords are stored as werkzeug hashes (scrypt). API tokens are random strings shown once; only
their SHA-256 is stored, so a stolen database does not yield working tokens.

Throttling, per account and per address, separately:

- An **account** (by email) with :data:`MAX_FAILURES` failed attempts since its last sign-in, within
  :data:`WINDOW`, is locked: attempts are refused without checking the password until the oldest of
  those failures is :data:`WINDOW` old; then the right password signs in and clears the count. An admin
  can clear it at once (:func:`unlock`, ``foia users unlock``).
- An **address** with :data:`MAX_ADDRESS_FAILURES` failed attempts within :data:`WINDOW` is locked for
  accounts that have not signed in from it before (within :data:`KNOWN_FOR`). Behind a shared proxy,
  one guesser locks out new accounts from that address for a while, not everyone: people who have
  signed in from there before still can. A successful login clears the account's count, never the
  address's (an attacker holding one valid account must not reset it while guessing others).

Each attempt is recorded *before* the password is checked, inside a write transaction, so concurrent
guesses cannot slip past the limit.

Sessions are server-side rows (:func:`start_session`): the cookie holds a random token whose hash is
stored, so signing out ends that session for good (a copied cookie stops working), and changing the
password or the role, or disabling the account, ends all of the user's sessions. Every user row also
carries a random ``session_key``, part of the session's identity, rotated by the same changes.

Passwords need :data:`MIN_PASSWORD` characters that are not all spaces, and must not be easy to guess
(zxcvbn's estimate, which knows the common-password lists, repeats and sequences).
"""
import datetime as dt
import functools
import hashlib
import re
import secrets

import sqlite_utils
from sqlite_utils.migrations import Migrations
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from . import audit, clock, formats
from .db import run_script, transaction
from .errors import Conflict, FoiaError, Invalid, NotFound

migrations = Migrations("foia.accounts")

ROLES = ("admin", "member", "viewer")
EDIT_ROLES = ("admin", "member")
# Each role in words, as pages and messages show it.
ROLE_WORDS = {
    "admin": "Admin: can change everything, manage users and read the audit log",
    "member": "Member: can read and change requests, agencies, letters and documents",
    "viewer": "Viewer: can read, cannot change",
}
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing megabytes of "password" is a denial of service, not a login
MAX_NAME = 200
MAX_EMAIL = 254
MAX_FAILURES = 5  # per account
MAX_ADDRESS_FAILURES = 20  # per client address
WINDOW = dt.timedelta(minutes=15)
KNOWN_FOR = dt.timedelta(days=90)  # a sign-in from an address makes it known to that account this long
MIN_STRENGTH = 2  # zxcvbn score, 0-4: 2 and up resist online guessing
STRENGTH_CHARS = 100  # the estimate looks at this much of a password (it is quadratic in the length)
MAX_SESSIONS = 50  # per user: signing in again ends the oldest beyond this
SUCCESS, UNLOCKED = 1, 2  # login_attempts.success: a sign-in, or an admin clearing the account's count
TOKEN_PREFIX = "foia_"
DEMO_ADMIN_EMAIL = "admin@example.org"

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PUBLIC_COLUMNS = "id, email, name, role, created_at, disabled_at, session_key"


class LoginError(FoiaError):
    """Wrong email or password, or a disabled account (deliberately one message for all)."""

    status = 401

    def __init__(self, message="Wrong email or password."):
        super().__init__(message)


class Throttled(LoginError):
    """Too many failed attempts; ``until`` is when the next attempt will be considered."""

    status = 429

    def __init__(self, until: dt.datetime):
        self.until = until
        super().__init__(
            f"Too many failed sign-in attempts. Try again after {until.strftime('%H:%M')} on {formats.day(until)}."
        )


@migrations()
def m001_accounts(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        ALTER TABLE users ADD COLUMN session_key TEXT NOT NULL DEFAULT '';
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_tokens_user ON api_tokens(user_id);
        CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL COLLATE NOCASE,
            ip TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            success INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX login_attempts_email ON login_attempts(email, at);
        CREATE INDEX login_attempts_ip ON login_attempts(ip, at);
        CREATE INDEX login_attempts_at ON login_attempts(at);
        """,
    )


@migrations()
def m002_sessions(db: sqlite_utils.Database) -> None:
    """Server-side sessions, so that signing out ends a session even where its cookie was copied."""
    run_script(
        db,
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            ip TEXT NOT NULL DEFAULT '',
            ended_at TEXT
        );
        CREATE INDEX sessions_user ON sessions(user_id, ended_at);
        CREATE INDEX sessions_ended ON sessions(ended_at);
        CREATE INDEX login_attempts_known ON login_attempts(email, ip, success, at);
        """,
    )


@migrations()
def m003_token_submission_key(db: sqlite_utils.Database) -> None:
    """A double-submitted token form makes one token, not two."""
    db.execute("ALTER TABLE api_tokens ADD COLUMN submission_key TEXT")
    db.execute("CREATE UNIQUE INDEX api_tokens_submission_key ON api_tokens(submission_key)")


class TokenAlreadyMade(Conflict):
    """The token form was submitted again: its token exists and was shown once, when it was made."""

    def __init__(self, token_id: int):
        super().__init__(f"That form already made token {token_id}, shown once when it was made. If you did not "
                         "copy it, revoke it below and make another.")
        self.token_id = token_id


@functools.cache
def _dummy_hash() -> str:
    """A hash that never matches, checked for unknown accounts so they answer as slowly as real ones."""
    return generate_password_hash(secrets.token_hex(16))


# -- validation ---------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > MAX_EMAIL or not EMAIL_RE.match(email):
        raise Invalid("email", "Enter an email address such as name@example.org.")
    return email


def check_password_rules(password: str, *, email: str = "", name: str = "") -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise Invalid("password", f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise Invalid("password", f"A password can have at most {MAX_PASSWORD} characters.")
    if len("".join(password.split())) < MIN_PASSWORD // 2:
        raise Invalid("password", "A password needs real characters, not mostly spaces.")
    words = [w for w in (email, email.partition("@")[0], name) if w]
    estimate = zxcvbn(password[:STRENGTH_CHARS], user_inputs=words)
    if estimate["score"] < MIN_STRENGTH:
        warning = estimate["feedback"]["warning"] or "It would be easy to guess."
        raise Invalid("password", f"Choose a harder password. {warning} A few unusual words together work well.")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid("role", "Choose a role: admin, member or viewer.")
    return role


def can_edit(role: str) -> bool:
    return role in EDIT_ROLES


# -- users --------------------------------------------------------------------------------------


def get(db: sqlite_utils.Database, user_id) -> dict | None:
    """A user (without the password hash), or ``None``."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    rows = list(db.query(f"SELECT {PUBLIC_COLUMNS} FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def by_email(db: sqlite_utils.Database, email: str) -> dict | None:
    rows = list(db.query(f"SELECT {PUBLIC_COLUMNS} FROM users WHERE email = ?", [(email or "").strip()]))
    return rows[0] if rows else None


def require(db: sqlite_utils.Database, user_id) -> dict:
    user = get(db, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def list_users(db: sqlite_utils.Database) -> list[dict]:
    return list(
        db.query(
            f"""SELECT {PUBLIC_COLUMNS},
                   (SELECT count(*) FROM api_tokens t
                     WHERE t.user_id = users.id AND t.revoked_at IS NULL) AS active_tokens
                FROM users ORDER BY disabled_at IS NOT NULL, email"""
        )
    )


def create_user(db, email, password, role, name="", actor=None, ip="") -> int:
    """Create a user and return its id. Raises :class:`Invalid` on bad input, :class:`Conflict` for a
    taken email."""
    email = normalize_email(email)
    name = (name or "").strip()
    check_password_rules(password, email=email, name=name)
    check_role(role)
    if len(name) > MAX_NAME:
        raise Invalid("name", f"A name can have at most {MAX_NAME} characters.")
    password_hash = generate_password_hash(password)
    with transaction(db):
        if by_email(db, email):
            raise Conflict(f"A user with the email {email} already exists.")
        user_id = db.table("users").insert(
            {
                "email": email,
                "name": name,
                "password_hash": password_hash,
                "role": role,
                "created_at": clock.stamp(),
                "session_key": secrets.token_hex(16),
            }
        ).last_pk
        audit.record(db, "user.create", user_id=actor, object_type="user", object_id=str(user_id),
                     detail={"email": email, "role": role}, ip=ip)
    return user_id


def set_password(db, user_id, password, actor=None, ip="") -> None:
    """Change a password; every session of that user ends (its session key rotates)."""
    user = require(db, user_id)
    check_password_rules(password, email=user["email"], name=user["name"])
    password_hash = generate_password_hash(password)
    with transaction(db):
        db.execute(
            "UPDATE users SET password_hash = ?, session_key = ? WHERE id = ?",
            [password_hash, secrets.token_hex(16), user["id"]],
        )
        end_sessions(db, user["id"])
        audit.record(db, "user.password", user_id=actor, object_type="user",
                     object_id=str(user["id"]), ip=ip)


def change_own_password(db, user_id, current, new, ip="") -> None:
    """A user changing their own password must know the current one."""
    row = db.execute("SELECT password_hash FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None or not check_password_hash(row[0] or _dummy_hash(), (current or "")[:MAX_PASSWORD]):
        raise Invalid("current", "The current password is wrong.")
    set_password(db, user_id, new, actor=user_id, ip=ip)


def _active_admins(db, excluding: int) -> int:
    return db.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id != ?",
        [excluding],
    ).fetchone()[0]


def set_role(db, user_id, role, actor=None, ip="") -> None:
    """Change a role (ends the user's sessions). The last active admin cannot be demoted."""
    check_role(role)
    with transaction(db):
        user = require(db, user_id)
        if user["role"] == role:
            return
        if user["role"] == "admin" and not user["disabled_at"] and _active_admins(db, user["id"]) == 0:
            raise Conflict("This is the last active admin; make another admin first.")
        db.execute("UPDATE users SET role = ?, session_key = ? WHERE id = ?",
                   [role, secrets.token_hex(16), user["id"]])
        end_sessions(db, user["id"])
        audit.record(db, "user.role", user_id=actor, object_type="user", object_id=str(user["id"]),
                     detail={"from": user["role"], "to": role}, ip=ip)


def disable(db, user_id, actor=None, ip="") -> None:
    """Disable an account: its sessions end and its API tokens stop working. Nothing is deleted."""
    with transaction(db):
        user = require(db, user_id)
        if user["disabled_at"]:
            return
        if user["role"] == "admin" and _active_admins(db, user["id"]) == 0:
            raise Conflict("This is the last active admin; make another admin first.")
        db.execute("UPDATE users SET disabled_at = ?, session_key = ? WHERE id = ?",
                   [clock.stamp(), secrets.token_hex(16), user["id"]])
        end_sessions(db, user["id"])
        audit.record(db, "user.disable", user_id=actor, object_type="user",
                     object_id=str(user["id"]), ip=ip)


def enable(db, user_id, actor=None, ip="") -> None:
    with transaction(db):
        user = require(db, user_id)
        if not user["disabled_at"]:
            return
        db.execute("UPDATE users SET disabled_at = NULL WHERE id = ?", [user["id"]])
        audit.record(db, "user.enable", user_id=actor, object_type="user",
                     object_id=str(user["id"]), ip=ip)


def ensure_demo_admin(db) -> tuple[str, str] | None:
    """Create ``admin@example.org`` with a random password (to be printed once), unless it exists."""
    if by_email(db, DEMO_ADMIN_EMAIL):
        return None
    password = secrets.token_urlsafe(12)
    create_user(db, DEMO_ADMIN_EMAIL, password, "admin", name="Demo admin")
    return DEMO_ADMIN_EMAIL, password


# -- login --------------------------------------------------------------------------------------


def _stamp(moment: dt.datetime) -> str:
    return moment.replace(microsecond=0).isoformat(timespec="seconds")


def throttled_until(db, email: str, ip: str, now: dt.datetime) -> dt.datetime | None:
    """When the account or address may try again, or ``None`` if it may try now."""
    since = _stamp(now - WINDOW)
    last_clear = db.execute(
        "SELECT coalesce(max(id), 0) FROM login_attempts WHERE email = ? AND success != 0", [email]
    ).fetchone()[0]
    queries = [(
        "SELECT at FROM login_attempts WHERE email = ? AND success = 0 AND at > ? AND id > ? "
        "ORDER BY at DESC LIMIT 1 OFFSET ?", [email, since, last_clear, MAX_FAILURES - 1],
    )]
    known = ip and db.execute(
        "SELECT 1 FROM login_attempts WHERE email = ? AND ip = ? AND success = ? AND at > ? LIMIT 1",
        [email, ip, SUCCESS, _stamp(now - KNOWN_FOR)],
    ).fetchone()
    if ip and not known:
        queries.append((
            "SELECT at FROM login_attempts WHERE ip = ? AND success = 0 AND at > ? "
            "ORDER BY at DESC LIMIT 1 OFFSET ?", [ip, since, MAX_ADDRESS_FAILURES - 1],
        ))
    until = None
    for sql, params in queries:
        row = db.execute(sql, params).fetchone()
        if row:
            # The attempt that pushed the count to the limit ages out of the window at this moment.
            moment = dt.datetime.fromisoformat(row[0]) + WINDOW
            until = max(until, moment) if until else moment
    return until


def authenticate(db, email, password, ip="", now: dt.datetime | None = None) -> dict:
    """Check a login. Returns the user; raises :class:`Throttled` or :class:`LoginError`."""
    now = now or clock.now()
    email = (email or "").strip().lower()[:MAX_EMAIL]
    password = password or ""
    ip = (ip or "")[:64]
    with transaction(db):
        until = throttled_until(db, email, ip, now)
        if until:
            raise Throttled(until)
        attempt_id = db.table("login_attempts").insert(
            {"email": email, "ip": ip, "at": _stamp(now), "success": 0}
        ).last_pk
        db.execute("DELETE FROM login_attempts WHERE at < ? AND (success = 0 OR at < ?)",
                   [_stamp(now - dt.timedelta(days=1)), _stamp(now - KNOWN_FOR)])
    # The password is checked outside the write transaction: hashing is slow on purpose.
    row = db.execute(
        "SELECT id, password_hash, disabled_at FROM users WHERE email = ?", [email]
    ).fetchone()
    stored = (row[1] if row else None) or _dummy_hash()
    ok = check_password_hash(stored, password[:MAX_PASSWORD])
    ok = ok and row is not None and not row[2] and len(password) <= MAX_PASSWORD
    with transaction(db):
        if ok:
            db.execute("UPDATE login_attempts SET success = ? WHERE id = ?", [SUCCESS, attempt_id])
        audit.record(db, "login" if ok else "login.failed", user_id=row[0] if ok else None,
                     object_type="user", object_id=str(row[0]) if row else "",
                     detail={} if ok else {"email": email}, ip=ip)
    if not ok:
        raise LoginError()
    return get(db, row[0])


def unlock(db, email: str, actor=None, ip="", now: dt.datetime | None = None) -> None:
    """Clear an account's failed sign-ins at once (an admin's help for a locked-out user)."""
    email = (email or "").strip().lower()[:MAX_EMAIL]
    with transaction(db):
        db.table("login_attempts").insert({"email": email, "ip": "", "at": _stamp(now or clock.now()),
                                           "success": UNLOCKED})
        audit.record(db, "user.unlock", user_id=actor, object_type="user", detail={"email": email}, ip=ip)


# -- sessions -----------------------------------------------------------------------------------


def start_session(db, user_id: int, ip: str = "", now: dt.datetime | None = None) -> str:
    """A new sign-in session for a user: returns its token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    stamp = _stamp(now or clock.now())
    with transaction(db):
        db.table("sessions").insert({"user_id": user_id, "token_hash": _token_hash(token), "created_at": stamp,
                                     "ip": (ip or "")[:64], "ended_at": None})
        db.execute(
            """UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL AND id NOT IN (
                   SELECT id FROM sessions WHERE user_id = ? AND ended_at IS NULL ORDER BY id DESC LIMIT ?)""",
            [stamp, user_id, user_id, MAX_SESSIONS])
        db.execute("DELETE FROM sessions WHERE ended_at < ?", [_stamp((now or clock.now()) - KNOWN_FOR)])
    return token


def end_session(db, token: str, now: dt.datetime | None = None) -> None:
    """Sign-out: the session's token stops working, wherever a copy of the cookie is."""
    with transaction(db):
        db.execute("UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
                   [_stamp(now or clock.now()), _token_hash(token or "")])


def end_sessions(db, user_id: int, now: dt.datetime | None = None) -> None:
    """End every session of a user (password or role changed, account disabled)."""
    with transaction(db):
        db.execute("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                   [_stamp(now or clock.now()), user_id])


def load_session_user(db, session_id: str) -> dict | None:
    """The user for a login session id ``"<user id>:<session key>:<session token>"``, if still valid:
    the user is active, the key is current and the session has not ended."""
    user_id, _, rest = (session_id or "").partition(":")
    key, _, token = rest.partition(":")
    user = get(db, user_id)
    if user is None or user["disabled_at"] or not key or not user["session_key"] or not token:
        return None
    if not secrets.compare_digest(key, user["session_key"]):
        return None
    live = db.execute("SELECT 1 FROM sessions WHERE token_hash = ? AND user_id = ? AND ended_at IS NULL",
                      [_token_hash(token), user["id"]]).fetchone()
    return user if live else None


# -- API tokens ---------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(db, user_id, name, actor=None, ip="", *, submission_key: str | None = None) -> tuple[int, str]:
    """A new API token for a user: returns ``(token id, token)``; the token is not stored. A form's
    one-time ``submission_key`` used before raises :class:`TokenAlreadyMade` (the token cannot be
    shown again)."""
    name = (name or "").strip()
    if not name:
        raise Invalid("name", "Give the token a name (what will use it?).")
    if len(name) > MAX_NAME:
        raise Invalid("name", f"A token name can have at most {MAX_NAME} characters.")
    user = require(db, user_id)
    if user["disabled_at"]:
        raise Conflict("This account is disabled.")
    submission_key = (submission_key or "").strip()[:200] or None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(db):
        if submission_key:
            made = db.execute("SELECT id FROM api_tokens WHERE submission_key = ?", [submission_key]).fetchone()
            if made:
                raise TokenAlreadyMade(made[0])
        token_id = db.table("api_tokens").insert(
            {"user_id": user["id"], "name": name, "token_hash": _token_hash(token), "created_at": clock.stamp(),
             "last_used_at": None, "revoked_at": None, "submission_key": submission_key}
        ).last_pk
        audit.record(db, "token.create", user_id=actor, object_type="api_token",
                     object_id=str(token_id), detail={"for_user": user["id"], "name": name}, ip=ip)
    return token_id, token


def get_token(db, token_id) -> dict | None:
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        return None
    rows = list(db.query(
        "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE id = ?",
        [token_id],
    ))
    return rows[0] if rows else None


def list_tokens(db, user_id=None) -> list[dict]:
    sql = """SELECT t.id, t.user_id, u.email, t.name, t.created_at, t.last_used_at, t.revoked_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id"""
    params = []
    if user_id is not None:
        sql += " WHERE t.user_id = ?"
        params.append(user_id)
    return list(db.query(sql + " ORDER BY t.revoked_at IS NOT NULL, t.id DESC", params))


def revoke_token(db, token_id, actor=None, ip="", owner_id=None) -> None:
    """Revoke a token. With ``owner_id``, only a token of that user can be revoked."""
    with transaction(db):
        token = get_token(db, token_id)
        if token is None or (owner_id is not None and token["user_id"] != owner_id):
            raise NotFound(f"No API token with id {token_id}.")
        if token["revoked_at"]:
            return
        db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", [clock.stamp(), token["id"]])
        audit.record(db, "token.revoke", user_id=actor, object_type="api_token",
                     object_id=str(token["id"]), detail={"for_user": token["user_id"]}, ip=ip)


def user_for_token(db, token: str, now: dt.datetime | None = None) -> dict | None:
    """The active user owning an unrevoked token, or ``None``. Notes when it was last used."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.execute(
        "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        [_token_hash(token)],
    ).fetchone()
    if row is None:
        return None
    user = get(db, row[1])
    if user is None or user["disabled_at"]:
        return None
    now_stamp = _stamp(now or clock.now())
    # At most one write a minute per token: a busy script should not queue a write per request.
    if row[2] is None or row[2][:16] != now_stamp[:16]:
        with transaction(db):
            db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [now_stamp, row[0]])
    return user
