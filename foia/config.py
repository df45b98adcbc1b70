"""Configuration: defaults, then ``instance/config.py``, then ``FOIA_*`` environment variables.

The instance folder is ``./instance`` (relative to the working directory) unless ``FOIA_INSTANCE``
names another; it is never derived from where the package is installed.
"""
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "PAGE_SIZE": 50,
    "MAX_CONTENT_LENGTH": 512 * 1024 * 1024,  # upload limit, bytes
    "FOLLOW_UP_BUSINESS_DAYS": 10,
    "TIMEZONE": "America/New_York",
    "SCHEDULER": False,  # `foia serve` turns the in-process dispatcher on
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_SECURITY": "",  # "", "starttls" or "ssl"
    "MAIL_FROM": "foia@localhost",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "REMINDER_HOUR": 9,  # local hour at which date reminders fall due
    "REMINDER_DIGEST": False,  # one e-mail a day per recipient instead of one per reminder
    "REMINDER_EMAIL": "",  # group address for reminders of requests with no owner
    "REMINDER_DUE_SOON_DAYS": 2,
    "REMINDER_FOLLOW_UP_EVERY_DAYS": 7,
    "REMINDER_FOLLOW_UP_HORIZON": 1,
    "APPEAL_DEFAULT_DAYS": 30,
    "REMINDER_APPEAL_WARNING_DAYS": 7,
    "REMINDER_MAX_ATTEMPTS": 10,  # e-mail attempts before a reminder is marked failed
    "BASE_URL": "http://127.0.0.1:5000",  # for links in e-mail and the calendar feed
    "LETTER_TEMPLATES": "",  # folder of letter templates; default: the top-level letters/
    "PROXY_FIX": 0,  # number of reverse proxies in front whose X-Forwarded-* headers to trust
}

def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


# Environment variables that override a default, with the type to read them as.
ENV_KEYS = {
    "PAGE_SIZE": int,
    "MAX_CONTENT_LENGTH": int,
    "FOLLOW_UP_BUSINESS_DAYS": int,
    "TIMEZONE": str,
    "SMTP_HOST": str,
    "SMTP_PORT": int,
    "SMTP_USER": str,
    "SMTP_PASSWORD": str,
    "SMTP_SECURITY": str,
    "MAIL_FROM": str,
    "LOGIN_MAX_AGE_HOURS": float,
    "REMINDER_HOUR": int,
    "REMINDER_DIGEST": _flag,
    "REMINDER_EMAIL": str,
    "REMINDER_DUE_SOON_DAYS": int,
    "REMINDER_FOLLOW_UP_EVERY_DAYS": int,
    "REMINDER_FOLLOW_UP_HORIZON": int,
    "APPEAL_DEFAULT_DAYS": int,
    "REMINDER_APPEAL_WARNING_DAYS": int,
    "REMINDER_MAX_ATTEMPTS": int,
    "BASE_URL": str,
    "LETTER_TEMPLATES": str,
    "PROXY_FIX": int,
    "SESSION_COOKIE_SECURE": _flag,
}


_current: dict | None = None


def current() -> dict:
    """The configuration this process loaded last (by ``create_app`` or the CLI).

    Domain modules read their settings here, so a value in ``instance/config.py`` applies the same
    way on the web, in the CLI and in the scheduler. Before any load: defaults and environment.
    """
    if _current is not None:
        return _current
    config = dict(DEFAULTS)
    for key, cast in ENV_KEYS.items():
        value = os.environ.get("FOIA_" + key)
        if value is not None:
            config[key] = cast(value)
    return config


def instance_path() -> Path:
    return Path(os.environ.get("FOIA_INSTANCE") or "instance").resolve()


def load(instance: Path, overrides: dict | None = None) -> dict:
    """The effective configuration for an instance folder (created if missing)."""
    instance.mkdir(parents=True, exist_ok=True)
    config = dict(DEFAULTS)
    local = instance / "config.py"
    if local.exists():
        namespace: dict = {}
        exec(compile(local.read_text(), str(local), "exec"), namespace)
        config.update({k: v for k, v in namespace.items() if k.isupper()})
    for key, cast in ENV_KEYS.items():
        value = os.environ.get("FOIA_" + key)
        if value is not None:
            config[key] = cast(value)
    config.update(overrides or {})
    config.setdefault("DATABASE", str(instance / "foia.db"))
    config.setdefault("FILES_DIR", str(instance / "files"))
    config.setdefault("LETTERS_DIR", str(instance / "letters"))
    config.setdefault("SECRET_KEY", secret_key(instance))
    global _current
    _current = config
    return config


def secret_key(instance: Path) -> str:
    """The instance's secret key, generated on first use and kept in ``instance/secret_key``."""
    path = instance / "secret_key"
    if not path.exists():
        # Written whole to a temporary file, then linked into place: a second process starting at the
        # same moment either sees no file (and makes its own, which loses the race) or the whole key.
        tmp = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()
