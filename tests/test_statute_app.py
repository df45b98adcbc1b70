"""The statute engine in the app: stored operative dates, reminders that follow them, the appeal
box on the request page and the residency rule on the agency page (real SQLite, Flask test client)."""
import datetime as dt

import pytest

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, CHROMIUM, TODAY, login

from foia import agencies, clock, ics, recompute, requests
from foia.deadlines import store


def D(text):
    return dt.date.fromisoformat(text)


def agency_in(db, state, name=None):
    agency_id, _ = agencies.upsert(db, {"name": name or f"{state} Police Department", "state": state,
                                        "kind": "police", "city": "Springfield"})
    return agency_id


def request_with(db, state, events, *, today):
    """A request to an agency in ``state`` with ``events`` [(kind, day, data)], recomputed as of ``today``."""
    clock.set_now(f"{events[0][1]}T10:00:00")
    request_id = requests.create_request(db, agency_id=agency_in(db, state), title="Ring partnership records",
                                         filed_on=events[0][1])
    for kind, day, data in events[1:]:
        clock.set_now(f"{day}T10:00:00")
        requests.add_event(db, request_id, kind, day, data=data)
    clock.set_now(f"{today}T10:00:00")
    recompute.request(db, request_id, today=D(today))
    return request_id


def page(client, path):
    """The page at ``path``, signed in again on the pinned day (sessions end with the clock)."""
    client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def reminders_of(db, request_id):
    return [(r["kind"], r["due_at"][:10]) for r in db.query(
        "SELECT kind, due_at FROM reminders WHERE request_id = ? AND channel = 'app' ORDER BY due_at, kind",
        [request_id])]


def test_washington_estimate_is_the_operative_date(client, db):
    request_id = request_with(db, "WA", [("filed", "2026-11-02", None),
                                         ("acknowledged", "2026-11-06", {"estimated_date": "2027-01-15"})],
                              today="2026-11-06")
    stored = db["request_dates"].get(request_id)
    assert stored["operative_due"] == "2027-01-15"
    assert stored["due"] != "2027-01-15"
    assert db["requests"].get(request_id)["due_on"] == "2027-01-15"
    planned = reminders_of(db, request_id)
    assert ("overdue", "2027-01-16") in planned
    assert not [day for kind, day in planned if kind == "overdue" and day <= "2027-01-15"]
    board = store.dashboard(db, D("2026-12-01"))
    assert request_id not in [row["id"] for row in board["overdue"]]
    assert request_id in [row["id"] for row in store.dashboard(db, D("2027-01-20"))["overdue"]]

    html = page(client, f"/requests/{request_id}")
    assert "Operative due date" in html and "2027-01-15" in html
    assert "The agency's date" in html and "Operative due date Fri 15 Jan 2027" in html


def test_pennsylvania_denial_appeal_box_and_reminder(client, db):
    request_id = request_with(db, "PA", [("filed", "2027-02-01", None),
                                         ("denied", "2027-03-05", {"exemptions": "noncriminal investigation",
                                                                   "reason": "investigative records"})],
                              today="2027-03-05")
    assert db["request_dates"].get(request_id)["appeal_by"] == "2027-03-26"
    assert [k for k, day in reminders_of(db, request_id) if k == "appeal_window" and day <= "2027-03-26"]

    html = page(client, f"/requests/{request_id}")
    box = html[html.index('class="appeal-box"'):]
    box = box[:box.index("</section>")]
    assert "Office of Open Records" in box
    assert "2027-03-26" in box
    assert "Who decides" in box and "By when" in box and "How" in box


def test_no_records_answer_gets_an_appeal_date_and_reminder(client, db):
    request_id = request_with(db, "PA", [("filed", "2027-02-01", None), ("no_records", "2027-03-05", {})],
                              today="2027-03-05")
    assert db["request_dates"].get(request_id)["appeal_by"] == "2027-03-26"
    assert "appeal_window" in [k for k, _ in reminders_of(db, request_id)]
    html = page(client, f"/requests/{request_id}")
    assert 'class="appeal-box"' in html and "Office of Open Records" in html


