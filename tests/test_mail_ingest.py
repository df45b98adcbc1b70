"""Filing incoming mail: matching, storing once, attachments as documents, review, bounces, events."""
import base64
import io
import re
import zipfile

import pytest
from mail_fixtures import tiny_pdf
from mail_helpers import AGENCY_EMAIL, message, read_documents, setup

from foia import documents, errors, requests
from foia.correspondence import ingest, store, tokens
from conftest import rows

EXTENSION = ("Ms. Rivera,\n\nDue to the volume of records, the department is extending the time to respond "
             "by ten (10) business days.\n\nSincerely,\nRecords")


@pytest.fixture
def mail(app, db):
    files, agency_id, request_id, token = setup(app, db)
    return {"store": files, "agency_id": agency_id, "request_id": request_id, "token": token,
            "config": app.config, "db": db}


def file(mail, raw):
    return ingest.ingest(mail["db"], mail["store"], raw, config=mail["config"], source="test")


def test_reply_token_in_the_address_files_the_reply_with_its_pdf(mail):
    db, request_id = mail["db"], mail["request_id"]
    pdf = tiny_pdf("Memorandum of Understanding between Ring LLC and Springfield")
    raw = message(to=tokens.reply_address("records@group.example", mail["token"]), msgid="<a1@pd.example>",
                  body="Attached please find the responsive records.\n\nSincerely,\nRecords",
                  attachments=[("Ring_MOU.pdf", pdf, "application/pdf")])
    result = file(mail, raw)
    assert (result.state, result.request_id, result.duplicate) == ("matched", request_id, False)
    assert "reply token" in result.why
    (doc_id,) = result.documents
    assert documents.get(db, doc_id)["request_id"] == request_id
    read_documents(mail["config"])
    hits = documents.search(db, "Memorandum").hits
    assert [h["id"] for h in hits] == [doc_id]
    row = store.get(db, result.id)
    assert row["suggestion"]["kind"] == "records_released" and row["suggestion_state"] == "pending"
    assert row["attachments"][0]["document_id"] == doc_id and row["attachments_filed"] == 1
    with mail["store"].open(row["sha256"]) as f:  # the raw message, content-addressed
        assert f.read() == raw
    assert [m["id"] for m in store.for_request(db, request_id)] == [result.id]


def test_the_same_message_twice_is_filed_once(mail):
    raw = message(to=tokens.reply_address("records@group.example", mail["token"]), msgid="<twice@pd.example>",
                  attachments=[("a.pdf", tiny_pdf("first copy"), "application/pdf")])
    first = file(mail, raw)
    again = file(mail, raw)
    # Delivered again through another route: other bytes (a Received header), same Message-ID.
    relayed = file(mail, b"Received: from relay.example by mx.example; Tue, 15 Sep 2026 10:13:00 -0400\r\n" + raw)
    assert again.duplicate and relayed.duplicate and again.id == relayed.id == first.id
    assert rows(mail["config"]["DATABASE"], "SELECT count(*) FROM messages")[0][0] == 1
    assert rows(mail["config"]["DATABASE"], "SELECT count(*) FROM documents")[0][0] == 1


def test_token_in_the_subject_is_the_fallback(mail):
    raw = message(subject=f"RE: Public records request {tokens.subject_tag(mail['token'])}", body=EXTENSION)
    result = file(mail, raw)
    assert result.state == "matched" and result.request_id == mail["request_id"] and "subject" in result.why


def test_thread_headers_match_only_from_the_agency(mail):
    db = mail["db"]
    store.insert(db, {"request_id": mail["request_id"], "direction": "out", "message_id": "<req-1@group.example>",
                      "sha256": "0" * 64, "to_addrs": [AGENCY_EMAIL], "subject": "Public records request",
                      "received_at": "2026-09-01T09:00:00", "state": "sent"})
    reply = file(mail, message(in_reply_to="<req-1@group.example>", msgid="<r1@pd.example>", body=EXTENSION,
                               frm="Clerk <clerk@springfield-pd.example>"))
    assert (reply.state, reply.request_id, store.get(db, reply.id)["matched_by"]) == ("matched", mail["request_id"], "thread")
    forged = file(mail, message(in_reply_to="<req-1@group.example>", msgid="<f1@evil.example>", body=EXTENSION,
                                frm="Someone <someone@evil.example>"))
    assert forged.state == "review" and forged.request_id is None
    assert "not from the agency" in forged.why and "someone@evil.example" in forged.why


