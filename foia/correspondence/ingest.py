"""One incoming message, filed: stored raw once, matched to a request, read, its attachments made
documents of that request; and what users then do with it (confirm, edit or reject the suggested
event; assign or discard a message in review).

Processing is idempotent: the same message again (same bytes, or same Message-ID) is recognised
and not filed twice. A message is recorded first, then its attachments are filed one by one through
the documents code (which itself recognises a file already attached), and only then is it marked
complete; a run that died half-way is finished by the next delivery of the same message.
"""
import dataclasses
import datetime as dt
import io

from .. import audit, clock, documents, errors, filerefs, requests, workdays
from ..config import DEFAULTS
from ..db import transaction
from . import match as matching
from . import read as reader
from . import store
from .parse import Parsed, parse

BODY_LIMIT = 200_000  # characters of body text kept on the row for display


def setting(config: dict, key: str):
    """A setting from ``config``, or its default (:data:`foia.config.DEFAULTS`) when missing or empty."""
    value = (config or {}).get(key)
    return DEFAULTS[key] if value in (None, "") else value


@dataclasses.dataclass
class Filed:
    """The outcome of :func:`ingest`."""

    id: int
    state: str
    request_id: int | None
    duplicate: bool = False
    why: str = ""
    reading: reader.Reading | None = None
    documents: list = dataclasses.field(default_factory=list)  # document ids filed
    notes: list = dataclasses.field(default_factory=list)  # what happened to attachments, for people


def _calendar(db, request_id: int | None):
    if request_id is not None:
        row = db.execute("SELECT a.state, a.closed_days FROM requests r JOIN agencies a ON a.id = r.agency_id "
                         "WHERE r.id = ?", [request_id]).fetchone()
        if row:
            try:
                return workdays.calendar_for(row[0], row[1])
            except ValueError:
                pass
    return workdays.calendar_for("US")


def _date_text(parsed: Parsed) -> str | None:
    if parsed.date is None:
        return None
    return parsed.date.isoformat(timespec="seconds")


def classify(raw: bytes, *, calendar=None, received_on: dt.date | None = None) -> reader.Reading:
    """What the reader makes of one raw message, storing nothing (``foia mail classify``)."""
    return reader.read(parse(raw), calendar=calendar, received_on=received_on)


def ingest(db, store_, raw: bytes, *, config: dict | None = None, source: str = "", actor=None) -> Filed:
    """File one raw message (see the module docstring). ``store_`` is the instance's file store."""
    if not raw or not raw.strip():
        raise errors.Invalid("message", "The message is empty.")
    config = config or {}
    parsed = parse(raw)
    with filerefs.ingest(db, store_) as claim:
        sha256, size = store_.put_stream(io.BytesIO(raw), setting(config, "MAIL_MAX_MESSAGE"))
        claim.stored.append(sha256)
        with transaction(db):
            existing = store.find_duplicate(db, sha256, parsed.message_id)
            if existing is None:
                row_id, filed = _record(db, parsed, sha256, size, source)
            else:
                row_id, filed = existing["id"], None
    if filed is None:
        row = store.get(db, row_id)
        if row["state"] == "matched" and not row["attachments_filed"]:
            notes, docs = _file_attachments(db, store_, row, parsed, config, actor)
            return Filed(row_id, row["state"], row["request_id"], duplicate=True,
                         why="Already received; its attachments are now filed.", documents=docs, notes=notes)
        return Filed(row_id, row["state"], row["request_id"], duplicate=True,
                     why="This message was already received (same Message-ID or content); nothing was filed twice.")
    if filed.state == "matched":
        filed.notes, filed.documents = _file_attachments(db, store_, store.get(db, row_id), parsed, config, actor)
    return filed


def _record(db, parsed: Parsed, sha256: str, size: int, source: str) -> tuple[int, Filed]:
    found = matching.match(db, parsed)
    reading = reader.read(parsed, calendar=_calendar(db, found.request_id), received_on=clock.today())
    request_id = found.request_id
    why = found.why
    if reading.kind == "bounce":
        state = "bounce"
    elif reading.kind == "auto_reply":
        state = "auto_reply"
    elif request_id is not None:
        state = "matched"
    else:
        state = "review"
    suggestion_state = "pending" if state == "matched" and reading.is_event else "none"
    row_id = store.insert(db, {
        "request_id": request_id, "direction": "in", "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to, "references": parsed.references, "sha256": sha256, "size": size,
        "from_addr": parsed.from_addr, "from_name": parsed.from_name, "to_addrs": parsed.to,
        "subject": parsed.subject[:1000], "date": _date_text(parsed), "received_at": clock.stamp(),
        "body": parsed.text[:BODY_LIMIT], "source": source[:200], "matched_by": found.matched_by,
        "match_note": why, "suggestion": dict(reading.as_dict(), event=reading.event_data()),
        "suggestion_state": suggestion_state, "state": state,
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": len(a.data)}
                        for a in parsed.attachments],
        "attachments_filed": 0 if state == "matched" and parsed.attachments else 1,
        "defects": parsed.defects[:50],
    })
    if state == "bounce":
        for address in reading.bounced:
            store.flag_broken(db, address, row_id, reading.why)
    audit.record(db, "mail.receive", object_type="message", object_id=row_id,
                 detail={"request_id": request_id, "state": state, "kind": reading.kind})
    return row_id, Filed(row_id, state, request_id, why=why, reading=reading)


