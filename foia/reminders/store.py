"""The stored reminders of each request: re-planned from its dates (keeping what was sent, what is
being sent and the user's own), the user's own "remind me" entries, and the lists pages show.

:func:`replan` recomputes a request's reminders from its dates: reminders already sent are kept,
pending ones no longer wanted are removed, new ones are added (never for a day already past, so a
late timeline change does not fire stale reminders, while reminders that were pending when the
dispatcher stopped are kept and caught up). The one caller is :mod:`foia.recompute`.
"""
import datetime as dt
import json

from .. import clock, errors
from ..db import loads, transaction
from ..deadlines.engine import Dates, as_date
from ..deadlines.settings import Settings, load_settings
from .plan import due_at, plan, recipients
from .schema import PLANNED_KINDS


def users(db) -> dict[int, dict]:
    """Every account, by id, with what :func:`foia.reminders.plan.recipients` needs."""
    return {r["id"]: r for r in db.query("SELECT id, email, role, disabled_at FROM users")}



def disabled_kinds(db, request_id) -> set[str]:
    rows = list(db.query("SELECT disabled FROM reminder_prefs WHERE request_id = ?", [request_id]))
    return set(loads(rows[0]["disabled"], [])) if rows else set()


def set_disabled_kinds(db, request_id, kinds) -> None:
    """Switch reminder kinds off for one request (the others on). The caller re-plans
    (:func:`foia.recompute.reminder_kinds` does both in one transaction)."""
    kinds = sorted(set(kinds))
    unknown = [k for k in kinds if k not in PLANNED_KINDS]
    if unknown:
        raise errors.Invalid("kinds", f"Unknown reminder kind(s): {', '.join(unknown)}")
    if not db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone():
        raise errors.NotFound(f"No request with id {request_id}.")
    with transaction(db):
        db.execute("INSERT INTO reminder_prefs (request_id, disabled, updated_at) VALUES (?, ?, ?) "
                   "ON CONFLICT(request_id) DO UPDATE SET disabled = excluded.disabled, "
                   "updated_at = excluded.updated_at", [request_id, json.dumps(kinds), clock.stamp()])


def replan(db, request_id, dates: Dates, status: str, today, settings: Settings, owner_id=None) -> dict:
    """Replace a request's pending planned reminders by what ``dates`` now call for, keeping sent
    ones and the user's own. Returns counts {"added", "removed", "kept"}."""
    today = as_date(today)
    with transaction(db):
        if owner_id is None:
            rows = list(db.query("SELECT owner_id FROM requests WHERE id = ?", [request_id]))
            owner_id = rows[0]["owner_id"] if rows else None
        prefs = {request_id: disabled_kinds(db, request_id)}
        existing = db.execute(
            f"SELECT {EXISTING} FROM reminders WHERE request_id = ? AND (sent_at IS NULL OR due_at >= ?)",
            [request_id, today.isoformat()]).fetchall()
        return _apply(db, [(request_id, dates, status, owner_id)], existing, prefs, users(db), today, settings)


def replan_many(db, plans, today, settings: Settings) -> dict:
    """:func:`replan` for many requests at once: ``plans`` is [(request_id, dates, status, owner_id)]."""
    today = as_date(today)
    with transaction(db):
        prefs = {r["request_id"]: set(loads(r["disabled"], [])) for r in db.query("SELECT * FROM reminder_prefs")}
        existing = db.execute(f"SELECT {EXISTING} FROM reminders WHERE sent_at IS NULL OR due_at >= ?",
                              [today.isoformat()]).fetchall()
        return _apply(db, plans, existing, prefs, users(db), today, settings)


# Columns _apply reads from existing reminders, in this order.
EXISTING = "id, request_id, kind, due_at, channel, recipient, sent_at, claim_token"


def _apply(db, plans, existing, prefs, users, today, settings) -> dict:
    by_request: dict[int, list[tuple]] = {}
    for row in existing:
        by_request.setdefault(row[1], []).append(row)
    now = clock.stamp()
    suffix = f"T{settings.reminder_hour:02d}:00:00"
    iso: dict[dt.date, str] = {}
    to_cache: dict = {}
    deletes, inserts, retarget = [], [], []
    kept = 0
    for request_id, dates, status, owner_id in plans:
        wanted = plan(dates, status, today, settings, prefs.get(request_id, ()))
        rows = by_request.get(request_id)
        if not wanted and not rows:
            continue
        to = to_cache.get(owner_id)
        if to is None:
            to = to_cache[owner_id] = recipients(owner_id, users, settings)
        have = set()
        for reminder_id, _, kind, stored_at, channel, recipient, sent_at, claim_token in rows or ():
            day = dt.date.fromisoformat(stored_at[:10])
            if sent_at:
                have.add((kind, day, channel))
                continue
            if kind == "custom" or claim_token or (channel in to and wanted.wants(kind, day)):
                have.add((kind, day, channel))
                kept += 1
                if channel in to and recipient != to[channel]:
                    retarget.append((to[channel], reminder_id))
            else:
                deletes.append((reminder_id,))
        for kind, day, about in wanted.upcoming(today):
            text = iso.get(day)
            if text is None:
                text = iso[day] = day.isoformat()
            about_text = iso.get(about)
            if about_text is None and about is not None:
                about_text = iso[about] = about.isoformat()
            when = text + suffix
            for channel, recipient in to.items():
                if (kind, day, channel) not in have:
                    inserts.append((request_id, kind, when, about_text, channel, recipient, now, when))
    if deletes:
        db.conn.executemany("DELETE FROM reminders WHERE id = ? AND sent_at IS NULL", deletes)
    if retarget:
        db.conn.executemany("UPDATE reminders SET recipient = ? WHERE id = ? AND sent_at IS NULL", retarget)
    if inserts:
        db.conn.executemany(
            "INSERT OR IGNORE INTO reminders (request_id, kind, due_at, about, channel, recipient, created_at, "
            "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", inserts)
    return {"added": len(inserts), "removed": len(deletes), "kept": kept}


