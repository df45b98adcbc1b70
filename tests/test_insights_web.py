"""The insights page, through the app with a real database."""
import pytest

from foia import agencies, create_app, requests, stats
from foia import db as db_module
from foia.web import insights


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
