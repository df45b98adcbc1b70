"""The stored side of deadlines: the ``request_dates`` cache (and ``requests.due_on``), its
migrations, and what lists and the dashboard read from it."""
import contextlib
import datetime as dt
import gc
import itertools
import logging

from sqlite_utils.migrations import Migrations

from .. import clock, laws, lifecycle
from ..db import run_script, transaction
from .engine import Dates, as_date, compute
from .settings import Settings, load_settings, store_setting

log = logging.getLogger(__name__)

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


DATE_COLUMNS = ("target_kind", "received", "due", "extended_due", "acknowledge_by", "acknowledged",
                "follow_up", "appeal_by", "clock", "paused_since")


def _row(dates: Dates) -> tuple:
    """The stored form of ``dates``, in DATE_COLUMNS order."""
    received, due, extended_due, acknowledge_by, follow_up, appeal_by, paused_since = [
        day.isoformat() if day else None for day in (dates.received, dates.due, dates.extended_due,
                                                     dates.acknowledge_by, dates.follow_up, dates.appeal_by,
                                                     dates.paused_since)]
    return (dates.target_kind, received, due, extended_due, acknowledge_by, int(dates.acknowledged), follow_up,
            appeal_by, dates.clock, paused_since)


def _stored(db, request_id=None) -> dict[int, tuple]:
    """request_id -> (DATE_COLUMNS values, sequence) as stored."""
    sql = f"SELECT request_id, {', '.join(DATE_COLUMNS)}, sequence FROM request_dates"
    rows = db.execute(sql + " WHERE request_id = ?", [request_id]) if request_id is not None else db.execute(sql)
    return {r[0]: (tuple(r[1:-1]), r[-1]) for r in rows.fetchall()}


class UnknownRequest(LookupError):
    pass


# A request's row with what its dates depend on besides the timeline, in this column order.
REQUEST_ROWS = """SELECT r.id, r.status, r.owner_id, r.updated_at, a.state, a.closed_days
                  FROM requests r JOIN agencies a ON a.id = r.agency_id"""
TIMELINE = "SELECT id, kind, occurred_on, data FROM events WHERE request_id = ? ORDER BY occurred_on, id"


def _inputs(db, request_id):
    """What one request's dates are computed from: (row as in REQUEST_ROWS, law, timeline)."""
    row = db.execute(REQUEST_ROWS + " WHERE r.id = ?", [request_id]).fetchone()
    if row is None:
        raise UnknownRequest(f"No request with id {request_id}.")
    law = laws.get(db, row[4])
    if law is None:
        raise UnknownRequest(f"No law on file for jurisdiction {row[4]!r}.")
    return row, law, list(db.query(TIMELINE, [request_id]))


def for_request(db, request_id, today=None, settings: Settings | None = None, explain=True) -> Dates:
    """Compute (without storing) the dates of one request."""
    row, law, events = _inputs(db, request_id)
    return compute(law, events, today or clock.today(), row[5], settings or load_settings(db),
                   status=row[1], explain=explain)


def refresh(db, request_id, today=None, settings: Settings | None = None) -> Dates:
    """Recompute one request's status and dates, store them and re-plan its reminders (one
    transaction, which also covers the reads, so a change made meanwhile elsewhere cannot be
    overwritten).

    Called after every change to the request's timeline, agency or owner.
    """
    from .. import reminders

    today = as_date(today or clock.today())
    settings = settings or load_settings(db)
    with transaction(db):
        row, law, events = _inputs(db, request_id)
        try:
            status = lifecycle.derive_status(events) if events else row[1]
        except lifecycle.TransitionError:
            status = row[1]
        if status != row[1]:  # the cached status follows the same timeline
            db.execute("UPDATE requests SET status = ? WHERE id = ?", [status, request_id])
        dates = compute(law, events, today, row[5], settings, status=status)
        _store(db, [(request_id, dates)], _stored(db, request_id))
        reminders.replan(db, request_id, dates, status, today, settings=settings, owner_id=row[2])
    return dates


def _store(db, computed, old):
    now = clock.stamp()
    due_updates, inserts, updates = [], [], []
    for request_id, dates in computed:
        row = _row(dates)
        due_on = row[3] or row[2] or row[6]  # extended_due, due, follow_up
        before = old.get(request_id)
        if before is None:
            inserts.append((request_id, *row, 0, now))
            due_updates.append((due_on, request_id))
            continue
        if before[0] != row:
            updates.append((request_id, *row, before[1] + 1, now))
            if (before[0][3] or before[0][2] or before[0][6]) != due_on:
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
def _without_cycle_collection():
    """Pause Python's cycle collector: a bulk recompute makes hundreds of thousands of small
    objects that form no cycles, and the collector would walk all of them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _snapshot(db):
    """Reads that see the database as of one moment (a read transaction); yields a function giving
    the ``PRAGMA data_version`` of that moment, or None when the caller's transaction is open."""
    if db.conn.in_transaction:
        yield lambda: None
        return
    db.execute("BEGIN")
    try:
        yield lambda: _data_version(db)
    finally:
        db.execute("COMMIT")


def _data_version(db) -> int:
    """Changes whenever another connection commits (SQLite's ``PRAGMA data_version``)."""
    return db.execute("PRAGMA data_version").fetchone()[0]