def test_residency_and_record_on_the_agency_page(client, db):
    va = agency_in(db, "VA", "Norfolk Police Department")
    html = page(client, f"/agencies/{va}")
    assert "Who may request" in html and "residents of Virginia" in html
    pa_request = request_with(db, "PA", [("filed", "2027-02-01", None), ("no_records", "2027-02-10", {})],
                              today="2027-02-10")
    pa = db["requests"].get(pa_request)["agency_id"]
    html = page(client, f"/agencies/{pa}")
    assert "Who may request" in html and "United States residents" in html
    assert "Typical days to a first response" in html and "No records: 1" in html
    ga = agency_in(db, "GA", "Atlanta Police Department")
    assert "Anyone may request" in page(client, f"/agencies/{ga}")


def test_deemed_denial_starts_the_appeal_clock(client, db):
    request_id = request_with(db, "PA", [("filed", "2027-02-01", None)], today="2027-02-16")
    stored = db["request_dates"].get(request_id)
    assert stored["deemed_denied_on"] == "2027-02-09"  # the day after the 5th business day
    assert stored["appeal_by"] is not None and stored["appeal_by"] > stored["deemed_denied_on"]
    assert "appeal_window" in [k for k, _ in reminders_of(db, request_id)]
    html = page(client, f"/requests/{request_id}")
    assert "Deemed denied" in html and "counts as a denial: you can appeal" in html
    assert 'class="appeal-box"' in html and "Office of Open Records" in html
    assert "The agency missed its deadline." in html


def test_calendar_feed_follows_the_operative_date(db):
    request_id = request_with(db, "WA", [("filed", "2026-11-02", None),
                                         ("acknowledged", "2026-11-06", {"estimated_date": "2027-01-15"})],
                              today="2026-11-06")
    due = [e for e in ics.entries(db) if e["uid"] == f"request-{request_id}-due@foia"]
    assert [e["day"] for e in due] == [D("2027-01-15")]


@pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed")
def test_appeal_box_fits_a_phone_in_chromium(server, browser, db):
    """A Pennsylvania denial's request page at 390 px: the appeal box shows, and nothing in the dates
    section reaches past the screen's edge."""
    request_id = request_with(db, "PA", [("filed", "2026-08-20", None),
                                         ("denied", "2026-09-01", {"exemptions": "noncriminal investigation",
                                                                   "reason": "investigative records"})],
                              today=TODAY[:10])
    clock.set_now(TODAY)
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.base = server
    login(page, db)
    page.goto(f"{server}/requests/{request_id}")
    box = page.locator(".appeal-box")
    assert "Office of Open Records" in box.inner_text() and "Wed 23 Sep 2026" in box.inner_text()
    # The dates section (its appeal box and reminders table included) stays inside the screen.
    wide = page.evaluate("""[...document.querySelectorAll('#dates, #dates *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
        .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 60))""")
    assert wide == []
    assert page.evaluate("document.querySelector('#dates').scrollWidth <= innerWidth")
    page.close()


def test_residency_on_the_request_page_warns_a_requester_from_elsewhere(client, db):
    from foia import letters

    request_id = request_with(db, "VA", [("filed", "2027-02-01", None)], today="2027-02-02")
    html = page(client, f"/requests/{request_id}")
    assert "Who may request" in html and "residents of Virginia" in html
    assert "If you live elsewhere" in html and "The requester lives in" not in html
    letters.save_requester(db, {"name": "R. Okafor", "address": "12 Harbor Street\nBaltimore, MD",
                                "email": "r@example.org", "residence": "MD"})
    html = page(client, f"/requests/{request_id}")
    assert "The requester lives in MD, not Virginia" in html
    letters.save_requester(db, {"name": "R. Okafor", "address": "1 Main St\nNorfolk, VA",
                                "email": "r@example.org", "residence": "VA"})
    html = page(client, f"/requests/{request_id}")
    assert "residents of Virginia" in html and "The requester lives in" not in html
    ga = request_with(db, "GA", [("filed", "2027-02-01", None)], today="2027-02-02")
    assert "Anyone may request" in page(client, f"/requests/{ga}")
