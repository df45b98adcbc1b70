"""Requests and their timelines.

A request's status and due date are cached on its row for listing, and recomputed from the
timeline by :mod:`foia.recompute` after every change; nothing else writes them. Event details are
parsed once here, at the boundary, into the typed payloads of :mod:`foia.events`.

Functions that change a timeline take ``config`` (the instance's configuration, whose deadline
and reminder settings the recompute uses; None: the defaults and the settings page's values).
"""
import dataclasses
import datetime as dt
import difflib
import json
import re
from collections.abc import Mapping
from typing import NamedTuple

from . import audit, clock, errors, formats, lifecycle, recompute
from . import events as event_kinds
from .db import loads, transaction

METHODS = event_kinds.METHODS
METHOD_LABELS = {"email": "E-mail", "portal": "Portal", "mail": "Post", "fax": "Fax"}
MAX_TITLE = 300
MAX_ID = 2**63 - 1  # the largest SQLite integer: a row id above it is no row
MAX_TEXT = 20000
SORTS = {
    "updated": "r.updated_at DESC, r.id DESC",
    "created": "r.created_at DESC, r.id DESC",
    "due": "r.due_on IS NULL, r.due_on, r.id",
    "agency": "a.name, r.id",
    "status": "r.status, r.id",
    "id": "r.id",
}


# Transitional names for callers not yet converted to foia.errors (foia/cli/core.py).
NotFound = errors.NotFound
RequestError = errors.FoiaError

LABELS = {"title": "Title", "description": "Records sought", "tracking_number": "Tracking number",
          "note": "Note"}


def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    label = LABELS.get(field, field.replace("_", " ").capitalize())
    if value is not None and not isinstance(value, str):
        raise errors.Invalid(field, f"{label} must be text.")
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise errors.Invalid(field, f"{label} is required.")
    if len(text) > limit:
        raise errors.Invalid(field, f"{label} is {len(text):,} characters long; the limit is {limit}.")
    return text


def _key(value):
    """A form's one-time submission key: short text, or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise errors.Invalid("submission_key", "A submission key must be text of at most 200 characters.")
    return value


def _collect(problems: dict, field: str, parse):
    """Run ``parse()``; an Invalid it raises is added to ``problems`` (so all are reported at once)."""
    try:
        return parse()
    except errors.Invalid as e:
        problems.update(e.errors if e.errors else {field: str(e)})
        return None


def _agency_id(db, value) -> int:
    try:
        if isinstance(value, (bool, float)):
            raise TypeError
        if isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()):
            raise ValueError
        agency_id = int(value)
    except (TypeError, ValueError):
        raise errors.Invalid("agency_id", "Choose an agency.") from None
    if not 1 <= agency_id <= MAX_ID:
        raise errors.Invalid("agency_id", "Choose an agency from the list.")
    if not db.execute("SELECT 1 FROM agencies WHERE id = ?", [agency_id]).fetchone():
        raise errors.Invalid("agency_id", f"There is no agency with id {agency_id}; choose one from the list.")
    return agency_id


def _method(value) -> str:
    if not isinstance(value, str) or value not in METHODS:
        raise errors.Invalid("method", "Choose how the request is sent: by e-mail, through the agency's portal, "
                                       "by post or by fax.")
    return value


class Created(NamedTuple):
    """What :func:`create` did: the request's id, and False when it already existed (the same
    form submitted again, or the campaign's request to that agency)."""
    id: int
    created: bool


class SimilarRequest(errors.Conflict):
    """The agency already has an open request with a similar title (``matches``: those requests,
    as :func:`similar_open` gives them). Raised only when the caller asks for the check."""

    def __init__(self, message: str, matches: list[dict]):
        super().__init__(message)
        self.matches = matches


class DuplicateEvent(errors.Conflict):
    """The timeline already has an event of this kind on this day; adding a second one needs
    ``confirm_duplicate=True``."""


