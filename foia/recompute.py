"""The one recompute path: something a request's dates depend on changed -> its status (lifecycle)
-> its dates (the deadline engine) -> its reminders (planning) -> stored.

What can change: its timeline (an event added or removed), the request itself (its owner), its
agency (closed days, jurisdiction), a law row or holiday list, a setting, or simply the day (the
daily sweep moves follow-ups on). Every one of those callers comes here:

- :func:`request` for one request, :func:`many` for a set (an agency's), inside the caller's
  transaction when there is one, so the change and its consequences commit together;
- :func:`everything` for all requests in bulk (a law or settings change, the daily sweep), run as
  the job ``recompute.all`` (:func:`enqueue_all`) when a web page asks for it.

Nothing else writes ``requests.status``, ``requests.due_on``, ``request_dates`` or planned
reminders.
"""
import contextlib
import datetime as dt
import gc
import logging
from collections.abc import Callable, Iterable, Mapping

from . import clock, jobs, laws, lifecycle
from .db import transaction
from .deadlines import store as dates_store
from .deadlines.engine import Dates, as_date, compute
from .deadlines.settings import Settings, load_settings, save_settings
from .reminders import store as reminders_store

log = logging.getLogger(__name__)

JOB_KIND = "recompute.all"


def _status(events: list[dict], stored: str) -> str:
    """The status the timeline implies (the stored one for a timeline that does not replay)."""
    if not events:
        return stored
    try:
        return lifecycle.derive_status(events)
    except lifecycle.TransitionError:
        return stored


def request(db, request_id, *, config: Mapping | None = None, settings: Settings | None = None,
            today=None) -> Dates:
    """Recompute one request: status, dates and reminders, stored in one transaction that also
    covers the reads (a change made meanwhile elsewhere cannot be overwritten). Raises
    :class:`foia.errors.NotFound` for an unknown request. ``settings`` (else loaded from ``config``
    and the settings table) and ``today`` (else the clock's) are what the dates are computed with.
    """
    today = as_date(today or clock.today())
    with transaction(db):
        settings = settings or load_settings(db, config)
        row, law, events = dates_store.inputs(db, request_id)
        status = _status(events, row[1])
        if status != row[1]:
            db.execute("UPDATE requests SET status = ? WHERE id = ?", [status, request_id])
        dates = compute(law, events, today, row[5], settings, status=status)
        dates_store.write(db, [(request_id, dates)], dates_store.stored(db, request_id))
        reminders_store.replan(db, request_id, dates, status, today, settings, owner_id=row[2])
    return dates


def many(db, request_ids: Iterable[int], *, config: Mapping | None = None,
             settings: Settings | None = None, today=None) -> int:
    """:func:`request` for each of ``request_ids`` in one transaction; returns how many."""
    today = as_date(today or clock.today())
    count = 0
    with transaction(db):
        settings = settings or load_settings(db, config)
        for request_id in request_ids:
            request(db, request_id, settings=settings, today=today)
            count += 1
    return count


def agency(db, agency_id, *, config: Mapping | None = None, today=None) -> int:
    """After an agency's closed days or jurisdiction changed: its requests."""
    ids = [r[0] for r in db.execute("SELECT id FROM requests WHERE agency_id = ? ORDER BY id", [agency_id])]
    return many(db, ids, config=config, today=today)


def reminder_kinds(db, request_id, kinds, *, config: Mapping | None = None, today=None) -> Dates:
    """Switch reminder kinds off for one request (the others on) and re-plan, in one transaction."""
    with transaction(db):
        reminders_store.set_disabled_kinds(db, request_id, kinds)
        return request(db, request_id, config=config, today=today)


# --- all requests -----------------------------------------------------------------------------

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


def _compute_row(row, law, events, today, settings, errors):
    """(dates, status, owner_id) of one request row for :func:`everything`, or None when its
    jurisdiction has no law or its dates cannot be computed (logged and added to ``errors``)."""
    if law is None:
        return None
    # The stored status: it depends on the timeline alone, and every timeline change recomputes its
    # request (deriving it again for 100,000 requests would cost about a tenth of the run).
    status = row[1]
    try:
        dates = compute(law, events, today, row[5], settings, status=status, explain=False, ordered=True)
    except Exception as e:  # bad data in one timeline or agency must not stop the others
        log.exception("recompute: request %s skipped, its dates cannot be computed", row[0])
        errors.append((row[0], f"{type(e).__name__}: {e}"))
        return None
    return dates, status, row[2]


