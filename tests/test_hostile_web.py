"""A hostile corpus, over HTTP against a live server: odd ids, filters, JSON, forms, uploads and
sign-in attempts. Whatever arrives, the answer is a clear 4xx (or a normal page), never a 500, and the
server keeps answering."""
import http.cookiejar
import io
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from werkzeug.serving import make_server

from foia import accounts
from foia import demo as demo_module
from foia.web.app import create_app

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

BIG = "99999999999999999999999"  # above SQLite's 2^63-1
MAX = str(2**63 - 1)
OVER = str(2**63)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser-ish HTTP client: cookies kept, redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def open(self, method, path, *, body: bytes | None = None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get(self, path, **kw):
        return self.open("GET", path, **kw)

    def post(self, path, fields=None, **kw):
        body = urllib.parse.urlencode(fields or {}, doseq=True).encode()
        return self.open("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path, raw: bytes | str):
        raw = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        return self.open("POST", path, body=raw, headers={"Content-Type": "application/json",
                                                           "Accept": "application/json"})

    def upload(self, path, filename: str, content: bytes, field="file"):
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                   f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n".encode())
        body.write(content)
        body.write(f"\r\n--{boundary}--\r\n".encode())
        return self.open("POST", path, body=body.getvalue(),
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The demo instance served on a loopback port, and an admin signed in over HTTP."""
    folder = tmp_path_factory.mktemp("hostile") / "instance"
    app = create_app({"INSTANCE_PATH": str(folder), "WTF_CSRF_ENABLED": False})
    database = app.extensions["foia"].prepare()
    demo_module.load(database)
    accounts.create_user(database, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    database.conn.close()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_port}"
    admin = Client(base)
    status, headers, _ = admin.post("/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert status == 303, status
    yield admin
    srv.shutdown()
    thread.join()


def sane(status, headers, body, allowed):
    """The answer is one of ``allowed``, and an error answer says something a person can read."""
    text = body.decode("utf-8", "replace")
    assert status != 500, text[:2000]
    assert status in allowed, (status, text[:1000])
    if status >= 400:
        if headers.get("Content-Type", "").startswith("application/json"):
            message = json.loads(text)["message"]
        else:
            message = text
        assert message and "Traceback" not in text
    return text


# Cases expected to fail, each with where the fix belongs (none at present).
XFAIL: dict[str, str] = {}


def cases(values, key=lambda value: value):
    """``values`` as parameters, those listed in :data:`XFAIL` marked as expected (strict) failures."""
    return [pytest.param(*(v if isinstance(v, tuple) else (v,)),
                         marks=pytest.mark.xfail(strict=True, reason=XFAIL[key(v)])) if key(v) in XFAIL else
            pytest.param(*(v if isinstance(v, tuple) else (v,))) for v in values]


NOT_FOUND = {404}
PAGE = {200}
REFUSED = {400, 404, 422}
OK_OR_REFUSED = {200, 400, 404, 422}
FORM = {200, 303, 400, 404, 422}

# -- ids in the path: bounded integers, ASCII digits, else 404 ------------------------------------
ID_CASES = [
    "/requests/" + BIG, "/requests/" + OVER, "/requests/" + MAX, "/requests/0", "/requests/-1",
    "/requests/%D9%A1%D9%A2",  # Arabic-Indic digits
    "/requests/%C2%B2",  # superscript two
    "/requests/1e3", "/requests/0x10", "/requests/%201",
    "/agencies/" + BIG, "/agencies/" + OVER + "/edit", "/campaigns/" + BIG, "/campaigns/" + BIG + "/progress",
    "/documents/" + BIG, "/documents/" + BIG + "/download", "/letters/" + BIG + "/download",
    "/archive/" + BIG + "/download", "/jobs/" + BIG, "/mail/" + BIG,
    "/api/requests/" + BIG, "/api/agencies/" + BIG, "/requests/" + BIG + "/letters",
    "/requests/" + BIG + "/documents.zip", "/requests/" + BIG + "/dates",
]


@pytest.mark.parametrize("path", ID_CASES)
def test_ids_beyond_sqlite_or_not_digits_are_not_found(live, path):
    sane(*live.get(path), NOT_FOUND)


POST_ID_CASES = [
    "/requests/" + BIG + "/events", "/admin/users/" + BIG + "/role", "/admin/users/" + OVER + "/disable",
    "/documents/" + BIG + "/publish", "/campaigns/" + BIG + "/run", "/jobs/" + BIG + "/retry",
    "/account/tokens/" + BIG + "/revoke", "/requests/1/events/" + BIG + "/delete",
]


@pytest.mark.parametrize("path", POST_ID_CASES)
def test_posts_to_ids_beyond_sqlite_are_not_found(live, path):
    sane(*live.post(path, {"role": "viewer"}), NOT_FOUND)


# -- filters and paging -------------------------------------------------------------------------
FILTER_CASES = [
    "/requests/?agency=" + BIG, "/requests/?agency=abc", "/requests/?agency=-3", "/requests/?agency=%C2%B2",
    "/requests/?campaign_id=" + BIG, "/requests/?campaign_id=" + OVER,
    "/requests/?page=" + BIG, "/requests/?page=%C2%B2", "/requests/?page=-1", "/requests/?page=",
    "/requests/?status=%3Cscript%3E", "/requests/?sort=nonsense", "/requests/?q=%22", "/requests/?q=AND+OR+NOT",
    "/requests/?q=*", "/requests/?q=NEAR%28", "/requests/?state=ZZZZ", "/requests/?q=%00",
    "/agencies/?q=%00", "/agencies/?state=%00", "/agencies/?page=" + BIG,
    "/search?q=%22unbalanced", "/search?q=NEAR%28", "/search?q=*", "/search?q=" + "a" * 5000,
    "/search?agency=" + BIG, "/archive?q=*", "/archive?agency=" + BIG, "/archive?page=" + BIG,
    "/api/requests?per_page=" + BIG, "/api/requests?per_page=abc", "/api/requests?agency=" + BIG,
    "/api/requests?page=" + BIG, "/admin/audit?page=" + BIG, "/admin/audit?action=" + "x" * 5000,
    "/calendar?month=2026-13", "/calendar?month=" + BIG, "/reminders?page=" + BIG, "/jobs/?page=" + BIG,
    "/mail/?page=" + BIG,
]


@pytest.mark.parametrize("path", cases(FILTER_CASES))
def test_odd_filters_answer_a_page_or_a_clear_refusal(live, path):
    sane(*live.get(path), OK_OR_REFUSED)


# -- JSON -----------------------------------------------------------------------------------------
JSON_CASES = [
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"title": "' + "\udcff" + '", "agency_id": 1}', "surrogate"),
    ('{"title": "\\udcff", "agency_id": 1}', "escaped surrogate"),
    ('{"title": "x", "agency_id": 1', "truncated"),
    ("not json at all", "garbage"),
    ("[1, 2, 3]", "an array"),
    ('{"agency_id": ' + BIG + ', "title": "x"}', "big id"),
    ('{"agency_id": 1.5, "title": "x"}', "fractional id"),
    ('{"agency_id": true, "title": "x"}', "boolean id"),
    ('{"agency_id": "\u00b2", "title": "x"}', "unicode digit id"),
    ('{"agency_id": 1, "title": {"a": 1}}', "object title"),
    ('{"agency_id": 1, "title": "' + "x" * 100_000 + '"}', "huge title"),
    ('{"agency_id": 1, "title": "x", "filed_on": "2026-02-30"}', "impossible date"),
    ('{"agency_id": 1, "title": "x", "method": "pigeon"}', "unknown method"),
    ('{"agency_id": 1, "title": "x", "submission_key": {"a": 1}}', "object key"),
    ("\ufeff{}", "byte order mark"),
    ("", "empty body"),
]


@pytest.mark.parametrize("raw, what", cases(JSON_CASES, key=lambda c: c[1]), ids=[c[1] for c in JSON_CASES])
def test_hostile_json_to_the_api(live, raw, what):
    status, headers, body = live.post_json("/api/requests", raw)
    sane(status, headers, body, {400, 404, 409, 422})
    assert headers["Content-Type"].startswith("application/json")


EVENT_CASES = [
    {"kind": "extension_claimed", "data": {"days": "\u00b2"}},
    {"kind": "extension_claimed", "data": {"days": 10**30}},
    {"kind": "extension_claimed", "data": {"days": -5}},
    {"kind": "nonsense"},
    {"kind": "note", "occurred_on": "9999-99-99"},
    {"kind": "note", "occurred_on": "2026-09-01", "data": [1, 2]},
    {"kind": "fee_estimate", "data": {"amount": "1e400"}},
    {"kind": "fee_estimate", "data": {"amount": "NaN"}},
    {"kind": "note", "data": {"a": {"b": {"c": {"d": 1}}}}},
]


@pytest.mark.parametrize("payload", EVENT_CASES, ids=[json.dumps(c)[:60] for c in EVENT_CASES])
def test_hostile_event_json(live, payload):
    sane(*live.post_json("/api/requests/1/events", json.dumps(payload)), {201, 400, 404, 409, 422})


# -- forms ----------------------------------------------------------------------------------------
FORM_CASES = [
    ("/requests/new", {"agency_id": BIG, "title": "x"}),
    ("/requests/new", {"agency_id": "\u00b2", "title": "x"}),
    ("/requests/new", {"agency_id": "1", "title": "x" * 100_000}),
    ("/requests/new", {"agency_id": "1", "title": "x", "filed_on": "2026-13-45"}),
    ("/requests/1/events", {"kind": "extension_claimed", "days": "\u00b2"}),
    ("/requests/1/events", {"kind": "extension_claimed", "days": BIG}),
    ("/requests/1/events", {"kind": "note", "occurred_on": "0000-00-00"}),
    ("/requests/1/events", {"kind": "fee_estimate", "amount": "1e999999"}),
    ("/agencies/new", {"name": "x" * 100_000, "state": "CA"}),
    ("/agencies/new", {"name": "PD", "state": "\u00b2"}),
    ("/campaigns/new", {"name": "c", "template": "ring-partnership", "agency_ids": BIG}),
    ("/campaigns/new", {"name": "c", "template": "../../etc/passwd", "agency_ids": "1"}),
    ("/settings/requester", {"name": "x" * 100_000, "email": "a@example.org"}),
    ("/requests/1/letters", {"format": "pdf", "template": "../../etc/passwd"}),
    ("/requests/1/letters", {"format": "exe"}),
    ("/admin/users", {"email": "x" * 10_000 + "@example.org", "role": "viewer", "password": "p", "confirm": "p"}),
    ("/admin/users", {"email": "new@example.org", "role": "root", "password": "correct horse battery staple",
                      "confirm": "correct horse battery staple"}),
    ("/account/password", {"current": ADMIN_PASSWORD, "new": " " * 12, "confirm": " " * 12}),
    ("/account/tokens", {"name": "x" * 10_000}),
    ("/calendar/settings", {"days": "\u00b2"}),
]


def _form_key(case):
    path, fields = case
    return f"{path} agency_id={fields.get('agency_id')}"


@pytest.mark.parametrize("path, fields", cases(FORM_CASES, key=_form_key), ids=[_form_key(c) for c in FORM_CASES])
def test_hostile_forms(live, path, fields):
    sane(*live.post(path, fields), FORM)


def test_weak_password_is_refused_with_a_reason(live):
    text = sane(*live.post("/account/password", {"current": ADMIN_PASSWORD, "new": " " * 12, "confirm": " " * 12}),
                {400})
    assert "not mostly spaces" in text


# -- uploads --------------------------------------------------------------------------------------
UPLOAD_CASES = [
    ("../../etc/passwd", b"plain text"),
    ("\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fevil.txt", b"fullwidth dots"),
    ("a" * 5000 + ".txt", b"long name"),
    ("empty.txt", b""),
    ("nul\x00.txt", b"nul in the name"),
    ("bomb.zip", b"PK\x03\x04" + b"\x00" * 100),
]


@pytest.mark.parametrize("filename, content", UPLOAD_CASES, ids=[c[0][:20] for c in UPLOAD_CASES])
def test_hostile_uploads(live, filename, content):
    sane(*live.upload("/requests/1/documents", filename, content), {200, 201, 303, 400, 409, 413, 422})


def test_upload_to_a_missing_request_is_not_found(live):
    sane(*live.upload(f"/requests/{BIG}/documents", "a.txt", b"x"), NOT_FOUND)


# -- sign-in and tokens ---------------------------------------------------------------------------
AUTH_CASES = [
    {"email": "x" * 10_000, "password": "x"},
    {"email": ADMIN_EMAIL, "password": "x" * 1_000_000},
    {"email": "admin\x00@example.org", "password": "x"},
    {"email": "\udcff@example.org".encode("utf-8", "surrogatepass"), "password": "x"},
    {},
]


@pytest.mark.parametrize("fields", AUTH_CASES, ids=["long email", "huge password", "nul", "surrogate", "empty"])
def test_hostile_sign_ins(live, fields):
    visitor = Client(live.base)
    sane(*visitor.post("/login", fields), {401, 429})


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer foia_" + "x" * 10_000, "Basic YTpi", "Bearer ",
                                    "bearer foia_\u00e9"])
def test_hostile_tokens(live, header):
    visitor = Client(live.base)
    status, headers, body = visitor.open("GET", "/api/requests", headers={"Authorization": header.encode(
        "utf-8").decode("latin-1")})
    sane(status, headers, body, {401})


def test_garbage_session_cookie_is_sent_to_sign_in(live):
    visitor = Client(live.base)
    status, headers, _ = visitor.open("GET", "/", headers={"Cookie": "session=" + "A" * 3000})
    assert status == 302 and headers["Location"].startswith("/login")


def test_another_users_form_key_does_not_return_their_request(live):
    key = "shared-key-" + uuid.uuid4().hex
    status, headers, _ = live.post("/requests/new", {"agency_id": "1", "title": "Admin's request", "method": "email",
                                                       "form_key": key})
    assert status == 303
    admins = urllib.parse.urlsplit(headers["Location"]).path
    status, _, _ = live.post("/admin/users", {"email": "member@example.org", "role": "member",
                                              "password": "another long passphrase",
                                              "confirm": "another long passphrase"})
    assert status == 303
    member = Client(live.base)
    assert member.post("/login", {"email": "member@example.org", "password": "another long passphrase"})[0] == 303
    status, headers, _ = member.post("/requests/new", {"agency_id": "1", "title": "Member's request",
                                                       "method": "email", "form_key": key})
    assert not (status == 303 and urllib.parse.urlsplit(headers["Location"]).path == admins), \
        "the member's form key returned the admin's request"


def test_the_server_still_answers(live):
    assert live.get("/")[0] == 200