def create_request(db, *, agency_id, title, description="", method="email", tracking_number="",
                   owner_id=None, campaign_id=None, template=None, options=None, actor=None,
                   submission_key=None, filed_on=None, config: Mapping | None = None) -> int:
    """Create a request with its first event (``drafted``, or ``filed`` on ``filed_on``); its id.

    Every problem with the input is reported at once (:class:`foia.errors.Invalid`). Idempotent
    for a form submission (same ``submission_key``) and for a campaign (same agency).
    """
    return create(db, agency_id=agency_id, title=title, description=description, method=method,
                  tracking_number=tracking_number, owner_id=owner_id, campaign_id=campaign_id,
                  template=template, options=options, actor=actor, submission_key=submission_key,
                  filed_on=filed_on, config=config).id


def create(db, *, agency_id, title, description="", method="email", tracking_number="", owner_id=None,
           campaign_id=None, template=None, options=None, actor=None, submission_key=None, filed_on=None,
           check_similar: bool = False, config: Mapping | None = None) -> Created:
    """:func:`create_request`, saying whether the request is new. With ``check_similar`` (the
    web form), the same person's identical request to the agency made in the last
    ``RESUBMIT_MINUTES`` is the one returned (the form sent again from another tab, or retyped
    after Back), and an open request of the agency with a similar title (:func:`similar_open`)
    stops it with :class:`SimilarRequest`. A reused ``submission_key`` lands on its request first."""
    today = clock.today()
    problems: dict[str, str] = {}
    submission_key = _collect(problems, "submission_key", lambda: _key(submission_key))
    title = _collect(problems, "title", lambda: _text(title, "title", MAX_TITLE, required=True))
    description = _collect(problems, "description", lambda: _text(description, "description", MAX_TEXT))
    tracking_number = _collect(problems, "tracking_number", lambda: _text(tracking_number, "tracking_number", 200))
    method = _collect(problems, "method", lambda: _method(method))
    agency_id = _collect(problems, "agency_id", lambda: _agency_id(db, agency_id))
    first_on = today.isoformat()
    if filed_on:
        first_on = _collect(problems, "filed_on", lambda: lifecycle.parse_date(
            filed_on, field="Filed on", name="filed_on", today=today))
    errors.check(problems)
    now = clock.stamp()
    with transaction(db):
        if submission_key:
            row = list(db.query("SELECT id, created_by FROM requests WHERE submission_key = ?", [submission_key]))
            if row:
                if row[0]["created_by"] != actor:
                    # Someone else's form key: never hand over their request.
                    raise errors.Conflict("This form was already used. Open the new-request page again.")
                return Created(row[0]["id"], False)
        if campaign_id is not None:
            row = list(db.query("SELECT id FROM requests WHERE campaign_id = ? AND agency_id = ?",
                                [campaign_id, agency_id]))
            if row:
                return Created(row[0]["id"], False)
        if check_similar:
            # The same form filled in again (after Back, in another tab): the request just made.
            since = (clock.now() - dt.timedelta(minutes=RESUBMIT_MINUTES)).isoformat(timespec="seconds")
            row = db.execute(
                "SELECT id FROM requests WHERE agency_id = ? AND title = ? AND description = ? AND created_by IS ? "
                "AND created_at >= ? AND campaign_id IS NULL ORDER BY id DESC LIMIT 1",
                [agency_id, title, description, actor, since]).fetchone()
            if row:
                return Created(row[0], False)
            matches = similar_open(db, agency_id, title)
            if matches:
                first = matches[0]
                raise SimilarRequest(
                    f"{first['agency_name']} already has an open request “{first['title']}” "
                    f"({first['since_words']}).", matches)
        request_id = db["requests"].insert({
            "agency_id": agency_id, "campaign_id": campaign_id, "title": title,
            "description": description, "template": template,
            "options": json.dumps(options or {}, sort_keys=True), "method": method,
            "tracking_number": tracking_number, "status": "draft", "owner_id": owner_id,
            "submission_key": submission_key, "created_at": now, "created_by": actor, "updated_at": now,
        }).last_pk
        db["events"].insert({
            "request_id": request_id, "kind": "filed" if filed_on else "drafted", "occurred_on": first_on,
            "recorded_at": now, "note": "", "data": "{}", "user_id": actor,
        })
        audit.record(db, "request.create", user_id=actor, object_type="request", object_id=request_id)
        refresh(db, request_id, config)
    return Created(request_id, True)


