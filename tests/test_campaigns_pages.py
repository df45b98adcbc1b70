"""Campaigns, issue 14: the preview before creating, the campaign's request list with filters, the
bulk actions (mark filed, letters, e-mail over a real SMTP server on loopback, CSV), cancelling a
letter run, the opt-in public page, and the streamed letters ZIP. Real SQLite, real pages."""
import csv
import datetime as dt
import html
import io
import zipfile

import pytest
import test_reminders

from foia import accounts, agencies, campaign_send, campaigns, documents, jobs, letters, requests
from foia.errors import Conflict, Invalid, NotFound

smtp = test_reminders.smtp

REQUESTER = {"name": "Jane Doe", "address": "1 Press Row\nPhiladelphia, PA 19103", "email": "jane@example.org",
             "residence": "PA"}


@pytest.fixture
def pdb(db):
    """Six agencies: Pennsylvania (US residents may ask), Tennessee and Kentucky (state residents only);
    four with an e-mail address, one with a portal only, one by post only."""
    letters.save_requester(db, REQUESTER)
    rows = [
        ("Ardmore Police Department", "PA", "records@ardmore.example", ""),
        ("Bristol Police Department", "PA", "rtk@bristol.example", ""),
        ("Clarksville Police Department", "TN", "records@clarksville.example", ""),
        ("Dover Police Department", "TN", "", "https://dover.example/records"),
        ("Erlanger Police Department", "KY", "open@erlanger.example", ""),
        ("Frankfort Police Department", "KY", "", ""),
    ]
    ids = []
    for name, state, email, portal in rows:
        agency_id, _ = agencies.upsert(db, {"name": name, "state": state, "kind": "police", "records_email": email,
                                            "portal_url": portal, "mailing_address": "1 Main St"})
        ids.append(agency_id)
    db.ids = ids
    return db


def made(db, states=("PA", "TN", "KY"), **kwargs):
    """A campaign with its requests created as its letter run creates them (no letters)."""
    campaign_id = campaigns.create(db, name=kwargs.pop("name", "Ring partnership records"), template="ring-partnership",
                                   states=list(states), **kwargs)
    for agency_id in campaigns.get(db, campaign_id)["selection"]["agency_ids"]:
        requests.create_request(db, agency_id=agency_id, title="Ring partnership records", campaign_id=campaign_id,
                                template="ring-partnership")
    return campaign_id


def ids_of(db, campaign_id):
    return [r[0] for r in db.execute("SELECT id FROM requests WHERE campaign_id = ? ORDER BY id", [campaign_id])]


# --- preview ----------------------------------------------------------------------------------------


def test_preview_counts_the_requests_the_ways_they_go_the_states_and_residency(pdb):
    plan = campaigns.preview(pdb, name="Ring partnership records", template="ring-partnership",
                             states=["pa", "TN", "KY"])
    assert plan["summary"] == "This will create 6 requests: 4 with e-mail, 2 portal or mail only."
    assert (plan["total"], plan["with_email"], plan["portal"], plan["mail_only"]) == (6, 4, 1, 1)
    assert plan["states"] == [{"state": "KY", "state_name": "Kentucky", "agencies": 2},
                              {"state": "PA", "state_name": "Pennsylvania", "agencies": 2},
                              {"state": "TN", "state_name": "Tennessee", "agencies": 2}]
    # A Pennsylvania requester is a United States resident (Pennsylvania's rule), not a Kentucky or
    # Tennessee one: those two laws let only their own residents ask.
    warned = {w["state"]: w for w in plan["residency"]}
    assert set(warned) == {"KY", "TN"}
    assert warned["TN"]["message"].startswith("Tennessee: only residents of Tennessee may request under its law, "
                                              "and the requester lives in Pennsylvania. 2 requests may be refused")
    assert plan["described"] == "Agencies in Pennsylvania, Tennessee and Kentucky"
    shipped = next(t for t in letters.list_templates() if t["name"] == "ring-partnership")
    assert plan["template_title"] == (shipped.get("title") or "Ring partnership") != "ring-partnership"
    assert pdb.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0  # nothing stored

    letters.save_requester(pdb, {**REQUESTER, "residence": "TN"})
    plan = campaigns.preview(pdb, name="x", template="ring-partnership", states=["TN", "KY", "PA"])
    assert [w["state"] for w in plan["residency"]] == ["KY"]
    letters.save_requester(pdb, {**REQUESTER, "residence": ""})
    plan = campaigns.preview(pdb, name="x", template="ring-partnership", states=["PA"])
    assert "do not say where the requester lives" in plan["residency"][0]["message"]


