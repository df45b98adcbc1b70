"""The application factory: ``create_app`` builds the Flask app around one :class:`Instance`.

It registers the blueprints in :data:`BLUEPRINTS` (each a flat module with one ``bp``), the id
converter, the one error handler for :mod:`foia.errors`, sign-in (:mod:`foia.web.auth`) and the
template helpers, migrates the database and, when asked, starts the in-process scheduler.
"""
import importlib
import json

from flask import Flask, Request, render_template, request, url_for
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from .. import errors, formats, lifecycle, resources, scheduler
from ..instance import Instance
from . import MAX_ID, auth, deadlines, form_token, remember_url_root, wants_json

# Blueprint modules of foia.web, each with one ``bp``.
BLUEPRINTS = ("dashboard", "agencies", "requests", "api", "auth", "deadlines", "letters", "campaigns", "documents",
              "correspondence", "jobs", "insights")

# Navigation: (endpoint, label); entries whose blueprint is not registered are left out.
NAV = (
    ("dashboard.index", "Dashboard"),
    ("insights.index", "Insights"),
    ("requests.index", "Requests"),
    ("agencies.index", "Agencies"),
    ("campaigns.index", "Campaigns"),
    ("deadlines.calendar_page", "Calendar"),
    ("documents.search", "Search"),
    ("documents.archive", "Archive"),
    ("correspondence.inbox", "Mail"),
    ("jobs.index", "Jobs"),
)
# The menu of visitors who are not signed in: the public pages only ("Sign in" sits beside it).
PUBLIC_NAV = (
    ("documents.archive", "Archive"),
)

# Which menu item a page belongs to, when it is not the item's own blueprint (or the blueprint has
# pages under two items). Endpoints not listed fall back to the menu item of their blueprint, and
# pages that belong to no item (the account page, the error page) mark none.
NAV_OF_ENDPOINT = {
    "deadlines.inbox": None,  # Notifications: in the header, not the menu
    "deadlines.reminder_list": "deadlines.calendar_page",
    "deadlines.request_dates": "requests.index",
    "insights.calendar_page": "deadlines.calendar_page",
    "documents.search": "documents.search",
    "documents.show": "documents.search",
    "documents.for_request": "requests.index",
    "documents.archive": "documents.archive",
    "letters.new": "requests.index",
    "letters.preview": "requests.index",
    "letters.requester_settings": None,
    "correspondence.campaign": "campaigns.index",
}