# Words that say nothing about which records a title asks for.
_COMMON_WORDS = frozenset(
    "a an and any all about for from in of on or the to with by re regarding concerning between "
    "request requests public records record copy copies foia".split())
RESUBMIT_MINUTES = 30
SIMILAR_RATIO = 0.75  # difflib ratio of the titles' significant words
SIMILAR_OVERLAP = 0.75  # share of the shorter title's significant words found in the other


def title_words(title: str) -> list[str]:
    """The significant words of a title, lower case, in order ("Ring MOU & e-mails" -> ring, mou, e, mails)."""
    words = re.findall(r"[^\W_]+", (title or "").lower())
    return [w for w in words if w not in _COMMON_WORDS] or words


def similar_titles(a: str, b: str) -> bool:
    """Whether two request titles ask for much the same thing: most significant words of the
    shorter one appear in the other, or the word sequences are close (typos, reordering)."""
    wa, wb = title_words(a), title_words(b)
    if not wa or not wb:
        return False
    shorter, longer = (wa, wb) if len(set(wa)) <= len(set(wb)) else (wb, wa)
    overlap = len(set(shorter) & set(longer)) / len(set(shorter))
    if len(set(shorter)) >= 2 and overlap >= SIMILAR_OVERLAP:
        return True
    if set(shorter) == set(longer):
        return True
    return difflib.SequenceMatcher(None, " ".join(wa), " ".join(wb)).ratio() >= SIMILAR_RATIO


def similar_open(db, agency_id, title: str, *, exclude: int | None = None, limit: int = 5) -> list[dict]:
    """The agency's open (or draft) requests whose titles are similar to ``title``, newest first:
    id, title, status, agency_name, filed_on (or None for a draft), created_at and ``since_words``
    ("filed Tue 8 Sep 2026" / "drafted Tue 8 Sep 2026")."""
    statuses = sorted(lifecycle.OPEN_STATUSES | {"draft"})
    rows = db.query(
        f"""SELECT r.id, r.title, r.status, r.created_at, a.name AS agency_name,
                   (SELECT min(e.occurred_on) FROM events e WHERE e.request_id = r.id AND e.kind = 'filed')
                       AS filed_on
            FROM requests r JOIN agencies a ON a.id = r.agency_id
            WHERE r.agency_id = ? AND r.status IN ({",".join("?" * len(statuses))}) AND r.id != ?
            ORDER BY r.id DESC LIMIT 500""", [agency_id, *statuses, exclude or 0])
    found = []
    for row in rows:
        if similar_titles(title, row["title"]):
            row["since_words"] = (f"filed {formats.day(row['filed_on'])}" if row["filed_on"]
                                  else f"drafted {formats.day(row['created_at'])}")
            found.append(row)
            if len(found) >= limit:
                break
    return found


def get(db, request_id) -> dict:
    """One request with its agency's and owner's names; :class:`foia.errors.NotFound` if none."""
    rows = list(db.query(
        """SELECT r.*, a.name AS agency_name, a.state AS agency_state, a.city AS agency_city,
                  a.records_email AS agency_email, a.portal_url AS agency_portal,
                  a.mailing_address AS agency_address, u.email AS owner_email, u.name AS owner_name
           FROM requests r JOIN agencies a ON a.id = r.agency_id
           LEFT JOIN users u ON u.id = r.owner_id
           WHERE r.id = ?""", [request_id]))
    if not rows:
        raise errors.NotFound(f"No request with id {request_id}.")
    row = rows[0]
    row["options"] = loads(row["options"], {})
    return row


def events(db, request_id) -> list[dict]:
    """The request's timeline in order (the draft first, then by date and recording order, as
    :func:`foia.lifecycle.ordered`); each event's ``data`` decoded (its typed form:
    ``foia.events.payload(event)``)."""
    rows = list(db.query(
        """SELECT e.*, u.email AS user_email FROM events e LEFT JOIN users u ON u.id = e.user_id
           WHERE e.request_id = ? ORDER BY e.kind != 'drafted', e.occurred_on, e.id""", [request_id]))
    for row in rows:
        row["data"] = loads(row["data"], {})
    return rows


