import datetime as dt

import icalendar
import pytest

from foia import clock, deadlines, ics, lifecycle, recompute, reminders

D = dt.date.fromisoformat
STAMP = "2026-09-01T09:00:00"


@pytest.fixture
def ddb(db):
    deadlines.migrations.apply(db)
    reminders.migrations.apply(db)
    return db


def add_request(db, state, events, title="Ring partnership records"):
    agency = db["agencies"].insert({"name": f"{state} PD {db['agencies'].count}", "state": state,
                                    "created_at": STAMP, "updated_at": STAMP}).last_pk
    timeline = [{"kind": k, "occurred_on": on, "data": {}} for k, on in events]
    request_id = db["requests"].insert({"agency_id": agency, "title": title, "status": lifecycle.derive_status(timeline),
                                        "created_at": STAMP, "updated_at": STAMP}).last_pk
    for kind, on in events:
        add_event(db, request_id, kind, on)
    return request_id


def add_event(db, request_id, kind, on):
    db["events"].insert({"request_id": request_id, "kind": kind, "occurred_on": on, "recorded_at": STAMP, "data": "{}"})
    status = lifecycle.derive_status(list(db.query("SELECT * FROM events WHERE request_id = ?", [request_id])))
    db["requests"].update(request_id, {"status": status})


def events_of(data: bytes) -> dict:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_feed_has_every_live_deadline_with_stable_uids(ddb):
    ca = add_request(ddb, "CA", [("filed", "2026-08-28")], title="CPRA request")
    md = add_request(ddb, "MD", [("filed", "2026-09-01")])
    al = add_request(ddb, "AZ", [("filed", "2026-09-01")])
    closed = add_request(ddb, "GA", [("filed", "2026-09-01"), ("records_released", "2026-09-03")])
    recompute.everything(ddb, today=D("2026-09-15"))
    found = events_of(ics.calendar(ddb, "https://foia.example.org"))
    assert set(found) == {f"request-{ca}-due@foia", f"request-{md}-due@foia", f"request-{md}-acknowledge@foia",
                          f"request-{al}-follow-up@foia"}
    due = found[f"request-{ca}-due@foia"]
    assert due.decoded("dtstart") == D("2026-09-08") and due.decoded("dtend") == D("2026-09-09")
    assert str(due["summary"]) == "Response due: CPRA request"
    assert "Cal. Gov. Code § 7922.535" in str(due["description"])
    assert int(due["sequence"]) == 0
    assert str(due["url"]) == f"https://foia.example.org/requests/{ca}"
    assert "not a legal deadline" in str(found[f"request-{al}-follow-up@foia"]["description"])
    assert all(f"request-{closed}-" not in uid for uid in found)


def test_a_moved_date_keeps_its_uid_and_raises_the_sequence(ddb):
    request_id = add_request(ddb, "CA", [("filed", "2026-08-28")])
    clock.set_now("2026-09-02T08:00:00")
    recompute.request(ddb, request_id, today=D("2026-09-02"))
    before = events_of(ics.calendar(ddb))[f"request-{request_id}-due@foia"]
    clock.set_now("2026-09-04T08:00:00")
    recompute.request(ddb, request_id, today=D("2026-09-04"))  # nothing changed: same sequence and stamp
    assert events_of(ics.calendar(ddb))[f"request-{request_id}-due@foia"].to_ical() == before.to_ical()
    add_event(ddb, request_id, "extension_claimed", "2026-09-04")
    recompute.request(ddb, request_id, today=D("2026-09-04"))
    after = events_of(ics.calendar(ddb))[f"request-{request_id}-due@foia"]
    assert after.decoded("dtstart") == D("2026-09-21") and before.decoded("dtstart") == D("2026-09-08")
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    assert after.decoded("dtstamp") > before.decoded("dtstamp")
    assert after.decoded("dtstamp") == dt.datetime(2026, 9, 4, 12, 0, tzinfo=dt.timezone.utc)  # 08:00 New York
    assert after.decoded("last-modified") == after.decoded("dtstamp")
    assert ics.calendar(ddb) == ics.calendar(ddb)


def test_appeal_window_event(ddb):
    request_id = add_request(ddb, "CT", [("filed", "2026-09-01"), ("denied", "2026-09-03")])
    recompute.request(ddb, request_id, today=D("2026-09-04"))
    found = events_of(ics.calendar(ddb))
    assert found[f"request-{request_id}-appeal@foia"].decoded("dtstart") == D("2026-10-05")


def test_write_file(ddb, tmp_path):
    add_request(ddb, "CA", [("filed", "2026-08-28")])
    recompute.everything(ddb, today=D("2026-09-02"))
    path = tmp_path / "deadlines.ics"
    assert ics.write(ddb, path) == 1
    assert path.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert not (tmp_path / "deadlines.ics.tmp").exists()


