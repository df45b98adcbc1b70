"""Sign-in, roles and request protection for every route.

The guard (:func:`guard`, run before every view) decides, in this order:

1. **Public routes** need nothing: the endpoints in :data:`PUBLIC_ENDPOINTS` and views marked with
   :func:`public` (the archive of published documents, the secret-token calendar feed, static files,
   the login page). ``tests/test_routes_protected.py`` lists what may be public, so a newly marked
   view fails that test until someone decides it on purpose.
2. **Sign-in.** Pages use the Flask-Login session (``/login``); an unauthenticated page request is
   redirected to ``/login?next=...``. Routes under ``/api/`` also accept an API token sent as
   ``Authorization: Bearer <token>`` (which then decides alone: the session cookie, if any, is
   ignored), and answer JSON 401 without either. Tokens work for the API only.
   A session is valid for :data:`LOGIN_MAX_AGE` (config ``LOGIN_MAX_AGE_HOURS``) from sign-in, on
   the application clock; changing a user's password or role, or disabling them, ends their sessions.
3. **CSRF.** Every POST/PUT/PATCH/DELETE carries a Flask-WTF token (form field ``csrf_token`` or an
   ``X-CSRFToken`` header) - except an API request authenticated by a bearer token. Such a request
   cannot be forged by another site: a browser never adds an ``Authorization`` header on its own,
   and we send no CORS headers that would let a page do so. An API write authenticated by the
   session cookie needs the CSRF header like any form.
4. **Roles.** ``viewer``: only GET/HEAD/OPTIONS, except the self-service routes
   (:data:`SELF_SERVICE_ENDPOINTS` and views marked :func:`self_service`: sign out, own password,
   own API tokens, marking own notifications read). ``member``: everything except admin routes.
   ``admin``: everything. Admin routes are the endpoints in :data:`ADMIN_ENDPOINTS`, views marked
   :func:`admin_only`, and every route whose path starts with one of :data:`ADMIN_PREFIXES`
   (``/admin``, ``/settings``), so a new settings page is admin-only by where it lives.

Every response carries the security headers in :data:`SECURITY_HEADERS`; the session cookie is
HttpOnly, SameSite=Lax, and Secure when the request came over HTTPS (or always, with
``SESSION_COOKIE_SECURE``).
"""
import datetime as dt
import json

import flask_login
from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from .. import accounts, audit, events
from ..errors import FoiaError, Invalid
from . import get_db, instance, page_number, safe_next

