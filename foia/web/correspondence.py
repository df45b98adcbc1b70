"""Correspondence: the mail review queue, one message's page, the request's conversation.

A message is never shown as HTML: its body is the plain text taken from it (HTML mail turned into
text, scripts and styles dropped), escaped, so nothing in it runs and no remote image is fetched
(the app's Content-Security-Policy would block them too). The raw message downloads as an
attachment, never inline. Polling the mailbox is a job: the page only enqueues it.
"""
import re

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from .. import errors, events, jobs
from ..requests import get as requests_get
from .. import campaigns, mail
from ..correspondence import ingest, read, receive, send, store, tokens
from ..filestore import LocalStore
from . import actor_id, confirm_page, confirmed, get_db, page_number, safe_next

bp = Blueprint("correspondence", __name__, url_prefix="/mail")

MAX_HIGHLIGHTS = 12
REVIEW_PAGE = 50  # messages of the review queue per page


def _db():
    db = get_db()
    store.ensure_schema(db)
    return db


def _store():
    instance = current_app.extensions.get("foia")
    return instance.store if instance is not None else LocalStore(current_app.config["FILES_DIR"])


def _request_section(db, request_row) -> dict:
    store.ensure_schema(db)
    agency_email = request_row.get("agency_email") or ""
    base = current_app.config.get("MAIL_REPLY_ADDRESS") or current_app.config.get("MAIL_FROM") or ""
    row = db.execute("SELECT token FROM reply_tokens WHERE request_id = ?", [request_row["id"]]).fetchone()
    reply_address = None
    if row and "@" in base:
        reply_address = tokens.reply_address(base, row[0])
    letter = send.sent_letter(db, request_row["id"])
    conversation = store.for_request(db, request_row["id"])
    return {
        "send_job": jobs.latest(db, _send_key(request_row["id"])),
        "letter_message": letter,
        "can_send": mail.is_configured(current_app.config) and bool(agency_email),
        "mail_status": mail.status(current_app.config),
        "conversation": conversation,
        "subjects": {m["message_id"]: m["subject"] or "(no subject)" for m in conversation if m["message_id"]},
        "conversation_request": request_row,
        "agency_broken": store.broken(db, agency_email),
        "agency_email": agency_email,
        "reply_address": reply_address,
        "STATE_LABELS": store.STATE_LABELS,
        "KIND_LABELS": read.KIND_LABELS,
    }


REQUEST_SECTION = ("correspondence/_conversation.html", _request_section)


def _dashboard_section(db) -> dict:
    store.ensure_schema(db)
    counts = store.counts(db)
    pending = list(db.query(
        "SELECT id, request_id, subject, json_extract(suggestion, '$.kind') AS kind FROM messages "
        "WHERE suggestion_state = 'pending' ORDER BY id DESC LIMIT 10"))
    suggestions = db.execute("SELECT count(*) FROM messages WHERE suggestion_state = 'pending'").fetchone()[0]
    broken = db.execute("SELECT count(*) FROM broken_addresses").fetchone()[0]
    return {"mail_board": {"review": counts.get("review", 0), "suggestions": suggestions, "broken": broken,
                           "pending": pending}, "KIND_LABELS": read.KIND_LABELS}


DASHBOARD_SECTION = ("correspondence/_dashboard.html", _dashboard_section)


def highlight(body: str, phrases) -> Markup:
    """The body as escaped text with each evidence phrase marked (whitespace may differ)."""
    spans = []
    for phrase in list(dict.fromkeys(p for p in phrases if p and len(p) >= 3))[:MAX_HIGHLIGHTS]:
        pattern = r"\s+".join(re.escape(word) for word in phrase.split())
        match = re.search(pattern, body)
        if match:
            spans.append(match.span())
    spans.sort()
    out, position = [], 0
    for start, end in spans:
        if start < position:
            continue
        out.append(escape(body[position:start]))
        out.append(Markup("<mark>%s</mark>") % body[start:end])
        position = end
    out.append(escape(body[position:]))
    return Markup("").join(out)


