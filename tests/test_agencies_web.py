"""The agency pages over HTTP: every field error at once in words, one agency per form submission,
kinds and dates for people, the record with its chart, a bounced address, no forms for viewers."""
import io
import re

from foia import accounts, agencies, clock, requests
from foia.correspondence import store as mail_store

PASSWORD = "correct horse battery staple"


def test_every_problem_is_shown_beside_its_field_in_words(client, db):
    response = client.post("/agencies/new", data={
        "name": "", "state": "ZZ", "kind": "xyz", "records_email": "not-an-email", "portal_url": "ftp://x",
        "ring_partner_since": "soon"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field, words in (("name", "Enter the agency&#39;s name."),
                         ("records_email", "That e-mail address doesn&#39;t look right"),
                         ("state", "“ZZ” is not a state we know"),
                         ("portal_url", "That web address doesn&#39;t look right"),
                         ("ring_partner_since", "Enter the date as 2019-06-01 or June 2019")):
        assert re.search(rf'<span class="field-error" id="{field}-error">{re.escape(words)}', html), field
        assert f'aria-describedby="{field}-error' in html
    for programmer_words in ("name: empty", "records_email:", "'not-an-email'", "is not a date", ">state_police<"):
        assert programmer_words not in html
    assert "Please correct the fields marked below." in html
    assert db["agencies"].count == 0


def test_kinds_by_their_labels_and_a_month_for_the_partnership(client, db):
    form = client.get("/agencies/new").get_data(as_text=True)
    assert '<option value="state_police">State police</option>' in form
    assert ">state_police<" not in form
    response = client.post("/agencies/new", data={"name": "Troop B", "state": "NY", "kind": "state_police",
                                                  "ring_partner_since": "June 2019"})
    assert response.status_code == 302
    agency = agencies.find(db, "Troop B", "NY")
    assert agency["ring_partner_since"] == "2019-06"
    page = client.get(f"/agencies/{agency['id']}").get_data(as_text=True)
    assert '<time datetime="2019-06">June 2019</time>' in page and "State police" in page
    assert "New York" in page
    listing = client.get("/agencies/").get_data(as_text=True)
    assert "State police" in listing and ">state_police<" not in listing and "1 agency" in listing


def test_back_and_resubmit_gives_one_agency(client, db):
    form = {"name": "Lakeside Police Department", "state": "CA", "kind": "police", "form_key": "k-123"}
    first = client.post("/agencies/new", data=form)
    second = client.post("/agencies/new", data=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert db["agencies"].count == 1
    assert "This form was already sent" in client.get(second.headers["Location"]).get_data(as_text=True)
    # A fresh form for the same name and state still finds the one agency (matched by name and state).
    client.post("/agencies/new", data=dict(form, form_key="k-456", city="Lakeside"))
    assert db["agencies"].count == 1
    assert db.execute("SELECT submission_key FROM agencies").fetchone()[0] == "k-123"
    # The form carries a one-time key.
    keys = re.findall(r'name="form_key" value="([^"]+)"', client.get("/agencies/new").get_data(as_text=True))
    assert len(keys) == 1 and keys[0] not in ("k-123", "k-456")


def test_edit_form_reports_closed_days_and_a_taken_name(client, db):
    first, _ = agencies.upsert(db, {"name": "North PD", "state": "OR"})
    second, _ = agencies.upsert(db, {"name": "South PD", "state": "OR"})
    response = client.post(f"/agencies/{second}/edit", data={
        "name": "North PD", "state": "OR", "kind": "police", "closed_days": "2026-12-24 soon"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="closed_days-error">“soon” is not a date' in html
    assert 'value="2026-12-24 soon"' in html  # what was typed comes back
    response = client.post(f"/agencies/{second}/edit", data={"name": "North PD", "state": "OR", "kind": "police"})
    assert 'id="name-error">Another agency in that state already has this name' in response.get_data(as_text=True)
    client.post(f"/agencies/{second}/edit", data={"name": "South PD", "state": "OR", "kind": "police",
                                                  "closed_days": "2026-12-24"})
    page = client.get(f"/agencies/{second}").get_data(as_text=True)
    assert '<time datetime="2026-12-24">Thu 24 Dec 2026</time>' in page


def test_import_reports_each_row_in_words(client, db):
    data = {"file": (io.BytesIO(b"Name,State,Email,Kind\nOne PD,CA,,\nTwo PD,QQ,not-an-email,\n"
                                b",CA,,\nThree PD,CA,,state_police\n"), "a.csv")}
    html = client.post("/agencies/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "2 imported" in html and "2 rejected" in html and "2 lines not imported" in html
    assert "State: “QQ” is not a state we know" in html
    assert "Records e-mail: That e-mail address doesn&#39;t look right" in html
    assert "Name: Enter the agency&#39;s name." in html
    assert agencies.find(db, "Three PD", "CA")["kind"] == "state_police"


def test_agency_page_record_chart_and_bounce(client, db):
    agency_id, _ = agencies.upsert(db, {"name": "Bounce PD", "state": "CA", "records_email": "records@bounce.example"})
    requests.create_request(db, agency_id=agency_id, title="Ring MOU", filed_on="2026-08-01")
    clock.set_now("2026-09-01T08:00:00")
    mail_store.flag_broken(db, "Records@bounce.example", None, "550 no such user")
    clock.set_now("2026-09-08T09:30:00")
    mail_store.flag_broken(db, "records@bounce.example", None, "550 no such user")
    assert mail_store.broken(db, "records@bounce.example")
    html = client.get(f"/agencies/{agency_id}").get_data(as_text=True)
    assert re.search(r'Mail to records@bounce.example bounced on <time datetime="2026-09-08[^"]*">Tue 8 Sep 2026</time>',
                     html)
    assert "2 times in all" in html
    assert 'role="img"' in html and "Where Bounce PD&#39;s requests stand" in html
    assert "1 request" in html


def test_viewers_see_no_agency_forms(app, db):
    accounts.create_user(db, "viewer@example.org", PASSWORD, "viewer")
    agency_id, _ = agencies.upsert(db, {"name": "Read PD", "state": "CA"})
    viewer = app.test_client()
    viewer.post("/login", data={"email": "viewer@example.org", "password": PASSWORD})
    for path in ("/agencies/", f"/agencies/{agency_id}", "/agencies/new", f"/agencies/{agency_id}/edit",
                 "/agencies/import"):
        html = viewer.get(path).get_data(as_text=True)
        main = html.split("<main", 1)[-1]
        assert 'method="post"' not in main, path
        assert "Add an agency</a>" not in main and "Edit the agency" not in main, path
