"""Requests and their timelines.

A request's status and due date are cached on its row for listing, and recomputed from the
timeline by :func:`refresh` after every change; nothing else writes them.
"""
import datetime as dt
import json

from . import audit, clock, lifecycle
from .db import loads, transaction

METHODS = ("email", "portal", "mail", "fax")
MAX_TITLE = 300
MAX_TEXT = 20000
SORTS = {
    "updated": "r.updated_at DESC, r.id DESC",
    "created": "r.created_at DESC, r.id DESC",
    "due": "r.due_on IS NULL, r.due_on, r.id",
    "agency": "a.name, r.id",
    "status": "r.status, r.id",
    "id": "r.id",
}


class NotFound(LookupError):
    pass


class RequestError(ValueError):
    """Invalid request data. ``field`` names the form field at fault, where there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    if value is not None and not isinstance(value, str):
        raise RequestError(f"{field.replace('_', ' ').capitalize()} must be text.", field)
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise RequestError(f"{field.replace('_', ' ').capitalize()} is required.", field)
    if len(text) > limit:
        raise RequestError(f"{field.replace('_', ' ').capitalize()} is {len(text)} characters; the limit is {limit}.", field)
    return text


def _key(value):
    """A form's one-time submission key: short text, or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise RequestError("A submission key must be text of at most 200 characters.", "submission_key")
    return value


def create_request(db, *, agency_id, title, description="", method="email", tracking_number="",
                   owner_id=None, campaign_id=None, template=None, options=None, actor=None,
                   submission_key=None, filed_on=None) -> int:
    """Create a request with its first event (``drafted``, or ``filed`` on ``filed_on``).

    Idempotent for a form submission (same ``submission_key``) and for a campaign (same agency).
    """
    submission_key = _key(submission_key)
    title = _text(title, "title", MAX_TITLE, required=True)
    description = _text(description, "description", MAX_TEXT)
    tracking_number = _text(tracking_number, "tracking_number", 200)
    if not isinstance(method, str) or method not in METHODS:
        raise RequestError(f"Method must be one of {', '.join(METHODS)}.", "method")
    try:
        if isinstance(agency_id, (bool, float)):
            raise TypeError
        agency_id = int(agency_id)
    except (TypeError, ValueError):
        raise RequestError("Choose an agency.", "agency_id") from None
    if not list(db.query("SELECT 1 FROM agencies WHERE id = ?", [agency_id])):
        raise RequestError(f"No agency with id {agency_id}.", "agency_id")
    today = clock.today()
    first_on = today.isoformat()
    if filed_on:
        try:
            first_on = lifecycle.parse_date(filed_on, field="Filed on", today=today)
        except ValueError as e:
            raise RequestError(str(e), "filed_on") from None
    now = clock.stamp()
    with transaction(db):
        if submission_key:
            row = list(db.query("SELECT id FROM requests WHERE submission_key = ?", [submission_key]))
            if row:
                return row[0]["id"]
        if campaign_id is not None:
            row = list(db.query("SELECT id FROM requests WHERE campaign_id = ? AND agency_id = ?",
                                [campaign_id, agency_id]))
            if row:
                return row[0]["id"]
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
        refresh(db, request_id)
    return request_id


def get(db, request_id) -> dict:
    rows = list(db.query(
        """SELECT r.*, a.name AS agency_name, a.state AS agency_state, a.city AS agency_city,
                  a.records_email AS agency_email, a.portal_url AS agency_portal,
                  a.mailing_address AS agency_address, u.email AS owner_email, u.name AS owner_name
           FROM requests r JOIN agencies a ON a.id = r.agency_id
           LEFT JOIN users u ON u.id = r.owner_id
           WHERE r.id = ?""", [request_id]))
    if not rows:
        raise NotFound(f"No request with id {request_id}.")
    row = rows[0]
    row["options"] = loads(row["options"], {})
    return row


def events(db, request_id) -> list[dict]:
    rows = list(db.query(
        """SELECT e.*, u.email AS user_email FROM events e LEFT JOIN users u ON u.id = e.user_id
           WHERE e.request_id = ? ORDER BY e.occurred_on, e.id""", [request_id]))
    for row in rows:
        row["data"] = loads(row["data"], {})
    return rows


