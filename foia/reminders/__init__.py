"""Reminders: which ones a request needs, and the dispatcher that delivers due ones exactly once.

The ``reminders`` table is the truth about what is due. :func:`replan` recomputes a request's
reminders from its dates whenever the timeline changes: reminders already sent are kept, pending
ones no longer wanted are removed, new ones are added (never for a day already past, so a late
timeline change does not fire stale reminders, while reminders that were pending when the
dispatcher stopped are kept and caught up).

:func:`dispatch_due` claims due reminders with one ``UPDATE`` (a claim token plus a lease in
``next_attempt_at``), so two dispatchers in two processes never deliver one twice; it then sends,
and records ``sent_at`` or the error, retrying failures with exponential backoff. Each claim and,
before each message, a renewal of the lease use the time of that moment, and a reminder whose
claim another dispatcher has taken over (its lease ran out) is left to that one. A dispatcher that
dies mid-send leaves its claim to expire after the lease, and the reminder is picked up again.
After ``max_attempts`` failed deliveries (a setting, default 10) a reminder is marked failed
(``outcome = 'failed'``, still unsent): it is shown with its error and stops being retried until a
user asks for a retry.

Channels: ``email`` (the owner's address, else the group address) and ``app`` (the in-app
inbox of the owner, or of every admin and member when the request has no owner).
"""
import dataclasses
import datetime as dt
import json
import logging
import uuid

from sqlite_utils.migrations import Migrations

from . import clock, mail
from . import config as foia_config
from .db import loads, run_script, transaction
from .deadlines import Dates, Settings, as_date, load_settings

log = logging.getLogger(__name__)
migrations = Migrations("foia.reminders")

KINDS = {
    "acknowledgement_due": "Acknowledgement due",
    "due_soon": "Response due soon",
    "due_today": "Response due today",
    "overdue": "Response overdue",
    "follow_up": "Follow up",
    "appeal_window": "Appeal window closing",
    "custom": "Your reminder",
}
PLANNED_KINDS = tuple(k for k in KINDS if k != "custom")
CHANNELS = ("email", "app")
LEASE = dt.timedelta(minutes=15)  # a claim older than this is taken to be from a dead dispatcher
BATCH = 100
MAX_BACKOFF = dt.timedelta(hours=6)


@migrations()
def m001_reminders(db) -> None:
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    run_script(db, f"""
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ({kinds})),
            due_at TEXT NOT NULL,
            about TEXT,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'app')),
            recipient TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            outcome TEXT,
            claimed_at TEXT,
            claim_token TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX reminders_planned ON reminders(request_id, kind, due_at, channel);
        CREATE INDEX reminders_pending ON reminders(next_attempt_at) WHERE sent_at IS NULL;
        CREATE INDEX reminders_claim ON reminders(claim_token) WHERE claim_token IS NOT NULL;
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            request_id INTEGER REFERENCES requests(id) ON DELETE CASCADE,
            reminder_id INTEGER REFERENCES reminders(id) ON DELETE SET NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            read_at TEXT
        );
        CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
        CREATE UNIQUE INDEX notifications_once ON notifications(reminder_id, user_id)
            WHERE reminder_id IS NOT NULL;
        CREATE TABLE reminder_prefs (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
            disabled TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT NOT NULL
        )
    """)


class ReminderError(ValueError):
    pass


# --- planning ---------------------------------------------------------------------------------

