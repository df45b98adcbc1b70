"""The figures behind the insights pages: how requests stand, and how agencies answer.

Everything is computed from the timeline (``events``) and the stored deadlines (``request_dates``),
never from anything typed by hand:

- **first response**: the first event from the agency (acknowledgement, extension, clarification
  question, fee estimate, release, no-records answer or denial);
- **answer**: the first release (in part or in full), no-records answer or denial;
- **on time**: answered on or before the due date (the extended one, if the agency claimed an
  extension). A request answered after its due date, or still open past it, is late. Requests with
  no due date (laws with no fixed period), or not yet due and unanswered, are not judged;
- **days** are calendar days from the filing date.

:data:`SUMMARY_SQL` summarises each request in one row. For one agency or one campaign it runs
live (about 10 ms). For the whole instance it took 5 s on the 100,000-request / 1,000,000-event
bench database, and the aggregates over it another 2 s, too long for a page: the job
``stats.refresh`` keeps the rows in ``request_stats`` (1.2 s, in steps) and the page's figures in
``stats_state``; the page reads them (:func:`current`), re-summarising by itself only a small
instance, and otherwise says the figures are being brought up to date.
"""
import datetime as dt
import functools
import json
from dataclasses import dataclass, field

from sqlite_utils.migrations import Migrations

from . import clock, jobs, lifecycle
from .db import run_script, transaction
from .errors import NotFound

migrations = Migrations("foia.stats")


@migrations()
def m001_request_stats(db) -> None:
    run_script(db, """
        CREATE INDEX IF NOT EXISTS events_request_kind ON events(request_id, kind, occurred_on);
        CREATE TABLE request_stats (
            id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
            agency_id INTEGER NOT NULL,
            agency_name TEXT NOT NULL,
            state TEXT NOT NULL,
            status TEXT NOT NULL,
            campaign_id INTEGER,
            filed_on TEXT,
            responded_on TEXT,
            answered_on TEXT,
            released_on TEXT,
            ended_on TEXT,
            due_on TEXT
        );
        CREATE TABLE stats_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
    """)


@migrations()
def m002_events_by_day(db) -> None:
    # The dashboard's recent activity reads the newest events by day without a scan.
    db.execute("CREATE INDEX IF NOT EXISTS events_occurred ON events(occurred_on, recorded_at, id)")


@migrations()
def m003_indexes_for_pages(db) -> None:
    # The figures' fingerprint reads the newest change to the stored dates from an index; the
    # month calendar (foia.calendar_month) reads a month's pending reminders from another.
    db.execute("CREATE INDEX IF NOT EXISTS request_dates_changed ON request_dates(changed_at, sequence)")
    db.execute("CREATE INDEX IF NOT EXISTS reminders_due_pending ON reminders(due_at) WHERE sent_at IS NULL")


RESPONSE_KINDS = ("acknowledged", "extension_claimed", "clarification_requested", "fee_estimate",
                  "partial_release", "records_released", "no_records", "denied")
ANSWER_KINDS = ("partial_release", "records_released", "no_records", "denied")
RELEASE_KINDS = ("partial_release", "records_released")
ENDING_KINDS = ("withdrawn", "closed")


def _in(kinds) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


# One row per request. Kept as one hand-written query (measured on the bench database; see above).
SUMMARY_SQL = f"""
SELECT r.id, r.agency_id, a.name AS agency_name, a.state, r.status, r.campaign_id,
       MIN(CASE WHEN e.kind = 'filed' THEN e.occurred_on END) AS filed_on,
       MIN(CASE WHEN e.kind IN ({_in(RESPONSE_KINDS)}) THEN e.occurred_on END) AS responded_on,
       MIN(CASE WHEN e.kind IN ({_in(ANSWER_KINDS)}) THEN e.occurred_on END) AS answered_on,
       MIN(CASE WHEN e.kind IN ({_in(RELEASE_KINDS)}) THEN e.occurred_on END) AS released_on,
       MIN(CASE WHEN e.kind IN ({_in(ENDING_KINDS)}) THEN e.occurred_on END) AS ended_on,
       COALESCE(d.operative_due, d.extended_due, d.due) AS due_on
FROM requests r
JOIN agencies a ON a.id = r.agency_id
LEFT JOIN events e ON e.request_id = r.id
LEFT JOIN request_dates d ON d.request_id = r.id
{{where}}
GROUP BY r.id
"""