def test_preview_reports_every_problem_at_once(pdb):
    with pytest.raises(Invalid) as raised:
        campaigns.preview(pdb, name=" ", template="nope", states=["ZZ", "QQ"], options={"categories": []})
    assert set(raised.value.errors) == {"name", "template", "states", "categories"}
    assert raised.value.errors["states"] == "Unknown states: ZZ, QQ."
    with pytest.raises(Invalid) as raised:
        campaigns.preview(pdb, name="x", template="ring-partnership", pasted="Nowhere PD")
    assert raised.value.errors == {"pasted": "Pasted list: 'Nowhere PD' matches no agency."}


def test_agencies_with_an_open_request_are_named_or_left_out(pdb):
    other = requests.create_request(pdb, agency_id=pdb.ids[0], title="Ring agreement", filed_on="2026-09-01")
    plan = campaigns.preview(pdb, name="x", template="ring-partnership", states=["PA"])
    assert plan["total"] == 2 and plan["second_request_count"] == 1
    assert plan["second_request"][0]["request_id"] == other
    plan = campaigns.preview(pdb, name="x", template="ring-partnership", states=["PA"], skip_open=True)
    assert plan["total"] == 1 and plan["left_out_count"] == 1 and plan["second_request_count"] == 0
    assert plan["summary"] == "This will create 1 request, all with e-mail."
    campaign_id = campaigns.create(pdb, name="x", template="ring-partnership", states=["PA"], skip_open=True)
    selection = campaigns.get(pdb, campaign_id)["selection"]
    assert selection["agency_ids"] == [pdb.ids[1]] and selection["left_out"] == [pdb.ids[0]]
    assert campaigns.describe_selection(selection) == (
        "Agencies in Pennsylvania, leaving out agencies that already had an open request")
    # Every agency already asked: nothing to create.
    requests.create_request(pdb, agency_id=pdb.ids[1], title="Ring agreement")
    with pytest.raises(Invalid, match="already has an open request"):
        campaigns.preview(pdb, name="x", template="ring-partnership", states=["PA"], skip_open=True)


def test_selection_in_words():
    assert campaigns.describe_selection({"states": ["IL"], "kind": "sheriff", "ring_partners": True}) == (
        "Sheriff's offices in Illinois with a known Ring partnership")
    assert campaigns.describe_selection({"pasted": ["a", "b", "c", "d"]}) == "4 agencies named in a list"
    assert campaigns.describe_selection({"states": ["IL", "PA"], "pasted": ["a"]}) == (
        "Agencies in Illinois and Pennsylvania, and 1 agency named in a list")


# --- the campaign's requests ------------------------------------------------------------------------


def test_request_list_filters_and_pages(pdb):
    campaign_id = made(pdb)
    listing = campaigns.campaign_requests(pdb, campaign_id)
    assert listing["total"] == 6 and listing["pages"] == 1
    assert [r["agency_state"] for r in listing["rows"]] == ["KY", "KY", "PA", "PA", "TN", "TN"]
    assert {r["status_label"] for r in listing["rows"]} == {"Draft"}
    assert listing["states"] == ["KY", "PA", "TN"] and listing["status_counts"] == {"draft": 6}
    assert campaigns.campaign_requests(pdb, campaign_id, state="tn")["total"] == 2
    first = ids_of(pdb, campaign_id)[0]
    requests.add_event(pdb, first, "filed", "2026-08-01", data={"method": "email"})
    assert campaigns.campaign_requests(pdb, campaign_id, status="filed")["total"] == 1
    assert campaigns.campaign_requests(pdb, campaign_id, status="open")["total"] == 1
    overdue = campaigns.campaign_requests(pdb, campaign_id, overdue=True, today=dt.date(2026, 12, 1))
    assert [r["id"] for r in overdue["rows"]] == [first] and overdue["rows"][0]["overdue"]
    assert overdue["rows"][0]["filed_on"] == "2026-08-01"
    assert campaigns.campaign_requests(pdb, campaign_id, overdue=True, today=dt.date(2026, 8, 2))["total"] == 0
    paged = campaigns.campaign_requests(pdb, campaign_id, page=2, per_page=4)
    assert (paged["page"], paged["pages"], len(paged["rows"])) == (2, 2, 2)
    assert campaigns.campaign_requests(pdb, campaign_id, page=9, per_page=4)["page"] == 2
    with pytest.raises(Invalid):
        campaigns.campaign_requests(pdb, campaign_id, status="bogus")
    with pytest.raises(NotFound):
        campaigns.campaign_requests(pdb, 999)


