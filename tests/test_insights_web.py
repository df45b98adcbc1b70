"""The insights pages, the dashboard and the month calendar, through the app with a real database."""
import re

import pytest

from foia import agencies, campaigns, create_app, jobs, requests, stats
from foia import db as db_module
from foia.web import insights


@pytest.fixture
def app(instance):
    """The app with the insights blueprint and its tables."""
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


def _agency(db, name, state):
    return agencies.upsert(db, {"name": name, "state": state})[0]


def test_insights_page_shows_charts_and_tables(iclient, db):
    ca = _agency(db, "Fresno Police Department", "CA")
    requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-06-01")
    page = iclient.get("/insights")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('role="img"') == 4  # by status, overdue over time, the map, the agencies' punctuality
    assert "Share answered on time, by state" in html
    assert "<th scope=\"row\">California</th><td>Under 50% on time</td><td>0%</td>" in html
    assert "1 request;" in html
    assert "Counted <time" in html
    # The overdue chart is a line with one point per week; its 12-row table folds away.
    overdue = html[html.index('aria-labelledby="overdue-caption"'):]
    overdue = overdue[:overdue.index("</figure>")]
    assert overdue.count("<circle") == 12 and "<details" in overdue
    # Every scrolling table box can take the focus and is named (axe: scrollable-region-focusable).
    boxes = re.findall(r'<div class="chart-table"[^>]*>', html)
    assert boxes and all('tabindex="0"' in b and 'role="region"' in b and "aria-label=" in b for b in boxes)


def test_insights_tables_sort_by_a_get_parameter(iclient, db):
    slow = _agency(db, "Austin Police Department", "TX")
    quick = _agency(db, "Fresno Police Department", "CA")
    first = requests.create_request(db, agency_id=slow, title="Ring MOU", filed_on="2026-08-03")
    requests.add_event(db, first, "acknowledged", "2026-08-13")
    second = requests.create_request(db, agency_id=quick, title="Ring MOU", filed_on="2026-08-03")
    requests.add_event(db, second, "acknowledged", "2026-08-04")
    requests.add_event(db, second, "records_released", "2026-08-05")

    def agency_order(query):
        html = iclient.get("/insights" + query).get_data(as_text=True)
        table = html[html.index('id="agencies-caption"'):]
        return re.findall(r'<a href="/agencies/\d+">([^<]+)</a>', table[:table.index("</table>")]), html

    names, html = agency_order("?agency_sort=response")
    assert names == ["Austin Police Department (TX)", "Fresno Police Department (CA)"]  # most days first
    assert 'aria-sort="descending"' in html and "(most days first)" in html
    assert "?agency_sort=on_time" in html and "state_sort" in html
    names, _ = agency_order("?agency_sort=on_time")
    assert names[0] == "Austin Police Department (TX)"  # late (still open past its due date) before on time
    names, _ = agency_order("?agency_sort=nonsense")
    assert names == ["Austin Police Department (TX)", "Fresno Police Department (CA)"]  # by name
    states = iclient.get("/insights?state_sort=release").get_data(as_text=True)
    table = states[states.index('id="states-caption"'):]
    assert re.findall(r'<th scope="row">(\w+)</th>', table[:table.index("</table>")]) == ["California", "Texas"]


