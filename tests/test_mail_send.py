"""Sending requests by e-mail over a real SMTP server on loopback (aiosmtpd)."""
import importlib
import io
import os
import signal
import subprocess
import sys
import time

import pypdf
import pytest
from mail_helpers import message, setup
import test_reminders

from foia import agencies, campaigns, errors, jobs, letters, mail, requests
from foia.correspondence import ingest, send, store, tokens

smtp = test_reminders.smtp

REQUESTER = {"name": "Jane Doe", "organization": "Springfield Watch", "address": "1 Press Row\nPhiladelphia, PA 19103",
             "email": "jane@example.org", "phone": "215-555-0100"}


def smtp_config(app, port, **extra):
    return dict(app.config, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="", MAIL_FROM="records@group.example",
                MAIL_REPLY_ADDRESS="records@group.example", **extra)


@pytest.fixture
def outbox(app, db, smtp):
    files, agency_id, _, _ = setup(app, db)
    letters.save_requester(db, REQUESTER)
    request_id = requests.create_request(db, agency_id=agency_id, title="Ring agreements and video requests",
                                         config=app.config)
    return {"db": db, "store": files, "request_id": request_id, "agency_id": agency_id,
            "config": smtp_config(app, smtp.port), "smtp": smtp, "app": app}


def test_a_request_is_sent_with_its_letter_and_filed_once_accepted(outbox):
    db, smtp = outbox["db"], outbox["smtp"]
    row = send.send_request(db, outbox["store"], outbox["request_id"], outbox["config"])
    (rcpt, sent), = smtp.messages
    assert rcpt == ["records@springfield-pd.example"]
    token = tokens.token_for(db, outbox["request_id"])
    assert sent["From"] == sent["Reply-To"] == f"records+{token}@group.example"
    assert f"[{token}]" in sent["Subject"] and sent["Message-ID"] == row["message_id"]
    parts = {p.get_content_type(): p for p in sent.walk() if not p.is_multipart()}
    text, html, pdf = parts["text/plain"], parts["text/html"], parts["application/pdf"]
    assert "Jane Doe" in text.get_payload(decode=True).decode() and "Jane Doe" in html.get_payload(decode=True).decode()
    pdf_text = pypdf.PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages[0].extract_text()
    assert "Jane Doe" in pdf_text
    (filed,) = [e for e in requests.events(db, outbox["request_id"]) if e["kind"] == "filed"]
    assert filed["data"] == {"method": "email", "message_id": row["message_id"]}
    assert row["state"] == "sent" and requests.get(db, outbox["request_id"])["status"] == "filed"
    with pytest.raises(errors.Conflict, match="already sent"):
        send.send_request(db, outbox["store"], outbox["request_id"], outbox["config"])
    assert len(smtp.messages) == 1


def test_a_refused_message_leaves_the_request_unfiled_and_is_retried_as_the_same_message(outbox):
    db, smtp = outbox["db"], outbox["smtp"]
    smtp.refuse = True
    with pytest.raises(mail.MailError, match="451"):
        send.send_request(db, outbox["store"], outbox["request_id"], outbox["config"])
    assert requests.get(db, outbox["request_id"])["status"] == "draft"
    waiting = send.sent_letter(db, outbox["request_id"])
    assert waiting["state"] == "outbox" and "451" in waiting["send_error"]
    smtp.refuse = False
    row = send.send_request(db, outbox["store"], outbox["request_id"], outbox["config"])
    assert row["message_id"] == waiting["message_id"] and row["attempts"] == 2
    assert len(smtp.messages) == 1 and requests.get(db, outbox["request_id"])["status"] == "filed"


def test_no_address_or_a_bounced_one_needs_portal_or_mail(outbox):
    db = outbox["db"]
    other, _ = agencies.upsert(db, {"name": "Portal Only PD", "state": "CA"})
    request_id = requests.create_request(db, agency_id=other, title="Ring records", config=outbox["app"].config)
    with pytest.raises(send.NoAddress, match="needs portal or mail"):
        send.send_request(db, outbox["store"], request_id, outbox["config"])
    store.flag_broken(db, "records@springfield-pd.example", None, "user unknown")
    with pytest.raises(send.NoAddress, match="bounced"):
        send.send_request(db, outbox["store"], outbox["request_id"], outbox["config"])
    assert outbox["smtp"].messages == []


def test_the_reply_comes_back_to_the_request_and_a_follow_up_stays_in_the_thread(outbox):
    db, smtp = outbox["db"], outbox["smtp"]
    first = send.send_request(db, outbox["store"], outbox["request_id"], outbox["config"])
    reply = ingest.ingest(db, outbox["store"], message(
        to="records@group.example", in_reply_to=first["message_id"], msgid="<ack@springfield-pd.example>",
        body="We received your request and will respond within 10 business days."), config=outbox["config"])
    assert reply.state == "matched" and reply.request_id == outbox["request_id"]
    follow = send.send_request(db, outbox["store"], outbox["request_id"], outbox["config"], purpose="follow_up")
    (_, sent) = smtp.messages[-1]
    assert sent["In-Reply-To"] == "<ack@springfield-pd.example>"
    assert sent["References"].split() == [first["message_id"], "<ack@springfield-pd.example>"]
    assert sent["Subject"].startswith("Re: ") and follow["purpose"] == "follow_up"
    assert [e["kind"] for e in requests.events(db, outbox["request_id"])].count("filed") == 1


