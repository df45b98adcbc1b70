"""Sending a request's letter by e-mail, one request or a whole campaign.

The message is the letter itself: a plain-text part and an HTML part from the same rendered letter
(:func:`foia.letters.render`), with the PDF attached (stored as the request's letter in the one file
store). It is sent from the request's reply address (``records+r123-k7f2q@group.org`` on
``MAIL_REPLY_ADDRESS``, else ``MAIL_FROM``), with the token in the subject as a fallback, so that the
answer finds its way back. Follow-ups and appeals go in the same thread (``In-Reply-To`` and
``References`` name the messages of the request's conversation).

Exactly once, as far as SMTP allows: the message is first recorded in the ``messages`` table with
its Message-ID (state ``outbox``); only once the SMTP server has accepted it is it marked ``sent``
and, for the first letter, the ``filed`` event recorded (method e-mail, the Message-ID), both in
one transaction. A request whose letter is ``sent`` is never sent again. A failure leaves the
request unfiled with the error on the message, for the job runner to retry. If the process dies in
the instant between the server's acceptance and that transaction, the retry sends the same message
with the same Message-ID, which mail programs (and our own import) recognise as one message.

Campaigns are sent by the ``mail.campaign`` job, throttled to ``MAIL_SEND_PER_MINUTE``, resumable
after a kill: each request is checked against the table before it is sent.
"""
import dataclasses
import datetime as dt
import email
import io
import smtplib
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from .. import audit, campaigns, clock, errors, jobs, letters, mail, requests
from ..config import DEFAULTS
from ..formats import plural
from ..db import loads, transaction
from ..filestore import store_for
from . import store, tokens

CAMPAIGN_JOB = "mail.campaign"
SEND_JOB = "mail.send"
NEEDS_OTHER_WAY = "needs portal or mail"


class NoAddress(errors.Conflict):
    """The agency has no working e-mail address: the request needs the portal or the post."""


@dataclasses.dataclass
class Outgoing:
    """A composed message, not yet sent."""

    request_id: int
    to: str
    sender: str
    subject: str
    text: str
    html: str
    pdf: bytes
    pdf_name: str
    message_id: str
    in_reply_to: str
    references: list
    letter_id: int | None
    purpose: str

    def message(self, date: dt.datetime) -> EmailMessage:
        m = EmailMessage()
        m["From"] = self.sender
        m["Reply-To"] = self.sender
        m["To"] = self.to
        m["Subject"] = self.subject
        m["Date"] = format_datetime(date)
        m["Message-ID"] = self.message_id
        if self.in_reply_to:
            m["In-Reply-To"] = self.in_reply_to
        if self.references:
            m["References"] = " ".join(self.references)
        m.set_content(self.text)
        m.add_alternative(self.html, subtype="html")
        m.add_attachment(self.pdf, maintype="application", subtype="pdf", filename=self.pdf_name)
        return m


def _setting(config, key):
    value = (config or {}).get(key)
    return DEFAULTS[key] if value in (None, "") else value


def reply_base(config) -> str:
    return ((config or {}).get("MAIL_REPLY_ADDRESS") or (config or {}).get("MAIL_FROM") or "").strip()


def recipient(db, request_row: dict) -> str:
    """The agency's records address, if it has one that has not bounced; else :class:`NoAddress`."""
    address = (request_row.get("agency_email") or "").strip()
    if not address or "@" not in address:
        raise NoAddress(f"{request_row['agency_name']} has no e-mail address: this request {NEEDS_OTHER_WAY}.")
    bounced = store.broken(db, address)
    if bounced:
        raise NoAddress(f"Mail to {address} bounced on {bounced['last_bounced_at'][:10]}: correct the agency's "
                        f"address first, or send this request by portal or mail.")
    return address


def letter_text(letter) -> str:
    """The plain-text body: the letter's letterhead and paragraphs, as the PDF has them."""
    return "\n\n".join(letter.texts()).strip() + "\n"


def compose(db, files, request_id: int, config, *, purpose: str = "request", template: str | None = None,
            options: dict | None = None, folder=None, today: dt.date | None = None) -> Outgoing:
    """The message for a request's letter (``purpose`` request, follow_up or appeal)."""
    if purpose not in store.PURPOSES:
        raise errors.Invalid("purpose", f"Send a request, a follow-up or an appeal, not {purpose!r}.")
    row = requests.get(db, request_id)
    to = recipient(db, row)
    base = reply_base(config)
    token = tokens.token_for(db, request_id)
    sender = tokens.reply_address(base, token)
    letter = letters.render(db, request_id, template, options, folder=folder, today=today)
    stored = letters.store(db, letter, "pdf", letters.render_bytes(letter, "pdf", folder), files)
    with letters.open_file(stored, files) as f:
        pdf = f.read()
    thread = [m for m in store.for_request(db, request_id) if m["message_id"] and m["state"] in
              ("sent", "matched", "auto_reply")]
    references = [m["message_id"] for m in thread][-20:]
    in_reply_to = references[-1] if references and purpose != "request" else ""
    subject = letter.title
    if purpose != "request":
        first = next((m for m in thread if m["direction"] == "out"), None)
        if first:
            subject = "Re: " + first["subject"].split(" [")[0]
    return Outgoing(
        request_id=request_id, to=to, sender=sender, subject=f"{subject} {tokens.subject_tag(token)}"[:900],
        text=letter_text(letter), html=letters.to_html(letter), pdf=pdf,
        pdf_name=letters.download_name(db, stored), message_id=make_msgid(domain=base.rpartition("@")[2] or "localhost"),
        in_reply_to=in_reply_to, references=references if purpose != "request" else [],
        letter_id=stored["id"], purpose=purpose)