def test_token_is_made_once_and_rotates(ddb):
    first = ics.token(ddb)
    assert len(first) >= 32 and ics.token(ddb) == first
    assert ics.check_token(ddb, first) and not ics.check_token(ddb, "nope") and not ics.check_token(ddb, "")
    second = ics.token(ddb, rotate=True)
    assert second != first and ics.check_token(ddb, second) and not ics.check_token(ddb, first)


# --- the web feed -------------------------------------------------------------------------------

@pytest.fixture
def web(app, ddb):
    from foia.web import deadlines as deadlines_web

    if "deadlines" not in app.blueprints:
        app.register_blueprint(deadlines_web.bp)
        app.jinja_env.globals.update(deadlines_web.context())
    return app


def test_feed_url_needs_the_secret_token(web, client, ddb):
    add_request(ddb, "CA", [("filed", "2026-08-28")])
    recompute.everything(ddb, today=D("2026-09-02"))
    token = ics.token(ddb)
    anonymous = web.test_client()
    response = anonymous.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert len(events_of(response.data)) == 1
    assert anonymous.get("/calendar/wrong-token.ics").status_code == 404


def test_feed_and_page_links_use_base_url(web, client, ddb):
    """Links read outside the site come from BASE_URL, never from the Host of the request."""
    web.extensions["foia"].config["BASE_URL"] = "https://foia.example.org/"  # the instance's setting
    request_id = add_request(ddb, "CA", [("filed", "2026-08-28")])
    recompute.everything(ddb, today=D("2026-09-02"))
    token = ics.token(ddb)
    response = web.test_client().get(f"/calendar/{token}.ics", headers={"Host": "evil.example"})
    event = events_of(response.data)[f"request-{request_id}-due@foia"]
    assert str(event["url"]) == f"https://foia.example.org/requests/{request_id}"
    page = client.get("/calendar").get_data(as_text=True)  # (the session cookie is for localhost)
    assert f"https://foia.example.org/calendar/{token}.ics" in page and "http://localhost" not in page


def test_calendar_page_shows_and_rotates_the_address(web, client, ddb):
    page = client.get("/calendar")
    assert page.status_code == 200
    token = ics.token(ddb)
    assert f"/calendar/{token}.ics" in page.get_data(as_text=True)
    assert "E-mail is not set up" in page.get_data(as_text=True)
    response = client.post("/calendar/rotate")
    assert response.status_code == 303
    assert ics.token(ddb) != token
    assert web.test_client().get(f"/calendar/{token}.ics").status_code == 404


def test_settings_form_saves_and_rejects(web, client, ddb):
    form = {"follow_up_business_days": "8", "due_soon_business_days": "3", "follow_up_every_days": "5",
            "follow_up_horizon": "2", "appeal_default_days": "20", "appeal_warning_days": "4", "reminder_hour": "8",
            "group_email": "team@example.org", "digest": "1"}
    assert client.post("/calendar/settings", data=form).status_code == 303
    settings = deadlines.load_settings(ddb)
    assert (settings.follow_up_business_days, settings.reminder_hour, settings.digest) == (8, 8, True)
    bad = client.post("/calendar/settings", data=dict(form, reminder_hour="25", follow_up_business_days="9"))
    assert bad.status_code == 400 and "out of range" in bad.get_data(as_text=True)
    assert deadlines.load_settings(ddb).follow_up_business_days == 8  # nothing of the bad form stored


def test_saving_settings_queues_the_recompute_and_the_page_shows_its_progress(web, client, ddb):
    from foia import jobs

    request_id = add_request(ddb, "CA", [("filed", "2026-09-14")])
    recompute.request(ddb, request_id, today=D("2026-09-15"))
    due_soon = "SELECT due_at FROM reminders WHERE request_id = ? AND kind = 'due_soon' AND channel = 'app'"
    before = ddb.execute(due_soon, [request_id]).fetchone()[0]
    response = client.post("/calendar/settings", data={"due_soon_business_days": "5", "reminder_hour": "9"})
    assert response.status_code == 303
    assert ddb.execute(due_soon, [request_id]).fetchone()[0] == before  # the request only queued the work
    page = client.get("/calendar").get_data(as_text=True)
    assert "Recomputing deadlines and reminders (waiting to start)" in page and "<progress" in page
    jobs.run_once(dict(web.config), db=ddb, kinds=[recompute.JOB_KIND])
    assert ddb.execute(due_soon, [request_id]).fetchone()[0] < before
    page = client.get("/calendar").get_data(as_text=True)
    assert "Deadlines and reminders were last recomputed" in page and "1 request." in page