def test_agency_address_and_tracking_number_in_the_subject(mail):
    result = file(mail, message(subject="Your request PRR-2026-0412: fee estimate",
                                body="The estimated cost is $40.00. A deposit is required."))
    assert result.state == "matched" and "tracking number" in result.why
    assert result.reading.kind == "fee_estimate" and result.reading.fee == "40.00"


def test_a_strangers_message_goes_to_review_and_can_be_assigned(mail):
    db = mail["db"]
    raw = message(frm="Neighbor <neighbor@gmail.com>", subject="Ring cameras",
                  body="Attached are the records you asked about.",
                  attachments=[("notes.pdf", tiny_pdf("Neighbors app video request log"), "application/pdf")])
    result = file(mail, raw)
    assert result.state == "review" and result.request_id is None and result.documents == []
    assert [m["id"] for m in store.review_queue(db)] == [result.id]
    assigned = ingest.assign(db, mail["store"], result.id, mail["request_id"], config=mail["config"])
    assert assigned.state == "matched" and len(assigned.documents) == 1
    assert store.review_queue(db) == []
    assert store.get(db, result.id)["matched_by"] == "manual"
    other = file(mail, message(frm="x@gmail.com", subject="spam", body="Buy now", msgid="<spam@x>"))
    ingest.discard(db, other.id)
    assert store.get(db, other.id)["state"] == "discarded"


def test_a_token_for_a_deleted_request_goes_to_review(mail):
    db = mail["db"]
    token = mail["token"]
    db.execute("DELETE FROM requests WHERE id = ?", [mail["request_id"]])
    result = file(mail, message(to=tokens.reply_address("records@group.example", token), frm="a@b.example",
                                body=EXTENSION))
    assert result.state == "review" and token in result.why and "belongs to no request" in result.why


def test_a_bounce_flags_the_address_and_is_never_an_event(mail):
    db = mail["db"]
    raw = (message(to=tokens.reply_address("records@group.example", mail["token"]),
                   frm="Mail Delivery System <MAILER-DAEMON@mail.group.example>",
                   subject="Undelivered Mail Returned to Sender",
                   body=f"Your message could not be delivered.\n\n<{AGENCY_EMAIL}>: 550 5.1.1 User unknown\n"))
    result = file(mail, raw)
    assert result.state == "bounce" and result.reading.bounced == [AGENCY_EMAIL]
    row = store.get(db, result.id)
    assert row["suggestion_state"] == "none"
    assert store.broken(db, AGENCY_EMAIL)["message_row"] == result.id
    with pytest.raises(errors.Conflict):
        ingest.confirm(db, result.id, kind="acknowledged")
    assert [e["kind"] for e in requests.events(db, mail["request_id"])] == ["filed"]


def test_confirming_the_suggestion_records_the_event_and_moves_the_due_date(mail):
    db = mail["db"]
    before = requests.get(db, mail["request_id"])["due_on"]
    result = file(mail, message(to=tokens.reply_address("records@group.example", mail["token"]), body=EXTENSION))
    suggestion = store.get(db, result.id)["suggestion"]
    assert suggestion["kind"] == "extension_claimed" and suggestion["event"] == {
        "days": 10, "day_type": "business", "reason": suggestion["event"]["reason"]}
    event_id = ingest.confirm(db, result.id, config=mail["config"])
    (event,) = [e for e in requests.events(db, mail["request_id"]) if e["id"] == event_id]
    assert event["kind"] == "extension_claimed" and event["occurred_on"] == "2026-09-15"
    after = requests.get(db, mail["request_id"])["due_on"]
    assert before and after and after > before
    assert store.get(db, result.id)["suggestion_state"] == "confirmed"
    with pytest.raises(errors.Conflict):
        ingest.confirm(db, result.id)