def _changed_since(db, rows, timelines, all_laws):
    """Compare the inputs read earlier (``rows``, ``timelines``, ``all_laws``) with the database
    now: returns (rows that are new or changed, ids of requests gone, the laws now)."""
    laws_now = laws.all_laws(db)
    moved = {code for code in set(all_laws) | set(laws_now) if all_laws.get(code) != laws_now.get(code)}
    before = {row[0]: row for row in rows}
    events_now = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT request_id, count(*), max(id) FROM events GROUP BY request_id")}
    changed = []
    rows_now = db.execute(dates_store.REQUEST_ROWS).fetchall()
    for row in rows_now:
        events = timelines.get(row[0], ())
        seen = (len(events), max(e["id"] for e in events)) if events else None
        if before.get(row[0]) != row or events_now.get(row[0]) != seen or row[4] in moved:
            changed.append(row)
    gone = set(before) - {row[0] for row in rows_now}
    return changed, gone, laws_now


def everything(db, *, config: Mapping | None = None, settings: Settings | None = None, today=None,
               errors: list | None = None, progress: Callable[[int, int, str], None] | None = None) -> int:
    """Recompute every request's dates and reminders in bulk (after a law, holiday or settings
    change, and once a day so follow-up reminders keep coming). Returns the number of requests
    stored. The status is the stored one: only a timeline change moves it, and that recomputes
    its request (:func:`request`).

    The inputs are read as of one moment and computed without holding the write lock. Inside the
    write transaction, requests whose inputs changed meanwhile (an event recorded by a web worker,
    a new owner, an agency's closed days, a law) are read and computed again, so stale dates never
    overwrite fresh ones. A request whose dates cannot be computed (bad data) is logged, listed in
    ``errors`` as (request_id, message) and keeps what was stored; the others go on. ``progress``
    is called as ``progress(done, total, message)`` between the steps.
    """
    today = as_date(today or clock.today())
    settings = settings or load_settings(db, config)
    errors = [] if errors is None else errors
    report = progress or (lambda done, total, message: None)
    # A bigger page cache for this connection: the bulk writes touch several indexes at once.
    db.execute("PRAGMA cache_size = -65536")
    with _without_cycle_collection():
        with dates_store.snapshot(db) as version_of_snapshot:
            all_laws = laws.all_laws(db)
            rows = db.execute(dates_store.REQUEST_ROWS + " ORDER BY r.id").fetchall()
            timelines = dates_store.timelines(db)
            version = version_of_snapshot()
        report(0, len(rows), "Computing the dates")
        results = {row[0]: _compute_row(row, all_laws.get(row[4]), timelines.get(row[0], ()), today, settings,
                                        errors) for row in rows}
        report(len(rows) // 2, len(rows), "Storing the dates and reminders")
        with transaction(db):
            if version is not None and dates_store.data_version(db) != version:
                changed, gone, laws_now = _changed_since(db, rows, timelines, all_laws)
                for request_id in gone:
                    del results[request_id]
                for row in changed:
                    errors[:] = [e for e in errors if e[0] != row[0]]
                    events = list(db.query(dates_store.TIMELINE, [row[0]]))
                    results[row[0]] = _compute_row(row, laws_now.get(row[4]), events, today, settings, errors)
            done = [(request_id, *result) for request_id, result in results.items() if result is not None]
            dates_store.write(db, [(request_id, dates) for request_id, dates, _, _ in done], dates_store.stored(db))
            reminders_store.replan_many(db, done, today, settings)
            dates_store.mark_refreshed(db, today)
    report(len(rows), len(rows), f"{len(done)} requests recomputed")
    return len(done)


def daily(db, config: Mapping | None = None, today: dt.date | None = None) -> int | None:
    """The daily sweep: recompute everything once per day (follow-ups move forward, holiday and
    law changes take effect). Returns the number of requests, or None when today's is done."""
    today = as_date(today or clock.today())
    if dates_store.refreshed_on(db) == today.isoformat():
        return None
    return everything(db, config=config, today=today)


def settings_saved(db, values: dict, *, config: Mapping | None = None, actor=None) -> tuple[Settings, int]:
    """Save settings from the settings page and queue the recompute they call for; returns the
    settings now in force and the job's id."""
    settings = save_settings(db, values, config)
    return settings, enqueue_all(db, actor=actor, reason="settings changed")


def enqueue_all(db, *, actor=None, reason: str = "") -> int:
    """Queue the bulk recompute (one live job at a time: asking again returns the queued one)."""
    return jobs.enqueue(db, JOB_KIND, {"reason": reason} if reason else {}, key=JOB_KIND, actor=actor)


def latest_job(db) -> dict | None:
    """The most recent bulk recompute job (for a progress display), or None."""
    return jobs.latest(db, JOB_KIND)


@jobs.handler(JOB_KIND)
def run(instance, job) -> dict:
    """The ``recompute.all`` job. Safe to run again after a crash: it recomputes from the inputs
    as they are, and storing unchanged dates changes nothing."""
    config = getattr(instance, "config", instance)
    today = instance.today() if hasattr(instance, "today") else None
    errors: list = []
    count = everything(job.db, config=config, today=today, errors=errors,
                       progress=lambda done, total, message: job.progress(done, total, message))
    return {"requests": count, "errors": len(errors)}
