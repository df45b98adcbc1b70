import re

import pytest

from foia import agencies, clock, errors, lifecycle, requests


@pytest.fixture
def agency_id(db):
    return agencies.upsert(db, {"name": "Springfield Police Department", "state": "PA", "city": "Springfield"})[0]


def test_create_draft_and_file(db, agency_id):
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring MOU")
    row = requests.get(db, request_id)
    assert row["status"] == "draft" and row["agency_name"] == "Springfield Police Department"
    requests.add_event(db, request_id, "filed", "2026-09-01", note="sent")
    requests.add_event(db, request_id, "acknowledged", "2026-09-03")
    assert requests.get(db, request_id)["status"] == "acknowledged"
    # A back-dated filing brings the draft with it: never "Drafted" after "Filed".
    timeline = requests.events(db, request_id)
    assert [(e["kind"], e["occurred_on"]) for e in timeline] == [
        ("drafted", "2026-09-01"), ("filed", "2026-09-01"), ("acknowledged", "2026-09-03")]


def test_invalid_transition_leaves_timeline_untouched(db, agency_id):
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-09-01")
    with pytest.raises(requests.RequestError, match="already filed on 2026-09-01"):
        requests.add_event(db, request_id, "filed", "2026-09-02")
    with pytest.raises(requests.RequestError, match="before the request was filed"):
        requests.add_event(db, request_id, "records_released", "2026-08-01")
    assert len(requests.events(db, request_id)) == 1
    assert requests.get(db, request_id)["status"] == "filed"


@pytest.mark.parametrize(
    "kwargs, field",
    [({"title": ""}, "title"), ({"title": "x" * 301}, "title"), ({"method": "pigeon"}, "method"),
     ({"agency_id": 999}, "agency_id"), ({"agency_id": "abc"}, "agency_id"),
     ({"filed_on": "2026-13-01"}, "filed_on"), ({"filed_on": "2027-01-01"}, "filed_on")],
)
def test_bad_request_fields(db, agency_id, kwargs, field):
    values = {"agency_id": agency_id, "title": "Ring MOU"} | kwargs
    with pytest.raises(requests.RequestError) as e:
        requests.create_request(db, **values)
    assert e.value.field == field
    assert db["requests"].count == 0


def test_double_submission_makes_one_row(db, agency_id):
    first = requests.create_request(db, agency_id=agency_id, title="Ring MOU", submission_key="k1")
    second = requests.create_request(db, agency_id=agency_id, title="Ring MOU", submission_key="k1")
    assert first == second and db["requests"].count == 1
    e1 = requests.add_event(db, first, "filed", "2026-09-01", submission_key="e1")
    e2 = requests.add_event(db, first, "filed", "2026-09-01", submission_key="e1")
    assert e1 == e2


def test_campaign_requests_are_unique_per_agency(db, agency_id):
    db["campaigns"].insert({"id": 1, "name": "c", "template": "ring-partnership", "created_at": "x"})
    a = requests.create_request(db, agency_id=agency_id, title="t", campaign_id=1)
    b = requests.create_request(db, agency_id=agency_id, title="t", campaign_id=1)
    assert a == b


def test_delete_event(db, agency_id):
    request_id = requests.create_request(db, agency_id=agency_id, title="t", filed_on="2026-09-01")
    ack = requests.add_event(db, request_id, "acknowledged", "2026-09-02")
    denied = requests.add_event(db, request_id, "denied", "2026-09-03")
    requests.add_event(db, request_id, "appeal_filed", "2026-09-04")
    with pytest.raises(requests.RequestError, match="invalid timeline"):
        requests.delete_event(db, denied)
    requests.delete_event(db, ack)
    assert requests.get(db, request_id)["status"] == "appealed"