def _record(db, out: Outgoing, raw: bytes, files) -> int:
    sha256, size = files.put_stream(io.BytesIO(raw), len(raw) + 1)
    return store.insert(db, {
        "request_id": out.request_id, "direction": "out", "message_id": out.message_id,
        "in_reply_to": out.in_reply_to, "references": out.references, "sha256": sha256, "size": size,
        "from_addr": out.sender, "to_addrs": [out.to], "subject": out.subject, "date": None,
        "received_at": clock.stamp(), "body": out.text, "source": "smtp", "state": "outbox",
        "purpose": out.purpose, "letter_id": out.letter_id,
    })


def _deliver(config, message: EmailMessage) -> None:
    """Hand one message to the configured SMTP server; :class:`foia.mail.MailError` if it was not accepted."""
    with mail.Connection(config) as connection:
        try:
            refused = connection.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            raise mail.MailError("The mail server refused the recipient: " + ", ".join(e.recipients)) from None
        except smtplib.SMTPResponseException as e:
            text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
            raise mail.MailError(f"The mail server did not accept the message: {e.smtp_code} {text}") from None
        except (OSError, smtplib.SMTPException) as e:
            raise mail.MailError(f"The mail server did not accept the message: {e}") from None
        if refused:
            raise mail.MailError("The mail server refused: " + ", ".join(refused))


def sent_letter(db, request_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM messages WHERE direction = 'out' AND purpose = 'request' AND request_id = ?",
                         [request_id]))
    return rows[0] if rows else None


def send_request(db, files, request_id: int, config, *, purpose: str = "request", actor=None, folder=None,
                 template=None, options=None) -> dict:
    """Send the request's letter (or a follow-up or appeal) now; returns the message row.

    For the first letter: sent at most once (see the module docstring), and the ``filed`` event
    is recorded when the server accepts it. Raises :class:`NoAddress`, :class:`foia.mail.MailError`
    (the message stays in the outbox, marked with the error), or :class:`foia.errors.Conflict`
    when the letter was already sent."""
    if not mail.is_configured(config):
        raise errors.Conflict("Mail is off: set FOIA_SMTP_HOST to send requests by e-mail.")
    store.ensure_schema(db)
    existing = sent_letter(db, request_id) if purpose == "request" else None
    if existing and existing["state"] == "sent":
        raise errors.Conflict(f"The letter of request {request_id} was already sent, on {existing['sent_at'][:10]}.")
    if existing:  # recorded before: send the very same message again (same Message-ID)
        message_row = existing["id"]
        with files.open(existing["sha256"]) as f:
            raw = f.read()
        to = loads(existing["to_addrs"], [])
    else:
        out = compose(db, files, request_id, config, purpose=purpose, folder=folder, template=template,
                      options=options)
        raw = out.message(clock.now()).as_bytes()
        with transaction(db):
            message_row = _record(db, out, raw, files)
        to = [out.to]
    parsed = email.message_from_bytes(raw)
    # The first letter files the request, unless it was recorded as filed some other way already.
    files_request = purpose == "request" and requests.get(db, request_id)["status"] == "draft"
    try:
        _deliver(config, parsed)
    except mail.MailError as e:
        # The request's letter waits in the outbox to be sent again as the same message; a follow-up
        # or appeal is marked failed (sending it again composes it anew).
        with transaction(db):
            db.execute("UPDATE messages SET attempts = attempts + 1, send_error = ?, state = ? WHERE id = ?",
                       [str(e)[:1000], "outbox" if purpose == "request" else "failed", message_row])
        raise
    message_id = parsed["Message-ID"]
    with transaction(db):
        db.execute("UPDATE messages SET state = 'sent', sent_at = ?, date = ?, attempts = attempts + 1, "
                   "send_error = '' WHERE id = ?", [clock.stamp(), clock.now().isoformat(timespec="seconds"),
                                                    message_row])
        if files_request:
            requests.add_event(db, request_id, "filed", clock.today().isoformat(),
                               note=f"Sent by e-mail to {', '.join(to)}.",
                               data={"method": "email", "message_id": message_id}, actor=actor, config=config)
        audit.record(db, "mail.send", user_id=actor, object_type="request", object_id=request_id,
                     detail={"message_id": message_id, "purpose": purpose})
    return store.get(db, message_row)


# --- campaigns -----------------------------------------------------------------------------------