SUMMARY_COLUMNS = ("id", "agency_id", "agency_name", "state", "status", "campaign_id", "filed_on",
                   "responded_on", "answered_on", "released_on", "ended_on", "due_on")


def _live(where: str) -> str:
    """The summary of the requests matching ``where`` (over ``r`` requests and ``a`` agencies), as a subquery."""
    return "(" + SUMMARY_SQL.format(where="WHERE " + where) + ")"


def source(*, campaign_id=None, agency_id=None) -> tuple[str, list]:
    """(FROM clause, parameters): one agency's or one campaign's summary live, else the kept table."""
    if agency_id is not None:
        return _live("r.agency_id = ?"), [agency_id]
    if campaign_id is not None:
        return _live("r.campaign_id = ?"), [campaign_id]
    return "request_stats", []


# -- keeping request_stats up to date --------------------------------------------------------------

INLINE_LIMIT = 2000  # an instance this small is summarised by the page itself; larger, by the job
CHUNK = 10_000  # requests per step of the refresh job


def _fingerprint(db) -> tuple[str, str]:
    """(request side, deadline side): the kept rows are current while both are unchanged.

    The latest change stamp alone misses changes made within the same second, so the number of
    requests and the newest event's id go in too; on the deadline side, the rows changed in the
    newest second and the sum of their revision numbers (a row changed again within that second
    counts one more). All read from indexes: a few milliseconds at 100,000 requests."""
    # Three statements: max() read from an index only when it is a query's one aggregate.
    updated = "/".join(str(db.execute(sql).fetchone()[0]) for sql in (
        "SELECT coalesce(max(updated_at), '') FROM requests", "SELECT count(*) FROM requests",
        "SELECT coalesce(max(id), 0) FROM events"))
    changed = db.execute("""SELECT coalesce(m.at, '') || '/' || count(d.request_id) || '/' || coalesce(sum(d.sequence), 0)
                            FROM (SELECT max(changed_at) AS at FROM request_dates) AS m
                            LEFT JOIN request_dates d ON d.changed_at = m.at""").fetchone()[0]
    return updated, changed


def _state(db) -> dict[str, str]:
    return dict(db.execute("SELECT key, value FROM stats_state").fetchall())


def _save_state(db, **values) -> None:
    for key, value in values.items():
        db.execute("INSERT OR REPLACE INTO stats_state (key, value) VALUES (?, ?)", [key, str(value)])


def _summarise(db, where: str, params) -> None:
    db.execute(f"INSERT OR REPLACE INTO request_stats ({', '.join(SUMMARY_COLUMNS)}) "
               + SUMMARY_SQL.format(where="WHERE " + where), params)


def refresh_all(db, job=None) -> None:
    """Re-summarise every request, in steps of :data:`CHUNK` requests (each its own transaction).

    Resumable: the step reached is kept in ``stats_state``, so a job re-run after a crash goes on
    from there; re-summarising a request twice gives the same row."""
    state = _state(db)
    if "rebuild_from" not in state:
        with transaction(db):
            updated, changed = _fingerprint(db)
            _save_state(db, rebuild_from=0, rebuild_updated=updated, rebuild_changed=changed)
        state = _state(db)
    start = int(state["rebuild_from"])
    last = db.execute("SELECT coalesce(max(id), 0) FROM requests").fetchone()[0]
    while start <= last:
        with transaction(db):
            _summarise(db, "r.id >= ? AND r.id < ?", [start, start + CHUNK])
            _save_state(db, rebuild_from=start + CHUNK)
        start += CHUNK
        if job is not None:
            job.progress(min(start, last), last, "Summarising requests")
    with transaction(db):
        db.execute("DELETE FROM request_stats WHERE id NOT IN (SELECT id FROM requests)")
        state = _state(db)
        _save_state(db, updated=state["rebuild_updated"], changed=state["rebuild_changed"],
                    refreshed_at=clock.stamp())
        db.execute("DELETE FROM stats_state WHERE key IN ('rebuild_from', 'rebuild_updated', 'rebuild_changed')")


