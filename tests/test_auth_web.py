"""Sign-in, sessions, CSRF, roles, API tokens, hostile input and security headers, over HTTP."""
import datetime as dt
import hashlib
import io
import re

import pytest
from flask import send_file
from flask.json.tag import TaggedJSONSerializer
from flask_login import login_user
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from foia import accounts, clock, create_app
from foia import db as db_module
from foia.web import auth

PASSWORD = "correct horse battery staple"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


def with_auth(app):
    """The app with accounts wired in (a no-op once ``foia.web`` registers the blueprint itself)."""
    if "auth" not in app.blueprints:
        auth.init_app(app)
        app.register_blueprint(auth.bp)
    database = db_module.connect(app.config["DATABASE"])
    accounts.migrations.apply(database)
    database.conn.close()
    return app


@pytest.fixture
def app(app):
    return with_auth(app)


@pytest.fixture
def csrf_app(instance):
    return with_auth(create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "WTF_CSRF_ENABLED": True}))


@pytest.fixture
def users(app, db):
    return {role: accounts.create_user(db, f"{role}@example.org", PASSWORD, role, name=role.title())
            for role in ("admin", "member", "viewer")}


def login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def signed_in_client(app, role):
    client = app.test_client()
    response = login(client, f"{role}@example.org")
    assert response.status_code == 303, response.text
    return client


def csrf_from(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- sign in and out ----------------------------------------------------------------------------


def test_pages_need_sign_in_and_sign_in_returns_to_them(app, users):
    client = app.test_client()
    response = client.get("/requests/?status=open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/requests/?status%3Dopen"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and 'name="next" value="/requests/?status=open"' in page.text
    response = login(client, "member@example.org", next="/requests/?status=open")
    assert response.status_code == 303 and response.headers["Location"] == "/requests/?status=open"
    assert client.get("/requests/?status=open").status_code == 200
    assert client.get("/login").status_code == 302  # already signed in


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "x" * 3000])
def test_sign_in_never_redirects_off_site(app, users, target):
    response = login(app.test_client(), "member@example.org", next=target)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_wrong_password_and_unknown_user(app, users, db):
    client = app.test_client()
    for email, password in [("member@example.org", "not the password"), ("ghost@example.org", PASSWORD),
                            ("", ""), ("member@example.org", "")]:
        response = login(client, email, password)
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        assert client.get("/").status_code == 302
    assert [r["action"] for r in db.query("SELECT action FROM audit_log")].count("login.failed") == 4


def test_throttling_through_the_login_form(app, users):
    client = app.test_client()
    for _ in range(5):
        assert login(client, "member@example.org", "wrong password!").status_code == 401
    response = login(client, "member@example.org")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again after 10:15" in response.text
    clock.set_now("2026-09-15T10:15:01")
    assert login(client, "member@example.org").status_code == 303


def test_an_admin_unlocks_a_locked_account(app, users):
    for _ in range(accounts.MAX_FAILURES):
        login(app.test_client(), "member@example.org", "wrong password")
    assert login(app.test_client(), "member@example.org").status_code == 429
    admin = signed_in_client(app, "admin")
    assert admin.post(f"/admin/users/{users['member']}/unlock").status_code == 303
    assert login(app.test_client(), "member@example.org").status_code == 303
    assert admin.post("/admin/users/99999999999999999999/unlock").status_code == 404
    assert admin.post("/admin/users/424242/unlock").status_code == 404


def test_logout_is_post_only_and_ends_the_session(app, users, db):
    client = signed_in_client(app, "member")
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert "logout" in [r["action"] for r in db.query("SELECT action FROM audit_log")]


def test_a_cookie_copied_before_sign_out_is_refused_after(app, users):
    client, other_device = signed_in_client(app, "member"), signed_in_client(app, "member")
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code == 200  # the copy works while the session lasts
    assert client.post("/logout").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert thief.get("/api/requests").status_code == 401
    assert other_device.get("/").status_code == 200  # signing out here ends only this session


def test_disabled_users_cannot_sign_in_and_are_signed_out(app, users, db):
    client = signed_in_client(app, "member")
    accounts.disable(db, users["member"], actor=users["admin"])
    assert client.get("/").status_code == 302
    assert login(app.test_client(), "member@example.org").status_code == 401


# -- forged and expired sessions ----------------------------------------------------------------


