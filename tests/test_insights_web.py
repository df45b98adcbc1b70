"""The insights page, through the app with a real database."""
import os
from pathlib import Path

import pytest

from foia import agencies, create_app, requests, stats
from foia import db as db_module
from foia.web import insights

from conftest import CHROMIUM



@pytest.fixture
def app(instance):
    """The app with the insights blueprint (registered here until the app lists it) and its tables."""
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "WTF_CSRF_ENABLED": False})
    if "insights" not in app.blueprints:
        app.register_blueprint(insights.bp)
    database = db_module.connect(app.config["DATABASE"])
    stats.migrations.apply(database)
    database.conn.close()
    return app


@pytest.fixture
def iclient(client):
    return client


def test_insights_page_shows_charts_and_tables(iclient, db):
    ca = agencies.upsert(db, {"name": "Fresno Police Department", "state": "CA"})[0]
    requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-06-01")
    page = iclient.get("/insights")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('role="img"') == 3
    assert "Share answered on time, by state" in html
    assert "<th scope=\"row\">California</th><td>under 50% on time</td><td>0%</td>" in html
    assert "1 request;" in html


def test_insights_needs_sign_in(app):
    assert app.test_client().get("/insights").status_code in (302, 303)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_insights_fits_phone_and_desktop_in_chromium(server, browser, db, tmp_path):
    """No sideways scrolling at 390 or 1280 px; screenshots go to FOIA_SCREENSHOTS (else a temporary folder)."""
    from foia import accounts

    shots = Path(os.environ.get("FOIA_SCREENSHOTS") or tmp_path)

    accounts.create_user(db, "viewer@example.org", "a long enough password", "viewer")
    for width in (390, 1280):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(server + "/login")
        page.fill("input[name=email]", "viewer@example.org")
        page.fill("input[name=password]", "a long enough password")
        page.click("button[type=submit], input[type=submit]")
        page.goto(server + "/insights")
        assert page.locator("svg[role=img]").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        page.screenshot(path=str(shots / f"insights-{width}.png"), full_page=width == 1280)
        page.close()


def test_calendar_month_page(iclient, db):
    ca = agencies.upsert(db, {"name": "Fresno Police Department", "state": "CA"})[0]
    request_id = requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-09-01")
    html = iclient.get("/calendar/month?month=2026-09").get_data(as_text=True)
    assert "<h1>September 2026</h1>" in html
    assert 'href="/calendar/month?month=2026-08"' in html and 'href="/calendar/month?month=2026-10"' in html
    assert '<time datetime="2026-09-15">Tue 15 Sep</time>' in html
    assert f'href="/requests/{request_id}">Response due: Fresno Police Department</a>' in html
    assert iclient.get("/calendar/month?month=2026-13").status_code == 422
