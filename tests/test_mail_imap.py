"""Polling a real IMAP server (Debian's dovecot on loopback, started by the fixture)."""
import pytest
import mail_fixtures
from mail_fixtures import tiny_pdf
from mail_helpers import AGENCY_EMAIL, message, read_documents, setup

from foia import documents, requests
from foia.correspondence import ingest, receive, store, tokens
from conftest import rows

dovecot = mail_fixtures.dovecot


@pytest.fixture
def mail(app, db):
    files, agency_id, request_id, token = setup(app, db)
    return {"store": files, "request_id": request_id, "token": token, "db": db, "app": app}


def test_a_reply_with_a_pdf_lands_on_its_request_and_its_event_moves_the_due_date(mail, dovecot):
    db = mail["db"]
    reply_to = tokens.reply_address("records@group.example", mail["token"])
    dovecot.append(message(to=reply_to, msgid="<imap-1@pd.example>",
                           body="Ms. Rivera,\n\nWe are extending the time to respond by 10 business days.\n\nRegards,\nRecords",
                           attachments=[("extension-letter.pdf", tiny_pdf("Notice of extension", "Ring partnership records"),
                                         "application/pdf")]))
    dovecot.append(message(frm="Someone <someone@example.net>", subject="Hello", body="Are you the tracker?",
                           msgid="<imap-2@example.net>"))
    dovecot.append(message(frm="Mail Delivery System <MAILER-DAEMON@mx.group.example>", to=reply_to,
                           subject="Undelivered Mail Returned to Sender", msgid="<imap-3@mx.group.example>",
                           body=f"<{AGENCY_EMAIL}>: host mx said: 550 5.1.1 User unknown"))
    report = receive.poll(db, mail["store"], dovecot.config())
    assert (report.seen, report.filed, report.review, report.bounces) == (3, 1, 1, 1), report.summary()

    (filed,) = [m for m in store.for_request(db, mail["request_id"]) if m["state"] == "matched"]
    assert filed["matched_by"] == "token" and filed["source"] == "imap:INBOX"
    read_documents(mail["app"].config)
    hits = documents.search(db, "extension").hits
    assert [h["request_id"] for h in hits] == [mail["request_id"]]
    assert [m["from_addr"] for m in store.review_queue(db)] == ["someone@example.net"]
    assert store.broken(db, AGENCY_EMAIL)

    before = requests.get(db, mail["request_id"])["due_on"]
    ingest.confirm(db, filed["id"], config=mail["app"].config)
    assert requests.get(db, mail["request_id"])["due_on"] > before

    # A second poll finds nothing new (UIDs remembered) and the mailbox is untouched.
    again = receive.poll(db, mail["store"], dovecot.config())
    assert again.seen == 0 and dovecot.count() == 3
    assert rows(mail["app"].config["DATABASE"], "SELECT count(*) FROM messages")[0][0] == 3


def test_a_refused_login_is_a_clear_error_and_loses_nothing(mail, dovecot):
    db = mail["db"]
    dovecot.append(message(to=tokens.reply_address("records@group.example", mail["token"]),
                           body="We received your request.", msgid="<later@pd.example>"))
    with pytest.raises(receive.MailboxError) as refused:
        receive.poll(db, mail["store"], dovecot.config(IMAP_PASSWORD="wrong"))
    assert "refused the login" in str(refused.value) and dovecot.user in str(refused.value)
    assert "wrong" not in str(refused.value)  # never the password
    assert store.counts(db) == {} and dovecot.count() == 1
    report = receive.poll(db, mail["store"], dovecot.config())  # the next attempt gets it
    assert report.filed == 1


def test_an_unreachable_server_and_a_missing_folder(mail, dovecot):
    with pytest.raises(receive.MailboxError, match="Cannot connect"):
        receive.poll(mail["db"], mail["store"], dovecot.config(IMAP_PORT=1))
    with pytest.raises(receive.MailboxError, match="no folder"):
        receive.poll(mail["db"], mail["store"], dovecot.config(IMAP_FOLDER="Nope"))


def test_a_large_mailbox_is_fetched_in_batches(mail, dovecot):
    for n in range(5):
        dovecot.append(message(frm=f"person{n}@example.net", subject=f"Note {n}", body="Hello", msgid=f"<b{n}@x>"))
    first = receive.poll(mail["db"], mail["store"], dovecot.config(), batch=3)
    assert (first.seen, first.remaining) == (3, 2)
    second = receive.poll(mail["db"], mail["store"], dovecot.config(), batch=3)
    assert (second.seen, second.remaining) == (2, 0)


def test_polling_as_a_job_retries_a_refused_login(mail, dovecot, instance):
    from foia import jobs
    from foia.instance import Instance

    db = mail["db"]
    dovecot.append(message(to=tokens.reply_address("records@group.example", mail["token"]),
                           body="We received your request.", msgid="<job@pd.example>"))
    wrong = Instance(instance, dovecot.config(IMAP_PASSWORD="wrong"))
    job_id = jobs.enqueue(db, receive.POLL_JOB, {}, key=receive.POLL_JOB)
    (outcome,) = jobs.run_once(wrong, kinds=[receive.POLL_JOB])
    assert outcome.state == "queued" and "refused the login" in outcome.error  # retried later, with backoff
    right = Instance(instance, dovecot.config())
    outcome = jobs.run_one(right, job_id)
    assert outcome.state == "done"
    assert "1 filed on requests" in jobs.get(db, job_id)["progress_message"]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_polling_over_tls_checks_the_certificate(mail, dovecot, security):
    dovecot.append(message(to=tokens.reply_address("records@group.example", mail["token"]),
                           body="We received your request.", msgid=f"<tls-{security}@pd.example>"))
    port = dovecot.tls_port if security == "ssl" else dovecot.port
    with pytest.raises(receive.MailboxError, match="cannot be trusted"):
        receive.poll(mail["db"], mail["store"], dovecot.config(IMAP_SECURITY=security, IMAP_PORT=port))
    report = receive.poll(mail["db"], mail["store"], dovecot.config(IMAP_SECURITY=security, IMAP_PORT=port,
                                                                    IMAP_CA_FILE=str(dovecot.ca_file)))
    assert report.filed == 1