@jobs.handler("stats.refresh", "Figures for the insights page")
def run_refresh(instance, job) -> None:
    refresh_all(job.db, job)
    with transaction(job.db):
        _save_state(job.db, figures=json.dumps(figures(job.db, instance.today())))


def current(db, today: dt.date) -> dict:
    """The instance-wide figures (see :func:`figures`), with ``refreshed_at`` and ``pending``.

    Fresh figures are read as kept. A small instance (up to :data:`INLINE_LIMIT` requests) is
    re-summarised on the spot; a larger one queues the ``stats.refresh`` job and shows the last
    figures kept (``pending`` True; ``None`` figures if there are none yet)."""
    state = _state(db)
    updated, changed = _fingerprint(db)
    text = state.get("figures")
    fresh = text is not None and (state.get("updated"), state.get("changed"), _parsed(text)["today"]) == (
        updated, changed, today.isoformat())
    if not fresh and db.execute(f"SELECT count(*) FROM (SELECT 1 FROM requests LIMIT {INLINE_LIMIT + 1})"
                                ).fetchone()[0] <= INLINE_LIMIT:
        db.execute("DELETE FROM stats_state WHERE key = 'rebuild_from'")
        refresh_all(db)
        text = json.dumps(figures(db, today))
        with transaction(db):
            _save_state(db, figures=text)
        fresh = True
    if not fresh:
        jobs.enqueue(db, "stats.refresh", {}, key="stats.refresh")
    state = _state(db)
    return {"figures": _shown(text) if text else None, "refreshed_at": state.get("refreshed_at"),
            "pending": not fresh}


def figures(db, today: dt.date) -> dict:
    """Everything the insights page shows, from ``request_stats``, as plain data (kept as JSON)."""
    return {
        "today": today.isoformat(),
        "overall": overall(db, today).__dict__,
        "per_state": [r.__dict__ for r in per_state(db, today)],
        "per_agency": [r.__dict__ for r in per_agency(db, today)],
        "overdue": [(d.isoformat(), n) for d, n in overdue_over_time(db, today)],
    }


@functools.lru_cache(maxsize=4)
def _parsed(text: str) -> dict:
    """Kept figures (their JSON) as :func:`figures` made them, parsed once per process while they
    are unchanged: at 1,000 agencies that saves about 20 ms a page. Read-only."""
    return json.loads(text)


@functools.lru_cache(maxsize=4)
def _records(text: str) -> dict:
    kept = _parsed(text)
    return {
        "today": dt.date.fromisoformat(kept["today"]),
        "overall": Record(**kept["overall"]),
        "per_state": tuple(Record(**r) for r in kept["per_state"]),
        "per_agency": tuple(Record(**r) for r in kept["per_agency"]),
        "overdue": tuple((dt.date.fromisoformat(d), n) for d, n in kept["overdue"]),
    }


def _shown(text: str) -> dict:
    """The kept figures as records; the lists are the caller's own (the records are frozen)."""
    found = _records(text)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in found.items()}


# -- aggregates -----------------------------------------------------------------------------------

OPEN = _in(sorted(lifecycle.OPEN_STATUSES))
# 1 on time, 0 late, NULL not judged (see the module docstring); :today is the ISO date.
VERDICT = f"""CASE WHEN filed_on IS NULL OR due_on IS NULL THEN NULL
                   WHEN answered_on IS NOT NULL THEN answered_on <= due_on
                   WHEN status IN ({OPEN}) AND due_on < :today THEN 0 END"""