def test_every_change_is_audited(db, agency_id):
    request_id = requests.create_request(db, agency_id=agency_id, title="t", actor=None)
    requests.add_event(db, request_id, "filed", "2026-09-01")
    actions = [r["action"] for r in db.query("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-2:] == ["request.create", "event.add"]
    event = requests.events(db, request_id)[-1]
    assert event["recorded_at"] == "2026-09-15T10:00:00"


def test_search_filters_and_sorting(demo, db):
    rows, total = requests.search(db, state="CA")
    assert total == 5 and all(r["agency_state"] == "CA" for r in rows)
    rows, total = requests.search(db, status="open")
    assert total >= 5
    rows, total = requests.search(db, sort="agency", per_page=3, page=2)
    assert len(rows) == 3 and total == 15
    rows, _ = requests.search(db, q="Ring Reward")
    assert [r["title"] for r in rows] == ["Ring Reward Program agreement and invoices"]


def test_demo_covers_statuses_and_is_idempotent(demo, db):
    from foia import demo as demo_module

    counts = requests.status_counts(db)
    assert len(counts) >= 10
    before = (db["agencies"].count, db["requests"].count, db["events"].count)
    demo_module.load(db)
    assert (db["agencies"].count, db["requests"].count, db["events"].count) == before


def test_extension_days_are_bounded(db, agency_id):
    request_id = requests.create_request(db, agency_id=agency_id, title="t", filed_on="2026-09-01")
    for days in (0, 366, 300000, -5, 2.5, True):
        with pytest.raises(requests.RequestError, match="from 1 to 365"):
            requests.add_event(db, request_id, "extension_claimed", "2026-09-02", data={"days": days})
    requests.add_event(db, request_id, "extension_claimed", "2026-09-02", data={"days": 30})
    assert [e["data"] for e in requests.events(db, request_id)][-1] == {"days": 30}


def test_event_of_another_request_cannot_be_deleted_through_this_one(db, agency_id):
    first = requests.create_request(db, agency_id=agency_id, title="a", filed_on="2026-09-01")
    second = requests.create_request(db, agency_id=agency_id, title="b", filed_on="2026-09-01")
    note = requests.add_event(db, second, "note", "2026-09-02", note="keep me")
    with pytest.raises(requests.NotFound):
        requests.delete_event(db, note, request_id=first)
    assert len(requests.events(db, second)) == 2


# --- the event form: only the chosen kind's fields, with and without JavaScript ----------------

def _fieldsets(html: str) -> dict[str, bool]:
    """kind -> whether its fieldset is shown (not hidden) in the event form."""
    import re

    return {m.group(1): "hidden" not in m.group(2)
            for m in re.finditer(r'<fieldset class="event-fields" data-kind="(\w+)"([^>]*)>', html)}


def test_event_form_offers_what_the_timeline_allows_and_the_fields_of_one_kind(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    html = client.get(f"/requests/{request_id}").get_data(as_text=True)
    options = re.findall(r'<option value="(\w+)"', html.split('name="kind"')[1].split("</select>")[0])
    assert "acknowledged" in options and "filed" not in options and "fee_paid" not in options
    assert sum(_fieldsets(html).values()) <= 1  # at most the suggested kind's fields
    html = client.get(f"/requests/{request_id}?kind=extension_claimed").get_data(as_text=True)
    shown = _fieldsets(html)
    assert shown["extension_claimed"] and not any(v for k, v in shown.items() if k != "extension_claimed")
    assert 'data-kind="acknowledged" hidden disabled' in html  # others are not sent
    assert 'name="days"' in html and 'name="new_due_on"' in html
    # A kind the timeline does not allow now is not offered, even when asked for.
    assert not _fieldsets(client.get(f"/requests/{request_id}?kind=fee_paid").get_data(as_text=True)).get("fee_paid")


def test_event_form_errors_are_shown_by_field_and_only_the_kind_fields_count(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    response = client.post(f"/requests/{request_id}/events", data={
        "kind": "fee_estimate", "occurred_on": "2026-09-02", "amount": "lots", "estimated_date": "soon",
        "days": "9999"})  # days belongs to another kind: not read
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="event-fee_estimate-amount-error"' in html and 'id="event-fee_estimate-estimated_date-error"' in html
    assert "such as 12.50" in html and "is not a date" in html and "from 1 to 365" not in html
    assert _fieldsets(html)["fee_estimate"]  # the form comes back on the kind that was chosen
    response = client.post(f"/requests/{request_id}/events", data={
        "kind": "fee_estimate", "occurred_on": "2026-09-02", "amount": "12.5", "days": "9999"})
    assert response.status_code == 303
    assert requests.events(db, request_id)[-1]["data"] == {"amount": "12.50"}
    assert "(fee amount $12.50)" in client.get(f"/requests/{request_id}").get_data(as_text=True)


@pytest.mark.browser
def test_event_form_shows_the_chosen_kind_in_place(browser, server, db):
    from tests.conftest import login

    page = browser.new_page()
    page.base = server
    login(page, db)
    request_id = requests.create_request(db, agency_id=1, title="In place", filed_on="2026-09-01")
    page.goto(f"{server}/requests/{request_id}")
    assert not page.locator(".event-kinds").is_visible()  # the links are for browsers without scripts
    page.select_option("form.event-form select[name=kind]", "extension_claimed")
    assert page.locator("fieldset[data-kind=extension_claimed]").is_visible()
    assert not page.locator("fieldset[data-kind=acknowledged]").is_visible()
    page.fill("#event-extension_claimed-days", "15")
    page.select_option("#event-extension_claimed-day_type", "business")
    page.click("form.event-form button[type=submit]")
    page.wait_for_url("**#timeline")
    assert requests.events(db, request_id)[-1]["data"] == {"days": 15, "day_type": "business"}
    assert "(extension days 15)" in page.locator(".timeline").inner_text()
    page.close()


def test_an_older_draft_event_is_listed_before_the_filing(db, agency_id):
    """Rows stored before the draft moved with a back-dated filing still read in order."""
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring MOU")
    requests.add_event(db, request_id, "filed", "2026-09-01")
    db.execute("UPDATE events SET occurred_on = '2026-09-15' WHERE kind = 'drafted'")
    assert [e["kind"] for e in requests.events(db, request_id)] == ["drafted", "filed"]
    assert [e["kind"] for e in lifecycle.ordered(requests.events(db, request_id)[::-1])] == ["drafted", "filed"]


def test_same_kind_same_day_event_needs_confirming(db, agency_id):
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-09-01")
    requests.add_event(db, request_id, "acknowledged", "2026-09-08")
    with pytest.raises(requests.DuplicateEvent) as e:
        requests.add_event(db, request_id, "acknowledged", "2026-09-08")
    assert isinstance(e.value, errors.Conflict)
    assert "already has an Acknowledged event on Tue 8 Sep 2026" in str(e.value)
    assert len(requests.events(db, request_id)) == 2
    requests.add_event(db, request_id, "acknowledged", "2026-09-09")  # another day is fine
    requests.add_event(db, request_id, "acknowledged", "2026-09-08", confirm_duplicate=True)
    requests.add_event(db, request_id, "note", "2026-09-08", note="one")
    requests.add_event(db, request_id, "note", "2026-09-08", note="two")  # notes never count as duplicates
    assert [e["kind"] for e in requests.events(db, request_id)].count("acknowledged") == 3


@pytest.mark.parametrize("a, b, similar", [
    ("Ring MOU", "Ring MOU", True),
    ("Ring MOU and communications", "Ring MOU & communications 2026", True),
    ("Ring partnership agreement", "Ring Neighbors partnership agreement", True),
    ("Records of the Ring partnership", "Ring partnership", True),
    ("Amazon Ring MOU", "Ring MOU (Amazon)", True),
    ("Ring partnershp agreemnt", "Ring partnership agreement", True),  # typos
    ("Ring MOU", "Flock Safety camera contracts", False),
    ("Ring MOU", "Body camera policy", False),
    ("Ring video requests 2025", "Use of force reports 2025", False),
    ("Flock camera contracts", "Flock camera audit logs", False),
    ("Public records request", "Ring MOU", False),
])
def test_similar_titles(a, b, similar):
    assert requests.similar_titles(a, b) is similar
    assert requests.similar_titles(b, a) is similar


def test_similar_open_requests_of_the_agency(db, agency_id):
    other = agencies.upsert(db, {"name": "Aurora Police Department", "state": "CO", "city": "Aurora"})[0]
    filed = requests.create_request(db, agency_id=agency_id, title="Ring MOU and e-mails", filed_on="2026-09-08")
    requests.create_request(db, agency_id=other, title="Ring MOU and e-mails")  # another agency
    closed = requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-09-01")
    requests.add_event(db, closed, "withdrawn", "2026-09-02")  # not open
    [match] = requests.similar_open(db, agency_id, "Ring MOU")
    assert match["id"] == filed and match["since_words"] == "filed Tue 8 Sep 2026"
    assert requests.similar_open(db, agency_id, "Body camera policy") == []
    # Opt-in: without the check a similar request is made (the API and campaigns work as before).
    requests.create_request(db, agency_id=agency_id, title="Ring MOU")
    with pytest.raises(requests.SimilarRequest) as e:
        requests.create(db, agency_id=agency_id, title="The Ring MOU", check_similar=True, submission_key="s1")
    assert str(e.value) == "Springfield Police Department already has an open request “Ring MOU” (drafted Tue 15 Sep 2026)."
    assert [m["id"] for m in e.value.matches][-1] == filed
    made = requests.create(db, agency_id=agency_id, title="The Ring MOU", check_similar=False, submission_key="s1")
    again = requests.create(db, agency_id=agency_id, title="The Ring MOU", check_similar=True, submission_key="s1")
    assert made.created and again == (made.id, False)  # the key lands on the request before any check
    # The identical form sent again with another key (a second tab, retyped after Back) lands on it too.
    assert requests.create(db, agency_id=agency_id, title="The Ring MOU", check_similar=True) == (made.id, False)
    clock.set_now("2026-09-15T11:00:00")  # an hour later it is a new request (after asking)
    with pytest.raises(requests.SimilarRequest):
        requests.create(db, agency_id=agency_id, title="The Ring MOU", check_similar=True)


@pytest.mark.parametrize("status, timeline, today, expected, urgent", [
    ("draft", [], "2026-09-15", "File the request", False),
    ("filed", [("filed", "2026-09-14")], "2026-09-15", "Wait for the agency: due ", False),
    ("filed", [("filed", "2026-08-01")], "2026-09-15", "Send a follow-up: the answer was due ", True),
    ("denied", [("filed", "2026-09-01"), ("denied", "2026-09-10")], "2026-09-15", "Appeal by ", False),
    ("awaiting_clarification", [("filed", "2026-09-01"), ("clarification_requested", "2026-09-10")], "2026-09-15",
     "Answer the agency's question", True),
    ("withdrawn", [("filed", "2026-09-01"), ("withdrawn", "2026-09-10")], "2026-09-15", "Nothing to do", False),
])
def test_next_action(db, agency_id, status, timeline, today, expected, urgent):
    import datetime as dt

    from foia import deadlines

    request_id = requests.create_request(db, agency_id=agency_id, title="Ring MOU")
    for kind, on in timeline:
        requests.add_event(db, request_id, kind, on)
    assert requests.get(db, request_id)["status"] == status
    day = dt.date.fromisoformat(today)
    dates = deadlines.for_request(db, request_id, today=day, settings=deadlines.load_settings(db, {}))
    action = requests.next_action(status, dates, day)
    assert action.text.startswith(expected) and action.urgent is urgent
    assert not re.search(r"\d{4}-\d\d-\d\d", action.text)  # dates in words