def test_selected_requests_belong_to_the_campaign(pdb):
    campaign_id = made(pdb)
    other = made(pdb, states=["PA"], name="Another")
    mine, theirs = ids_of(pdb, campaign_id), ids_of(pdb, other)
    chosen = [str(mine[1]), "x", str(theirs[0]), "-3", "9" * 19, "\u00b2", "1" * 40]
    assert campaigns.selected_requests(pdb, campaign_id, chosen) == [mine[1]]
    assert campaigns.selected_requests(pdb, campaign_id, all_matching=True, state="KY") == mine[:2]
    with pytest.raises(Invalid, match="Tick at least one request"):
        campaigns.selected_requests(pdb, campaign_id, [str(theirs[0])])


def test_mark_filed_files_the_drafts_once_and_reports_it(pdb):
    campaign_id = made(pdb)
    ids = ids_of(pdb, campaign_id)
    requests.add_event(pdb, ids[0], "filed", "2026-09-01", data={"method": "portal"})
    result = campaigns.mark_filed(pdb, campaign_id, ids[:3], "2026-09-14", batch="k1")
    assert (result["filed"], result["already"], result["refused"]) == (2, 1, [])
    assert campaigns.filed_report(result) == "Marked 2 requests filed on Mon 14 Sep 2026; 1 was already filed."
    for request_id in ids[1:3]:
        filed = [e for e in requests.events(pdb, request_id) if e["kind"] == "filed"]
        assert [(e["occurred_on"], e["data"]["method"]) for e in filed] == [("2026-09-14", "email")]
        assert requests.get(pdb, request_id)["status"] == "filed"
        assert requests.get(pdb, request_id)["due_on"]  # the deadline follows the filing date
    # The same batch again (a resubmitted form): the same report, nothing filed twice.
    again = campaigns.mark_filed(pdb, campaign_id, ids[:3], "2026-09-14", batch="k1")
    assert (again["filed"], again["already"]) == (2, 1)
    assert pdb.execute("SELECT count(*) FROM events WHERE kind = 'filed'").fetchone()[0] == 3
    with pytest.raises(Invalid, match="in the future"):
        campaigns.check_filed_on("2026-09-16")
    assert [r["action"] for r in pdb.query(
        "SELECT action FROM audit_log WHERE action = 'campaign.mark_filed'")] == ["campaign.mark_filed"] * 2


def test_mark_filed_on_many_requests_is_a_resumable_job(app, client, pdb):
    campaign_id = made(pdb)
    ids = ids_of(pdb, campaign_id)
    job_id = campaigns.start_mark_filed(pdb, campaign_id, ids, "2026-09-10", batch="big")
    assert "Marking requests filed in the background: 0 of 6 done." in text(client.get(f"/campaigns/{campaign_id}"))
    assert campaigns.start_mark_filed(pdb, campaign_id, ids, "2026-09-10", batch="big") == job_id  # one live job
    # A first runner filed two before it died: the job's run does the rest only.
    campaigns.mark_filed(pdb, campaign_id, ids[:2], "2026-09-10", batch="big")
    outcome = jobs.run_one(app.extensions["foia"], job_id)
    assert outcome.state == "done"
    result = jobs.get(pdb, job_id)["result"]
    assert (result["filed"], result["already"]) == (6, 0)
    assert result["report"] == "Marked 6 requests filed on Thu 10 Sep 2026."
    assert pdb.execute("SELECT count(*) FROM events WHERE kind = 'filed'").fetchone()[0] == 6
    assert campaigns.latest_filed_job(pdb, campaign_id)["id"] == job_id
    page = text(client.get(f"/campaigns/{campaign_id}"))
    assert "Marked 6 requests filed on Thu 10 Sep 2026." in page
    assert f'href="/insights/campaigns/{campaign_id}"' in page  # its map of the states


