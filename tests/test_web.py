"""Pages render with demo data; bad input is answered clearly; user text is inert."""
import re


from foia import agencies, requests

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_page_renders_with_demo_data(demo, client, db):
    pages = ["/", "/requests/", "/requests/?status=open", "/requests/?state=CA&sort=due", "/agencies/",
             "/agencies/?q=police&state=FL", "/requests/new", "/agencies/new", "/agencies/import"]
    pages += [f"/requests/{r['id']}" for r in db.query("SELECT id FROM requests")]
    pages += [f"/requests/{r['id']}/edit" for r in db.query("SELECT id FROM requests LIMIT 2")]
    pages += [f"/agencies/{r['id']}" for r in db.query("SELECT id FROM agencies")]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert b"</html>" in response.data


def test_dashboard_counts(demo, client):
    html = client.get("/").get_data(as_text=True)
    assert "15 requests" in html
    assert "Recent activity" in html


def test_agency_page_shows_law(demo, client, db):
    agency = agencies.find(db, "Los Angeles Police Department", "CA")
    html = client.get(f"/agencies/{agency['id']}").get_data(as_text=True)
    assert "California Public Records Act" in html
    assert "within 10 calendar days" in html


def test_unknown_ids_are_404(client):
    for page in ("/requests/999", "/agencies/999", "/requests/999/edit"):
        response = client.get(page)
        assert response.status_code == 404
        assert b"No " in response.data
    assert client.post("/requests/999/events", data={"kind": "note"}).status_code == 404


def test_html_in_text_fields_is_inert(client, db):
    agency_id, _ = agencies.upsert(db, {"name": XSS, "state": "CA", "city": XSS})
    request_id = requests.create_request(db, agency_id=agency_id, title=XSS, description=XSS)
    requests.add_event(db, request_id, "note", note=XSS)
    for page in (f"/requests/{request_id}", "/requests/", f"/agencies/{agency_id}", "/agencies/", "/"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, page
        assert "&lt;script&gt;" in html, page


def test_new_request_field_errors(demo, client, db):
    before = db["requests"].count
    response = client.post("/requests/new", data={"agency_id": "", "title": "", "method": "email"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="agency_id-error"' in html or 'id="title-error"' in html
    response = client.post("/requests/new", data={"agency_id": "1", "title": "ok", "method": "email",
                                                  "filed_on": "2031-01-01"})
    assert "is in the future" in response.get_data(as_text=True)
    assert db["requests"].count == before


def test_new_request_double_submit(demo, client, db):
    before = db["requests"].count
    form = {"agency_id": "1", "title": "Ring MOU", "method": "email", "filed_on": "2026-09-10",
            "form_key": "abc123"}
    first = client.post("/requests/new", data=form)
    second = client.post("/requests/new", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db["requests"].count == before + 1


def test_add_event_and_refusal(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    response = client.post(f"/requests/{request_id}/events", data={"kind": "acknowledged", "occurred_on": "2026-09-02"})
    assert response.status_code == 303
    response = client.post(f"/requests/{request_id}/events", data={"kind": "filed", "occurred_on": "2026-09-03"})
    assert response.status_code == 400
    assert "cannot be filed twice" in response.get_data(as_text=True)
    response = client.post(f"/requests/{request_id}/events", data={"kind": "note", "occurred_on": "2026-02-31"})
    assert "is not a date" in response.get_data(as_text=True)
    assert [e["kind"] for e in requests.events(db, request_id)] == ["filed", "acknowledged"]


def test_pagination(client, db):
    agency_id, _ = agencies.upsert(db, {"name": "Big PD", "state": "CA"})
    for n in range(120):
        requests.create_request(db, agency_id=agency_id, title=f"Request {n}")
    html = client.get("/requests/?page=2").get_data(as_text=True)
    assert "Page 2 of 3" in html
    assert len(re.findall(r'href="/requests/\d+"', html)) == 50
    assert client.get("/requests/?page=abc").status_code == 200


def test_agency_form_and_import(client, db):
    response = client.post("/agencies/new", data={"name": "", "state": "CA"})
    assert response.status_code == 400 and "Enter the agency&#39;s name." in response.get_data(as_text=True)
    response = client.post("/agencies/new", data={"name": "New PD", "state": "ZZ"})
    assert "“ZZ” is not a state we know" in response.get_data(as_text=True)
    from io import BytesIO

    data = {"file": (BytesIO(b"Name,State\nOne PD,CA\nTwo PD,QQ\n"), "a.csv")}
    html = client.post("/agencies/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "1 imported" in html and "1 rejected" in html and "QQ" in html


def test_oversize_field_is_refused(demo, client, db):
    response = client.post("/requests/new", data={"agency_id": "1", "title": "x" * 5000, "method": "email"})
    assert response.status_code == 400 and "the limit is 300" in response.get_data(as_text=True)


def test_proxy_fix_trusts_forwarded_address(instance):
    from flask import request as flask_request

    from foia import create_app

    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "PROXY_FIX": 1})
    seen = {}
    app.before_request(lambda: seen.setdefault("ip", flask_request.remote_addr))
    app.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen["ip"] == "203.0.113.9"


def test_delete_event_checks_the_request_in_the_url(demo, client, db):
    first = requests.create_request(db, agency_id=1, title="a", filed_on="2026-09-01")
    second = requests.create_request(db, agency_id=1, title="b", filed_on="2026-09-01")
    note = requests.add_event(db, second, "note", "2026-09-02", note="keep me")
    response = client.post(f"/requests/{first}/events/{note}/delete")
    assert response.status_code == 404
    assert len(requests.events(db, second)) == 2


def test_extension_days_form_error(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    response = client.post(f"/requests/{request_id}/events",
                           data={"kind": "extension_claimed", "occurred_on": "2026-09-02", "days": "9999"})
    assert response.status_code == 400 and "from 1 to 365" in response.get_data(as_text=True)


def test_estimated_completion_date_is_recorded_and_checked(demo, client, db):
    request_id = requests.create_request(db, agency_id=1, title="t", filed_on="2026-09-01")
    response = client.post(f"/requests/{request_id}/events",
                           data={"kind": "acknowledged", "occurred_on": "2026-09-02", "estimated_date": "2026-10-30"})
    assert response.status_code == 303
    assert requests.events(db, request_id)[-1]["data"] == {"estimated_date": "2026-10-30"}
    assert 'estimated completion <time datetime="2026-10-30">Fri 30 Oct 2026</time>' in client.get(f"/requests/{request_id}").get_data(as_text=True)
    response = client.post(f"/requests/{request_id}/events",
                           data={"kind": "acknowledged", "occurred_on": "2026-09-03", "estimated_date": "soon"})
    assert response.status_code == 400 and "is not a date" in response.get_data(as_text=True)
