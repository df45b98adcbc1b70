"""Shared fixtures: a real SQLite file in a temporary instance folder for every test."""
import shutil
import sqlite3
import threading

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from foia import clock, create_app
from foia import db as db_module

# The day the tests live on, unless a test pins another (the one faked input: the clock).
TODAY = "2026-09-15T10:00:00"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.delenv("FOIA_NOW", raising=False)
    clock.set_now(TODAY)
    yield
    clock.set_now(None)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setenv("FOIA_INSTANCE", str(path))
    return path


@pytest.fixture
def app(instance):
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "WTF_CSRF_ENABLED": False})
    yield app


@pytest.fixture
def db(app):
    database = db_module.connect(app.config["DATABASE"])
    yield database
    database.conn.close()


@pytest.fixture
def demo(app, db):
    from foia import demo as demo_module

    demo_module.load(db)
    return app


def _ensure_admin(database):
    from foia import accounts

    if not list(database.query("SELECT 1 FROM users WHERE email = ?", [ADMIN_EMAIL])):
        accounts.create_user(database, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")


@pytest.fixture
def client(app, db):
    """A test client, signed in as an admin."""
    test_client = app.test_client()
    _ensure_admin(db)
    response = test_client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    return test_client


@pytest.fixture
def runner(instance):
    from foia.cli import main

    cli_runner = CliRunner()

    def invoke(*args, **kwargs):
        return cli_runner.invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)

    invoke.runner = cli_runner
    return invoke


def rows(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# --- browser tests: Debian's Chromium driven by Playwright against a real server --------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(demo):
    """The demo app served over HTTP on a free loopback port, in a thread of this process, with a
    job runner beside it (as ``foia serve`` runs one), so campaigns and text extraction finish."""
    from foia import scheduler

    srv = make_server("127.0.0.1", 0, demo, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    stop = threading.Event()

    def run_jobs():
        while not stop.wait(0.2):
            scheduler.run_jobs(demo.extensions["foia"])

    runner_thread = threading.Thread(target=run_jobs, daemon=True)
    runner_thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    stop.set()
    runner_thread.join()
    srv.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def login(page, db):
    """Sign in as the admin through the form."""
    page.goto(page.base + "/")
    if "/login" not in page.url:
        return
    _ensure_admin(db)
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(page.base + "/")
