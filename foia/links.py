"""The address that links read outside the site start with: links in e-mail, in-app notifications
and the calendar feed (``https://foia.example.org`` + ``/requests/12``).

``FOIA_BASE_URL`` when it is set. Otherwise a web request uses the URL it came in on (see
:func:`foia.web.link_base`), and work done outside a request (the scheduler's e-mail, ``foia export
ics``) uses the last address a signed-in person reached the site on, which the web app keeps in the
``settings`` table (:func:`remember`), else ``http://127.0.0.1:<PORT>``.
"""
from .db import transaction

SETTING_KEY = "last_url_root"


def configured(config) -> str:
    """``BASE_URL`` without its trailing slash, or "" when it is not set."""
    return str((config or {}).get("BASE_URL") or "").strip().rstrip("/")


def fallback(config) -> str:
    """``BASE_URL`` if set, else the address of this machine on the configured ``PORT`` (no database);
    "" for a configuration that names neither (no link is better than a wrong one)."""
    port = (config or {}).get("PORT")
    return configured(config) or (f"http://127.0.0.1:{port}" if port else "")


def last_seen(db) -> str:
    """The last address the site was reached on ("" if none is remembered)."""
    rows = list(db.query("SELECT value FROM settings WHERE key = ?", [SETTING_KEY]))
    return rows[0]["value"] if rows else ""


def base_url(db, config) -> str:
    """The start of links made outside a web request: ``BASE_URL``, else the address remembered from
    the web, else ``http://127.0.0.1:<PORT>``."""
    return configured(config) or last_seen(db) or fallback(config) or "http://127.0.0.1:5000"


def remember(db, url_root: str) -> bool:
    """Keep ``url_root`` (e.g. ``http://192.168.1.5:5077/``) as the site's address; writes only when it
    changed. Returns whether it wrote."""
    value = (url_root or "").strip().rstrip("/")
    if not value or not value.startswith(("http://", "https://")) or len(value) > 500:
        return False
    if last_seen(db) == value:
        return False
    with transaction(db):
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [SETTING_KEY, value])
    return True