def _form_errors(e: errors.FoiaError) -> dict:
    if isinstance(e, errors.Invalid):
        return {field or "form": message for field, message in e.errors.items()}
    return {"form": str(e)}


@bp.get("/")
def inbox():
    db = _db()
    config = current_app.config
    page = page_number()
    queue = store.review_queue(db, limit=REVIEW_PAGE + 1, offset=(page - 1) * REVIEW_PAGE)
    return render_template(
        "correspondence/inbox.html", queue=queue[:REVIEW_PAGE], page=page, has_next=len(queue) > REVIEW_PAGE,
        counts=store.counts(db),
        broken=store.broken_addresses(db), polling=receive.status(config),
        can_poll=receive.is_configured(config), poll_job=jobs.latest(db, receive.POLL_JOB),
        STATE_LABELS=store.STATE_LABELS,
    )


@bp.post("/poll")
def poll():
    db = _db()
    if not receive.is_configured(current_app.config):
        flash(receive.status(current_app.config))
    else:
        jobs.enqueue(db, receive.POLL_JOB, {}, key=receive.POLL_JOB, actor=actor_id())
        flash("Checking the mailbox; new replies appear here and on their requests.")
    return redirect(url_for(".inbox"), code=303)


def _message_page(message_row, *, form_errors=None, values=None, status=200):
    db = _db()
    message = store.get(db, message_row)
    suggestion = message["suggestion"]
    kind = (values or {}).get("kind") or suggestion.get("kind")
    prefill = dict(suggestion.get("event") or {})
    prefill.setdefault("occurred_on", suggestion.get("date") or "")
    prefill.update(values or {})
    request_row = None
    if message["request_id"] is not None:
        found = list(db.query("SELECT r.id, r.title, a.name AS agency_name FROM requests r JOIN agencies a "
                              "ON a.id = r.agency_id WHERE r.id = ?", [message["request_id"]]))
        request_row = found[0] if found else None
    return render_template(
        "correspondence/message.html", message=message, suggestion=suggestion, request_row=request_row,
        body=highlight(message["body"], [e["phrase"] for e in suggestion.get("evidence", [])]),
        kind=kind if kind in read.RESPONSE_KINDS else "acknowledged", kinds=read.RESPONSE_KINDS,
        kind_fields=events.fields(kind if kind in read.RESPONSE_KINDS else "acknowledged"), values=prefill,
        errors=form_errors or {}, STATE_LABELS=store.STATE_LABELS, KIND_LABELS=read.KIND_LABELS,
        event_label=events.label,
    ), status


@bp.get("/<int:message_row>")
def show(message_row):
    return _message_page(message_row)


@bp.get("/<int:message_row>/raw")
def raw(message_row):
    db = _db()
    data = ingest.raw(db, _store(), message_row)
    return Response(data, mimetype="message/rfc822", headers={
        "Content-Disposition": f'attachment; filename="message-{int(message_row)}.eml"',
        "X-Content-Type-Options": "nosniff"})


@bp.post("/<int:message_row>/confirm")
def confirm(message_row):
    db = _db()
    kind = request.form.get("kind", "")
    if request.form.get("change_kind"):  # show the fields of another kind before recording
        return _message_page(message_row, values={"kind": kind})
    data = {f.name: request.form.get(f.name, "") for f in events.fields(kind)}
    try:
        ingest.confirm(db, message_row, kind=kind, occurred_on=request.form.get("occurred_on") or None,
                       data=data, actor=actor_id(), config=current_app.config, form=True)
    except (errors.Invalid, errors.Conflict) as e:
        return _message_page(message_row, form_errors=_form_errors(e),
                             values=dict(data, kind=kind, occurred_on=request.form.get("occurred_on", "")), status=400)
    message = store.get(db, message_row)
    flash(f"Recorded “{events.label(kind)}” on the request's timeline.")
    return redirect(url_for("requests.show", request_id=message["request_id"]) + "#timeline", code=303)