def test_campaign_map_page_and_its_link(iclient, db):
    pdx = _agency(db, "Portland Police Bureau", "OR")
    salem = _agency(db, "Salem Police Department", "OR")
    aurora = _agency(db, "Aurora Police Department", "IL")
    campaign_id = campaigns.create(db, name="Oregon records", template="ring-partnership", states=["OR", "IL"])
    ids = {a: requests.create_request(db, agency_id=a, title="Oregon records", campaign_id=campaign_id,
                                      template="ring-partnership") for a in (pdx, salem, aurora)}
    requests.add_event(db, ids[pdx], "filed", "2026-08-03")
    requests.add_event(db, ids[pdx], "records_released", "2026-08-10")
    requests.add_event(db, ids[aurora], "filed", "2026-06-01")  # long past due: overdue

    listing = iclient.get("/insights").get_data(as_text=True)
    assert f'<a href="/insights/campaigns/{campaign_id}">Oregon records</a>' in listing
    page = iclient.get(f"/insights/campaigns/{campaign_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('role="img"') == 1 and html.count('class="state"') == 52
    assert "<title>Oregon: 1 answered, 1 not filed yet</title>" in html
    assert "<title>Illinois: 1 overdue</title>" in html
    assert "<title>Texas: Not in this campaign</title>" in html
    assert '<th scope="row">Illinois</th><td>Overdue</td><td>1 overdue</td>' in html
    assert '<th scope="row">Oregon</th><td>Answered</td><td>1 answered, 1 not filed yet</td>' in html
    assert "3 requests in 2 jurisdictions" in html
    assert iclient.get("/insights/campaigns/999").status_code == 404


def test_dashboard_charts_counted_time_and_activity_in_date_order(iclient, db):
    ca = _agency(db, "Fresno Police Department", "CA")
    pdx = _agency(db, "Portland Police Bureau", "OR")
    newer = requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-09-10")
    requests.create_request(db, agency_id=ca, title="Ring e-mails", filed_on="2026-08-20")  # recorded later
    campaign_id = campaigns.create(db, name="Oregon records", template="ring-partnership", states=["OR"])
    for n in range(3):
        agency = _agency(db, f"Oregon agency {n}", "OR") if n else pdx
        requests.create_request(db, agency_id=agency, title="Oregon records", campaign_id=campaign_id,
                                template="ring-partnership")
    html = iclient.get("/").get_data(as_text=True)
    assert html.count('role="img"') == 2  # requests by status, the on-time map
    assert "Counted <time" in html and "5 requests, 2 open." in html
    activity = html[html.index('id="recent"'):]
    assert activity.count("Campaign “Oregon records”") == 1 and "created 3 draft requests" in activity
    assert "Drafted" not in activity
    days = re.findall(r'<time datetime="(2026-\d\d-\d\d)">', activity)
    assert days == ["2026-09-15", "2026-09-10", "2026-08-20"]  # newest first, by the day it happened
    assert f'href="/requests/{newer}"' in activity and "Thu 20 Aug 2026" in activity


def test_calendar_month_page(iclient, db):
    ca = _agency(db, "Fresno Police Department", "CA")
    request_id = requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-09-01")
    html = iclient.get("/calendar/month?month=2026-09").get_data(as_text=True)
    assert "<h1>September 2026</h1>" in html
    assert 'href="/calendar/month?month=2026-08" rel="prev"><span aria-hidden="true">‹</span> August 2026</a>' in html
    assert 'href="/calendar/month?month=2026-10" rel="next">October 2026' in html
    assert '<time datetime="2026-09-15">Tue 15 Sep</time> <strong class="today-mark">Today</strong>' in html
    assert html.count('aria-current="date"') == 1
    assert f'href="/requests/{request_id}">Response due: Fresno Police Department</a>' in html
    assert "Operative due date" not in html  # one line per deadline day, not one per stored column
    assert "This month" not in html
    october = iclient.get("/calendar/month?month=2026-10").get_data(as_text=True)
    assert 'href="/calendar/month">This month</a>' in october and 'aria-current="date"' not in october
    assert iclient.get("/calendar/month?month=2026-13").status_code == 422


def test_dashboard_of_a_large_instance_before_its_figures_are_counted(iclient, db, monkeypatch):
    ca = _agency(db, "Fresno Police Department", "CA")
    requests.create_request(db, agency_id=ca, title="Ring MOU", filed_on="2026-09-10")
    monkeypatch.setattr(stats, "INLINE_LIMIT", 0)  # as if it had more requests than a page may count
    html = iclient.get("/").get_data(as_text=True)
    assert "1 request, 1 open." in html and 'role="img"' not in html
    assert "The charts appear once the figures are counted" in html
    assert jobs.latest(db, "stats.refresh")["state"] == "queued"


def test_dashboard_and_insights_of_a_new_instance(iclient):
    html = iclient.get("/").get_data(as_text=True)
    assert "0 requests, 0 open." in html and 'role="img"' not in html and "No activity yet." in html
    insights_page = iclient.get("/insights").get_data(as_text=True)
    assert "No figures yet: they appear once there are requests." in insights_page and 'role="img"' not in insights_page