def test_csv_rows_of_the_chosen_or_matching_requests(pdb):
    campaign_id = made(pdb)
    ids = ids_of(pdb, campaign_id)
    rows = list(campaigns.csv_rows(pdb, campaign_id))
    assert rows[0] == list(campaigns.CSV_COLUMNS) and len(rows) == 7
    assert rows[1][1:4] == ["Erlanger Police Department", "KY", "Draft"]
    assert [r[0] for r in campaigns.csv_rows(pdb, campaign_id, [ids[2]])][1:] == [ids[2]]
    assert len(list(campaigns.csv_rows(pdb, campaign_id, state="PA"))) == 3


def test_cancel_stops_the_letter_run_and_keeps_what_was_made(pdb):
    campaign_id = made(pdb)
    with pytest.raises(Conflict, match="nothing to cancel"):
        campaigns.cancel(pdb, campaign_id)
    job_id = campaigns.start(pdb, campaign_id)
    campaigns.cancel(pdb, campaign_id)
    assert jobs.get(pdb, job_id)["state"] == "cancelled"
    assert campaigns.progress(pdb, campaign_id)["status_label"] == "Cancelled"
    assert len(ids_of(pdb, campaign_id)) == 6
    assert campaigns.start(pdb, campaign_id) != job_id  # can be run again


def test_public_page_shows_only_what_is_public(app, pdb):
    campaign_id = made(pdb)
    ids = ids_of(pdb, campaign_id)
    requests.update(pdb, ids[0], {"description": "Private note: our source at the department"})
    with pytest.raises(NotFound):
        campaigns.public_view(pdb, campaign_id)
    campaigns.set_public(pdb, campaign_id, True, actor=None)
    store = app.extensions["foia"].store
    shown = documents.add_document(pdb, store, ids[0], io.BytesIO(b"%PDF-1.4 released agreement"), "agreement.pdf",
                                   title="Ring agreement", received_on="2026-09-10", defer=True)
    hidden = documents.add_document(pdb, store, ids[1], io.BytesIO(b"not yet published"), "draft.txt",
                                    title="Unpublished", received_on="2026-09-11", defer=True)
    documents.publish(pdb, shown.id)
    view = campaigns.public_view(pdb, campaign_id)
    assert view["name"] == "Ring partnership records" and view["total"] == 6
    assert [d["id"] for d in view["documents"]] == [shown.id] and hidden.id
    assert set(view["agencies"][0]) == {"agency_name", "agency_state", "state_name", "status", "status_label",
                                        "filed_on", "due_on", "overdue"}
    shown_text = repr(view)
    assert "records@" not in shown_text and "Jane Doe" not in shown_text and "Private note" not in shown_text
    actions = [r["action"] for r in pdb.query("SELECT action FROM audit_log WHERE object_type = 'campaign'")]
    assert "campaign.publish" in actions
    campaigns.set_public(pdb, campaign_id, False)
    with pytest.raises(NotFound):
        campaigns.public_view(pdb, campaign_id)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- the web pages ----------------------------------------------------------------------------------


FORM = {"name": "Ring partnership records", "template": "ring-partnership", "states": ["PA", "TN", "KY"],
        "options_form": "1", "categories": ["agreement", "communications"], "form_key": "key-1"}


def test_new_campaign_previews_then_creates_once(app, client, pdb):
    preview = client.post("/campaigns/new", data=FORM)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "This will create 6 requests: 4 with e-mail, 2 portal or mail only." in page
    assert "Tennessee: only residents of Tennessee may request" in page
    assert 'name="form_key" value="key-1"' in page and 'value="create"' in page
    assert 'name="states" value="KY"' in page  # the choices travel as hidden fields
    assert pdb.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 0
    edit = client.post("/campaigns/new", data={**FORM, "step": "edit"})
    assert edit.status_code == 200 and 'value="Ring partnership records"' in edit.get_data(as_text=True)
    first = client.post("/campaigns/new", data={**FORM, "step": "create"})
    second = client.post("/campaigns/new", data={**FORM, "step": "create"})  # Back, then submit again
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert pdb.execute("SELECT count(*) FROM campaigns").fetchone()[0] == 1
    assert len(jobs.listing(pdb, kind="campaign.letters")) == 1
    landed = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This campaign was already created; here it is." in landed
    assert "Agencies in Pennsylvania, Tennessee and Kentucky" in landed and "Pasted" not in landed