class Plan:
    """The reminders a request's dates call for: fixed ones by (kind, day), plus follow-ups that
    repeat every N days from a base date (only the next few are ever written)."""

    def __init__(self):
        self.fixed: dict[tuple[str, dt.date], dt.date] = {}  # (kind, day) -> the date it is about
        self.repeat_base: dt.date | None = None
        self.repeat_every = 7
        self.repeat_last: dt.date | None = None
        self.repeat_about: dt.date | None = None

    def __bool__(self) -> bool:
        return bool(self.fixed) or self.repeat_base is not None

    def wants(self, kind: str, day: dt.date) -> bool:
        if kind == "follow_up" and self.repeat_base is not None:
            offset = (day - self.repeat_base).days
            return 0 < offset and offset % self.repeat_every == 0 and day <= self.repeat_last
        return (kind, day) in self.fixed

    def upcoming(self, today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
        """(kind, day, about) for every wanted reminder on or after ``today``."""
        rows = [(k, d, about) for (k, d), about in self.fixed.items() if d >= today]
        if self.repeat_base is not None:
            day = self.repeat_base + dt.timedelta(days=self.repeat_every)
            if day < today:
                skip = -(-(today - day).days // self.repeat_every)
                day += dt.timedelta(days=skip * self.repeat_every)
            while day <= self.repeat_last:
                rows.append(("follow_up", day, self.repeat_about))
                day += dt.timedelta(days=self.repeat_every)
        return rows


def plan(dates: Dates, status: str, today: dt.date, settings: Settings, disabled=()) -> Plan:
    """Which reminders ``dates`` call for (pure)."""
    result = Plan()
    if dates.clock not in ("running", "paused") and dates.appeal_by is None:
        return result

    def add(kind, day, about):
        if kind not in disabled and day is not None:
            result.fixed[(kind, day)] = about

    cal = dates.calendar
    if dates.clock in ("running", "paused") and dates.acknowledge_by and not dates.acknowledged:
        add("acknowledgement_due", dates.acknowledge_by, dates.acknowledge_by)
    if dates.clock == "running":
        due = dates.effective_due
        if due is not None:
            if settings.due_soon_business_days and cal is not None:
                soon = cal.subtract_business_days(due, settings.due_soon_business_days)
                if dates.received is None or soon > dates.received:
                    add("due_soon", soon, due)
            add("due_today", due, due)
            add("overdue", due + dt.timedelta(days=1), due)
            base = due + dt.timedelta(days=1)
        elif dates.follow_up is not None:
            add("due_today", dates.follow_up, dates.follow_up)
            base = dates.follow_up
        else:
            base = None
        if base is not None and "follow_up" not in disabled:
            every = settings.follow_up_every_days
            result.repeat_base, result.repeat_every, result.repeat_about = base, every, dates.target
            # The next few after today (or after the base while that is still ahead).
            start = max(today, base)
            ahead = -(-(start - base).days // every) if start > base else 1
            result.repeat_last = base + dt.timedelta(days=every * (ahead + settings.follow_up_horizon - 1))
    if dates.appeal_by is not None and status == "denied":
        warn = dates.appeal_by - dt.timedelta(days=settings.appeal_warning_days)
        add("appeal_window", max(warn, dates.denied_on or warn), dates.appeal_by)
    return result


def due_at(day: dt.date, settings: Settings) -> str:
    return f"{day.isoformat()}T{settings.reminder_hour:02d}:00:00"


def _users(db) -> dict[int, dict]:
    return {r["id"]: r for r in db.query("SELECT id, email, role, disabled_at FROM users")}


def recipients(owner_id, users: dict, settings: Settings) -> dict[str, str]:
    """channel -> recipient: the owner's address (else the group address) and the app inbox."""
    owner = users.get(owner_id) if owner_id else None
    if owner and owner["disabled_at"]:
        owner = None
    result = {"app": f"user:{owner['id']}" if owner else "team"}
    email = owner["email"] if owner else settings.group_email
    if email:
        result["email"] = email
    return result


def disabled_kinds(db, request_id) -> set[str]:
    rows = list(db.query("SELECT disabled FROM reminder_prefs WHERE request_id = ?", [request_id]))
    return set(loads(rows[0]["disabled"], [])) if rows else set()


def set_disabled_kinds(db, request_id, kinds, today=None) -> None:
    """Switch reminder kinds off for one request (the others on), then re-plan."""
    kinds = sorted(set(kinds))
    unknown = [k for k in kinds if k not in PLANNED_KINDS]
    if unknown:
        raise ReminderError(f"Unknown reminder kind(s): {', '.join(unknown)}")
    from . import deadlines

    if not db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone():
        raise deadlines.UnknownRequest(f"No request with id {request_id}.")
    with transaction(db):
        db.execute("INSERT INTO reminder_prefs (request_id, disabled, updated_at) VALUES (?, ?, ?) "
                   "ON CONFLICT(request_id) DO UPDATE SET disabled = excluded.disabled, "
                   "updated_at = excluded.updated_at", [request_id, json.dumps(kinds), clock.stamp()])
        deadlines.refresh(db, request_id, today)


def replan(db, request_id, dates: Dates, status: str, today, settings: Settings | None = None,
           owner_id=None) -> dict:
    """Replace a request's pending planned reminders by what ``dates`` now call for, keeping sent
    ones and the user's own. Returns counts {"added", "removed", "kept"}."""
    settings = settings or load_settings(db)
    today = as_date(today)
    with transaction(db):
        if owner_id is None:
            rows = list(db.query("SELECT owner_id FROM requests WHERE id = ?", [request_id]))
            owner_id = rows[0]["owner_id"] if rows else None
        prefs = {request_id: disabled_kinds(db, request_id)}
        existing = db.execute(
            f"SELECT {EXISTING} FROM reminders WHERE request_id = ? AND (sent_at IS NULL OR due_at >= ?)",
            [request_id, today.isoformat()]).fetchall()
        return _apply(db, [(request_id, dates, status, owner_id)], existing, prefs, _users(db), today, settings)


def replan_many(db, plans, today, settings: Settings | None = None) -> dict:
    """:func:`replan` for many requests at once: ``plans`` is [(request_id, dates, status, owner_id)]."""
    settings = settings or load_settings(db)
    today = as_date(today)
    with transaction(db):
        prefs = {r["request_id"]: set(loads(r["disabled"], [])) for r in db.query("SELECT * FROM reminder_prefs")}
        existing = db.execute(f"SELECT {EXISTING} FROM reminders WHERE sent_at IS NULL OR due_at >= ?",
                              [today.isoformat()]).fetchall()
        return _apply(db, plans, existing, prefs, _users(db), today, settings)


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
        for reminder_id, _, kind, due_at, channel, recipient, sent_at, claim_token in rows or ():
            day = dt.date.fromisoformat(due_at[:10])
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
            due_at = text + suffix
            for channel, recipient in to.items():
                if (kind, day, channel) not in have:
                    inserts.append((request_id, kind, due_at, about_text, channel, recipient, now, due_at))
    if deletes:
        db.conn.executemany("DELETE FROM reminders WHERE id = ? AND sent_at IS NULL", deletes)
    if retarget:
        db.conn.executemany("UPDATE reminders SET recipient = ? WHERE id = ? AND sent_at IS NULL", retarget)
    if inserts:
        db.conn.executemany(
            "INSERT OR IGNORE INTO reminders (request_id, kind, due_at, about, channel, recipient, created_at, "
            "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", inserts)
    return {"added": len(inserts), "removed": len(deletes), "kept": kept}


def add_custom(db, request_id, day, note="", *, actor=None, today=None, settings: Settings | None = None) -> int:
    """The user's own "remind me on DATE" (kept across re-plans). Returns how many were added."""
    settings = settings or load_settings(db)
    today = as_date(today or clock.today())
    try:
        day = as_date(day)
    except ValueError:
        raise ReminderError(f"{day!r} is not a date (use YYYY-MM-DD).") from None
    if day < today:
        raise ReminderError(f"{day.isoformat()} is in the past; choose today or a later date.")
    note = (note or "").strip()
    if len(note) > 500:
        raise ReminderError("The note is longer than 500 characters.")
    rows = list(db.query("SELECT owner_id FROM requests WHERE id = ?", [request_id]))
    if not rows:
        raise ReminderError(f"No request with id {request_id}.")
    to = recipients(rows[0]["owner_id"], _users(db), settings)
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
        raise ReminderError(f"There is already a reminder on {day.isoformat()}.")
    return added


def delete_pending(db, reminder_id, request_id=None) -> None:
    """Remove a pending reminder (sent ones stay as the record of what went out)."""
    with transaction(db):
        rows = list(db.query("SELECT * FROM reminders WHERE id = ?", [reminder_id]))
        if not rows or (request_id is not None and rows[0]["request_id"] != int(request_id)):
            raise ReminderError(f"No reminder with id {reminder_id}.")
        if rows[0]["sent_at"]:
            raise ReminderError("This reminder was already sent; it stays on record.")
        if rows[0]["claim_token"]:
            raise ReminderError("This reminder is being sent right now.")
        db.execute("DELETE FROM reminders WHERE id = ?", [reminder_id])


def retry_now(db, reminder_id, now=None) -> None:
    """Make a failed reminder due again at once (the next dispatcher tick sends it), including one
    marked failed after its last attempt: it gets one more attempt."""
    with transaction(db):
        cursor = db.execute("UPDATE reminders SET next_attempt_at = ?, outcome = NULL WHERE id = ? "
                            "AND sent_at IS NULL AND claim_token IS NULL", [_stamp(now or clock.now()), reminder_id])
        if not cursor.rowcount:
            raise ReminderError(f"Reminder {reminder_id} is not waiting to be sent.")


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


# --- delivery ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Report:
    claimed: int = 0
    sent: int = 0  # e-mails and app notifications delivered
    failed: int = 0  # retried later, or marked failed after the last attempt
    given_up: int = 0  # of those failed: marked failed, no more automatic retries
    taken_over: int = 0  # claims that ran out and were taken by another dispatcher before sending
    skipped: int = 0  # e-mail while mail is off, app reminders with nobody to notify
    messages: int = 0  # e-mail messages handed to the SMTP server
    notifications: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        retry = f"{self.failed - self.given_up} will be retried" + (
            f", {self.given_up} marked failed after the last attempt" if self.given_up else "")
        text = (f"{self.claimed} due: {self.sent} delivered, {self.failed} failed ({retry}), "
                f"{self.skipped} skipped; {self.messages} e-mail(s), {self.notifications} notification(s).")
        if self.taken_over:
            text += f" {self.taken_over} left to another dispatcher."
        return text + "".join(f"\n  error: {e}" for e in self.errors)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before retry number ``attempts``: 1, 2, 4, ... minutes, at most 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _stamp(moment: dt.datetime) -> str:
    """A given moment as stored (``clock.stamp()`` is the same for now)."""
    return moment.isoformat(timespec="seconds")


def claim(db, now: dt.datetime, limit: int = BATCH) -> tuple[str, list[dict]]:
    """Atomically claim up to ``limit`` due, unsent reminders; returns (token, rows).

    One UPDATE takes them: it sets the claim token and pushes ``next_attempt_at`` a lease ahead,
    so no other dispatcher sees them as due until this one records the outcome (or dies and the
    lease runs out).
    """
    token = uuid.uuid4().hex
    with transaction(db):
        db.execute(
            """UPDATE reminders SET claim_token = ?, claimed_at = ?, next_attempt_at = ?
               WHERE id IN (SELECT id FROM reminders WHERE sent_at IS NULL AND next_attempt_at <= ?
                            AND outcome IS NULL ORDER BY next_attempt_at, id LIMIT ?)""",
            [token, _stamp(now), _stamp(now + LEASE), _stamp(now), limit])
    rows = list(db.query(
        """SELECT m.*, r.title, r.tracking_number, r.owner_id, a.name AS agency_name, a.state AS agency_state,
                  d.target_kind
           FROM reminders m JOIN requests r ON r.id = m.request_id JOIN agencies a ON a.id = r.agency_id
           LEFT JOIN request_dates d ON d.request_id = m.request_id
           WHERE m.claim_token = ? ORDER BY m.due_at, m.id""", [token]))
    return token, rows


def compose(row: dict, config: dict | None = None) -> tuple[str, str]:
    """Subject and body of a reminder, from the row as claimed (joined with its request)."""
    about = row.get("about") or row["due_at"][:10]
    name = f"#{row['request_id']} {row['title']} ({row['agency_name']}, {row['agency_state']})"
    follow_up_only = row["kind"] in ("due_today", "follow_up") and _is_follow_up_target(row)
    subjects = {
        "acknowledgement_due": f"Acknowledgement due {about}",
        "due_soon": f"Response due {about}",
        "due_today": "Follow-up date today" if follow_up_only else "Response due today",
        "overdue": f"Response overdue since {about}",
        "follow_up": "Time to follow up" if follow_up_only else f"Still overdue (due {about}): follow up",
        "appeal_window": f"Appeal window closes {about}",
        "custom": "Reminder" + (f": {row['note'][:80]}" if row.get("note") else ""),
    }
    subject = f"{subjects[row['kind']]}: {row['title'][:80]}"
    lines = [f"Request {name}"]
    if row.get("tracking_number"):
        lines.append(f"Agency tracking number: {row['tracking_number']}")
    bodies = {
        "acknowledgement_due": f"The agency must acknowledge the request by {about}.",
        "due_soon": f"The agency's response is due by law on {about}.",
        "due_today": (f"The follow-up date is today ({about}). The law sets no fixed deadline; "
                      "consider asking the agency for a status update.") if follow_up_only else
                     f"The agency's response is due by law today ({about}).",
        "overdue": f"The legal due date ({about}) has passed without a recorded response.",
        "follow_up": ("No response is recorded yet; consider asking the agency for a status update."
                      if follow_up_only else f"The response is still overdue (due {about}). Consider a "
                      "follow-up letter or, where the law allows, treating the silence as a denial."),
        "appeal_window": f"The window to appeal the denial closes on {about}.",
        "custom": row.get("note") or f"You asked to be reminded about this request on {row['due_at'][:10]}.",
    }
    lines.append("")
    lines.append(bodies[row["kind"]])
    base = ((config or {}).get("BASE_URL") or "").rstrip("/")
    if base:
        lines += ["", f"{base}/requests/{row['request_id']}"]
    return subject, "\n".join(lines) + "\n"


def _is_follow_up_target(row: dict) -> bool:
    return bool(row.get("target_kind") == "follow_up")


def _team(db) -> list[int]:
    return [r["id"] for r in db.query(
        "SELECT id FROM users WHERE disabled_at IS NULL AND role IN ('admin', 'member') ORDER BY id")]


def _finish(db, token, ids, now, outcome="sent", error=None) -> None:
    db.conn.executemany(
        "UPDATE reminders SET sent_at = ?, outcome = ?, last_error = ?, claim_token = NULL, attempts = attempts + 1 "
        "WHERE id = ? AND claim_token = ?", [[_stamp(now), outcome, error, i, token] for i in ids])


def _fail(db, token, rows, now, error, max_attempts) -> int:
    """Record a failed delivery: retried after a backoff, or marked failed after the last attempt.
    Returns how many were marked failed."""
    retry, give_up = [], []
    for r in rows:
        attempts = r["attempts"] + 1
        if attempts >= max_attempts:
            give_up.append([error, r["id"], token])
        else:
            retry.append([error, _stamp(now + backoff(attempts)), r["id"], token])
    with transaction(db):
        db.conn.executemany(
            "UPDATE reminders SET attempts = attempts + 1, last_error = ?, claim_token = NULL, claimed_at = NULL, "
            "next_attempt_at = ? WHERE id = ? AND claim_token = ?", retry)
        db.conn.executemany(
            "UPDATE reminders SET attempts = attempts + 1, last_error = ?, claim_token = NULL, claimed_at = NULL, "
            "outcome = 'failed' WHERE id = ? AND claim_token = ?", give_up)
    return len(give_up)


def _hold(db, token, ids, now) -> set[int]:
    """Renew this dispatcher's lease on ``ids`` from ``now``; returns the ids it still holds (a
    claim whose lease ran out may have been taken over by another dispatcher)."""
    lease = _stamp(now + LEASE)
    with transaction(db):
        return {i for i in ids if db.execute(
            "UPDATE reminders SET next_attempt_at = ? WHERE id = ? AND claim_token = ?", [lease, i, token]).rowcount}


def _deliver_app(db, token, rows, now, config, report) -> None:
    team = None
    with transaction(db):
        held = _hold(db, token, [row["id"] for row in rows], now)
        report.taken_over += len(rows) - len(held)
        for row in rows:
            if row["id"] not in held:
                continue
            subject, body = compose(row, config)
            if row["recipient"].startswith("user:"):
                users = [int(row["recipient"][5:])]
            else:
                team = _team(db) if team is None else team
                users = team
            for user_id in users:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO notifications (user_id, request_id, reminder_id, subject, body, created_at) "
                    "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)",
                    [user_id, row["request_id"], row["id"], subject, body, _stamp(now), user_id])
                report.notifications += cursor.rowcount
            if users:
                _finish(db, token, [row["id"]], now)
                report.sent += 1
            else:
                _finish(db, token, [row["id"]], now, "skipped", "No active admin or member to notify.")
                report.skipped += 1


def _deliver_email(db, token, rows, moment, config, sender, settings, report) -> None:
    if not mail.is_configured(config) and sender is None:
        with transaction(db):
            _finish(db, token, [r["id"] for r in rows], moment(), "skipped",
                    "Mail is off (FOIA_SMTP_HOST is not set); delivered in the app only.")
        report.skipped += len(rows)
        return
    if settings.digest:
        groups: dict[str, list[dict]] = {}
        for row in rows:
            groups.setdefault(row["recipient"], []).append(row)
        messages = list(groups.items())
    else:
        messages = [(row["recipient"], [row]) for row in rows]
    factory = sender or mail.Connection
    try:
        with factory(config) as smtp:
            for to, group in messages:
                held = _hold(db, token, [r["id"] for r in group], moment())
                report.taken_over += len(group) - len(held)
                group = [r for r in group if r["id"] in held]
                if not group:
                    continue
                if settings.digest:
                    subject, body = _digest(group, moment(), config)
                else:
                    subject, body = compose(group[0], config)
                try:
                    smtp.send(to, subject, body)
                except mail.MailError as e:
                    report.given_up += _fail(db, token, group, moment(), str(e), settings.max_attempts)
                    report.failed += len(group)
                    report.errors.append(str(e))
                    continue
                with transaction(db):
                    _finish(db, token, [r["id"] for r in group], moment())
                report.sent += len(group)
                report.messages += 1
    except mail.MailError as e:  # could not connect at all: every message not yet sent fails
        unsent = [r for r in rows if not _is_done(db, r["id"], token)]
        report.given_up += _fail(db, token, unsent, moment(), str(e), settings.max_attempts)
        report.failed += len(unsent)
        report.errors.append(str(e))


def _is_done(db, reminder_id, token) -> bool:
    rows = list(db.query("SELECT claim_token FROM reminders WHERE id = ?", [reminder_id]))
    return not rows or rows[0]["claim_token"] != token


def _digest(rows, now, config) -> tuple[str, str]:
    parts = []
    for row in rows:
        subject, body = compose(row, config)
        parts.append(f"* {subject}\n{body}")
    n = len(rows)
    return (f"{n} reminder{'s' if n != 1 else ''} for {now.date().isoformat()}",
            "\n".join(parts))


def _moments(now: dt.datetime | None):
    """The dispatcher's clock: ``now`` (default: the clock's now), moving on as time passes, so a
    long catch-up or a slow mail server leases and stamps with the time of each step."""
    if now is None:
        return clock.now
    start = clock.now()
    return lambda: now + (clock.now() - start)


def dispatch_due(db, now=None, sender=None, config: dict | None = None, *, limit: int = BATCH) -> Report:
    """Deliver every reminder due at ``now`` (and every one that fell due while no dispatcher ran).

    ``sender`` is a factory ``sender(config)`` returning a context manager with
    ``send(to, subject, body)`` (default: :class:`foia.mail.Connection`); ``config`` defaults to
    the configuration this process loaded (:func:`foia.config.current`).
    """
    moment = _moments(now)
    config = foia_config.current() if config is None else config
    settings = load_settings(db, config)
    report = Report()
    for _ in range(100_000):  # bounded: each round claims and settles up to ``limit`` reminders
        token, rows = claim(db, moment(), limit)
        if not rows:
            break
        report.claimed += len(rows)
        _deliver_app(db, token, [r for r in rows if r["channel"] == "app"], moment(), config, report)
        email = [r for r in rows if r["channel"] == "email"]
        if email:
            _deliver_email(db, token, email, moment, config, sender, settings, report)
    return report


def tick(db, now=None, sender=None, config: dict | None = None) -> Report:
    """One scheduler tick: once a day re-plan every request (follow-ups move forward, holiday
    and law changes take effect), then deliver what is due. A failing re-plan is logged and never
    holds up delivery (it is tried again at the next tick)."""
    from . import deadlines

    now = now or clock.now()
    try:
        if deadlines.refreshed_on(db) != now.date().isoformat():
            deadlines.refresh_all(db, now.date(), load_settings(db, config))
    except Exception:
        log.exception("reminders: the daily recompute of deadlines failed; delivering what is due anyway")
    return dispatch_due(db, now, sender, config)


# --- the in-app inbox -------------------------------------------------------------------------

def unread_count(db, user_id) -> int:
    if not user_id:
        return 0
    return db.execute("SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
                      [user_id]).fetchone()[0]


def inbox(db, user_id, *, unread_only=False, limit=100, offset=0) -> list[dict]:
    clause = "AND n.read_at IS NULL" if unread_only else ""
    return list(db.query(
        f"""SELECT n.*, r.title FROM notifications n LEFT JOIN requests r ON r.id = n.request_id
            WHERE n.user_id = ? {clause} ORDER BY n.id DESC LIMIT ? OFFSET ?""", [user_id, limit, offset]))


def mark_read(db, user_id, notification_id=None, now=None) -> int:
    """Mark one notification (or all, with ``notification_id`` None) of a user as read."""
    stamp = _stamp(now or clock.now())
    with transaction(db):
        if notification_id is None:
            cursor = db.execute("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                                [stamp, user_id])
        else:
            cursor = db.execute("UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? "
                                "AND read_at IS NULL", [stamp, notification_id, user_id])
    return cursor.rowcount