def session_cookie(app, data: dict, *, secret=None, signer=TimestampSigner) -> str:
    """A session cookie made the way Flask makes them (optionally with another key or signer)."""
    serializer = URLSafeTimedSerializer(
        secret or app.secret_key, salt="cookie-session", serializer=TaggedJSONSerializer(),
        signer=signer, signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
    return serializer.dumps(data)


def test_forged_session_cookies_are_refused(app, users, db):
    user = accounts.get(db, users["admin"])
    token = accounts.start_session(db, user["id"])
    real = {"_user_id": f"{user['id']}:{user['session_key']}:{token}", "_fresh": True, "login_at": clock.stamp()}
    client = app.test_client()
    client.set_cookie("session", session_cookie(app, real))
    assert client.get("/admin/users").status_code == 200  # the way a real session looks

    forgeries = [
        session_cookie(app, real, secret="guessed secret"),
        session_cookie(app, dict(real, _user_id=f"{user['id']}:0123456789abcdef:{token}")),
        session_cookie(app, dict(real, _user_id=f"{user['id']}:{user['session_key']}:forged")),
        session_cookie(app, dict(real, _user_id=f"{user['id']}:{user['session_key']}")),  # no session
        session_cookie(app, dict(real, _user_id=str(user["id"]))),
        session_cookie(app, dict(real, _user_id="999:whatever")),
        session_cookie(app, real)[:-3] + "AAA",
        "not-a-cookie",
    ]
    for value in forgeries:
        client = app.test_client()
        client.set_cookie("session", value)
        response = client.get("/admin/users")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert client.get("/api/requests").status_code == 401


def test_sessions_expire_after_the_login_max_age(app, users):
    client = signed_in_client(app, "member")
    clock.set_now("2026-09-28T10:00:00")
    assert client.get("/").status_code == 200
    clock.set_now("2026-09-29T10:00:01")  # 14 days and a second after sign-in
    response = client.get("/")
    assert response.status_code == 302
    assert "Your session has expired" in client.get("/login").text
    assert client.get("/").status_code == 302  # and it stays signed out


def test_a_cookie_older_than_its_signature_lifetime_is_refused(app, users, db):
    user = accounts.get(db, users["member"])

    class OldSigner(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - int(app.permanent_session_lifetime.total_seconds()) - 60

    token = accounts.start_session(db, user["id"])
    data = {"_user_id": f"{user['id']}:{user['session_key']}:{token}", "_fresh": True, "login_at": clock.stamp()}
    client = app.test_client()
    client.set_cookie("session", session_cookie(app, data, signer=OldSigner))
    assert client.get("/").status_code == 302


def test_changing_password_signs_out_other_sessions(app, users):
    here, elsewhere = signed_in_client(app, "member"), signed_in_client(app, "member")
    response = here.post("/account/password", data={"current": PASSWORD, "new": "a brand new secret",
                                                     "confirm": "a brand new secret"})
    assert response.status_code == 303
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    response = here.post("/account/password", data={"current": "wrong", "new": "another secret!",
                                                    "confirm": "another secret!"})
    assert response.status_code == 400 and "current password is wrong" in response.text
    response = here.post("/account/password", data={"current": "a brand new secret", "new": "mismatch one",
                                                    "confirm": "mismatch two"})
    assert response.status_code == 400 and "differ" in response.text


# -- CSRF ---------------------------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(csrf_app):
    db = db_module.connect(csrf_app.config["DATABASE"])
    accounts.create_user(db, "member@example.org", PASSWORD, "member")
    client = csrf_app.test_client()
    # Even the sign-in form needs its token.
    response = login(client, "member@example.org")
    assert response.status_code == 400 and "CSRF" in response.text
    token = csrf_from(client.get("/login").text)
    assert login(client, "member@example.org", csrf_token=token).status_code == 303

    agencies_before = count(db, "agencies")
    form = {"name": "Springfield Police Department", "state": "IL", "kind": "police"}
    for extra in ({}, {"csrf_token": "forged"}, {"csrf_token": token + "x"}):
        response = client.post("/agencies/new", data={**form, **extra})
        assert response.status_code == 400
    assert count(db, "agencies") == agencies_before
    page = client.get("/agencies/new")
    response = client.post("/agencies/new", data={**form, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    assert count(db, "agencies") == agencies_before + 1
    agency_id = db.execute("SELECT id FROM agencies").fetchone()[0]

    # The JSON API with the session cookie needs the token too (in a header) ...
    body = {"agency_id": agency_id, "title": "Ring MOU"}
    assert client.post("/api/requests", json=body).status_code == 400
    response = client.post("/api/requests", json=body, headers={"X-CSRFToken": csrf_from(page.text)})
    assert response.status_code == 201
    # ... and a bearer token without a cookie needs none: no browser adds that header by itself.
    user_id = accounts.by_email(db, "member@example.org")["id"]
    _, api_token = accounts.create_token(db, user_id, "script")
    response = csrf_app.test_client().post("/api/requests", json=dict(body, title="Second"),
                                           headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 201 and response.json["title"] == "Second"
    # With both, the token decides alone (so a bad token is not rescued by the cookie).
    response = client.post("/api/requests", json=dict(body, title="Third"),
                           headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code == 201
    response = client.post("/api/requests", json=dict(body, title="Fourth"),
                           headers={"Authorization": f"Bearer {api_token}x", "X-CSRFToken": csrf_from(page.text)})
    assert response.status_code == 401
    # Sign out needs the token as well, so another site cannot sign people out.
    assert client.post("/logout").status_code == 400
    db.conn.close()


# -- roles --------------------------------------------------------------------------------------


def test_viewers_read_but_cannot_change_anything(app, users, db):
    viewer = signed_in_client(app, "viewer")
    assert viewer.get("/agencies/").status_code == 200
    assert viewer.get("/requests/").status_code == 200
    before = count(db, "agencies")
    response = viewer.post("/agencies/new", data={"name": "Viewer PD", "state": "CA"})
    assert response.status_code == 403 and "viewer" in response.text
    assert count(db, "agencies") == before
    response = viewer.post("/api/requests", json={"agency_id": 1, "title": "x"})
    assert response.status_code == 403 and response.json["status"] == 403
    assert viewer.get("/admin/users").status_code == 403
    # Their own account is theirs to manage.
    assert viewer.post("/account/tokens", data={"name": "reader"}).status_code == 201
    assert viewer.post("/logout").status_code == 303


def test_members_edit_but_do_not_manage_users(app, users, db):
    member = signed_in_client(app, "member")
    response = member.post("/agencies/new", data={"name": "Member PD", "state": "CA", "kind": "police"})
    assert response.status_code == 302
    for path in ("/admin/users", "/admin/audit"):
        assert member.get(path).status_code == 403
    response = member.post("/admin/users", data={"email": "x@example.org", "role": "admin",
                                                 "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 403
    assert accounts.by_email(db, "x@example.org") is None


def test_admin_manages_users_and_reads_the_audit_log(app, users, db):
    admin = signed_in_client(app, "admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "viewer@example.org" in page.text
    response = admin.post("/admin/users", data={"email": "new@example.org", "name": "New", "role": "viewer",
                                                "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    new_id = accounts.by_email(db, "new@example.org")["id"]
    response = admin.post("/admin/users", data={"email": "new@example.org", "role": "viewer",
                                                "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400 and "already exists" in response.text
    response = admin.post("/admin/users", data={"email": "bad", "role": "viewer", "password": "x", "confirm": "x"})
    assert response.status_code == 400 and "email address" in response.text
    assert admin.post(f"/admin/users/{new_id}/role", data={"role": "member"}).status_code == 303
    assert admin.post(f"/admin/users/{new_id}/role", data={"role": "emperor"}).status_code == 400
    assert admin.post(f"/admin/users/{new_id}/disable").status_code == 303
    assert accounts.get(db, new_id)["disabled_at"]
    assert admin.post(f"/admin/users/{new_id}/enable").status_code == 303
    assert admin.post(f"/admin/users/{new_id}/password",
                      data={"password": "set by an admin", "confirm": "set by an admin"}).status_code == 303
    assert login(app.test_client(), "new@example.org", "set by an admin").status_code == 303
    response = admin.post(f"/admin/users/{users['admin']}/disable")
    assert response.status_code == 400 and "last active admin" in response.text
    assert admin.post("/admin/users/99999/disable").status_code == 404

    audit = admin.get("/admin/audit")
    assert audit.status_code == 200
    # Actions in words, times in words with the ISO form kept in <time>.
    for words in ("Added a user", "Changed a role", "Disabled an account", "Enabled an account", "Set a password",
                  "Signed in"):
        assert f"<td>{words}</td>" in audit.text
    assert "<td>user.create</td>" not in audit.text
    assert re.search(r'<td><time datetime="2026-09-15T10:00:00">Tue 15 Sep 2026, 10:00</time></td>', audit.text)
    assert 'class="table-scroll wide-table audit-log" tabindex="0" role="region" aria-label="Audit log entries"' in audit.text
    assert '<option value="user.role">Changed a role</option>' in audit.text
    filtered = admin.get("/admin/audit?action=user.role")
    assert filtered.text.count("<td>Changed a role</td>") == 1 and "<td>Added a user</td>" not in filtered.text
    assert "<td class=\"detail\">from: viewer · to: member</td>" in filtered.text  # the detail in words, not JSON
    # Roles in words on the users page and the account page.
    users_page = admin.get("/admin/users").text
    assert "Viewer: can read, cannot change" in users_page
    assert "Member: can read and change" in admin.get("/account").text or "Admin: can change everything" in \
        admin.get("/account").text


def test_audit_log_pages(app, users, db):
    from foia import audit

    with db_module.transaction(db):
        for n in range(250):
            audit.record(db, "test.filler", object_type="thing", object_id=n)
    admin = signed_in_client(app, "admin")
    first = admin.get("/admin/audit")
    assert "Page 1 of 3" in first.text and "thing 249" in first.text
    third = admin.get("/admin/audit?page=3")
    assert "Page 3 of 3" in third.text and "thing 0<" in third.text
    assert admin.get("/admin/audit?page=banana").status_code == 200


# -- API tokens ---------------------------------------------------------------------------------


def test_api_needs_a_token_or_a_session(app, users, db):
    anonymous = app.test_client()
    response = anonymous.get("/api/requests")
    assert response.status_code == 401 and response.json["error"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _, token = accounts.create_token(db, users["member"], "script")
    headers = {"Authorization": f"Bearer {token}"}
    response = anonymous.get("/api/requests", headers=headers)
    assert response.status_code == 200 and "requests" in response.json
    assert "Set-Cookie" not in response.headers  # a token request leaves no session behind
    assert anonymous.get("/api/requests", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    assert anonymous.get("/api/requests", headers={"Authorization": f"Basic {token}"}).status_code == 401
    # Tokens are for the API only.
    assert anonymous.get("/requests/", headers=headers).status_code == 302
    assert anonymous.post("/agencies/new", headers=headers, data={"name": "x", "state": "CA"}).status_code == 302


def test_tokens_made_on_the_account_page(app, users, db):
    member = signed_in_client(app, "member")
    response = member.post("/account/tokens", data={"name": "nightly import"})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code class="token">([^<]+)</code>', response.text).group(1)
    assert token not in member.get("/account").text  # shown once
    client = app.test_client()
    assert client.get("/api/agencies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = accounts.list_tokens(db, users["member"])[0]["id"]
    # Another user cannot revoke it.
    assert signed_in_client(app, "viewer").post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert member.post(f"/account/tokens/{token_id}/revoke").status_code == 303
    assert client.get("/api/agencies", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert member.post("/account/tokens", data={"name": ""}).status_code == 400
    # The same form sent twice (double click, Back and resubmit) makes one token and says so.
    before = len(accounts.list_tokens(db, users["member"]))
    first = member.post("/account/tokens", data={"name": "sync", "form_key": "k-123"})
    again = member.post("/account/tokens", data={"name": "sync", "form_key": "k-123"})
    assert first.status_code == 201 and again.status_code == 400
    assert "That form already made token" in again.text and '<code class="token">' not in again.text
    assert len(accounts.list_tokens(db, users["member"])) == before + 1


# -- hostile input ------------------------------------------------------------------------------

PAYLOADS = [
    "' OR '1'='1' --",
    "1; DROP TABLE users; --",
    "\" UNION SELECT password_hash FROM users --",
    "<script>alert('x')</script>",
    "\"><img src=x onerror=alert(1)>",
    "x" * 100_000,
    "Ŕíñg ☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e\u200d\ufeff 日本語 👮‍♀️",
    "%00\x00null",
    "../../etc/passwd",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_query_parameters(app, users, db, payload):
    admin = signed_in_client(app, "admin")
    for path, params in [("/agencies/", {"q": payload, "state": payload}),
                         ("/requests/", {"q": payload, "status": payload, "sort": payload, "page": payload}),
                         ("/api/agencies", {"q": payload, "page": payload}),
                         ("/api/requests", {"q": payload}),
                         ("/admin/audit", {"action": payload, "page": payload}),
                         ("/login", {"next": payload})]:
        response = admin.get(path, query_string=params)
        assert response.status_code < 500, (path, response.status_code)
        assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert count(db, "users") == 3


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_form_fields(app, users, db, payload):
    client = app.test_client()
    response = login(client, payload, payload)
    assert response.status_code == 401
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    admin = signed_in_client(app, "admin")
    response = admin.post("/admin/users", data={"email": payload, "name": payload, "role": payload,
                                                "password": payload, "confirm": payload})
    assert response.status_code == 400
    response = admin.post("/admin/users", data={"email": "ok@example.org", "name": payload, "role": "viewer",
                                                "password": PASSWORD, "confirm": PASSWORD})
    if len(payload) > accounts.MAX_NAME:
        assert response.status_code == 400 and "at most" in response.text
    else:
        assert response.status_code == 303
        page = admin.get("/admin/users")
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert accounts.by_email(db, "ok@example.org")["name"] == payload.strip()
    fits = 0 < len(payload.strip()) <= accounts.MAX_NAME
    response = admin.post("/account/tokens", data={"name": payload})
    assert response.status_code == (201 if fits else 400)
    assert "<script>alert" not in response.text
    assert count(db, "users") == (4 if len(payload) <= accounts.MAX_NAME else 3)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_stored_script_is_shown_as_text(app, users, db):
    member = signed_in_client(app, "member")
    member.post("/agencies/new", data={"name": "<script>alert('x')</script> PD", "state": "CA", "kind": "police"})
    page = member.get("/agencies/")
    assert "&lt;script&gt;alert(" in page.text and "<script>alert" not in page.text


# -- headers and cookies ------------------------------------------------------------------------


def test_security_headers_on_every_kind_of_response(app, users):
    member = signed_in_client(app, "member")
    responses = [
        app.test_client().get("/login"),
        app.test_client().get("/requests/"),  # redirect
        app.test_client().get("/api/requests"),  # JSON 401
        app.test_client().get("/static/style.css"),
        member.get("/"),
        member.get("/no-such-page"),
        member.get("/api/requests"),
        signed_in_client(app, "viewer").post("/agencies/new"),  # 403
    ]
    for response in responses:
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
        response.close()
    page = member.get("/")
    assert "<script>" not in page.text and " onclick=" not in page.text  # nothing inline for the CSP to block


def test_session_cookie_flags(app, users):
    response = login(app.test_client(), "member@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    response = secure.post("/login", base_url="https://foia.example.org",
                           data={"email": "member@example.org", "password": PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_max_age_is_configurable(instance, monkeypatch):
    application = with_auth(create_app({"INSTANCE_PATH": str(instance), "TESTING": True,
                                        "WTF_CSRF_ENABLED": False, "LOGIN_MAX_AGE_HOURS": 1}))
    db = db_module.connect(application.config["DATABASE"])
    accounts.create_user(db, "member@example.org", PASSWORD, "member")
    client = application.test_client()
    assert login(client, "member@example.org").status_code == 303
    clock.set_now(clock.now() + dt.timedelta(minutes=59))
    assert client.get("/").status_code == 200
    clock.set_now(clock.now() + dt.timedelta(minutes=2))
    assert client.get("/").status_code == 302
    db.conn.close()


def test_signed_in_pages_are_not_stored_and_downloads_are_private(app, users, db):
    client = signed_in_client(app, "member")
    for path in ("/", "/requests/", "/account"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    static = client.get("/static/style.css")
    assert static.headers.get("Cache-Control") != "no-store"  # public files stay cacheable
    static.close()
    client.post("/logout")
    assert app.test_client().get("/archive").headers.get("Cache-Control") != "no-store"  # public, cacheable
    with app.test_request_context("/letters/1/download"):
        login_user(auth.User(accounts.get(db, users["member"])))
        response = auth.security_headers(send_file(io.BytesIO(b"%PDF-"), mimetype="application/pdf",
                                                   as_attachment=True, download_name="letter.pdf"))
        assert response.headers["Cache-Control"] == "private, no-cache"
