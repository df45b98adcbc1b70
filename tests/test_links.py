"""Links read outside the site: FOIA_BASE_URL when set, else the URL the request came in on, and
outside a request the last address a signed-in person used, else this machine on the configured port."""
from foia import create_app, links
from foia import db as db_module
from foia.reminders import messages
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, _ensure_admin

ROW = {"request_id": 7, "kind": "due_soon", "due_at": "2026-09-16T09:00:00", "title": "Ring MOU",
       "agency_name": "Aurora Police Department", "agency_state": "IL", "about": "2026-09-18",
       "tracking_number": None, "note": None, "target_kind": "due"}


def _count_writes(db):
    db.execute("CREATE TABLE IF NOT EXISTS url_root_writes (n INTEGER)")
    for event in ("INSERT", "UPDATE"):
        db.execute(f"CREATE TRIGGER IF NOT EXISTS count_{event.lower()} AFTER {event} ON settings "
                   f"WHEN NEW.key = '{links.SETTING_KEY}' BEGIN INSERT INTO url_root_writes VALUES (1); END")
    return lambda: db.execute("SELECT count(*) FROM url_root_writes").fetchone()[0]


def _signed_in(app, db, base_url):
    client = app.test_client()
    _ensure_admin(db)
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, base_url=base_url)
    assert response.status_code == 303
    return client


def test_outside_a_request_base_url_then_the_remembered_address_then_the_port(db):
    assert links.base_url(db, {"BASE_URL": "", "PORT": 5077}) == "http://127.0.0.1:5077"
    assert links.base_url(db, {}) == "http://127.0.0.1:5000"
    assert links.remember(db, "http://192.168.1.5:5077/") is True
    assert links.remember(db, "http://192.168.1.5:5077/") is False  # unchanged: no write
    assert links.base_url(db, {"BASE_URL": "", "PORT": 5077}) == "http://192.168.1.5:5077"
    assert links.base_url(db, {"BASE_URL": "https://foia.example.org/"}) == "https://foia.example.org"
    assert not links.remember(db, "javascript:alert(1)") and links.last_seen(db) == "http://192.168.1.5:5077"


def test_reminder_texts_link_to_the_given_address():
    _subject, body = messages.compose(ROW, {}, base_url="http://10.0.0.3:5077")
    assert "http://10.0.0.3:5077/requests/7" in body
    _title, text = messages.notification(ROW, {"BASE_URL": "", "PORT": 5077})
    assert text.rstrip().endswith("http://127.0.0.1:5077/requests/7")
    _subject, body = messages.compose(ROW, {"BASE_URL": "https://foia.example.org/"})
    assert "https://foia.example.org/requests/7" in body


def test_a_signed_in_visit_is_remembered_once_and_a_strangers_host_never(app, db):
    writes = _count_writes(db)
    stranger = app.test_client()
    assert stranger.get("/archive", base_url="http://evil.example").status_code == 200
    assert stranger.get("/login", base_url="http://evil.example").status_code == 200
    assert links.last_seen(db) == "" and writes() == 0

    client = _signed_in(app, db, "http://192.168.1.5:5077")
    for _ in range(3):
        assert client.get("/", base_url="http://192.168.1.5:5077").status_code == 200
    assert links.last_seen(db) == "http://192.168.1.5:5077" and writes() == 1

    # The same app reached at another address (a new name for the machine): one more write.
    client.get("/requests/", base_url="https://192.168.1.5:8443")
    client.get("/requests/", base_url="https://192.168.1.5:8443")
    assert links.last_seen(db) == "https://192.168.1.5:8443" and writes() == 2
    assert links.base_url(db, app.extensions["foia"].config) == "https://192.168.1.5:8443"


def test_with_base_url_set_nothing_is_remembered(instance):
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "BASE_URL": "https://foia.example.org"})
    database = db_module.connect(app.config["DATABASE"])
    try:
        client = _signed_in(app, database, "http://192.168.1.5:5077")
        assert client.get("/", base_url="http://192.168.1.5:5077").status_code == 200
        assert links.last_seen(database) == ""
        assert links.base_url(database, app.extensions["foia"].config) == "https://foia.example.org"
    finally:
        database.conn.close()


def test_the_dispatcher_links_to_the_address_last_used_when_no_base_url_is_set(db):
    import datetime as dt

    from foia import agencies, reminders, requests

    _ensure_admin(db)  # an admin's in-app inbox receives the reminder of an unowned request
    agency_id, _ = agencies.upsert(db, {"name": "Aurora Police Department", "state": "IL"})
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-09-10")
    reminders.add_custom(db, request_id, "2026-09-20", "Call the clerk", today=dt.date(2026, 9, 15))
    links.remember(db, "http://192.168.1.5:5077/")
    reminders.dispatch_due(db, dt.datetime(2026, 9, 21, 9, 0), config={"BASE_URL": "", "PORT": 5000})
    bodies = [r[0] for r in db.execute("SELECT body FROM notifications WHERE request_id = ?", [request_id])]
    assert bodies and all(f"http://192.168.1.5:5077/requests/{request_id}" in b for b in bodies)