bp = Blueprint("auth", __name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The archive shows published documents only (foia/web/documents.py checks that); the calendar feed
# checks its secret token (foia/web/deadlines.py).
PUBLIC_ENDPOINTS = {"auth.login", "static", "documents.archive", "documents.archive_download", "deadlines.feed"}
SELF_SERVICE_ENDPOINTS = {"auth.logout", "auth.change_password", "auth.token_create", "auth.token_revoke"}
ADMIN_ENDPOINTS = {
    "auth.users", "auth.user_create", "auth.user_role", "auth.user_password", "auth.user_disable",
    "auth.user_enable", "auth.user_unlock", "auth.audit_log",
}
ADMIN_PREFIXES = ("/admin", "/settings")
API_PREFIX = "/api/"
LOGIN_MAX_AGE = dt.timedelta(days=14)
AUDIT_PAGE_SIZE = 100

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


# What the audit log's actions mean, in words (an action not listed is shown from its name).
ACTION_WORDS = {
    "agency.create": "Added an agency", "agency.update": "Changed an agency", "agency.import": "Imported agencies",
    "campaign.create": "Started a campaign", "campaign.run": "Ran a campaign's letters",
    "campaign.cancel": "Cancelled a campaign", "campaign.mark_filed": "Marked a campaign's requests filed",
    "campaign.publish": "Made a campaign public", "campaign.unpublish": "Made a campaign private",
    "campaign.send": "Sent a campaign by e-mail",
    "document.add": "Added a document", "document.edit": "Changed a document's details",
    "document.ocr": "Read a scanned document (OCR)", "document.type": "Changed a document's type",
    "document.publish": "Published a document", "document.unpublish": "Unpublished a document",
    "document.remove": "Removed a document", "document.restore": "Restored a document",
    "event.add": "Added a timeline event", "event.delete": "Removed a timeline event",
    "login": "Signed in", "login.failed": "Sign-in failed", "logout": "Signed out",
    "mail.receive": "Received an e-mail", "mail.send": "Sent an e-mail", "mail.assign": "Filed an e-mail on a request",
    "mail.confirm": "Recorded a reply on the timeline", "mail.reject": "Set aside a suggested event",
    "mail.discard": "Discarded an e-mail", "mail.address_cleared": "Cleared a bounced address",
    "request.create": "Created a request", "request.update": "Changed a request",
    "token.create": "Created an API token", "token.revoke": "Revoked an API token",
    "user.create": "Added a user", "user.role": "Changed a role", "user.password": "Set a password",
    "user.disable": "Disabled an account", "user.enable": "Enabled an account", "user.unlock": "Unlocked sign-in",
}
OBJECT_WORDS = {"agency": "Agency", "api_token": "API token", "campaign": "Campaign", "document": "Document",
                "event": "Event", "message": "E-mail", "request": "Request", "user": "User", "address": "Address"}


def action_words(action: str) -> str:
    """``user.role`` -> ``Changed a role``; an unknown ``thing.did_this`` -> ``Thing: did this``."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    thing, _, verb = (action or "").partition(".")
    text = f"{thing.replace('_', ' ')}: {verb.replace('_', ' ')}" if verb else thing.replace("_", " ")
    return text[:1].upper() + text[1:]


def detail_words(detail: str) -> str:
    """An audit entry's detail (JSON) as "fields: city, name · imported: 3"."""
    try:
        found = json.loads(detail or "{}")
    except ValueError:
        return str(detail)
    if not isinstance(found, dict):
        return str(found)
    parts = []
    for key, value in found.items():
        if value is None or value == "" or value == []:
            continue
        if key == "kind" and isinstance(value, str) and value in events.LABELS:
            value = events.label(value)
        elif isinstance(value, list):
            value = ", ".join(str(v).replace("_", " ") for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
        else:
            value = str(value).replace("_", " ")
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return " · ".join(parts)


@bp.app_template_filter("role_words")
def role_words(role: str) -> str:
    """``viewer`` -> ``Viewer: can read, cannot change``."""
    return accounts.ROLE_WORDS.get(role, role)


# -- markers ------------------------------------------------------------------------------------


def public(view):
    """Mark a view as reachable without signing in (it must check any secret itself)."""
    view.foia_public = True
    return view


def self_service(view):
    """Mark a state-changing view that only touches the signed-in user's own things (viewers may use it)."""
    view.foia_self_service = True
    return view


def admin_only(view):
    view.foia_admin_only = True
    return view


def _marked(endpoint: str | None, attribute: str, app=None) -> bool:
    view = (app or current_app).view_functions.get(endpoint) if endpoint else None
    return bool(getattr(view, attribute, False))


def public_endpoints(app) -> set[str]:
    """Every endpoint reachable without signing in (the explicit list plus marked views)."""
    return {e for e, view in app.view_functions.items()
            if e in PUBLIC_ENDPOINTS or getattr(view, "foia_public", False)}


def is_admin_route(endpoint: str | None, rule: str | None, app=None) -> bool:
    """Admin-only: listed or marked endpoints, and every route under ``/admin`` or ``/settings``."""
    if endpoint in ADMIN_ENDPOINTS or _marked(endpoint, "foia_admin_only", app):
        return True
    return bool(rule) and any(rule == p or rule.startswith(p + "/") for p in ADMIN_PREFIXES)


# -- users --------------------------------------------------------------------------------------


class User(flask_login.UserMixin):
    """The signed-in user. ``get_id`` names the server-side session (and the user's session key), so
    ending the session or rotating the key signs the user out wherever the cookie is."""

    def __init__(self, row: dict, session_token: str = ""):
        self.id = row["id"]
        self.email = row["email"]
        self.name = row["name"]
        self.role = row["role"]
        self.session_key = row["session_key"]
        self.session_token = session_token

    def get_id(self) -> str:
        return f"{self.id}:{self.session_key}:{self.session_token}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_edit(self) -> bool:
        return accounts.can_edit(self.role)

    @property
    def display_name(self) -> str:
        return self.name or self.email


def _load_session_user(session_id: str):
    if bearer_token() is not None:
        return None  # an API request with a token is authenticated by the token alone
    row = accounts.load_session_user(get_db(), session_id)
    return User(row, session_id.rsplit(":", 1)[-1]) if row else None


def bearer_token() -> str | None:
    """The bearer token of an API request, if one was sent."""
    if not request.path.startswith(API_PREFIX):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _load_token_user(_request):
    """Flask-Login's request loader: consulted when the session gives no user (always, with a token)."""
    token = bearer_token()
    if token is None:
        return None
    row = accounts.user_for_token(get_db(), token)
    if row is None:
        g.foia_bad_token = True
        return None
    g.foia_via_token = True
    return User(row)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with a Secure cookie whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        secure = super().get_cookie_secure(app)
        try:
            return secure or request.is_secure
        except RuntimeError:  # outside a request
            return secure


# -- the guard ----------------------------------------------------------------------------------


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def _unauthenticated(message="Sign in first."):
    if _is_api():
        response = jsonify({"error": "Unauthorized", "message": message, "status": 401})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="foia"'
        return response
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def _session_expired() -> bool:
    started = session.get("login_at")
    try:
        started = dt.datetime.fromisoformat(started)
    except (TypeError, ValueError):
        return True
    return instance().now() - started > current_app.config.get("LOGIN_MAX_AGE", LOGIN_MAX_AGE)


def guard():
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route (404) or method (405): Flask answers that
    if endpoint in PUBLIC_ENDPOINTS or _marked(endpoint, "foia_public"):
        if request.method not in SAFE_METHODS:
            _csrf_protect()
        return None

    if not current_user.is_authenticated:
        if g.get("foia_bad_token"):
            return _unauthenticated("The API token is not valid (revoked, mistyped or its user is disabled).")
        return _unauthenticated()
    via_token = g.get("foia_via_token", False)
    if not via_token and _session_expired():
        logout_user()
        session.clear()
        if not _is_api():
            flash("Your session has expired; sign in again.")
        return _unauthenticated("The session has expired; sign in again.")

    if request.method not in SAFE_METHODS and not via_token:
        _csrf_protect()

    rule = request.url_rule.rule if request.url_rule else None
    if is_admin_route(endpoint, rule) and not current_user.is_admin:
        abort(403, description="Only an admin can do this.")
    if request.method not in SAFE_METHODS and not current_user.can_edit:
        if not (endpoint in SELF_SERVICE_ENDPOINTS or _marked(endpoint, "foia_self_service")):
            abort(403, description="Your account can read but not change anything (viewer role): ask an admin "
                                  "to make you a member.")
    return None


def security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    endpoint = request.endpoint
    public = endpoint in PUBLIC_ENDPOINTS or _marked(endpoint, "foia_public")
    if request.blueprint == "auth" or (not public and current_user.is_authenticated):
        # Signed-in pages are never kept by a browser or a proxy; downloads may be revalidated by
        # the browser that fetched them (ETag), but no shared cache may keep them.
        if response.headers.get("Content-Disposition", "").startswith("attachment") or response.direct_passthrough:
            response.headers["Cache-Control"] = "private, no-cache"
        else:
            response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_protect() -> None:
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect()


def init_app(app) -> None:
    # The guard checks CSRF itself (it knows which requests came with a bearer token), so Flask-WTF's
    # own check of every POST is turned off; without this module that check stays on.
    if "csrf" not in app.extensions:
        CSRFProtect(app)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    hours = app.config.get("LOGIN_MAX_AGE_HOURS")
    if hours:
        app.config["LOGIN_MAX_AGE"] = dt.timedelta(hours=float(hours))
    app.session_interface = SessionInterface()

    manager = flask_login.LoginManager()
    manager.login_view = "auth.login"
    manager.user_loader(_load_session_user)
    manager.request_loader(_load_token_user)
    manager.init_app(app)

    app.before_request(guard)
    app.after_request(security_headers)


# -- views: sign in and out ---------------------------------------------------------------------


def _ip() -> str:
    return request.remote_addr or ""


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url)
    error, status = None, 200
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")[:accounts.MAX_EMAIL]
        try:
            row = accounts.authenticate(get_db(), email, request.form.get("password", ""), ip=_ip(),
                                        now=instance().now())
        except accounts.Throttled as e:
            error, status = str(e), 429
        except accounts.LoginError as e:
            error, status = str(e), 401
        else:
            session.clear()  # nothing from before sign-in carries over
            login_user(User(row, accounts.start_session(get_db(), row["id"], _ip(), instance().now())))
            session["login_at"] = instance().stamp()
            return redirect(next_url, code=303)
    response = render_template("auth/login.html", error=error, email=email, next=next_url)
    return response, status


@bp.post("/logout")
def logout():
    user_id = current_user.id
    accounts.end_session(get_db(), current_user.session_token, instance().now())
    logout_user()
    session.clear()
    audit.record(get_db(), "logout", user_id=user_id, object_type="user", object_id=user_id, ip=_ip())
    flash("You have signed out.")
    return redirect(url_for("auth.login"), code=303)


# -- views: own account -------------------------------------------------------------------------


def _account_page(status=200, **extra):
    tokens = accounts.list_tokens(get_db(), current_user.id)
    return render_template("auth/account.html", tokens=tokens, **extra), status


@bp.get("/account")
def account():
    return _account_page()


@bp.post("/account/password")
def change_password():
    db = get_db()
    try:
        if request.form.get("new", "") != request.form.get("confirm", ""):
            raise Invalid("confirm", "The new password and its confirmation differ.")
        accounts.change_own_password(db, current_user.id, request.form.get("current", ""),
                                     request.form.get("new", ""), ip=_ip())
    except FoiaError as e:
        return _account_page(400, password_error=str(e))
    # Every session ended with the password change: this one continues as a new session.
    login_user(User(accounts.get(db, current_user.id), accounts.start_session(db, current_user.id, _ip(), instance().now())))
    session["login_at"] = instance().stamp()
    flash("Password changed. Other sessions have been signed out.")
    return redirect(url_for("auth.account"), code=303)


@bp.post("/account/tokens")
def token_create():
    try:
        token_id, token = accounts.create_token(get_db(), current_user.id, request.form.get("name", ""),
                                                actor=current_user.id, ip=_ip(),
                                                submission_key=request.form.get("form_key") or None)
    except FoiaError as e:
        return _account_page(400, token_error=str(e))
    return _account_page(201, new_token=token, new_token_id=token_id)


@bp.post("/account/tokens/<id:token_id>/revoke")
def token_revoke(token_id):
    accounts.revoke_token(get_db(), token_id, actor=current_user.id, owner_id=current_user.id, ip=_ip())
    flash("Token revoked.")
    return redirect(url_for("auth.account"), code=303)


# -- views: admin -------------------------------------------------------------------------------


def _users_page(status=200, **extra):
    return render_template("auth/users.html", users=accounts.list_users(get_db()), roles=accounts.ROLES,
                           **extra), status


@bp.get("/admin/users")
def users():
    return _users_page()


@bp.post("/admin/users")
def user_create():
    form = request.form
    values = {"email": form.get("email", "")[:1000], "name": form.get("name", "")[:1000],
              "role": form.get("role", "")}
    if form.get("password", "") != form.get("confirm", ""):
        return _users_page(400, error="The password and its confirmation differ.", values=values)
    try:
        accounts.create_user(get_db(), values["email"], form.get("password", ""), values["role"],
                             name=values["name"], actor=current_user.id, ip=_ip())
    except FoiaError as e:
        return _users_page(400, error=str(e), values=values)
    flash(f"Added {accounts.normalize_email(values['email'])}: {role_words(values['role'])}.")
    return redirect(url_for("auth.users"), code=303)


def _user_action(user_id, action, *args):
    db = get_db()
    if accounts.get(db, user_id) is None:
        abort(404, description=f"No user with id {user_id}.")
    try:
        action(db, user_id, *args, actor=current_user.id, ip=_ip())
    except FoiaError as e:
        return _users_page(400, error=str(e))
    return None


@bp.post("/admin/users/<id:user_id>/role")
def user_role(user_id):
    failed = _user_action(user_id, accounts.set_role, request.form.get("role", ""))
    if failed:
        return failed
    flash("Role changed; that user's sessions have ended.")
    return redirect(url_for("auth.users"), code=303)


@bp.post("/admin/users/<id:user_id>/password")
def user_password(user_id):
    if request.form.get("password", "") != request.form.get("confirm", ""):
        return _users_page(400, error="The password and its confirmation differ.")
    failed = _user_action(user_id, accounts.set_password, request.form.get("password", ""))
    if failed:
        return failed
    flash("Password set; that user's sessions have ended.")
    return redirect(url_for("auth.users"), code=303)


@bp.post("/admin/users/<id:user_id>/disable")
def user_disable(user_id):
    failed = _user_action(user_id, accounts.disable)
    if failed:
        return failed
    flash("Account disabled; its sessions and API tokens no longer work.")
    return redirect(url_for("auth.users"), code=303)


@bp.post("/admin/users/<id:user_id>/enable")
def user_enable(user_id):
    failed = _user_action(user_id, accounts.enable)
    if failed:
        return failed
    flash("Account enabled.")
    return redirect(url_for("auth.users"), code=303)


@bp.post("/admin/users/<id:user_id>/unlock")
def user_unlock(user_id):
    user = accounts.require(get_db(), user_id)
    accounts.unlock(get_db(), user["email"], actor=current_user.id, ip=_ip())
    flash(f"{user['email']} can sign in again now.")
    return redirect(url_for("auth.users"), code=303)


@bp.get("/admin/audit")
def audit_log():
    db = get_db()
    page = page_number()
    action = request.args.get("action", "")[:100]
    where, params = "", []
    if action:
        where, params = "WHERE a.action = ?", [action]
    total = db.execute(f"SELECT count(*) FROM audit_log a {where}", params).fetchone()[0]
    rows = list(db.query(
        f"""SELECT a.*, u.email FROM audit_log a LEFT JOIN users u ON u.id = a.user_id {where}
            ORDER BY a.id DESC LIMIT ? OFFSET ?""",
        params + [AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE],
    ))
    actions = sorted(((r[0], action_words(r[0])) for r in db.execute("SELECT DISTINCT action FROM audit_log")),
                     key=lambda item: item[1])
    return render_template("auth/audit.html", rows=rows, total=total, page=page, per_page=AUDIT_PAGE_SIZE,
                           action=action, actions=actions, action_words=action_words, detail_words=detail_words,
                           object_words=OBJECT_WORDS)