def campaign_plan(db, campaign_id: int) -> dict:
    """Who a campaign's e-mail goes to: the requests to send, those already sent, and the agencies
    without a working address ("needs portal or mail")."""
    store.ensure_schema(db)
    campaigns.get(db, campaign_id)
    to_send, sent, other_way = [], [], []
    for row in db.query(
            """SELECT r.id, r.status, a.name AS agency_name, a.records_email AS agency_email
               FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.campaign_id = ? ORDER BY r.id""",
            [campaign_id]):
        done = sent_letter(db, row["id"])
        if done and done["state"] == "sent":
            sent.append(row["id"])
            continue
        try:
            recipient(db, row)
        except NoAddress as e:
            other_way.append({"request_id": row["id"], "agency": row["agency_name"], "why": str(e)})
            continue
        if row["status"] != "draft" and not done:
            sent.append(row["id"])  # filed some other way already
            continue
        to_send.append(row["id"])
    return {"to_send": to_send, "sent": sent, "other_way": other_way}


def preview(db, files, campaign_id: int, config, *, folder=None) -> dict:
    """What sending the campaign would do: the first message in full and the recipient count.
    Nothing is sent; the first letter's PDF is stored (it is the same file the send would attach)."""
    plan = campaign_plan(db, campaign_id)
    first = None
    if plan["to_send"]:
        out = compose(db, files, plan["to_send"][0], config, folder=folder)
        first = {"to": out.to, "from": out.sender, "subject": out.subject, "text": out.text,
                 "attachment": out.pdf_name, "attachment_size": len(out.pdf)}
    return {"recipients": len(plan["to_send"]), "already_sent": len(plan["sent"]),
            "other_way": plan["other_way"], "first": first}


def start_campaign(db, campaign_id: int, *, actor=None) -> int:
    """Queue the campaign's sending (one live job per campaign)."""
    campaigns.get(db, campaign_id)
    return jobs.enqueue(db, CAMPAIGN_JOB, {"campaign_id": campaign_id}, key=f"mail.campaign:{campaign_id}", actor=actor)


def send_campaign(db, files, campaign_id: int, config, *, job=None, folder=None, actor=None,
                  sleep=time.sleep) -> dict:
    """Send every unsent letter of the campaign, ``MAIL_SEND_PER_MINUTE`` a minute. Resumable: what
    is sent is never sent again. A message the server refuses is noted and the others still go;
    the job fails at the end (and is retried) if any was refused."""
    if not mail.is_configured(config):
        raise errors.Conflict("Mail is off: set FOIA_SMTP_HOST to send requests by e-mail.")
    plan = campaign_plan(db, campaign_id)
    total = len(plan["to_send"]) + len(plan["sent"])
    done = len(plan["sent"])
    interval = 60.0 / max(1, int(_setting(config, "MAIL_SEND_PER_MINUTE")))
    failed = []
    last = None
    if job:
        job.progress(done, total, f"{done} of {total} sent")
    for request_id in plan["to_send"]:
        if last is not None:
            _wait(interval - (time.monotonic() - last), job, sleep)
        last = time.monotonic()
        try:
            send_request(db, files, request_id, config, actor=actor, folder=folder)
        except (mail.MailError, NoAddress) as e:
            failed.append({"request_id": request_id, "error": str(e)})
        except errors.Conflict:
            sent = sent_letter(db, request_id)
            if not (sent and sent["state"] == "sent"):
                raise
            done += 1  # sent meanwhile by someone else
        else:
            done += 1
        if job:
            job.progress(done, total, f"{done} of {total} sent" + (f", {len(failed)} not accepted" if failed else ""))
    result = {"sent": done, "total": total, "failed": failed, "other_way": plan["other_way"]}
    if failed:
        raise mail.MailError(f"{plural(len(failed), 'message')} {'was' if len(failed) == 1 else 'were'} not accepted; retried later: "
                             + "; ".join(f"request {f['request_id']}: {f['error']}" for f in failed[:5]))
    return result


def _wait(seconds: float, job, sleep) -> None:
    """Throttle, keeping the job's lease alive."""
    while seconds > 0:
        step = min(seconds, 10.0)
        sleep(step)
        seconds -= step
        if job:
            job.renew()


def _templates(instance):
    return getattr(instance, "letter_templates", None)


@jobs.handler(CAMPAIGN_JOB)
def campaign_job(instance, job) -> dict:
    store.ensure_schema(job.db)
    config = getattr(instance, "config", instance)
    return send_campaign(job.db, store_for(instance), int(job.payload["campaign_id"]), config, job=job,
                         folder=_templates(instance), actor=job.created_by)


@jobs.handler(SEND_JOB)
def send_job(instance, job) -> dict:
    """One request's letter (``{"request_id", "purpose"}``); a letter already sent is not sent again."""
    store.ensure_schema(job.db)
    config = getattr(instance, "config", instance)
    purpose = job.payload.get("purpose", "request")
    try:
        row = send_request(job.db, store_for(instance), int(job.payload["request_id"]), config, purpose=purpose,
                           actor=job.created_by, folder=_templates(instance))
    except errors.Conflict as e:
        if purpose == "request" and sent_letter(job.db, int(job.payload["request_id"])):
            return {"message": str(e)}
        raise
    return {"message_id": row["message_id"]}