def test_new_campaign_errors_beside_their_fields(client, pdb):
    response = client.post("/campaigns/new", data={**FORM, "name": "", "states": ["ZZ"], "categories": []})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please correct the 3 problems marked below." in page
    for field in ("name", "states", "categories"):
        assert f'id="{field}-error"' in page


def test_bulk_mark_filed_is_confirmed_and_reported(client, pdb):
    campaign_id = made(pdb)
    ids = ids_of(pdb, campaign_id)
    form = {"action": "filed", "ids": [str(ids[0]), str(ids[2])], "filed_on": "2026-09-14", "form_key": "b1"}
    asked = client.post(f"/campaigns/{campaign_id}/bulk", data=form)
    assert asked.status_code == 200 and "Mark 2 requests filed on Mon 14 Sep 2026?" in text(asked)
    assert pdb.execute("SELECT count(*) FROM events WHERE kind = 'filed'").fetchone()[0] == 0
    done = client.post(f"/campaigns/{campaign_id}/bulk", data={**form, "confirm": "yes"}, follow_redirects=True)
    assert "Marked 2 requests filed on Mon 14 Sep 2026." in text(done)
    again = client.post(f"/campaigns/{campaign_id}/bulk", data={**form, "confirm": "yes"}, follow_redirects=True)
    assert "Marked 2 requests filed on Mon 14 Sep 2026." in text(again)
    assert pdb.execute("SELECT count(*) FROM events WHERE kind = 'filed'").fetchone()[0] == 2
    everything = text(client.post(f"/campaigns/{campaign_id}/bulk", data={
        "action": "filed", "all": "1", "state": "PA", "filed_on": "2026-09-14", "form_key": "b2", "confirm": "yes"},
        follow_redirects=True))
    assert "Marked 1 request filed on Mon 14 Sep 2026; 1 was already filed." in everything
    nothing = client.post(f"/campaigns/{campaign_id}/bulk", data={"action": "filed"}, follow_redirects=True)
    assert "Tick at least one request" in nothing.get_data(as_text=True)


def test_campaign_page_without_mail_does_not_offer_e_mail_and_exports_csv(client, pdb):
    campaign_id = made(pdb)
    page = client.get(f"/campaigns/{campaign_id}?state=TN").get_data(as_text=True)
    assert "Clarksville Police Department" in page and "Ardmore Police Department" not in page
    assert 'value="email"' not in page and "E-mail is not set up" in page
    refused = client.post(f"/campaigns/{campaign_id}/bulk", data={"action": "email", "all": "1", "confirm": "yes"},
                          follow_redirects=True)
    assert "E-mail is not set up" in refused.get_data(as_text=True)
    exported = client.get(f"/campaigns/{campaign_id}/requests.csv?state=KY")
    assert exported.mimetype == "text/csv" and exported.is_streamed
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][1] == "agency" and [r[1] for r in rows[1:]] == ["Erlanger Police Department",
                                                                  "Frankfort Police Department"]


def test_bulk_e_mail_sends_over_smtp_and_files_the_requests(app, client, pdb, smtp):
    campaign_id = made(pdb, states=["PA", "TN"])
    ids = ids_of(pdb, campaign_id)
    config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_SECURITY": "",
              "MAIL_FROM": "records@group.example", "MAIL_REPLY_ADDRESS": "records@group.example"}
    instance = app.extensions["foia"]
    instance.config.update(config)
    requests.add_event(pdb, ids[0], "filed", "2026-09-01", data={"method": "portal"})
    page = text(client.get(f"/campaigns/{campaign_id}"))
    assert 'value="email"' in page and "E-mail is not set up" not in page
    form = {"action": "email", "ids": [str(i) for i in ids]}
    asked = text(client.post(f"/campaigns/{campaign_id}/bulk", data=form))
    # Ardmore is filed already; Dover (TN) has a portal only.
    assert "Send 4 requests by e-mail?" in asked
    assert "2 letters go by e-mail" in asked and "1 was already filed or sent and is left out." in asked
    assert "1 agency has no working e-mail address" in asked
    assert jobs.listing(pdb, kind="mail.send") == []
    sent = text(client.post(f"/campaigns/{campaign_id}/bulk", data={**form, "confirm": "yes"}, follow_redirects=True))
    assert "Sending 2 requests by e-mail; 1 was already filed or sent; 1 needs the portal or the post." in sent
    outcomes = jobs.run_once(instance)
    assert [o.state for o in outcomes] == ["done", "done"]
    assert sorted(r for rcpt, _ in smtp.messages for r in rcpt) == ["records@clarksville.example",
                                                                     "rtk@bristol.example"]
    assert [requests.get(pdb, i)["status"] for i in ids] == ["filed", "filed", "filed", "draft"]
    again = campaign_send.queue(pdb, campaign_id, ids, instance.config)
    assert (again["queued"], again["already"], again["other_way"]) == (0, 3, ["Dover Police Department (TN)"])
    with pytest.raises(Conflict, match="E-mail is not set up"):
        campaign_send.queue(pdb, campaign_id, ids, {})