def _timelines(db) -> dict[int, list[dict]]:
    """Every request's timeline, in order: request_id -> events."""
    cursor = db.execute("SELECT request_id, id, kind, occurred_on, data FROM events "
                        "ORDER BY request_id, occurred_on, id")
    return {request_id: [{"id": i, "kind": k, "occurred_on": o, "data": d} for _, i, k, o, d in group]
            for request_id, group in itertools.groupby(cursor.fetchall(), key=lambda r: r[0])}


def _compute_row(row, law, events, today, settings, errors):
    """(dates, status, owner_id) of one request row for :func:`refresh_all`, or None when its
    jurisdiction has no law or its dates cannot be computed (logged and added to ``errors``)."""
    if law is None:
        return None
    try:
        dates = compute(law, events, today, row[5], settings, status=row[1], explain=False, ordered=True)
    except Exception as e:  # bad data in one timeline or agency must not stop the others
        log.exception("deadlines: request %s skipped, its dates cannot be computed", row[0])
        errors.append((row[0], f"{type(e).__name__}: {e}"))
        return None
    return dates, row[1], row[2]


def _changed_since(db, rows, timelines, all_laws):
    """Compare the inputs read earlier (``rows``, ``timelines``, ``all_laws``) with the database
    now: returns (rows that are new or changed, ids of requests gone, the laws now)."""
    laws_now = laws.all_laws(db)
    moved = {code for code in set(all_laws) | set(laws_now) if all_laws.get(code) != laws_now.get(code)}
    before = {row[0]: row for row in rows}
    events_now = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT request_id, count(*), max(id) FROM events GROUP BY request_id")}
    changed = []
    rows_now = db.execute(REQUEST_ROWS).fetchall()
    for row in rows_now:
        events = timelines.get(row[0], ())
        seen = (len(events), max(e["id"] for e in events)) if events else None
        if before.get(row[0]) != row or events_now.get(row[0]) != seen or row[4] in moved:
            changed.append(row)
    gone = set(before) - {row[0] for row in rows_now}
    return changed, gone, laws_now


def refresh_all(db, today=None, settings: Settings | None = None, errors: list | None = None) -> int:
    """Recompute every request's dates and reminders in bulk (after a law, holiday or settings
    change, and once a day so follow-up reminders keep coming). Returns the number of requests.

    The inputs are read as of one moment and computed without holding the write lock. Inside the
    write transaction, requests whose inputs changed meanwhile (an event recorded by a web worker,
    a new owner, an agency's closed days, a law) are read and computed again, so stale dates never
    overwrite fresh ones. A request whose dates cannot be computed (bad data) is logged, listed in
    ``errors`` as (request_id, message) and keeps what was stored; the others go on.
    """
    from .. import reminders

    today = as_date(today or clock.today())
    settings = settings or load_settings(db)
    errors = [] if errors is None else errors
    # A bigger page cache for this connection: the bulk writes touch several indexes at once.
    db.execute("PRAGMA cache_size = -65536")
    with _without_cycle_collection():
        with _snapshot(db) as version_of_snapshot:
            all_laws = laws.all_laws(db)
            rows = db.execute(REQUEST_ROWS + " ORDER BY r.id").fetchall()
            timelines = _timelines(db)
            version = version_of_snapshot()
        results = {row[0]: _compute_row(row, all_laws.get(row[4]), timelines.get(row[0], ()), today, settings,
                                        errors) for row in rows}
        with transaction(db):
            if version is not None and _data_version(db) != version:
                changed, gone, laws_now = _changed_since(db, rows, timelines, all_laws)
                for request_id in gone:
                    del results[request_id]
                for row in changed:
                    errors[:] = [e for e in errors if e[0] != row[0]]
                    events = list(db.query(TIMELINE, [row[0]]))
                    results[row[0]] = _compute_row(row, laws_now.get(row[4]), events, today, settings, errors)
            done = [(request_id, *result) for request_id, result in results.items() if result is not None]
            _store(db, [(request_id, dates) for request_id, dates, _, _ in done], _stored(db))
            reminders.replan_many(db, done, today, settings=settings)
            store_setting(db, "deadlines.refreshed_on", today.isoformat())
    return len(done)


def refreshed_on(db) -> str | None:
    rows = list(db.query("SELECT value FROM settings WHERE key = 'deadlines.refreshed_on'"))
    return rows[0]["value"] if rows else None


def dashboard(db, today=None, limit: int = 50) -> dict:
    """What the dashboard shows: overdue requests, those due within a week, and those whose
    acknowledgement is due or late. Each row carries the request, agency and dates."""
    today = as_date(today or clock.today())
    week = (today + dt.timedelta(days=7)).isoformat()
    base = """SELECT r.id, r.title, r.status, a.name AS agency_name, a.state AS agency_state,
                     d.target_kind, d.due, d.extended_due, d.follow_up, d.acknowledge_by, d.clock,
                     COALESCE(d.extended_due, d.due, d.follow_up) AS target
              FROM request_dates d JOIN requests r ON r.id = d.request_id
              JOIN agencies a ON a.id = r.agency_id"""
    overdue = list(db.query(
        f"""{base} WHERE d.clock = 'running' AND d.target_kind = 'legal'
            AND COALESCE(d.extended_due, d.due) < ? ORDER BY target, r.id LIMIT ?""", [today.isoformat(), limit]))
    due_soon = list(db.query(
        f"""{base} WHERE d.clock = 'running' AND COALESCE(d.extended_due, d.due, d.follow_up) >= ?
            AND COALESCE(d.extended_due, d.due, d.follow_up) <= ? ORDER BY target, r.id LIMIT ?""",
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