def parse_event(kind, occurred_on=None, note="", data=None, *, today=None, form: bool = False):
    """Check an event's input, reporting every problem at once (:class:`foia.errors.Invalid`
    keyed by field: ``kind``, ``occurred_on``, ``note``, or a payload field such as ``days``).
    Returns (kind, ISO date, note, typed payload). ``form``: the values are text from a form."""
    today = today or clock.today()
    problems: dict[str, str] = {}
    payload_class = _collect(problems, "kind", lambda: event_kinds.payload_class(kind))
    on = _collect(problems, "occurred_on", lambda: lifecycle.parse_date(occurred_on or today, today=today))
    note = _collect(problems, "note", lambda: _text(note, "note", MAX_TEXT))
    payload = None
    if payload_class is not None:
        payload = _collect(problems, "data", lambda: payload_class.parse(data, form=form))
    errors.check(problems)
    return kind, on, note, payload


def add_event(db, request_id, kind, occurred_on=None, note="", data=None, actor=None,
              submission_key=None, *, config: Mapping | None = None, form: bool = False,
              confirm_duplicate: bool = False) -> int:
    """Add a timeline event after checking its details and that the timeline allows it; returns
    the event id. Bad input raises :class:`foia.errors.Invalid` (every field's problem at once),
    an event the timeline does not allow :class:`foia.lifecycle.TransitionError` (a Conflict), an
    unknown request :class:`foia.errors.NotFound`. A second event of the same kind on the same day
    (notes aside) raises :class:`DuplicateEvent` unless ``confirm_duplicate``. A back-dated filing
    moves the draft event to the filing day, so the timeline never shows "Drafted" after "Filed"."""
    submission_key = _key(submission_key)
    kind, on, note, payload = parse_event(kind, occurred_on, note, data, form=form)
    with transaction(db):
        if submission_key:
            row = db.execute("SELECT id FROM events WHERE submission_key = ?", [submission_key]).fetchone()
            if row:
                return row[0]
        if not _exists(db, request_id):
            raise errors.NotFound(f"No request with id {request_id}.")
        stored = payload.as_json()
        timeline = events(db, request_id)
        if not confirm_duplicate and kind != "note" and any(
                e["kind"] == kind and e["occurred_on"] == on for e in timeline):
            raise DuplicateEvent(
                f"This request already has {_article(event_kinds.label(kind))} event on {formats.day(on)}.")
        lifecycle.check_event(timeline, kind, on, stored)
        event_id = db["events"].insert({
            "request_id": request_id, "kind": kind, "occurred_on": on, "recorded_at": clock.stamp(),
            "note": note, "data": payload.dumps(), "user_id": actor, "submission_key": submission_key,
        }).last_pk
        if kind == "filed" and payload.tracking_number:
            db["requests"].update(request_id, {"tracking_number": payload.tracking_number})
        if kind == "filed":
            # Drafted before it was filed: a back-dated filing brings the draft event back with it.
            db.execute("UPDATE events SET occurred_on = ? WHERE request_id = ? AND kind = 'drafted' "
                       "AND occurred_on > ?", [on, request_id, on])
        audit.record(db, "event.add", user_id=actor, object_type="request", object_id=request_id,
                     detail={"event_id": event_id, "kind": kind})
        refresh(db, request_id, config)
    return event_id


def _article(words: str) -> str:
    """``words`` with its indefinite article: "an Acknowledged", "a Denied"."""
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def get_event(db, event_id, *, request_id=None) -> dict:
    """One timeline event (of ``request_id``, when given); :class:`foia.errors.NotFound` if none."""
    rows = list(db.query("SELECT * FROM events WHERE id = ?", [event_id]))
    if not rows or (request_id is not None and rows[0]["request_id"] != int(request_id)):
        raise errors.NotFound(f"No event with id {event_id}" + (f" on request {request_id}." if request_id else "."))
    row = rows[0]
    row["data"] = loads(row["data"], {})
    return row


