"""Every route of the app, walked from its URL map: what answers without signing in, and a role matrix.

A new route is covered the moment it is registered. Public routes are listed here on purpose
(:data:`EXPECTED_PUBLIC`): marking a view ``@public`` without adding it below fails this file.
"""
import importlib
import pkgutil
import uuid

import pytest
from sqlite_utils.migrations import Migrations

from werkzeug.routing import IntegerConverter

import foia
import foia.web
from foia import accounts
from foia import db as db_module
from foia.web import auth
from foia.web.app import BLUEPRINTS

PASSWORD = "correct horse battery staple"
EXPECTED_PUBLIC = {
    "auth.login",
    "static",
    "documents.archive",  # published documents only
    "documents.archive_download",
    "deadlines.feed",  # secret-token calendar feed
    "documents.public_document",  # published, not removed, documents only
    "campaigns.public_page",  # campaigns marked public only
}
# State-changing routes a viewer may use: they touch only the viewer's own things.
EXPECTED_SELF_SERVICE = {
    "auth.logout", "auth.change_password", "auth.token_create", "auth.token_revoke",
    "deadlines.mark_read", "deadlines.mark_all_read",
}
SAFE = {"GET", "HEAD", "OPTIONS"}
DUMMY_ID = 987654


def test_every_feature_is_wired_in(app):
    """Every web module's blueprint is registered and every module's tables are migrated, so no
    feature's routes can escape the walk below (nor run without their tables)."""
    for info in pkgutil.iter_modules(foia.web.__path__):
        module = importlib.import_module(f"foia.web.{info.name}")
        if hasattr(module, "bp"):
            assert info.name in BLUEPRINTS, f"foia.web.{info.name} is not in BLUEPRINTS"
    database = db_module.connect(app.config["DATABASE"])  # create_app has migrated it
    try:
        for info in pkgutil.walk_packages(foia.__path__, "foia."):
            if info.name.startswith(("foia.wsgi", "foia.web", "foia.cli")):
                continue
            module = importlib.import_module(info.name)
            schema = getattr(module, "migrations", None)
            if isinstance(schema, Migrations) and info.name != "foia.db":
                assert not schema.pending(database), f"{info.name}'s migrations are not in FEATURE_SCHEMAS"
    finally:
        database.conn.close()


@pytest.fixture
def app(instance):
    from foia import create_app

    application = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "WTF_CSRF_ENABLED": False})
    database = db_module.connect(application.config["DATABASE"])
    for role in ("admin", "member", "viewer"):
        accounts.create_user(database, f"{role}@example.org", PASSWORD, role)
    database.conn.close()
    return application


def dummy(converter) -> object:
    name = type(converter).__name__
    if isinstance(converter, IntegerConverter):  # <int:...> and <id:...>
        return DUMMY_ID
    if name == "FloatConverter":
        return 1.5
    if name == "UUIDConverter":
        return uuid.UUID(int=1)
    if name == "AnyConverter":
        return sorted(converter.items)[0] if hasattr(converter, "items") else "x"
    return "dummy"


def routes(app):
    """``(endpoint, method, url)`` for every rule and every method it accepts, sign-out last."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        values = {arg: dummy(conv) for arg, conv in rule._converters.items()}
        url = adapter.build(rule.endpoint, values, force_external=False)
        for method in sorted(rule.methods):
            found.append((rule.endpoint, method, url, rule.rule))
    return sorted(found, key=lambda r: (r[0] == "auth.logout", r))


def unprotected(app) -> list[str]:
    """Every problem with the sign-in wall: routes answering without sign-in, unexpected public routes."""
    problems = [f"{e} is public but not expected to be" for e in sorted(auth.public_endpoints(app) - EXPECTED_PUBLIC)]
    client = app.test_client()
    for endpoint, method, url, rule in routes(app):
        if endpoint in EXPECTED_PUBLIC and endpoint in auth.public_endpoints(app):
            continue
        response = client.open(url, method=method)
        if rule.startswith("/api/"):
            if response.status_code != 401:
                problems.append(f"{method} {url} ({endpoint}) answered {response.status_code} without sign-in")
        elif response.status_code != 302 or not response.headers["Location"].startswith("/login?next="):
            problems.append(f"{method} {url} ({endpoint}) answered {response.status_code} without sign-in")
        response.close()
    return problems


def test_every_route_needs_sign_in_except_the_public_ones(app):
    assert len(routes(app)) > 40
    assert unprotected(app) == []


def test_the_walk_catches_a_route_that_slips_through(app):
    @auth.public
    def leak():
        return "our strategy"

    app.add_url_rule("/strategy", "leak", leak)
    problems = unprotected(app)
    assert problems[0] == "leak is public but not expected to be"
    assert "GET /strategy (leak) answered 200 without sign-in" in problems


def test_public_routes_answer_without_sign_in(app):
    client = app.test_client()
    assert client.get("/login").status_code == 200
    with client.get("/static/style.css") as response:
        assert response.status_code == 200
    if "documents.archive" in app.view_functions:
        assert client.get("/archive").status_code == 200
        assert client.get(f"/archive/{DUMMY_ID}/download").status_code == 404
    if "deadlines.feed" in app.view_functions:
        assert client.get("/calendar/not-the-secret.ics").status_code == 404


def signed_in(app, role):
    client = app.test_client()
    response = client.post("/login", data={"email": f"{role}@example.org", "password": PASSWORD})
    assert response.status_code == 303
    return client


def self_service(app) -> set[str]:
    return {e for e, view in app.view_functions.items()
            if e in auth.SELF_SERVICE_ENDPOINTS or getattr(view, "foia_self_service", False)}


def test_self_service_routes_are_the_expected_ones(app):
    assert self_service(app) <= EXPECTED_SELF_SERVICE


@pytest.mark.parametrize("role", ["viewer", "member", "admin"])
def test_role_matrix(app, role):
    """viewer: 403 on every state-changing and admin route; member: 403 on admin routes; admin: never."""
    client = signed_in(app, role)
    public = auth.public_endpoints(app)
    wrong = []
    for endpoint, method, url, rule in routes(app):
        if endpoint in public:
            continue
        admin_route = auth.is_admin_route(endpoint, rule, app)
        changes = method not in SAFE
        if role == "viewer":
            forbidden = admin_route or (changes and endpoint not in self_service(app))
        elif role == "member":
            forbidden = admin_route
        else:
            forbidden = False
        try:
            response = client.open(url, method=method, data={})
        except Exception as exc:  # TESTING propagates a view's exception: report it with the rest
            wrong.append(f"{role} {method} {url}: server error {type(exc).__name__}: {exc}")
            continue
        status = response.status_code
        response.close()
        if forbidden and status != 403:
            wrong.append(f"{role} {method} {url}: {status}, expected 403")
        if not forbidden:
            if status in (401, 403) or (status == 302 and response.headers["Location"].startswith("/login")):
                wrong.append(f"{role} {method} {url}: {status}, expected to be allowed")
            elif status >= 500:
                wrong.append(f"{role} {method} {url}: server error {status}")
    assert wrong == []


def test_admin_routes_include_everything_under_admin_and_settings(app):
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    admin_rules = [r for r, e in rules.items() if auth.is_admin_route(e, r, app)]
    assert "/admin/users" in admin_rules and "/admin/audit" in admin_rules
    assert auth.is_admin_route("anything.new", "/settings/letters", app)
    assert auth.is_admin_route("anything.new", "/admin", app)
    assert not auth.is_admin_route("anything.new", "/administrivia", app)
