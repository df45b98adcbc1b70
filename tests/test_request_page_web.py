"""The request page, the new-request form and the reminders pages through Flask's test client:
confirmations, duplicates, words for people and what a viewer is offered."""
import re

import pytest

from foia import accounts, reminders, requests
from tests.conftest import ADMIN_EMAIL

VIEWER = ("viewer@example.org", "read only, never write")
ISO = re.compile(r">[^<]*\b\d{4}-\d{2}-\d{2}(T[\d:]+)?\b[^<]*<")  # an ISO date in visible text


def visible_iso(html: str) -> list[str]:
    """ISO dates shown as text (the machine form inside <time datetime=...> and inputs is fine)."""
    body = html.split("<main", 1)[1].split("</main>", 1)[0]
    body = re.sub(r"<(textarea|script)[^>]*>.*?</\1>", "", body, flags=re.S)
    return [m.group(0) for m in ISO.finditer(body)]


@pytest.fixture
def viewer(app, db):
    accounts.create_user(db, VIEWER[0], VIEWER[1], "viewer")
    client = app.test_client()
    assert client.post("/login", data={"email": VIEWER[0], "password": VIEWER[1]}).status_code in (302, 303)
    return client


def test_request_page_summary_and_words(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="Ring MOU", filed_on="2026-09-10")
    requests.add_event(db, request_id, "acknowledged", "2026-09-14", data={"estimated_date": "2026-10-30"})
    html = client.get(f"/requests/{request_id}").get_data(as_text=True)
    summary = html.split('class="request-summary', 1)[1].split("</section>", 1)[0]
    assert "Acknowledged" in summary and "(California)" in summary
    assert "Wait for the agency: due" in summary and 'class="due-reason"' in summary
    assert "Owner</dt><dd>not assigned" in html and "nobody" not in html
    assert "day(s)" not in html and "(s)" not in html
    assert visible_iso(html) == []
    # The law once, its period in words and its citation beside it (not repeated in the sentence).
    law = html.split("<dt>Law</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert re.sub(r"<[^>]+>", "", law).startswith("California Public Records Act (CPRA): a response within 10 calendar days (")
    assert law.count("7922.535") == 1
    # Add an event comes before the timeline; the side column holds the dates.
    assert html.index('id="add-event"') < html.index('id="timeline"') < html.index('class="request-side"')
    assert html.index('class="request-side"') < html.index('id="dates"')
    # The form offers no draft event and only the chosen kind's fields are enabled.
    kinds = re.findall(r'<option value="(\w+)"', html.split('name="kind"')[1].split("</select>")[0])
    assert "drafted" not in kinds and "filed" not in kinds and "acknowledged" in kinds


def test_same_day_duplicate_event_is_asked_about_and_keeps_the_form(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    form = {"kind": "acknowledged", "occurred_on": "2026-09-08", "note": "Second letter", "form_key": "ev1",
            "estimated_date": "2026-10-30"}
    assert client.post(f"/requests/{request_id}/events", data=dict(form, form_key="ev0")).status_code == 303
    response = client.post(f"/requests/{request_id}/events", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already has an Acknowledged event on Tue 8 Sep 2026" in html
    assert "Yes, record a second Acknowledged on Tue 8 Sep 2026" in html
    assert ">Second letter</textarea>" in html and 'value="2026-10-30"' in html and 'value="ev1"' in html
    assert len(requests.events(db, request_id)) == 2
    confirmed = dict(form, confirm_duplicate="yes")
    assert client.post(f"/requests/{request_id}/events", data=confirmed).status_code == 303
    assert client.post(f"/requests/{request_id}/events", data=confirmed).status_code == 303  # resubmitted
    assert [e["kind"] for e in requests.events(db, request_id)].count("acknowledged") == 2


def test_removing_an_event_is_confirmed(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    event_id = requests.add_event(db, request_id, "acknowledged", "2026-09-08")
    response = client.post(f"/requests/{request_id}/events/{event_id}/delete")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(requests.events(db, request_id)) == 2
    assert "Remove the Acknowledged event of Tue 8 Sep 2026? The dates and reminders will be recounted." in html
    assert 'name="confirm" value="yes"' in html
    response = client.post(f"/requests/{request_id}/events/{event_id}/delete", data={"confirm": "yes"})
    assert response.status_code == 303 and [e["kind"] for e in requests.events(db, request_id)] == ["filed"]
    assert "was removed" in client.get(f"/requests/{request_id}").get_data(as_text=True)


def test_similar_open_request_is_asked_about(demo, client, db):
    agency = db.execute("SELECT id, name FROM agencies ORDER BY id LIMIT 1").fetchone()
    first = requests.create_request(db, agency_id=agency[0], title="Ring MOU and e-mails", filed_on="2026-09-08")
    form = {"agency_id": str(agency[0]), "title": "Ring MOU & e-mails", "method": "email", "form_key": "nk1"}
    response = client.post("/requests/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"{agency[1]} already has an open request" in html and f'href="/requests/{first}"' in html
    assert "(filed Tue 8 Sep 2026)" in html and "Create it anyway" in html
    assert 'value="nk1"' in html and 'value="Ring MOU &amp; e-mails"' in html
    made = client.post("/requests/new", data=dict(form, confirm_similar="yes"))
    assert made.status_code == 303
    again = client.post("/requests/new", data=dict(form, confirm_similar="yes"))
    assert again.headers["Location"] == made.headers["Location"]
    assert "This request was already created; here it is." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM requests WHERE title = ?", ["Ring MOU & e-mails"]).fetchone()[0] == 1


def test_the_new_request_form_keeps_one_key_until_it_is_used(demo, client, db):
    key = re.search(r'name="form_key" value="([^"]+)"', client.get("/requests/new").get_data(as_text=True)).group(1)
    again = re.search(r'name="form_key" value="([^"]+)"', client.get("/requests/new").get_data(as_text=True)).group(1)
    assert key == again  # a second tab gets the same key
    client.post("/requests/new", data={"agency_id": "1", "title": "Unique title here", "method": "email",
                                       "form_key": key})
    fresh = re.search(r'name="form_key" value="([^"]+)"', client.get("/requests/new").get_data(as_text=True)).group(1)
    assert fresh != key


def test_reminders_are_listed_once_with_their_channels(demo, client, db):
    owner = db.execute("SELECT id FROM users WHERE email = ?", [ADMIN_EMAIL]).fetchone()[0]
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-10", owner_id=owner)
    reminders.add_custom(db, request_id, "2026-12-01", "Call the clerk")
    assert {r["channel"] for r in reminders.for_request(db, request_id) if r["kind"] == "custom"} == {"app", "email"}
    html = client.get(f"/requests/{request_id}").get_data(as_text=True)
    section = html.split('id="reminders"', 1)[1]
    assert section.count("Call the clerk") == 1
    assert "Tue 1 Dec 2026" in section and "in the app" in section and "by e-mail" not in section  # mail is off
    listing = client.get("/reminders").get_data(as_text=True)
    assert listing.count("Call the clerk") == 1
    assert "E-mail is not set up: reminders appear here only." in listing
    assert "FOIA_SMTP_HOST" not in listing and visible_iso(listing) == []
    notes = client.get("/notifications").get_data(as_text=True)
    assert "E-mail is not set up: reminders appear here only." in notes and 'href="/account"' in notes
    # With mail set up, the same reminder goes out on both channels, still one line.
    from foia.web import deadlines as deadlines_web

    rows = deadlines_web.grouped_reminders(reminders.for_request(db, request_id), mail_on=True)
    [custom] = [g for g in rows if g["kind"] == "custom"]
    assert custom["channels"] == "in the app and by e-mail to admin@example.org" and len(custom["rows"]) == 2


def test_calendar_page_links_to_the_month(demo, client):
    html = client.get("/calendar").get_data(as_text=True)
    assert 'href="/calendar/month"' in html and "(s)" not in html


def test_a_viewer_sees_no_forms(demo, viewer, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    requests.add_event(db, request_id, "acknowledged", "2026-09-08")
    html = viewer.get(f"/requests/{request_id}").get_data(as_text=True)
    main = html.split("<main", 1)[1]
    assert "event-form" not in main and "reminder-kinds" not in main and "reminder-custom" not in main
    assert "/delete" not in main.split('id="timeline"')[1].split("</section>")[0]
    assert "Edit the request" not in main
    assert "<form" not in viewer.get("/requests/new").get_data(as_text=True).split("<main", 1)[1]
    assert "New request</a>" not in viewer.get("/requests/").get_data(as_text=True).split("<main", 1)[1]