@bp.post("/<int:message_row>/reject")
def reject(message_row):
    try:
        ingest.reject(_db(), message_row, actor=actor_id())
    except errors.Conflict as e:
        return _message_page(message_row, form_errors=_form_errors(e), status=409)
    flash("Suggestion rejected; the message stays on the request.")
    return redirect(url_for(".show", message_row=message_row), code=303)


@bp.post("/<int:message_row>/assign")
def assign(message_row):
    db = _db()
    try:
        request_id = int(request.form.get("request_id", ""))
    except ValueError:
        return _message_page(message_row, form_errors={"request_id": "Enter the number of a request."}, status=400)
    try:
        filed = ingest.assign(db, _store(), message_row, request_id, config=current_app.config, actor=actor_id())
    except errors.NotFound as e:
        return _message_page(message_row, form_errors={"request_id": str(e)}, status=400)
    except errors.Conflict as e:
        return _message_page(message_row, form_errors=_form_errors(e), status=409)
    flash(f"Filed on request {request_id}." + "".join(f" {n}" for n in filed.notes))
    return redirect(url_for(".show", message_row=message_row), code=303)


@bp.post("/<int:message_row>/discard")
def discard(message_row):
    if not confirmed():
        message = store.get(_db(), message_row)
        return confirm_page(title="Discard this message?",
                            message=f"“{message['subject'] or '(no subject)'}” leaves the review queue and is filed "
                                    "on no request. The message itself is kept and can still be opened here.",
                            button="Discard it", cancel_url=url_for(".show", message_row=message_row))
    try:
        ingest.discard(_db(), message_row, actor=actor_id())
    except errors.Conflict as e:
        return _message_page(message_row, form_errors=_form_errors(e), status=409)
    flash("Message discarded.")
    return redirect(url_for(".inbox"), code=303)


@bp.post("/addresses/clear")
def clear_address():
    address = request.form.get("address", "")
    store.clear_broken(_db(), address, actor=actor_id())
    flash(f"{address} is no longer marked as bouncing.")
    return redirect(safe_next(request.form.get("next"), url_for(".inbox")), code=303)


def _send_key(request_id: int) -> str:
    return f"mail.send:{int(request_id)}"


@bp.post("/requests/<int:request_id>/send")
def send_request(request_id):
    """Queue the e-mail of the request's letter (or a follow-up or appeal in its thread)."""
    db = _db()
    row = requests_get(db, request_id)
    purpose = request.form.get("purpose", "request")
    if purpose not in store.PURPOSES:
        purpose = "request"
    try:
        send.recipient(db, row)
    except send.NoAddress as e:
        flash(str(e))
    else:
        jobs.enqueue(db, send.SEND_JOB, {"request_id": request_id, "purpose": purpose}, key=_send_key(request_id),
                     actor=actor_id())
        flash("Sending by e-mail; the request is marked filed once the mail server accepts it.")
    return redirect(url_for("requests.show", request_id=request_id) + "#conversation", code=303)


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id):
    db = _db()
    info = campaigns.get(db, campaign_id)
    preview = None
    error = None
    try:
        preview = send.preview(db, _store(), campaign_id, current_app.config, folder=_templates())
    except errors.FoiaError as e:
        error = str(e)
    return render_template("correspondence/campaign.html", campaign=info, preview=preview, error=error,
                           job=jobs.latest(db, f"mail.campaign:{campaign_id}"),
                           mail_status=mail.status(current_app.config), can_send=mail.is_configured(current_app.config))


@bp.post("/campaigns/<int:campaign_id>/send")
def campaign_send(campaign_id):
    db = _db()
    if not mail.is_configured(current_app.config):
        flash(mail.status(current_app.config))
    else:
        send.start_campaign(db, campaign_id, actor=actor_id())
        flash("Sending the campaign's e-mails; this page shows the progress.")
    return redirect(url_for(".campaign", campaign_id=campaign_id), code=303)


def _templates():
    instance = current_app.extensions.get("foia")
    return instance.letter_templates if instance is not None else None