def test_cancel_and_public_toggle_are_confirmed(app, client, pdb):
    campaign_id = made(pdb)
    client.post(f"/campaigns/{campaign_id}/run")
    asked = client.post(f"/campaigns/{campaign_id}/cancel")
    assert "Stop making this campaign's letters?" in text(asked)
    assert campaigns.progress(pdb, campaign_id)["status"] == "queued"
    client.post(f"/campaigns/{campaign_id}/cancel", data={"confirm": "yes"})
    assert campaigns.progress(pdb, campaign_id)["status"] == "cancelled"

    asked = client.post(f"/campaigns/{campaign_id}/public", data={"public": "1"})
    assert "Show this campaign on a public page?" in text(asked)
    logged_out = app.test_client()
    assert logged_out.get(f"/public/campaigns/{campaign_id}").status_code == 404
    client.post(f"/campaigns/{campaign_id}/public", data={"public": "1", "confirm": "yes"})
    shown = logged_out.get(f"/public/campaigns/{campaign_id}")
    page = text(shown)
    assert shown.status_code == 200 and "Ring partnership records" in page and "Erlanger Police Department" in page
    assert "records@" not in page and "Jane Doe" not in page and "jane@example.org" not in page
    client.post(f"/campaigns/{campaign_id}/public", data={"public": "0", "confirm": "yes"})
    assert logged_out.get(f"/public/campaigns/{campaign_id}").status_code == 404


def test_viewers_see_no_forms(app, pdb):
    campaign_id = made(pdb)
    accounts.create_user(pdb, "viewer@example.org", "a long viewer password 42", "viewer")
    viewer = app.test_client()
    viewer.post("/login", data={"email": "viewer@example.org", "password": "a long viewer password 42"})
    page = viewer.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Erlanger Police Department" in page and "Export these as CSV" in page
    assert "<form method=\"post\"" not in page.split("<main", 1)[1]
    assert "New campaign" not in viewer.get("/campaigns/").get_data(as_text=True)


def test_letters_zip_is_streamed_one_letter_at_a_time(app, client, pdb):
    campaign_id = made(pdb, states=["PA"])
    store = app.extensions["foia"].store
    campaigns.run(pdb, campaign_id, files=store, workers=0)
    response = client.get(f"/campaigns/{campaign_id}/letters.zip")
    assert response.is_streamed and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert sorted(n.split("/")[0] for n in archive.namelist()) == ["docx", "docx", "pdf", "pdf"]
    assert archive.testzip() is None
    assert archive.read(next(n for n in archive.namelist() if n.startswith("pdf/"))).startswith(b"%PDF")
    assert client.get(f"/campaigns/{made(pdb, states=['TN'], name='Empty')}/letters.zip").status_code == 404


def test_hostile_bulk_input_is_refused_in_words(client, pdb):
    campaign_id = made(pdb, states=["PA"])
    big = "9" * 19
    page = text(client.post(f"/campaigns/{campaign_id}/bulk", data={"action": "filed", "ids": [big, "\u00b2"],
                                                                    "confirm": "yes"}, follow_redirects=True))
    assert "Tick at least one request" in page
    page = text(client.post(f"/campaigns/{campaign_id}/bulk", data={
        "action": "filed", "all": "1", "filed_on": "2026-13-45", "confirm": "yes"}, follow_redirects=True))
    assert "Filed on: “2026-13-45” is not a date" in page
    assert client.get(f"/campaigns/{campaign_id}/requests.csv?ids={big}").status_code == 422
    assert client.get(f"/campaigns/{campaign_id}?status=bogus&state=ZZ&page=x").status_code == 200
    assert pdb.execute("SELECT count(*) FROM events WHERE kind = 'filed'").fetchone()[0] == 0
