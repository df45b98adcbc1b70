"""The stored side of deadlines: the ``request_dates`` cache (and ``requests.due_on``), its
migrations, and what lists and the dashboard read from it."""
import contextlib
import datetime as dt
import itertools

from sqlite_utils.migrations import Migrations

from .. import clock, laws
from ..db import run_script
from ..errors import NotFound
from .engine import Dates, as_date, compute
from .settings import Settings, store_setting

migrations = Migrations("foia.deadlines")

@migrations()
def m001_request_dates(db) -> None:
    run_script(db, """
        CREATE TABLE request_dates (
            request_id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
            target_kind TEXT NOT NULL DEFAULT '',
            received TEXT,
            due TEXT,
            extended_due TEXT,
            acknowledge_by TEXT,
            acknowledged INTEGER NOT NULL DEFAULT 0,
            follow_up TEXT,
            appeal_by TEXT,
            clock TEXT NOT NULL DEFAULT 'not_started',
            paused_since TEXT,
            sequence INTEGER NOT NULL DEFAULT 0,
            changed_at TEXT NOT NULL
        );
        CREATE INDEX request_dates_clock ON request_dates(clock, due, extended_due, follow_up);
        CREATE INDEX request_dates_ack ON request_dates(acknowledged, acknowledge_by)
    """)


@migrations()
def m002_statute_dates(db) -> None:
    """The statute engine's dates: the operative due date (what reminders and "overdue" follow),
    the production cap, the deemed denial, and whether the agency's own date can be challenged.
    Existing rows get them at the next recompute (every law change recomputes)."""
    run_script(db, """
        ALTER TABLE request_dates ADD COLUMN operative_due TEXT;
        ALTER TABLE request_dates ADD COLUMN produce_by TEXT;
        ALTER TABLE request_dates ADD COLUMN deemed_denied_on TEXT;
        ALTER TABLE request_dates ADD COLUMN challengeable INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX request_dates_operative ON request_dates(clock, operative_due)
    """)


DATE_COLUMNS = ("target_kind", "received", "due", "extended_due", "acknowledge_by", "acknowledged",
                "follow_up", "appeal_by", "clock", "paused_since", "operative_due", "produce_by",
                "deemed_denied_on", "challengeable")
# The date a request is watched against, in SQL over request_dates (see Dates.target).
TARGET_SQL = "COALESCE(d.operative_due, d.extended_due, d.due, d.follow_up)"
LEGAL_DUE_SQL = "COALESCE(d.operative_due, d.extended_due, d.due)"


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _row(dates: Dates) -> tuple:
    """The stored form of ``dates``, in DATE_COLUMNS order."""
    return (dates.target_kind, _iso(dates.received), _iso(dates.due), _iso(dates.extended_due),
            _iso(dates.acknowledge_by), int(dates.acknowledged), _iso(dates.follow_up), _iso(dates.appeal_by),
            dates.clock, _iso(dates.paused_since), _iso(dates.operative_due), _iso(dates.produce_by),
            _iso(dates.deemed_denied_on), int(dates.stated_date_challengeable))


def _due_on(row: tuple) -> str | None:
    """``requests.due_on`` from a stored row: operative, else extended, else statutory due date,
    else the follow-up date."""
    return row[10] or row[3] or row[2] or row[6]


def stored(db, request_id=None) -> dict[int, tuple]:
    """request_id -> (DATE_COLUMNS values, sequence) as stored."""
    sql = f"SELECT request_id, {', '.join(DATE_COLUMNS)}, sequence FROM request_dates"
    rows = db.execute(sql + " WHERE request_id = ?", [request_id]) if request_id is not None else db.execute(sql)
    return {r[0]: (tuple(r[1:-1]), r[-1]) for r in rows.fetchall()}


# A request's row with what its dates depend on besides the timeline, in this column order.
REQUEST_ROWS = """SELECT r.id, r.status, r.owner_id, r.updated_at, a.state, a.closed_days
                  FROM requests r JOIN agencies a ON a.id = r.agency_id"""
TIMELINE = "SELECT id, kind, occurred_on, data FROM events WHERE request_id = ? ORDER BY occurred_on, id"


def inputs(db, request_id):
    """What one request's dates are computed from: (row as in REQUEST_ROWS, law, timeline)."""
    row = db.execute(REQUEST_ROWS + " WHERE r.id = ?", [request_id]).fetchone()
    if row is None:
        raise NotFound(f"No request with id {request_id}.")
    law = laws.get(db, row[4])
    if law is None:
        raise NotFound(f"No law is on file for {row[4]}, the agency's jurisdiction.")
    return row, law, list(db.query(TIMELINE, [request_id]))


def for_request(db, request_id, *, settings: Settings, today=None, explain=True) -> Dates:
    """Compute (without storing) the dates of one request."""
    row, law, events = inputs(db, request_id)
    return compute(law, events, today or clock.today(), row[5], settings, status=row[1], explain=explain)


