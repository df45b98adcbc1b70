"""The dispatcher: delivers due reminders exactly once, by e-mail and in the app.

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
import uuid

from .. import clock, links, mail
from ..config import DEFAULTS
from ..db import transaction
from ..deadlines.settings import load_settings
from ..formats import plural
from . import messages

LEASE = dt.timedelta(minutes=15)  # a claim older than this is taken to be from a dead dispatcher
BATCH = 100
MAX_BACKOFF = dt.timedelta(hours=6)


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
                f"{self.skipped} skipped; {plural(self.messages, 'e-mail')}, {plural(self.notifications, 'notification')}.")
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
            subject, body = messages.notification(row, config)
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
                    "E-mail is not set up (FOIA_SMTP_HOST is empty): delivered in the app only.")
        report.skipped += len(rows)
        return
    if settings.digest:
        groups: dict[str, list[dict]] = {}
        for row in rows:
            groups.setdefault(row["recipient"], []).append(row)
        batches = list(groups.items())
    else:
        batches = [(row["recipient"], [row]) for row in rows]
    factory = sender or mail.Connection
    try:
        with factory(config) as smtp:
            for to, group in batches:
                held = _hold(db, token, [r["id"] for r in group], moment())
                report.taken_over += len(group) - len(held)
                group = [r for r in group if r["id"] in held]
                if not group:
                    continue
                if settings.digest:
                    subject, body = messages.digest(group, moment().date(), config)
                else:
                    subject, body = messages.compose(group[0], config)
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
    ``send(to, subject, body)`` (default: :class:`foia.mail.Connection`); ``config`` is the
    instance's configuration (SMTP, ``BASE_URL``, reminder settings; None: the defaults, mail off).
    """
    moment = _moments(now)
    config = DEFAULTS if config is None else config
    config = dict(config, BASE_URL=links.base_url(db, config))  # BASE_URL, else the address last used
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
