"""Configuration: defaults, then ``instance/config.py``, then ``FOIA_*`` environment variables, then
explicit overrides (tests, ``foia serve``).

:data:`DEFAULTS` is the one place a setting's default lives; a ``FOIA_<KEY>`` environment variable
is read as the type of its default (whole number, decimal, yes/no or text). The merged result belongs
to an :class:`foia.instance.Instance`, which passes it to whoever needs a setting: nothing here keeps
a configuration between calls.

The instance folder is ``./instance`` (relative to the working directory) unless ``FOIA_INSTANCE``
names another; it is never derived from where the package is installed.
"""
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from .errors import Invalid

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
    "SESSION_COOKIE_SECURE": False,  # always Secure (it is anyway when the request came over HTTPS)
    "LOGIN_MAX_AGE_HOURS": 14 * 24.0,  # a sign-in lasts this long, at most
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
    # Start of links read outside the site (e-mail, notifications, the calendar feed). Empty: the URL
    # the web request came in on, or outside a request the last one seen (foia.links), else
    # http://127.0.0.1:<PORT>.
    "BASE_URL": "",
    "PORT": 5000,  # the port `foia serve` listens on (`make run PORT=5077`)
    "LETTER_TEMPLATES": "",  # folder of letter templates; default: the packaged letters/
    "PROXY_FIX": 0,  # number of reverse proxies in front whose X-Forwarded-* headers to trust
    # Replies from agencies, fetched from the group's mailbox (off while IMAP_HOST is empty).
    "IMAP_HOST": "",
    "IMAP_PORT": 0,  # 0: 993 with ssl, else 143
    "IMAP_USER": "",
    "IMAP_PASSWORD": "",
    "IMAP_FOLDER": "INBOX",
    "IMAP_SECURITY": "ssl",  # "ssl", "starttls" or "" (loopback test servers only)
    "IMAP_CA_FILE": "",  # a certificate to trust besides the system's (a self-signed server)
    "MAIL_POLL_MINUTES": 5,
    # Requests sent by e-mail: replies come back to a plus-address of this mailbox (default MAIL_FROM).
    "MAIL_REPLY_ADDRESS": "",
    "MAIL_SEND_PER_MINUTE": 20,
    "MAIL_MAX_ATTACHMENT": 25 * 1024 * 1024,  # bytes of one incoming attachment filed as a document
    "MAIL_MAX_MESSAGE": 200 * 1024 * 1024,  # bytes of one raw incoming message kept
}

ENV_PREFIX = "FOIA_"
_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off", "")


def _cast(key: str, value: str):
    """An environment value read as the type of the setting's default."""
    default = DEFAULTS[key]
    text = value.strip()
    try:
        if isinstance(default, bool):
            if text.lower() not in _YES + _NO:
                raise ValueError
            return text.lower() in _YES
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = "yes or no" if isinstance(default, bool) else "a number"
        raise Invalid(ENV_PREFIX + key, f"{ENV_PREFIX}{key} must be {kind}, not {value!r}.") from None
    return value


def from_environ(environ: Mapping[str, str]) -> dict:
    """The settings given as ``FOIA_<KEY>`` variables (only keys that have a default)."""
    return {key: _cast(key, environ[ENV_PREFIX + key]) for key in DEFAULTS
            if DEFAULTS[key] is not None and ENV_PREFIX + key in environ}


def from_pyfile(path: Path) -> dict:
    """The upper-case names a Python settings file defines (as Flask's ``from_pyfile`` reads them)."""
    if not path.exists():
        return {}
    namespace: dict = {"__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return {k: v for k, v in namespace.items() if k.isupper()}


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("FOIA_INSTANCE") or "instance").resolve()


def load(instance: Path, overrides: Mapping | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """The effective configuration for an instance folder (created if missing)."""
    instance = Path(instance)
    instance.mkdir(parents=True, exist_ok=True)
    config = dict(DEFAULTS)
    config.update(from_pyfile(instance / "config.py"))
    config.update(from_environ(os.environ if environ is None else environ))
    config.update(overrides or {})
    config.setdefault("DATABASE", str(instance / "foia.db"))
    config.setdefault("FILES_DIR", str(instance / "files"))
    config.setdefault("LETTERS_DIR", str(instance / "letters"))
    config.setdefault("SECRET_KEY", secret_key(instance))
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