def add_event(db, request_id, kind, occurred_on=None, note="", data=None, actor=None,
              submission_key=None) -> int:
    """Add a timeline event after checking that the timeline allows it; returns the event id."""
    submission_key = _key(submission_key)
    if not isinstance(kind, str) or kind not in lifecycle.EVENT_KINDS:
        raise RequestError(f"Unknown event kind {kind!r}; one of: {', '.join(lifecycle.EVENT_KINDS)}.", "kind")
    today = clock.today()
    try:
        on = lifecycle.parse_date(occurred_on or today, field="Date", today=today)
    except ValueError as e:
        raise RequestError(str(e), "occurred_on") from None
    note = _text(note, "note", MAX_TEXT)
    data = check_event_data(kind, data)
    with transaction(db):
        if submission_key:
            row = list(db.query("SELECT id FROM events WHERE submission_key = ?", [submission_key]))
            if row:
                return row[0]["id"]
        timeline = events(db, request_id) if _exists(db, request_id) else None
        if timeline is None:
            raise NotFound(f"No request with id {request_id}.")
        try:
            lifecycle.check_event(timeline, kind, on, data)
        except lifecycle.TransitionError as e:
            raise RequestError(str(e), "kind") from None
        event_id = db["events"].insert({
            "request_id": request_id, "kind": kind, "occurred_on": on, "recorded_at": clock.stamp(),
            "note": note, "data": json.dumps(data, sort_keys=True), "user_id": actor,
            "submission_key": submission_key,
        }).last_pk
        if kind == "filed" and data.get("tracking_number"):
            db["requests"].update(request_id, {"tracking_number": str(data["tracking_number"])[:200]})
        audit.record(db, "event.add", user_id=actor, object_type="request", object_id=request_id,
                     detail={"event_id": event_id, "kind": kind})
        refresh(db, request_id)
    return event_id


def check_event_data(kind: str, data) -> dict:
    """The extra data an event may carry, checked: an appeal's outcome, an extension's length."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RequestError("Event data must be an object.", "data")
    data = dict(data)
    if kind == "appeal_decided" and data.get("outcome") not in lifecycle.APPEAL_OUTCOMES:
        raise RequestError(f"An appeal decision needs an outcome: {', '.join(lifecycle.APPEAL_OUTCOMES)}.", "outcome")
    if kind == "extension_claimed":
        days = data.get("days")
        if days not in (None, "") and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365):
            raise RequestError("Extension days must be a whole number from 1 to 365.", "days")
        if data.get("day_type") not in (None, "", "business", "calendar"):
            raise RequestError("An extension's day type must be business or calendar.", "day_type")
    if data.get("estimated_date") not in (None, ""):
        try:
            data["estimated_date"] = dt.date.fromisoformat(str(data["estimated_date"])).isoformat()
        except ValueError:
            raise RequestError(f"Estimated date: {data['estimated_date']!r} is not a date (use YYYY-MM-DD).",
                               "estimated_date") from None
    for key, value in data.items():
        if isinstance(value, str) and len(value) > 1000:
            raise RequestError(f"Event data {key!r} is longer than 1000 characters.", "data")
    return data


def delete_event(db, event_id, *, request_id=None, actor=None) -> None:
    """Remove a mistaken event, if the timeline without it is still valid.

    With ``request_id``, the event must belong to that request.
    """
    rows = list(db.query("SELECT * FROM events WHERE id = ?", [event_id]))
    if not rows or (request_id is not None and rows[0]["request_id"] != int(request_id)):
        raise NotFound(f"No event with id {event_id}" + (f" on request {request_id}." if request_id else "."))
    request_id = rows[0]["request_id"]
    with transaction(db):
        rest = [e for e in events(db, request_id) if e["id"] != event_id]
        if not rest:
            raise RequestError("The first event of a timeline cannot be removed.")
        try:
            lifecycle.check_timeline(rest)
        except lifecycle.TransitionError as e:
            raise RequestError(f"Removing it would leave an invalid timeline: {e}") from None
        db.execute("DELETE FROM events WHERE id = ?", [event_id])
        audit.record(db, "event.delete", user_id=actor, object_type="request", object_id=request_id,
                     detail={"event_id": event_id, "kind": rows[0]["kind"]})
        refresh(db, request_id)


def update(db, request_id, values: dict, *, actor=None) -> None:
    get(db, request_id)
    changes = {}
    if "title" in values:
        changes["title"] = _text(values["title"], "title", MAX_TITLE, required=True)
    if "description" in values:
        changes["description"] = _text(values["description"], "description", MAX_TEXT)
    if "tracking_number" in values:
        changes["tracking_number"] = _text(values["tracking_number"], "tracking_number", 200)
    if "method" in values:
        if values["method"] not in METHODS:
            raise RequestError(f"Method must be one of {', '.join(METHODS)}.", "method")
        changes["method"] = values["method"]
    if "owner_id" in values:
        changes["owner_id"] = values["owner_id"] or None
    with transaction(db):
        db["requests"].update(request_id, dict(changes, updated_at=clock.stamp()))
        audit.record(db, "request.update", user_id=actor, object_type="request", object_id=request_id,
                     detail={"fields": sorted(changes)})
        refresh(db, request_id)


def _exists(db, request_id) -> bool:
    return bool(list(db.query("SELECT 1 FROM requests WHERE id = ?", [request_id])))


def refresh(db, request_id) -> None:
    """Mark the request changed and recompute what its timeline implies: the cached status, the
    deadlines and the pending reminders (``deadlines.refresh`` derives all three from one read)."""
    from . import deadlines

    db.execute("UPDATE requests SET updated_at = ? WHERE id = ?", [clock.stamp(), request_id])
    deadlines.refresh(db, request_id, clock.today())


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
