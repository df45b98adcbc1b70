"""iCalendar export of every live deadline (the secret feed and ``foia export ics``).

Each date is an all-day event with a stable UID (``request-<id>-due@foia``, ``-follow-up``,
``-acknowledge``, ``-appeal``), so a calendar app that imports or subscribes again updates the
event instead of adding a second one. ``SEQUENCE`` is the request's date revision (raised by
:mod:`foia.recompute` whenever one of its dates changes) and ``DTSTAMP``/``LAST-MODIFIED``
the time of that change, which is what calendar apps compare to decide an event moved.
Requests that are closed or still drafts have no live dates and drop out of the feed.
"""
import datetime as dt
import os
import secrets
from pathlib import Path

import icalendar

from . import clock
from .db import transaction
from .deadlines import store_setting

PRODID = "-//foia//public-records deadlines//EN"
TOKEN_KEY = "calendar_token"


def _utc(stamp: str) -> dt.datetime:
    local = dt.datetime.fromisoformat(stamp)
    return local.replace(tzinfo=clock.timezone()).astimezone(dt.timezone.utc)


def entries(db) -> list[dict]:
    """One dict per calendar event: uid, day, summary, description, sequence, changed_at, request_id."""
    rows = db.query(
        """SELECT d.*, r.title, r.tracking_number, a.name AS agency_name, a.state AS agency_state,
                  l.citation, l.law_name
           FROM request_dates d JOIN requests r ON r.id = d.request_id
           JOIN agencies a ON a.id = r.agency_id LEFT JOIN laws l ON l.jurisdiction = a.state
           WHERE d.clock IN ('running', 'paused') OR d.appeal_by IS NOT NULL
           ORDER BY d.request_id""")
    result = []
    for row in rows:
        what = f"#{row['request_id']} {row['title']} ({row['agency_name']}, {row['agency_state']})"
        law = f"{row['law_name']}, {row['citation']}" if row["citation"] else row["agency_state"]
        live = row["clock"] in ("running", "paused")

        def add(suffix, day, summary, description):
            result.append({
                "uid": f"request-{row['request_id']}-{suffix}@foia", "day": dt.date.fromisoformat(day),
                "summary": f"{summary}: {row['title']}", "description": f"{what}\n{description}",
                "sequence": row["sequence"], "changed_at": row["changed_at"], "request_id": row["request_id"],
            })

        due = row["operative_due"] or row["extended_due"] or row["due"]
        if live and due and row["clock"] == "running":
            extended = " (extended)" if row["extended_due"] and due == row["extended_due"] else ""
            if due != (row["extended_due"] or row["due"]):
                add("due", due, "Response due",
                    f"The date the agency can now be held to under {law} (after its own stated date).")
            else:
                add("due", due, f"Response due{extended}", f"Legal due date{extended} under {law}.")
        if live and row["follow_up"] and row["clock"] == "running":
            add("follow-up", row["follow_up"], "Follow up",
                f"Follow-up date, not a legal deadline: {law} sets no fixed response period.")
        if live and row["acknowledge_by"] and not row["acknowledged"]:
            add("acknowledge", row["acknowledge_by"], "Acknowledgement due",
                f"The agency must acknowledge the request by this date under {law}.")
        if row["appeal_by"]:
            add("appeal", row["appeal_by"], "Appeal window closes", f"Last day to appeal ({law}).")
    return result


def calendar(db, base_url: str = "") -> bytes:
    """The whole feed as iCalendar bytes."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "foia deadlines")
    base_url = (base_url or "").rstrip("/")
    for item in entries(db):
        event = icalendar.Event()
        event.add("uid", item["uid"])
        event.add("dtstart", item["day"])
        event.add("dtend", item["day"] + dt.timedelta(days=1))
        changed = _utc(item["changed_at"])
        event.add("dtstamp", changed)
        event.add("last-modified", changed)
        event.add("sequence", item["sequence"])
        event.add("summary", item["summary"])
        event.add("description", item["description"])
        event.add("transp", "TRANSPARENT")
        if base_url:
            event.add("url", f"{base_url}/requests/{item['request_id']}")
        cal.add_component(event)
    return cal.to_ical()


def write(db, path, base_url: str = "") -> int:
    """Write the feed to ``path`` (via a temporary file); returns the number of events."""
    data = calendar(db, base_url)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data.count(b"BEGIN:VEVENT")


def token(db, *, rotate: bool = False) -> str:
    """The secret in the feed's URL (settings key ``calendar_token``), made on first use."""
    with transaction(db):
        rows = list(db.query("SELECT value FROM settings WHERE key = ?", [TOKEN_KEY]))
        if rows and not rotate:
            return rows[0]["value"]
        value = secrets.token_urlsafe(24)
        store_setting(db, TOKEN_KEY, value)
        return value


def check_token(db, candidate: str) -> bool:
    rows = list(db.query("SELECT value FROM settings WHERE key = ?", [TOKEN_KEY]))
    return bool(rows) and secrets.compare_digest(rows[0]["value"].encode(), (candidate or "").encode())