def write(db, computed, old) -> None:
    """Store computed dates: ``computed`` is [(request_id, Dates)], ``old`` what :func:`stored`
    returned for them. Unchanged rows are left alone; a changed one gets the next ``sequence``
    (the calendar feed's revision) and ``requests.due_on`` follows its effective date."""
    now = clock.stamp()
    due_updates, inserts, updates = [], [], []
    for request_id, dates in computed:
        row = _row(dates)
        due_on = _due_on(row)
        before = old.get(request_id)
        if before is None:
            inserts.append((request_id, *row, 0, now))
            due_updates.append((due_on, request_id))
            continue
        if before[0] != row:
            updates.append((request_id, *row, before[1] + 1, now))
            if len(before[0]) != len(row) or _due_on(before[0]) != due_on:
                due_updates.append((due_on, request_id))
    cols = ("request_id",) + DATE_COLUMNS + ("sequence", "changed_at")
    insert = f"INSERT INTO request_dates ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    if inserts:
        db.conn.executemany(insert, inserts)
    if updates:
        db.conn.executemany(f"{insert} ON CONFLICT(request_id) DO UPDATE SET "
                            + ", ".join(f"{c} = excluded.{c}" for c in cols[1:]), updates)
    if due_updates:
        db.conn.executemany("UPDATE requests SET due_on = ? WHERE id = ? AND due_on IS NOT ?",
                            [(due, rid, due) for due, rid in due_updates])


@contextlib.contextmanager
def snapshot(db):
    """Reads that see the database as of one moment (a read transaction); yields a function giving
    the ``PRAGMA data_version`` of that moment, or None when the caller's transaction is open."""
    if db.conn.in_transaction:
        yield lambda: None
        return
    db.execute("BEGIN")
    try:
        yield lambda: data_version(db)
    finally:
        db.execute("COMMIT")


def data_version(db) -> int:
    """Changes whenever another connection commits (SQLite's ``PRAGMA data_version``)."""
    return db.execute("PRAGMA data_version").fetchone()[0]


def timelines(db) -> dict[int, list[dict]]:
    """Every request's timeline, in order: request_id -> events."""
    cursor = db.execute("SELECT request_id, id, kind, occurred_on, data FROM events "
                        "ORDER BY request_id, occurred_on, id")
    return {request_id: [{"id": i, "kind": k, "occurred_on": o, "data": d} for _, i, k, o, d in group]
            for request_id, group in itertools.groupby(cursor.fetchall(), key=lambda r: r[0])}


REFRESHED_ON = "deadlines.refreshed_on"


def refreshed_on(db) -> str | None:
    """The day of the last recompute of every request (ISO), or None."""
    rows = list(db.query("SELECT value FROM settings WHERE key = ?", [REFRESHED_ON]))
    return rows[0]["value"] if rows else None


def mark_refreshed(db, today: dt.date) -> None:
    store_setting(db, REFRESHED_ON, today.isoformat())


def dashboard(db, today=None, limit: int = 50) -> dict:
    """What the dashboard shows: overdue requests, those due within a week, and those whose
    acknowledgement is due or late. Each row carries the request, agency and dates."""
    today = as_date(today or clock.today())
    week = (today + dt.timedelta(days=7)).isoformat()
    base = f"""SELECT r.id, r.title, r.status, a.name AS agency_name, a.state AS agency_state,
                     d.target_kind, d.due, d.extended_due, d.operative_due, d.follow_up, d.acknowledge_by,
                     d.clock, {TARGET_SQL} AS target
              FROM request_dates d JOIN requests r ON r.id = d.request_id
              JOIN agencies a ON a.id = r.agency_id"""
    overdue = list(db.query(
        f"""{base} WHERE d.clock = 'running' AND d.target_kind = 'legal'
            AND {LEGAL_DUE_SQL} < ? ORDER BY target, r.id LIMIT ?""", [today.isoformat(), limit]))
    due_soon = list(db.query(
        f"""{base} WHERE d.clock = 'running' AND {TARGET_SQL} >= ?
            AND {TARGET_SQL} <= ? ORDER BY target, r.id LIMIT ?""",
        [today.isoformat(), week, limit]))
    awaiting_ack = list(db.query(
        f"""{base} WHERE d.clock IN ('running', 'paused') AND d.acknowledged = 0
            AND d.acknowledge_by IS NOT NULL ORDER BY d.acknowledge_by, r.id LIMIT ?""", [limit]))
    for row in overdue:
        row["days_late"] = (today - dt.date.fromisoformat(row["target"])).days
    for row in due_soon:
        row["days_left"] = (dt.date.fromisoformat(row["target"]) - today).days
    for row in awaiting_ack:
        row["late"] = row["acknowledge_by"] < today.isoformat()
    return {"today": today, "overdue": overdue, "due_this_week": due_soon, "awaiting_acknowledgement": awaiting_ack}