def _file_attachments(db, store_, row: dict, parsed: Parsed, config: dict, actor) -> tuple[list, list]:
    """Each attachment becomes a document of the message's request; one refused (too large, a zip
    bomb, damaged) is noted and the others are still filed. The text of PDFs and DOCX files is read
    by the ``document.extract`` job, as for web uploads, so that a mailbox of thousands of replies
    is filed at once."""
    notes, doc_ids, outcome = [], [], []
    limit = setting(config, "MAIL_MAX_ATTACHMENT")
    received = (row["date"] or row["received_at"])[:10]
    for attachment in parsed.attachments:
        entry = {"filename": attachment.filename, "content_type": attachment.content_type,
                 "size": len(attachment.data)}
        try:
            added = documents.add_document(db, store_, row["request_id"], io.BytesIO(attachment.data),
                                           attachment.filename, received_on=received, actor=actor,
                                           max_size=limit, defer=True, doc_type="correspondence"
                                           if attachment.content_type == "message/rfc822" else None)
        except (errors.FoiaError, ValueError, LookupError) as e:
            entry["error"] = str(e)
            notes.append(f"{attachment.filename} was not filed: {e}")
        else:
            entry["document_id"] = added.id
            doc_ids.append(added.id)
            notes += list(added.notes)
        outcome.append(entry)
    store.update(db, row["id"], {"attachments": outcome, "attachments_filed": 1})
    return notes, doc_ids


# --- what users do with a message ------------------------------------------------------------------

def confirm(db, message_row: int, *, kind: str | None = None, occurred_on=None, data: dict | None = None,
            note: str | None = None, actor=None, config: dict | None = None, form: bool = False) -> int:
    """Record the suggested event (as suggested, or as edited by the user) on the message's request,
    through the ordinary timeline rules; returns the event id. ``form`` says ``data`` is text from
    a web form (see :func:`foia.events.parse`)."""
    row = store.get(db, message_row)
    if row["request_id"] is None or row["state"] != "matched":
        raise errors.Conflict("Assign the message to a request before recording an event from it.")
    if row["suggestion_state"] == "confirmed":
        raise errors.Conflict("The event of this message has already been recorded.")
    suggestion = row["suggestion"]
    kind = kind or suggestion.get("kind")
    if not kind or kind in reader.OTHER_KINDS:
        raise errors.Invalid("kind", "Choose the kind of event this message is.")
    if data is None:
        data = (suggestion.get("event") or {}) if kind == suggestion.get("kind") else {}
    occurred_on = occurred_on or suggestion.get("date") or (row["date"] or row["received_at"])[:10]
    if note is None:
        note = f"From the e-mail “{row['subject'][:200]}” of {(row['date'] or row['received_at'])[:10]}."
    with transaction(db):
        event_id = requests.add_event(db, row["request_id"], kind, occurred_on, note=note, data=data,
                                      actor=actor, config=config, form=form)
        store.update(db, message_row, {"suggestion_state": "confirmed", "event_id": event_id,
                                       "reviewed_by": actor, "reviewed_at": clock.stamp()})
        audit.record(db, "mail.confirm", user_id=actor, object_type="message", object_id=message_row,
                     detail={"event_id": event_id, "kind": kind})
    return event_id


def reject(db, message_row: int, *, actor=None) -> None:
    """The suggestion is wrong: keep the message on the request, record no event."""
    row = store.get(db, message_row)
    if row["suggestion_state"] == "confirmed":
        raise errors.Conflict("The event of this message has already been recorded; remove it from the timeline instead.")
    with transaction(db):
        store.update(db, message_row, {"suggestion_state": "rejected", "reviewed_by": actor,
                                       "reviewed_at": clock.stamp()})
        audit.record(db, "mail.reject", user_id=actor, object_type="message", object_id=message_row)


def assign(db, store_, message_row: int, request_id: int, *, config: dict | None = None, actor=None) -> Filed:
    """File a message from the review queue (or a misfiled one) on ``request_id``: it is read again
    with that agency's calendar, and its attachments become documents of the request."""
    row = store.get(db, message_row)
    if row["direction"] != "in":
        raise errors.Conflict("Only received messages can be assigned.")
    if row["suggestion_state"] == "confirmed":
        raise errors.Conflict("An event was already recorded from this message; it cannot move to another request.")
    requests.get(db, request_id)
    with store_.open(row["sha256"]) as f:
        parsed = parse(f.read())
    reading = reader.read(parsed, calendar=_calendar(db, request_id), received_on=clock.today())
    state = row["state"] if row["state"] in ("bounce", "auto_reply") else "matched"
    with transaction(db):
        store.update(db, message_row, {
            "request_id": request_id, "state": state, "matched_by": "manual",
            "match_note": f"Assigned to request {request_id} by a user.",
            "suggestion": dict(reading.as_dict(), event=reading.event_data()),
            "suggestion_state": "pending" if state == "matched" and reading.is_event else "none",
            "reviewed_by": actor, "reviewed_at": clock.stamp(), "attachments_filed": 0,
        })
        audit.record(db, "mail.assign", user_id=actor, object_type="message", object_id=message_row,
                     detail={"request_id": request_id})
    filed = Filed(message_row, state, request_id, why="Assigned by a user.", reading=reading)
    if state == "matched":
        filed.notes, filed.documents = _file_attachments(db, store_, store.get(db, message_row), parsed,
                                                         config or {}, actor)
    return filed


def discard(db, message_row: int, *, actor=None) -> None:
    row = store.get(db, message_row)
    if row["suggestion_state"] == "confirmed":
        raise errors.Conflict("An event was recorded from this message; remove the event first.")
    with transaction(db):
        store.update(db, message_row, {"state": "discarded", "suggestion_state": "none", "reviewed_by": actor,
                                       "reviewed_at": clock.stamp()})
        audit.record(db, "mail.discard", user_id=actor, object_type="message", object_id=message_row)


def raw(db, store_, message_row: int) -> bytes:
    row = store.get(db, message_row)
    with store_.open(row["sha256"]) as f:
        return f.read()