def add_custom(db, request_id, day, note="", *, settings: Settings | None = None, actor=None, today=None) -> int:
    """The user's own "remind me on DATE" (kept across re-plans). Returns how many were added.
    ``settings``: the instance's (None: the defaults and the settings page's values)."""
    settings = settings or load_settings(db)
    today = as_date(today or clock.today())
    try:
        day = as_date(day)
    except ValueError:
        raise errors.Invalid("day", f"“{day}” is not a date (use YYYY-MM-DD).") from None
    if day < today:
        raise errors.Invalid("day", f"{day.isoformat()} is in the past; choose today or a later date.")
    note = (note or "").strip()
    if len(note) > 500:
        raise errors.Invalid("note", "The note is longer than 500 characters.")
    rows = list(db.query("SELECT owner_id FROM requests WHERE id = ?", [request_id]))
    if not rows:
        raise errors.NotFound(f"No request with id {request_id}.")
    to = recipients(rows[0]["owner_id"], users(db), settings)
    when = due_at(day, settings)
    added = 0
    with transaction(db):
        for channel, recipient in to.items():
            cursor = db.execute(
                "INSERT OR IGNORE INTO reminders (request_id, kind, due_at, about, channel, recipient, note, "
                "created_by, created_at, next_attempt_at) VALUES (?, 'custom', ?, ?, ?, ?, ?, ?, ?, ?)",
                [request_id, when, day.isoformat(), channel, recipient, note, actor, clock.stamp(), when])
            added += cursor.rowcount
    if not added:
        raise errors.Conflict(f"There is already a reminder on {day.isoformat()}.")
    return added


def delete_pending(db, reminder_id, request_id=None) -> None:
    """Remove a pending reminder (sent ones stay as the record of what went out)."""
    with transaction(db):
        rows = list(db.query("SELECT * FROM reminders WHERE id = ?", [reminder_id]))
        if not rows or (request_id is not None and rows[0]["request_id"] != int(request_id)):
            raise errors.NotFound(f"No reminder with id {reminder_id}.")
        if rows[0]["sent_at"]:
            raise errors.Conflict("This reminder was already sent; it stays on record.")
        if rows[0]["claim_token"]:
            raise errors.Conflict("This reminder is being sent right now.")
        db.execute("DELETE FROM reminders WHERE id = ?", [reminder_id])


def retry_now(db, reminder_id, now=None) -> None:
    """Make a failed reminder due again at once (the next dispatcher tick sends it), including one
    marked failed after its last attempt: it gets one more attempt."""
    with transaction(db):
        cursor = db.execute("UPDATE reminders SET next_attempt_at = ?, outcome = NULL WHERE id = ? "
                            "AND sent_at IS NULL AND claim_token IS NULL", [(now or clock.now()).isoformat(timespec="seconds"), reminder_id])
        if not cursor.rowcount:
            raise errors.Conflict(f"Reminder {reminder_id} is not waiting to be sent.")


def get(db, reminder_id) -> dict | None:
    rows = list(db.query("SELECT * FROM reminders WHERE id = ?", [reminder_id]))
    return rows[0] if rows else None


def for_request(db, request_id) -> list[dict]:
    return list(db.query("SELECT * FROM reminders WHERE request_id = ? ORDER BY due_at, kind, channel",
                         [request_id]))


def listing(db, *, pending_only=False, failed_only=False, limit=200) -> list[dict]:
    where = []
    if pending_only:
        where.append("m.sent_at IS NULL")
    if failed_only:
        where.append("m.sent_at IS NULL AND m.last_error IS NOT NULL")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return list(db.query(
        f"""SELECT m.*, r.title, a.name AS agency_name FROM reminders m JOIN requests r ON r.id = m.request_id
            JOIN agencies a ON a.id = r.agency_id {clause} ORDER BY m.due_at, m.id LIMIT ?""", [limit]))
