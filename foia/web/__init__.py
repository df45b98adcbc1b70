"""The web layer: thin views over the domain modules.

``init_app`` opens one database connection per request (on ``flask.g``), registers the
blueprints in ``BLUEPRINTS`` and the error pages. Views never compute a status or a deadline
themselves; they call the domain functions and render.
"""
import importlib
import secrets
import threading
from urllib.parse import urlsplit

from flask import abort, current_app, g, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from .. import clock, lifecycle
from .. import db as db_module

csrf = CSRFProtect()

# Blueprint modules, each with one ``bp``.
BLUEPRINTS = ("dashboard", "agencies", "requests", "api", "auth", "deadlines", "letters", "campaigns", "documents")

# Navigation: (endpoint, label); entries whose blueprint is not registered are left out.
NAV = (
    ("dashboard.index", "Dashboard"),
    ("requests.index", "Requests"),
    ("agencies.index", "Agencies"),
    ("campaigns.index", "Campaigns"),
    ("deadlines.calendar_page", "Calendar"),
    ("documents.search", "Search"),
    ("documents.archive", "Archive"),
)


_local = threading.local()


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
    try:
        return max(1, min(int(request.args.get("page", 1)), 100_000))
    except ValueError:
        return 1


def sections(kind: str, *args) -> list[Markup]:
    """Each feature's section of the request page or dashboard, rendered."""
    return [Markup(render_template(template, **fn(get_db(), *args)))
            for template, fn in current_app.extensions["foia.sections"][kind]]


def _nav():
    return [(endpoint, label) for endpoint, label in NAV if endpoint in current_app.view_functions]


def init_app(app) -> None:
    app.teardown_appcontext(close_db)
    with app.app_context():
        database = db_module.connect(app.config["DATABASE"])
        db_module.migrate(database)
        if not database.execute("SELECT count(*) FROM laws").fetchone()[0]:
            from .. import laws

            laws.load_into(database)
        database.conn.close()

    csrf.init_app(app)  # every POST form carries {{ csrf_token() }}
    # A blueprint module may add a section to the request page and to the dashboard by defining
    # REQUEST_SECTION / DASHBOARD_SECTION = (template, function(db, ...) -> template context).
    sections = app.extensions.setdefault("foia.sections", {"request": [], "dashboard": []})
    for name in BLUEPRINTS:
        module = importlib.import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)
        if hasattr(module, "REQUEST_SECTION"):
            sections["request"].append(module.REQUEST_SECTION)
        if hasattr(module, "DASHBOARD_SECTION"):
            sections["dashboard"].append(module.DASHBOARD_SECTION)

    from . import auth

    auth.init_app(app)  # sign-in, roles, CSRF and security headers for every route
    from . import deadlines

    app.context_processor(deadlines.context)
    app.jinja_env.globals.update(
        nav=_nav,
        EVENT_KINDS=lifecycle.EVENT_KINDS,
        STATUSES=lifecycle.STATUSES,
        OPEN_STATUSES=lifecycle.OPEN_STATUSES,
        form_token=form_token,
        today=clock.today,
    )
    app.jinja_env.filters["status_label"] = lambda s: lifecycle.STATUSES.get(s, s)
    app.jinja_env.filters["event_label"] = lambda k: lifecycle.EVENT_KINDS.get(k, k)
    app.jinja_env.filters["nl2br"] = lambda text: Markup("<br>").join((text or "").splitlines())

    @app.errorhandler(HTTPException)
    def http_error(e):
        if wants_json():
            return jsonify({"error": e.name, "message": e.description, "status": e.code}), e.code
        return render_template("error.html", error=e), e.code

    @app.context_processor
    def paging():
        def page_url(page):
            args = request.args.to_dict()
            args["page"] = page
            return url_for(request.endpoint, **(request.view_args or {}), **args)
        return {"page_url": page_url}