def delete_event(db, event_id, *, request_id=None, actor=None, config: Mapping | None = None) -> None:
    """Remove a mistaken event, if the timeline without it is still valid.

    With ``request_id``, the event must belong to that request.
    """
    event = get_event(db, event_id, request_id=request_id)
    request_id = event["request_id"]
    with transaction(db):
        rest = [e for e in events(db, request_id) if e["id"] != event_id]
        if not rest:
            raise errors.Conflict("The first event of a timeline cannot be removed.")
        try:
            lifecycle.check_timeline(rest)
        except lifecycle.TransitionError as e:
            raise errors.Conflict(f"Removing it would leave an invalid timeline: {e}") from None
        db.execute("DELETE FROM events WHERE id = ?", [event_id])
        audit.record(db, "event.delete", user_id=actor, object_type="request", object_id=request_id,
                     detail={"event_id": event_id, "kind": event["kind"]})
        refresh(db, request_id, config)


def update(db, request_id, values: dict, *, actor=None, config: Mapping | None = None) -> None:
    """Edit a request's own fields (every problem reported at once)."""
    get(db, request_id)
    changes, problems = {}, {}
    fields = (("title", MAX_TITLE, True), ("description", MAX_TEXT, False), ("tracking_number", 200, False))
    for name, limit, required in fields:
        if name in values:
            changes[name] = _collect(problems, name, lambda: _text(values[name], name, limit, required=required))
    if "method" in values:
        changes["method"] = _collect(problems, "method", lambda: _method(values["method"]))
    if "owner_id" in values:
        changes["owner_id"] = values["owner_id"] or None
    errors.check(problems)
    with transaction(db):
        db["requests"].update(request_id, dict(changes, updated_at=clock.stamp()))
        audit.record(db, "request.update", user_id=actor, object_type="request", object_id=request_id,
                     detail={"fields": sorted(changes)})
        refresh(db, request_id, config)


def _exists(db, request_id) -> bool:
    return db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone() is not None


def refresh(db, request_id, config: Mapping | None = None) -> None:
    """Mark the request changed and recompute what its timeline implies: the cached status, the
    deadlines and the pending reminders (inside the caller's transaction)."""
    db.execute("UPDATE requests SET updated_at = ? WHERE id = ?", [clock.stamp(), request_id])
    recompute.request(db, request_id, config=config)


def search(db, *, status="", state="", agency_id=None, campaign_id=None, q="", sort="updated",
           page=1, per_page=50) -> tuple[list[dict], int]:
    """Requests matching the filters, one page of them, and how many match in all."""
    where, params = [], []
    if status == "open":
        where.append(f"r.status IN ({','.join('?' * len(lifecycle.OPEN_STATUSES))})")
        params += sorted(lifecycle.OPEN_STATUSES)
    elif status:
        where.append("r.status = ?")
        params.append(status)
    if state:
        where.append("a.state = ?")
        params.append(state)
    if agency_id:
        where.append("r.agency_id = ?")
        params.append(agency_id)
    if campaign_id:
        where.append("r.campaign_id = ?")
        params.append(campaign_id)
    if q:
        terms = fts_query(q)
        if terms:
            where.append("r.id IN (SELECT rowid FROM requests_fts WHERE requests_fts MATCH ?)")
            params.append(terms)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    order = SORTS.get(sort, SORTS["updated"])
    # Join agencies only where a filter or the ordering needs it.
    join = "JOIN agencies a ON a.id = r.agency_id" if (state or sort == "agency") else ""
    total = db.execute(f"SELECT count(*) FROM requests r {join if state else ''} {clause}", params).fetchone()[0]
    # Page through ids alone first (index-only), then fetch the page's rows: deep pages stay fast.
    rows = list(db.query(
        f"""SELECT r.id, r.title, r.status, r.due_on, r.method, r.tracking_number, r.created_at,
                   r.updated_at, r.agency_id, r.campaign_id, a.name AS agency_name, a.state AS agency_state
            FROM (SELECT r.id FROM requests r {join} {clause} ORDER BY {order} LIMIT ? OFFSET ?) AS page
            JOIN requests r ON r.id = page.id JOIN agencies a ON a.id = r.agency_id
            ORDER BY {order}""",
        params + [per_page, (max(int(page), 1) - 1) * per_page]))
    return rows, total