class IdConverter(IntegerConverter):
    """``<id:name>``: a row id, 1 to 2^63-1, in ASCII digits. Anything else is a 404, not a 500."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


class BoundedIntConverter(IntegerConverter):
    """``<int:name>`` limited to what SQLite can hold, in ASCII digits (``\\d`` matches any script's)."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if signed:
            self.regex = r"-?[0-9]{1,19}"


def _check_text(value) -> None:
    """Raise ValueError if a decoded JSON value holds a string that is not text (a lone surrogate,
    which SQLite and every encoder refuse). Iterative: the value may be deep."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("it contains an unpaired surrogate (\\udXXX), which is not text") from None
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (as ValueError, so a 400) what would otherwise fail later with a 500:
    nesting too deep for the parser, and strings that are not text."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("it is nested too deeply") from None
        _check_text(value)
        return value


class FoiaRequest(Request):
    def on_json_loading_failed(self, e):
        reason = f": {e}" if e is not None else ""
        raise BadRequest(description=f"The request body is not valid JSON{reason}.")


# Titles of the error page, in words for people.
ERROR_TITLES = {
    400: "That request could not be read",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "That clashes with what is stored",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}


# Names of form fields in words, for the error page's list of what to correct. A field not listed
# is shown as its name in words ("date_from" becomes "Date from").
FIELD_LABELS = {
    "agency_id": "Agency", "doc_type": "Document type", "records_email": "Records e-mail address",
    "ring_partner_since": "Ring partner since", "event_id": "Timeline event", "submission_key": "Form",
    "csrf_token": "Form", "file": "File", "template": "Letter template", "states": "States", "state": "State",
    "kind": "Kind of event", "kinds": "Kinds", "day": "Date", "date_from": "From", "date_to": "To",
    "email": "E-mail address", "name": "Name", "title": "Title", "text": "Text", "pasted": "Agencies",
    "max_attempts": "Attempts", "closed_days": "Closed days", "jurisdiction": "State",
}


def field_label(field: str) -> str:
    """A form field's name in words (:data:`FIELD_LABELS`, else the name with its underscores as spaces)."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    words = field.removeprefix("FOIA_").replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:].lower() if words else ""


def error_response(status: int, message: str, fields: dict[str, str] | None = None):
    """The one error answer: JSON for the API (and clients asking for it), else the error page."""
    fields = {k: v for k, v in (fields or {}).items() if k} or {}
    title = ERROR_TITLES.get(status, "Error")
    if wants_json():
        body = {"error": title, "message": message, "status": status}
        if fields:
            body["errors"] = fields
        return body, status
    return render_template("error.html", status=status, title=title, message=message, fields=fields), status


def handle_foia_error(e: errors.FoiaError):
    return error_response(e.status, str(e), getattr(e, "errors", None))


def handle_http_error(e: HTTPException):
    message = e.description or ""
    if e.code == 500:
        message = "The error has been logged. Try again, or tell the people who run this site."
    response = error_response(e.code or 500, message)
    if e.code == 405 and e.response is None:
        return response[0], response[1], {"Allow": ", ".join(e.valid_methods or [])}
    return response


def create_app(config: dict | None = None, *, instance: Instance | None = None) -> Flask:
    """Build the app. ``config`` overrides every other setting; ``INSTANCE_PATH`` in it names the
    instance folder (tests pass their own). Or pass a ready ``instance``."""
    instance = instance or Instance(overrides=config)
    app = Flask(
        "foia",
        instance_path=str(instance.path),
        template_folder=str(resources.TEMPLATES),
        static_folder=str(resources.PACKAGE / "static"),
    )
    app.request_class = FoiaRequest
    app.json = JSONProvider(app)
    app.config.from_mapping(instance.config)
    app.extensions["foia"] = instance
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = BoundedIntConverter

    init_app(app)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config.get("SCHEDULER"):
        scheduler.start_background(instance)
    return app


def _time(value, words: str):
    """``<time datetime="2026-12-08">Tue 8 Dec 2026</time>``; nothing for an empty value."""
    if value is None or value == "":
        return ""
    machine = formats.iso(value)
    if not machine or machine == str(value) and formats.day(value) == str(value):
        return words  # not a date: the text as it is (escaped by Jinja)
    return Markup('<time datetime="{}">{}</time>').format(machine, words)


def _signed_in() -> bool:
    return bool(getattr(auth.current_user, "is_authenticated", False))


def _can_edit() -> bool:
    """Whether the person looking may change things: templates show forms only then (viewers and the
    public see none)."""
    return _signed_in() and bool(getattr(auth.current_user, "can_edit", False))


def _is_admin() -> bool:
    return _signed_in() and bool(getattr(auth.current_user, "is_admin", False))


def _nav(app):
    """The menu: registered areas only, and admin-only pages only for admins; visitors who are not
    signed in get the public menu."""
    if not _signed_in():
        return [(endpoint, label) for endpoint, label in PUBLIC_NAV if endpoint in app.view_functions]
    admin = _is_admin()
    return [(endpoint, label) for endpoint, label in NAV if endpoint in app.view_functions
            and (admin or not auth.is_admin_route(endpoint, None, app))]


def nav_item(endpoint: str | None, path: str, items) -> str | None:
    """The one menu item (an endpoint of ``items``) the page ``endpoint`` at ``path`` belongs to, or
    None: from :data:`NAV_OF_ENDPOINT`, else the item whose address ``path`` starts with (the
    longest), else the item of the same blueprint."""
    if not endpoint:
        return None
    offered = [item for item, _label in items]
    if endpoint in NAV_OF_ENDPOINT:
        target = NAV_OF_ENDPOINT[endpoint]
        return target if target in offered else None
    if endpoint in offered:
        return endpoint
    prefixes = []
    for item in offered:
        address = url_for(item).rstrip("/")
        if address and (path == address or path.startswith(address + "/")):
            prefixes.append((len(address), item))
    if prefixes:
        return max(prefixes)[1]
    blueprint = endpoint.rpartition(".")[0]
    return next((item for item in offered if blueprint and item.rpartition(".")[0] == blueprint), None)


def init_app(app: Flask) -> None:
    instance: Instance = app.extensions["foia"]
    instance.prepare().conn.close()

    # A blueprint module may add a section to the request page and to the dashboard by defining
    # REQUEST_SECTION / DASHBOARD_SECTION = (template, function(db, ...) -> template context).
    sections = app.extensions.setdefault("foia.sections", {"request": [], "dashboard": []})
    for name in BLUEPRINTS:
        module = importlib.import_module(f"foia.web.{name}")
        app.register_blueprint(module.bp)
        if hasattr(module, "REQUEST_SECTION"):
            sections["request"].append(module.REQUEST_SECTION)
        if hasattr(module, "DASHBOARD_SECTION"):
            sections["dashboard"].append(module.DASHBOARD_SECTION)

    auth.init_app(app)  # sign-in, roles, CSRF and security headers for every route
    app.context_processor(deadlines.context)
    app.jinja_env.globals.update(
        nav=lambda: _nav(app),
        current_nav=lambda: nav_item(request.endpoint, request.script_root + request.path, _nav(app)),
        EVENT_KINDS=lifecycle.EVENT_KINDS,
        STATUSES=lifecycle.STATUSES,
        OPEN_STATUSES=lifecycle.OPEN_STATUSES,
        form_token=form_token,
        today=instance.today,
    )
    app.jinja_env.filters["status_label"] = lambda s: lifecycle.STATUSES.get(s, s)
    app.jinja_env.filters["event_label"] = lambda k: lifecycle.EVENT_KINDS.get(k, k)
    app.jinja_env.filters["nl2br"] = lambda text: Markup("<br>").join((text or "").splitlines())
    # Dates, money and counts for people (foia.formats); ``|day`` and ``|moment`` wrap the words in
    # a <time> element carrying the ISO form. ``|day_text`` / ``|moment_text`` give the words alone.
    app.jinja_env.filters["day"] = lambda value, weekday=True: _time(value, formats.day(value, weekday=weekday))
    app.jinja_env.filters["moment"] = lambda value: _time(value, formats.moment(value))
    app.jinja_env.filters["day_text"] = formats.day
    app.jinja_env.filters["moment_text"] = formats.moment
    app.jinja_env.filters["money"] = formats.money
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.globals.update(plural=formats.plural, can_edit=_can_edit, is_admin=_is_admin,
                                 signed_in=_signed_in)

    @app.after_request
    def keep_url_root(response):
        if response.status_code < 400 and _signed_in():
            remember_url_root()
        return response

    app.register_error_handler(errors.FoiaError, handle_foia_error)
    app.register_error_handler(HTTPException, handle_http_error)

    @app.context_processor
    def paging():
        def page_url(page):
            args = request.args.to_dict()
            args["page"] = page
            return url_for(request.endpoint, **(request.view_args or {}), **args)
        return {"page_url": page_url}
