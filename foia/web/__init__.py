"""The web layer: thin views over the domain modules, and the helpers they share.

The app itself is built by :func:`foia.web.app.create_app`. Views get this thread's database
connection from :func:`get_db` and the instance from :func:`instance`; they never compute a status
or a deadline themselves, they call the domain functions and render. Domain errors
(:mod:`foia.errors`) propagate to the app's one error handler.
"""
import secrets
import threading
from urllib.parse import urlsplit

from flask import abort, current_app, g, render_template, request
from markupsafe import Markup

from .. import db as db_module
from .. import links
from ..errors import Invalid
from ..instance import Instance

MAX_ID = 2**63 - 1  # SQLite's largest integer


_local = threading.local()


def instance() -> Instance:
    """The instance this app serves (its settings, file store, letters folder and clock)."""
    return current_app.extensions["foia"]


def get_db():
    """This thread's connection to the app's database, kept from one request to the next.

    Opening a connection (and setting its pragmas) costs about a millisecond, a tenth of a page.
    """
    if "db" not in g:
        path = current_app.config["DATABASE"]
        cached = getattr(_local, "db", None)
        if cached is None or cached[0] != path:
            if cached is not None:
                cached[1].conn.close()
            cached = _local.db = (path, db_module.connect(path))
        g.db = cached[1]
    return g.db


def close_db(_exc=None):
    """After each request: never leave a transaction open on the kept connection."""
    database = g.pop("db", None)
    if database is not None and database.conn.in_transaction:
        database.execute("ROLLBACK")


def actor_id():
    """The signed-in user's id, or None (CLI, tests without accounts)."""
    if not hasattr(current_app, "login_manager"):
        return None
    from flask_login import current_user

    return current_user.id if current_user.is_authenticated else None


def link_base() -> str:
    """The start of links read outside the site (the calendar feed, its address on the calendar
    page): ``FOIA_BASE_URL`` when it is set, else the URL this request came in on (no trailing slash).
    Add a path from ``url_for`` as ``link_base() + path[len(request.script_root):]``."""
    return links.configured(instance().config) or request.url_root.rstrip("/")


def remember_url_root() -> None:
    """Keep the address a signed-in person reached the site on, for links made outside a request
    (the scheduler's e-mail): one write when it changes, none otherwise. Only signed-in requests
    count, so a stranger's forged ``Host`` header never becomes the address in the team's e-mail."""
    root = request.url_root
    cache = current_app.extensions.setdefault("foia.url_root", {})
    if cache.get("seen") == root or links.configured(instance().config):
        return
    links.remember(get_db(), root)
    cache["seen"] = root


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def get_or_404(fn, *args):
    """Call a domain getter; a LookupError (NotFound) becomes a 404."""
    try:
        return fn(*args)
    except LookupError as e:
        abort(404, description=str(e))


def form_token() -> str:
    """A one-time key for a form, so a double submission creates one row, not two."""
    return secrets.token_urlsafe(16)


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: never ``//host``, a scheme or ``\\``
    (a redirect to "next" must not lead off the site)."""
    if not target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 for c in target)):
        return default
    return target


def page_number() -> int:
    """The ``page`` query argument: 1 to 100,000; anything else is page 1."""
    value = request.args.get("page", "1")
    if not (value.isascii() and value.isdigit()) or len(value) > 6:
        return 1
    return max(1, min(int(value), 100_000))


def parse_id(value, field: str, label: str = "id") -> int | None:
    """A row id from a form or query argument: ``None`` when empty, else 1 to 2^63-1 in ASCII digits.

    Anything else raises :class:`foia.errors.Invalid` naming ``field`` (a 422, not a 500)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 1 <= int(text) <= MAX_ID:
        raise Invalid(field, f"The {label} must be a whole number such as 12.")
    return int(text)


def sections(kind: str, *args) -> list[Markup]:
    """Each feature's section of the request page or dashboard, rendered."""
    return [Markup(render_template(template, **fn(get_db(), *args)))
            for template, fn in current_app.extensions["foia.sections"][kind]]


def named_sections(kind: str, *args) -> dict[str, Markup]:
    """Like :func:`sections`, keyed by each section's template name (e.g.
    ``"deadlines/_request_dates.html"``), so a page can place each section in its own column."""
    return {template: Markup(render_template(template, **fn(get_db(), *args)))
            for template, fn in current_app.extensions["foia.sections"][kind]}


def confirmed() -> bool:
    """Whether a one-way action's form came back from its confirmation page (``confirm=yes``)."""
    return request.form.get("confirm") == "yes"


def confirm_page(*, title: str, message: str, button: str, cancel_url: str, danger: bool = True,
                 status: int = 200):
    """The page asking "are you sure?" before a one-way action (remove an event, publish, delete,
    cancel a campaign). It posts the same form fields back to the same address with ``confirm=yes``,
    so it works without JavaScript and keeps everything the person entered. Use in a POST view::

        if not confirmed():
            return confirm_page(title="Remove this event?", message="…", button="Remove it",
                                cancel_url=url_for("requests.show", request_id=rid))
    """
    fields = [(key, value) for key, values in request.form.lists() if key not in ("confirm", "csrf_token")
              for value in values]
    return render_template("_confirm.html", title=title, message=message, button=button, cancel_url=cancel_url,
                           danger=danger, fields=fields, action=request.path), status