def _campaign(db, app, n):
    ids = []
    for i in range(n):
        agency_id, _ = agencies.upsert(db, {"name": f"Town {i} Police Department", "state": "CA",
                                            "records_email": "" if i == n - 1 else f"records@town{i}.example"})
        ids.append(agency_id)
    campaign_id = campaigns.create(db, name="Ring everywhere", template="ring-partnership",
                                   pasted="\n".join(f"Town {i} Police Department, CA" for i in range(n)))
    campaigns.start(db, campaign_id)
    (outcome,) = jobs.run_once(app.extensions["foia"], kinds=[campaigns.JOB_KIND])
    assert outcome.state == "done", outcome
    return campaign_id


def test_campaign_preview_counts_recipients_and_lists_agencies_without_an_address(outbox):
    db = outbox["db"]
    campaign_id = _campaign(db, outbox["app"], 4)
    preview = send.preview(db, outbox["store"], campaign_id, outbox["config"])
    assert preview["recipients"] == 3 and preview["already_sent"] == 0
    assert [a["agency"] for a in preview["other_way"]] == ["Town 3 Police Department"]
    assert "needs portal or mail" in preview["other_way"][0]["why"]
    assert preview["first"]["to"] == "records@town0.example" and "Jane Doe" in preview["first"]["text"]
    assert outbox["smtp"].messages == []  # a preview sends nothing


def test_campaign_sending_is_a_throttled_job_with_progress(outbox):
    db, smtp = outbox["db"], outbox["smtp"]
    campaign_id = _campaign(db, outbox["app"], 4)
    waits = []
    config = dict(outbox["config"], MAIL_SEND_PER_MINUTE=4)
    result = send.send_campaign(db, outbox["store"], campaign_id, config, sleep=waits.append)
    assert result["sent"] == 3 and len(smtp.messages) == 3
    # Four a minute: the runner waits out what is left of 15 seconds before the second and third
    # (in steps of at most 10 s, renewing the job's lease between them).
    assert 2 <= len(waits) <= 4 and all(0 < w <= 10 for w in waits) and 20 < sum(waits) <= 30
    assert len({m["Message-ID"] for _, m in smtp.messages}) == 3
    again = send.send_campaign(db, outbox["store"], campaign_id, config, sleep=waits.append)
    assert again["sent"] == 3 and len(smtp.messages) == 3  # nothing twice


RUNNER = """
import sys
from foia import jobs
from foia.instance import Instance
from foia.correspondence import send  # registers the mail jobs
instance = Instance(sys.argv[1], {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": int(sys.argv[2]), "SMTP_SECURITY": "",
                                  "MAIL_FROM": "records@group.example", "MAIL_SEND_PER_MINUTE": 600})
print(jobs.run_once(instance, kinds=[send.CAMPAIGN_JOB]), flush=True)
"""


@pytest.mark.slow
def test_a_20_agency_campaign_killed_halfway_resumes_without_sending_twice(outbox, instance):
    db, smtp, app = outbox["db"], outbox["smtp"], outbox["app"]
    campaign_id = _campaign(db, app, 21)  # 20 with an address, 1 without
    job_id = send.start_campaign(db, campaign_id)
    env = dict(os.environ, FOIA_NOW="2026-09-15T10:00:00")
    child = subprocess.Popen([sys.executable, "-c", RUNNER, str(instance), str(smtp.port)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120

    def recorded_sent():
        return db.execute("SELECT count(*) FROM messages WHERE direction = 'out' AND state = 'sent'").fetchone()[0]

    # Killed between two messages (the runner waits 0.1 s between them at 600 a minute): after the 8th
    # is recorded as sent. A kill in the instant between the server accepting a message and the runner
    # recording it would resend that message under the same Message-ID (see foia/correspondence/send.py).
    while recorded_sent() < 8 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    halfway = len(smtp.messages)
    assert 0 < halfway < 20
    # The job's lease runs out; a second runner takes it over and sends the rest.
    from foia.instance import Instance

    second = Instance(instance, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_SECURITY": "",
                                 "MAIL_FROM": "records@group.example", "MAIL_SEND_PER_MINUTE": 600})
    outcome = jobs.run_one(second, job_id, now=clock_after_lease())
    assert outcome.state == "done", outcome
    recipients = [rcpt[0] for rcpt, _ in smtp.messages]
    assert len(recipients) == 20 and len(set(recipients)) == 20  # each agency once
    assert len({m["Message-ID"] for _, m in smtp.messages}) == 20
    for _, sent in smtp.messages:
        token = sent["From"].split("+")[1].split("@")[0]
        assert tokens.request_for(db, token) is not None
        assert any(p.get_content_type() == "application/pdf" for p in sent.walk())
    filed = db.execute("SELECT count(*) FROM events e JOIN requests r ON r.id = e.request_id "
                       "WHERE r.campaign_id = ? AND e.kind = 'filed'", [campaign_id]).fetchone()[0]
    assert filed == 20


def clock_after_lease():
    import datetime as dt

    from foia import clock

    return clock.now() + jobs.LEASE + dt.timedelta(seconds=1)


def test_send_and_campaign_commands(outbox, runner, monkeypatch):
    importlib.import_module("foia.cli.mail")  # registers the commands (until listed in COMMAND_MODULES)

    for key, value in (("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", str(outbox["smtp"].port)),
                       ("MAIL_FROM", "records@group.example"), ("MAIL_SEND_PER_MINUTE", "600")):
        monkeypatch.setenv("FOIA_" + key, value)
    sent = runner("mail", "send", outbox["request_id"])
    assert sent.exit_code == 0 and "Sent to records@springfield-pd.example" in sent.output
    campaign_id = _campaign(outbox["db"], outbox["app"], 3)
    preview = runner("mail", "campaign", campaign_id)
    assert "2 messages to send" in preview.output and "needs portal or mail" in preview.output
    assert "Subject: " in preview.output and len(outbox["smtp"].messages) == 1
    done = runner("mail", "campaign", campaign_id, "--send")
    assert "2 of 2 sent." in done.output and len(outbox["smtp"].messages) == 3