@dataclass(frozen=True)
class Record:
    """How a group of requests (a state, an agency, a campaign, everything) was answered."""

    key: str
    label: str
    requests: int = 0
    on_time: int = 0
    late: int = 0
    median_days_to_response: float | None = None
    median_days_to_release: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def judged(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> float | None:
        """0..1, or None when no request could be judged."""
        return self.on_time / self.judged if self.judged else None


def _medians(db, src: str, params: list, group: str, start: str, end: str) -> dict:
    """group -> median whole days from ``start`` to ``end`` (only where both are set, end not earlier)."""
    sql = f"""
        WITH x AS (SELECT {group} AS k, CAST(julianday({end}) - julianday({start}) AS INTEGER) AS v
                   FROM {src} WHERE {start} IS NOT NULL AND {end} IS NOT NULL AND {end} >= {start}),
             ranked AS (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v) AS n,
                               count(*) OVER (PARTITION BY k) AS c FROM x)
        SELECT k, avg(v) FROM ranked WHERE n IN ((c + 1) / 2, (c + 2) / 2) GROUP BY k"""
    return dict(db.execute(sql, params).fetchall())


def records(db, today: dt.date, *, group: str = "'all'", label: str | None = None, campaign_id=None,
            agency_id=None) -> list[Record]:
    """One :class:`Record` per value of the SQL expression ``group`` (a column of the summary)."""
    src, params = source(campaign_id=campaign_id, agency_id=agency_id)
    named = {"today": today.isoformat()}
    named.update({f"p{i}": v for i, v in enumerate(params)})
    src = _numbered(src)
    label = label or group
    rows = db.execute(f"""SELECT {group} AS k, max({label}) AS label, count(*) AS n,
                                 coalesce(sum(v = 1), 0), coalesce(sum(v = 0), 0)
                          FROM (SELECT *, {VERDICT} AS v FROM {src}) GROUP BY k""", named).fetchall()
    outcomes: dict = {}
    for k, status, n in db.execute(f"SELECT {group}, status, count(*) FROM {src} GROUP BY 1, 2", named):
        outcomes.setdefault(k, {})[status] = n
    to_response = _medians(db, src, named, group, "filed_on", "responded_on")
    to_release = _medians(db, src, named, group, "filed_on", "released_on")
    result = []
    for k, text, n, on_time, late in rows:
        counts = outcomes.get(k, {})
        ordered = {s: counts[s] for s in lifecycle.STATUSES if s in counts}
        ordered.update({s: c for s, c in counts.items() if s not in ordered})
        result.append(Record(key=str(k), label=str(text), requests=n, on_time=on_time, late=late,
                             median_days_to_response=to_response.get(k), median_days_to_release=to_release.get(k),
                             outcomes=ordered))
    return result


def _numbered(src: str) -> str:
    """``?`` placeholders of a live source as :p0, :p1... (the aggregates use named parameters)."""
    parts = src.split("?")
    return "".join(part + (f":p{i}" if i < len(parts) - 1 else "") for i, part in enumerate(parts))


def overall(db, today: dt.date, **scope) -> Record:
    """Everything in scope (the instance, or ``agency_id=`` / ``campaign_id=``) as one record."""
    found = records(db, today, **scope)
    return found[0] if found else Record(key="all", label="all")


def by_status(record: Record) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status that has requests, in the lifecycle's order."""
    return [(s, lifecycle.STATUSES.get(s, s), n) for s, n in record.outcomes.items()]


def per_state(db, today: dt.date, names: dict[str, str] | None = None, **scope) -> list[Record]:
    """One record per jurisdiction that has requests, by state code."""
    names = names or {}
    found = records(db, today, group="state", **scope)
    return sorted((Record(**{**r.__dict__, "label": names.get(r.key, r.key)}) for r in found), key=lambda r: r.key)


def per_agency(db, today: dt.date, *, limit: int | None = None, **scope) -> list[Record]:
    """One record per agency that has requests, the least punctual first (then by name)."""
    found = records(db, today, group="agency_id", label="agency_name || ' (' || state || ')'", **scope)
    found.sort(key=lambda r: (r.on_time_share if r.on_time_share is not None else 2, r.label))
    return found[:limit] if limit else found


# Ways to order a table of records (?sort=...): the key, and whether the largest comes first.
SORTS = {
    "name": (lambda r: r.label.casefold(), False),
    "requests": (lambda r: r.requests, True),
    "on_time": (lambda r: r.on_time_share, False),
    "response": (lambda r: r.median_days_to_response, True),
    "release": (lambda r: r.median_days_to_release, True),
}


def sorted_records(found: list[Record], sort: str | None) -> tuple[list[Record], str]:
    """``found`` in the order ``sort`` names (a key of :data:`SORTS`, else by name), the worst first:
    the lowest on-time share, the most days; records without the figure go last. Returns the order used."""
    sort = sort if sort in SORTS else "name"
    key, largest_first = SORTS[sort]
    known = [r for r in found if key(r) is not None]
    unknown = sorted((r for r in found if key(r) is None), key=lambda r: r.label.casefold())
    known.sort(key=lambda r: r.label.casefold())
    known.sort(key=key, reverse=largest_first)
    return known + unknown, sort


def overdue_over_time(db, today: dt.date, *, weeks: int = 12, **scope) -> list[tuple[dt.date, int]]:
    """How many requests were overdue at the end of each of the last ``weeks`` weeks (ending today):
    filed by then, past due, and neither answered nor withdrawn or closed by then."""
    days = [today - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    src, params = source(**scope)
    named = {f"p{i}": v for i, v in enumerate(params)}
    named["days"] = json.dumps([d.isoformat() for d in days])
    counts = dict(db.execute(f"""
        SELECT day.value, count(s.filed_on) FROM json_each(:days) AS day
        LEFT JOIN (SELECT filed_on, due_on, answered_on, ended_on FROM {_numbered(src)}
                   WHERE filed_on IS NOT NULL AND due_on IS NOT NULL) AS s
          ON s.filed_on <= day.value AND s.due_on < day.value
         AND (s.answered_on IS NULL OR s.answered_on > day.value)
         AND (s.ended_on IS NULL OR s.ended_on > day.value)
        GROUP BY day.value""", named).fetchall())
    return [(d, counts.get(d.isoformat(), 0)) for d in days]


def agency_record(db, agency_id: int, today: dt.date) -> Record:
    """An agency's record: its requests, on-time share, median days and outcomes (live)."""
    agency = db.execute("SELECT id, name FROM agencies WHERE id = ?", [agency_id]).fetchone()
    if agency is None:
        raise NotFound(f"There is no agency number {agency_id}.")
    found = overall(db, today, agency_id=agency_id)
    return Record(**{**found.__dict__, "key": str(agency[0]), "label": agency[1]})


# -- a campaign's map -------------------------------------------------------------------------------

# The response status of a jurisdiction in a campaign: the most pressing of its requests (the first
# in this order) decides.
RESPONSE_STATES = {
    "overdue": "Overdue",
    "waiting": "Waiting for an answer",
    "answered": "Answered",
    "not_filed": "Not filed yet",
    "ended": "Withdrawn or closed",
}


def response_state(row: dict, today: dt.date) -> str:
    if row["status"] == "draft" or not row["filed_on"]:
        return "not_filed"
    if row["status"] in ("withdrawn", "closed") and not row["answered_on"]:
        return "ended"
    if row["answered_on"] or row["status"] in lifecycle.DECIDED_STATUSES:
        return "answered"
    if row["due_on"] and row["due_on"] < today.isoformat() and row["status"] in lifecycle.OPEN_STATUSES:
        return "overdue"
    return "waiting"


def campaign_rows(db, campaign_id: int) -> list[dict]:
    """A campaign's requests, summarised (live), by agency name."""
    src, params = source(campaign_id=campaign_id)
    return [dict(r) for r in db.query(f"SELECT * FROM {src} ORDER BY agency_name, id", params)]


def campaign_states(rows: list[dict], today: dt.date) -> dict[str, tuple[str, dict[str, int]]]:
    """state -> (its response state, {response state: number of requests}) for a campaign's rows."""
    order = list(RESPONSE_STATES)
    grouped: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = grouped.setdefault(row["state"], {})
        kind = response_state(row, today)
        counts[kind] = counts.get(kind, 0) + 1
    return {state: (min(counts, key=order.index), {k: counts[k] for k in order if k in counts})
            for state, counts in grouped.items()}
