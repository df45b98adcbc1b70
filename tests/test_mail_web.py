"""The mail pages: review queue, a message with its suggested event, the request's conversation."""
import pytest
from mail_fixtures import tiny_pdf
from mail_helpers import AGENCY_EMAIL, message, setup
import test_reminders

from foia import create_app, requests
from foia.correspondence import ingest, store, tokens
from foia.web import correspondence

smtp = test_reminders.smtp


@pytest.fixture
def app(instance):
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "MAIL_REPLY_ADDRESS": "records@group.example"})
    if "correspondence" not in app.blueprints:  # until foia.web lists it in BLUEPRINTS
        app.register_blueprint(correspondence.bp)
        app.extensions["foia.sections"]["request"].append(correspondence.REQUEST_SECTION)
        app.extensions["foia.sections"]["dashboard"].append(correspondence.DASHBOARD_SECTION)
    return app


@pytest.fixture
def mail(app, db):
    files, agency_id, request_id, token = setup(app, db)
    return {"store": files, "request_id": request_id, "token": token, "db": db, "config": app.config}


def file(mail, raw):
    return ingest.ingest(mail["db"], mail["store"], raw, config=mail["config"])


def test_a_filed_reply_on_the_request_page_and_its_confirmation(client, mail):
    reply_to = tokens.reply_address("records@group.example", mail["token"])
    result = file(mail, message(to=reply_to, body="Ms. Rivera,\n\nWe are extending the time to respond by "
                                                  "10 business days.\n\nRegards,\nRecords",
                                attachments=[("notice.pdf", tiny_pdf("Notice of extension"), "application/pdf")]))
    page = client.get(f"/requests/{mail['request_id']}").get_data(as_text=True)
    assert 'id="conversation"' in page and "Extension claimed" in page and reply_to in page

    shown = client.get(f"/mail/{result.id}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "<mark>" in html and "extending the time to respond" in html
    assert 'name="days" value="10"' in html and "notice.pdf" in html
    before = requests.get(mail["db"], mail["request_id"])["due_on"]
    response = client.post(f"/mail/{result.id}/confirm", data={"kind": "extension_claimed", "occurred_on": "2026-09-15",
                                                                "days": "10", "day_type": "business"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/requests/{mail['request_id']}#timeline")
    assert requests.get(mail["db"], mail["request_id"])["due_on"] > before
    again = client.post(f"/mail/{result.id}/confirm", data={"kind": "extension_claimed", "days": "10"})
    assert again.status_code == 400 and "already been recorded" in again.get_data(as_text=True)


def test_a_bad_edit_shows_the_problem_beside_its_field(client, mail):
    result = file(mail, message(to=tokens.reply_address("records@group.example", mail["token"]),
                                body="The estimated cost is $25.00; a deposit is required."))
    response = client.post(f"/mail/{result.id}/confirm", data={"kind": "fee_estimate", "occurred_on": "2026-09-15",
                                                                "amount": "lots"})
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    changed = client.post(f"/mail/{result.id}/confirm", data={"kind": "denied", "change_kind": "1"})
    assert 'name="exemptions"' in changed.get_data(as_text=True)


def test_review_queue_assign_and_discard(client, mail):
    stranger = file(mail, message(frm="Neighbor <n@example.net>", subject="Ring", body="Attached are the records.",
                                  attachments=[("log.pdf", tiny_pdf("Video request log"), "application/pdf")]))
    spam = file(mail, message(frm="spam@example.net", subject="Win", body="Prize", msgid="<spam@example.net>"))
    inbox = client.get("/mail/").get_data(as_text=True)
    assert "n@example.net" in inbox and "spam@example.net" in inbox and "No mailbox is set up" in inbox
    response = client.post(f"/mail/{stranger.id}/assign", data={"request_id": str(mail["request_id"])})
    assert response.status_code == 303
    assert store.get(mail["db"], stranger.id)["attachments"][0]["document_id"]
    assert client.post(f"/mail/{spam.id}/assign", data={"request_id": "99999"}).status_code == 400
    asked = client.post(f"/mail/{spam.id}/discard")  # a one-way action asks first
    assert asked.status_code == 200 and "Discard this message?" in asked.get_data(as_text=True)
    assert "spam@example.net" in client.get("/mail/").get_data(as_text=True)
    assert client.post(f"/mail/{spam.id}/discard", data={"confirm": "yes"}).status_code == 303
    assert "Nothing to review" in client.get("/mail/").get_data(as_text=True)


def test_html_mail_never_runs_or_fetches_anything(client, mail):
    raw = message(to=tokens.reply_address("records@group.example", mail["token"]), body="",
                  html="<p>The records are attached.</p><script>alert('owned')</script>"
                       "<img src='https://tracker.example/pixel.gif'><p onclick=\"steal()\">Thanks</p>")
    result = file(mail, raw)
    response = client.get(f"/mail/{result.id}")
    html = response.get_data(as_text=True)
    assert "records are attached" in html
    assert "alert(" not in html and "tracker.example" not in html and "steal()" not in html
    assert "img-src 'self'" in response.headers["Content-Security-Policy"]
    download = client.get(f"/mail/{result.id}/raw")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "message/rfc822" and download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_bounced_agency_address_is_shown_on_the_request(client, mail):
    file(mail, message(frm="MAILER-DAEMON@mx.group.example", subject="Undelivered Mail Returned to Sender",
                       to=tokens.reply_address("records@group.example", mail["token"]),
                       body=f"<{AGENCY_EMAIL}>: 550 5.1.1 User unknown"))
    page = client.get(f"/requests/{mail['request_id']}").get_data(as_text=True)
    assert f"Mail to {AGENCY_EMAIL} bounced" in page
    assert AGENCY_EMAIL in client.get("/mail/").get_data(as_text=True)
    client.post("/mail/addresses/clear", data={"address": AGENCY_EMAIL})
    assert store.broken(mail["db"], AGENCY_EMAIL) is None


def test_checking_the_mailbox_without_one_says_so(client, mail):
    response = client.post("/mail/poll", follow_redirects=True)
    assert "No mailbox is set up" in response.get_data(as_text=True)


def test_unknown_message_is_404(client, mail):
    assert client.get("/mail/424242").status_code == 404


def test_sending_from_the_request_page_and_a_campaign_preview(client, mail, app, smtp):
    from foia import campaigns, jobs, letters
    from test_mail_send import REQUESTER, _campaign

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_SECURITY="", MAIL_FROM="records@group.example")
    db = mail["db"]
    letters.save_requester(db, REQUESTER)
    draft = requests.create_request(db, agency_id=requests.get(db, mail["request_id"])["agency_id"],
                                    title="Ring video requests", config=app.config)
    page = client.get(f"/requests/{draft}").get_data(as_text=True)
    assert "Send the letter by e-mail to records@springfield-pd.example" in page
    assert client.post(f"/mail/requests/{draft}/send", data={"purpose": "request"}).status_code == 303
    assert smtp.messages == []  # the page only queues the job
    config = dict(app.config)
    (outcome,) = jobs.run_once(config, kinds=["mail.send"])
    assert outcome.state == "done" and len(smtp.messages) == 1
    assert "Letter sent by e-mail" in client.get(f"/requests/{draft}").get_data(as_text=True)
    sent_id = smtp.messages[0][1]["Message-ID"]
    file(mail, message(in_reply_to=sent_id, subject="RE: your request", body="We received your request.",
                       msgid="<thread@springfield-pd.example>"))
    page = client.get(f"/requests/{draft}").get_data(as_text=True)
    assert "in reply to “" in page and "RE: your request" in page

    campaign_id = _campaign(db, app, 3)
    preview = client.get(f"/mail/campaigns/{campaign_id}").get_data(as_text=True)
    assert "<strong>2</strong> messages to send" in preview and "Needs portal or mail" in preview
    assert "records@town0.example" in preview
    assert client.post(f"/mail/campaigns/{campaign_id}/send").status_code == 303
    assert jobs.latest(db, f"mail.campaign:{campaign_id}")["state"] == "queued"
    assert campaigns.get(db, campaign_id)


def test_the_dashboard_counts_what_waits(client, mail):
    file(mail, message(frm="n@example.net", subject="Hello", body="Hi", msgid="<d1@x>"))
    file(mail, message(to=tokens.reply_address("records@group.example", mail["token"]), subject="Extension",
                       body="We are extending the time to respond by 10 business days.", msgid="<d2@x>"))
    page = client.get("/").get_data(as_text=True)
    assert "1 message waiting for review" in page and "1 suggested event to confirm" in page
    assert "Extension claimed" in page


def test_the_review_queue_pages_by_50(client, mail):
    for n in range(51):
        file(mail, message(frm=f"p{n}@example.net", subject=f"Note {n}", body="Hello", msgid=f"<page{n}@x>"))
    first = client.get("/mail/").get_data(as_text=True)
    assert "Note 50" in first and "Note 1<" in first and "Note 0<" not in first and "Older" in first
    second = client.get("/mail/?page=2").get_data(as_text=True)
    assert "Note 0<" in second and "Newer" in second and "Older" not in second