def fts_query(text: str) -> str:
    """User words as an FTS5 query: each word quoted (no operator injection), all required."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w][:20]
    return " ".join(f'"{w}"' for w in words)


def status_counts(db) -> dict[str, int]:
    return {r["status"]: r["n"] for r in db.query("SELECT status, count(*) AS n FROM requests GROUP BY status")}


def recent_events(db, limit=15) -> list[dict]:
    return list(db.query(
        """SELECT e.id, e.kind, e.occurred_on, e.recorded_at, e.note, e.request_id, r.title,
                  a.name AS agency_name, a.state AS agency_state
           FROM events e JOIN requests r ON r.id = e.request_id JOIN agencies a ON a.id = r.agency_id
           ORDER BY e.recorded_at DESC, e.id DESC LIMIT ?""", [limit]))


@dataclasses.dataclass(frozen=True)
class NextAction:
    """What the person following a request should do next, in one line."""
    text: str
    urgent: bool = False  # the agency is late, or a window of ours is closing


def next_action(status: str, dates, today: dt.date) -> NextAction:
    """The next step for a request of ``status`` whose computed dates are ``dates`` (a
    :class:`foia.deadlines.engine.Dates`): "Send a follow-up", "Appeal by Fri 26 Mar 2027",
    "Wait for the agency: due Tue 8 Dec"."""
    def short(day) -> str:
        return formats.day(day) if day.year != today.year else formats.day(day).rsplit(" ", 1)[0]

    if status == "draft":
        return NextAction("File the request, then record the day you sent it.")
    if status in lifecycle.FINAL_STATUSES:
        return NextAction(f"Nothing to do: the request is {lifecycle.STATUSES[status].lower()}.")
    if status == "awaiting_clarification":
        return NextAction("Answer the agency's question: the clock is stopped until you do.", urgent=True)
    if status == "awaiting_fee":
        return NextAction("Decide on the fee estimate: pay, narrow the request or contest it.", urgent=True)
    if status == "appealed":
        return NextAction("Wait for the appeal decision, then record it.")
    if status in lifecycle.DECIDED_STATUSES or status == "partially_released":
        appeal_by = getattr(dates, "appeal_by", None)
        if status == "released" and appeal_by is None:
            return NextAction("Read the records; close the request when you are done.")
        if appeal_by is not None and appeal_by >= today:
            return NextAction(f"Appeal by {formats.day(appeal_by)}", urgent=(appeal_by - today).days <= 7)
        if appeal_by is not None:
            return NextAction(f"The appeal window closed on {formats.day(appeal_by)}; close the request "
                              "or go to court.")
        if status == "partially_released":
            return NextAction("Wait for the rest of the records, or appeal what was withheld.")
        return NextAction("Consider an appeal, or close the request.")
    # The agency owes an answer.
    if getattr(dates, "overdue", False):
        late = (today - dates.effective_due).days
        return NextAction(f"Send a follow-up: the answer was due {formats.day(dates.effective_due)}, "
                          f"{formats.plural(late, 'day')} ago.", urgent=True)
    if getattr(dates, "follow_up_reached", False):
        return NextAction("Send a follow-up: the law sets no fixed period and the follow-up date "
                          f"({formats.day(dates.follow_up)}) has come.", urgent=True)
    if getattr(dates, "acknowledgement_overdue", False):
        return NextAction(f"Ask the agency to acknowledge the request: it was due {formats.day(dates.acknowledge_by)}.",
                          urgent=True)
    target = getattr(dates, "target", None)
    if target is not None:
        word = "due" if getattr(dates, "target_kind", "") == "legal" else "follow up on"
        return NextAction(f"Wait for the agency: {word} {short(target)}")
    return NextAction("Wait for the agency's answer.")