def test_an_edited_or_rejected_suggestion(mail):
    db = mail["db"]
    result = file(mail, message(to=tokens.reply_address("records@group.example", mail["token"]),
                                body="We received your request.", msgid="<e1@pd.example>"))
    event_id = ingest.confirm(db, result.id, kind="acknowledged", data={"estimated_date": "2026-10-30"},
                              config=mail["config"])
    (event,) = [e for e in requests.events(db, mail["request_id"]) if e["id"] == event_id]
    assert event["data"]["estimated_date"] == "2026-10-30"
    second = file(mail, message(to=tokens.reply_address("records@group.example", mail["token"]),
                                body="We received your request.", msgid="<e2@pd.example>"))
    ingest.reject(db, second.id)
    assert store.get(db, second.id)["suggestion_state"] == "rejected"


def test_an_oversized_attachment_is_refused_and_the_rest_filed(mail):
    config = dict(mail["config"], MAIL_MAX_ATTACHMENT=1024 * 1024)
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("huge.txt", b"\0" * (600 * 1024 * 1024))
    raw = message(to=tokens.reply_address("records@group.example", mail["token"]),
                  body="Attached please find the records.",
                  attachments=[("video-log.pdf", big, "application/pdf"), ("bomb.zip", bomb.getvalue(), "application/zip"),
                               ("letter.pdf", tiny_pdf("Determination letter"), "application/pdf")])
    result = ingest.ingest(mail["db"], mail["store"], raw, config=config)
    assert result.state == "matched" and len(result.documents) == 1
    assert any("video-log.pdf was not filed" in n for n in result.notes)
    assert any("bomb.zip was not filed" in n for n in result.notes)
    attachments = store.get(mail["db"], result.id)["attachments"]
    assert [("error" in a) for a in attachments] == [True, True, False]


@pytest.mark.slow
def test_a_100_mb_attachment_is_refused_and_the_rest_filed(mail):
    # Written by hand: the email package takes seconds to encode 100 MB, base64 in C does not.
    small = message(to=tokens.reply_address("records@group.example", mail["token"]), body="Attached are the records.",
                    attachments=[("letter.pdf", tiny_pdf("Cover letter"), "application/pdf")])
    boundary = re.search(rb'boundary="([^"]+)"', small).group(1)
    big_part = (b"--" + boundary + b"\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                b'Content-Disposition: attachment; filename="all-video.pdf"\r\n\r\n'
                + base64.encodebytes(b"%PDF-1.4\n" + b"1" * (100 * 1024 * 1024)) + b"\r\n")
    raw = small.replace(b"--" + boundary + b"--", big_part + b"--" + boundary + b"--")
    assert len(raw) > 100 * 1024 * 1024
    result = file(mail, raw)
    assert result.state == "matched" and len(result.documents) == 1
    assert any("all-video.pdf was not filed" in n and "25 MB" in n for n in result.notes)


@pytest.mark.parametrize("raw", [
    b"\x00\xff\xfe garbage that is not mail at all",
    b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhalf",
    b"From: =?bogus?Q?x?= <a@b.example>\r\nSubject: =?utf-8?B?////?=\r\nDate: not a date\r\n"
    b"Content-Type: text/plain; charset=x-unknown-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
    "From: a@b.example\r\nSubject: Solicitud\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
    "No se encontraron documentos; según la búsqueda.\r\n".encode("iso-8859-1"),
    b"From: Caf\xc3\xa9 <a@b.example>\r\nSubject: Caf\xe9 r\xe9sum\xe9\r\n\r\nbody \xe9 with raw 8-bit bytes\r\n",
])
def test_malformed_mail_is_kept_for_review(mail, raw):
    result = file(mail, raw)
    assert result.state in ("review", "auto_reply")
    row = store.get(mail["db"], result.id)
    assert isinstance(row["body"], str)
    if b"seg\xfan" in raw:
        assert "según" in row["body"]
    if b"Caf\xe9 r" in raw:  # raw 8-bit headers: UTF-8 where they decode as such, else Latin-1
        assert row["subject"] == "Café résumé" and row["from_name"] == "Café"


def test_html_mail_is_kept_as_text_without_scripts(mail):
    raw = message(to=tokens.reply_address("records@group.example", mail["token"]), body="",
                  html="<p>The records are attached.</p><script>alert('x')</script>"
                       "<img src='https://tracker.example/p.gif'>")
    row = store.get(mail["db"], file(mail, raw).id)
    assert "records are attached" in row["body"] and "alert" not in row["body"] and "tracker" not in row["body"]


def test_an_empty_message_is_refused(mail):
    with pytest.raises(errors.Invalid):
        file(mail, b"  \r\n")
