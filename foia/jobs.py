"""Background jobs: a ``jobs`` table run by the scheduler's dispatcher, claimed with a lease.

Long work (a campaign's letters, a bulk recompute, OCR) is never done inside a web request: the
request calls :func:`enqueue` and shows the job's progress; the dispatcher (``foia serve``
in-process, or ``foia scheduler`` alone, or ``foia jobs run-once``) calls :func:`run_once`.

The claim is the reminders' model, generalised: one ``UPDATE`` takes a runnable job and stamps it
with a fresh lease token and ``lease_until``, so two runners (threads or processes) never run one
job at once. A handler reports progress with :meth:`Job.progress`, which also renews the lease
and raises :class:`LeaseLost` if the job is no longer this runner's (its lease ran out and another
runner took it over, or someone cancelled it). A runner that dies (``kill -9``) leaves its lease to
run out; the job is then claimed again and its handler, written to be resumable, skips the work
already recorded in the database. A handler that raises fails the attempt: the job waits
:func:`backoff` and is retried, until ``max_attempts`` attempts have failed; it is then shown as
failed with its error until someone asks for a :func:`retry`.

Handlers register with ``@jobs.handler("kind.name")`` on ``def run(instance, job)``; ``job.payload``
is the dict given to :func:`enqueue`, ``job.db`` the runner's database connection. A job is only
claimed by a runner that has a handler for its kind (the scheduler imports the modules that
register them), so a process with fewer handlers never fails a job it cannot run.
"""
import dataclasses
import datetime as dt
import json
import logging
import traceback
import uuid
from collections.abc import Callable

from sqlite_utils.migrations import Migrations

from . import clock, errors
from .db import connect, loads, run_script, transaction

log = logging.getLogger(__name__)
migrations = Migrations("foia.jobs")

STATES = ("queued", "running", "done", "failed", "cancelled")
LIVE = ("queued", "running")
LEASE = dt.timedelta(minutes=5)  # a running job not heard from for this long has lost its runner
MAX_ATTEMPTS = 5
MAX_BACKOFF = dt.timedelta(hours=1)
KEEP = dt.timedelta(days=30)  # finished jobs (done or cancelled) are kept this long; failed ones until retried
ERROR_LIMIT = 4000  # characters of an error (with its traceback) kept on the row


@migrations()
def m001_jobs(db) -> None:
    states = ", ".join(f"'{s}'" for s in STATES)
    run_script(db, f"""
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{{}}',
            key TEXT,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ({states})),
            progress_done INTEGER NOT NULL DEFAULT 0,
            progress_total INTEGER,
            progress_message TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL DEFAULT {MAX_ATTEMPTS},
            run_after TEXT NOT NULL,
            lease_token TEXT,
            lease_until TEXT,
            error TEXT,
            result TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL
        );
        CREATE UNIQUE INDEX jobs_live_key ON jobs(key) WHERE key IS NOT NULL AND state IN ('queued', 'running');
        CREATE INDEX jobs_runnable ON jobs(state, run_after, id) WHERE state IN ('queued', 'running');
        CREATE INDEX jobs_key ON jobs(key, id) WHERE key IS NOT NULL;
        CREATE INDEX jobs_recent ON jobs(created_at, id)
    """)


@migrations()
def m002_finished_index(db) -> None:
    """Pruning finished jobs reads them by when they finished."""
    db.execute("CREATE INDEX jobs_finished ON jobs(finished_at) WHERE state IN ('done', 'cancelled')")


# --- registry ---------------------------------------------------------------------------------

_handlers: dict[str, Callable] = {}
_labels: dict[str, str] = {}


def handler(kind: str, label: str | None = None):
    """Register ``fn(instance, job)`` as the handler of jobs of ``kind``; ``label`` names the kind
    for people (the jobs page), e.g. "Campaign letters"."""
    def register(fn):
        if _handlers.get(kind, fn) is not fn:
            raise ValueError(f"job kind {kind!r} already has a handler")
        _handlers[kind] = fn
        if label:
            _labels[kind] = label
        return fn
    return register


def kinds() -> list[str]:
    """The job kinds this process can run."""
    return sorted(_handlers)


def label(kind: str) -> str:
    """What a kind of job is called for people (its name if its handler gave none)."""
    return _labels.get(kind, kind)


class LeaseLost(Exception):
    """The job is no longer this runner's: its lease ran out and another runner took it, or it was
    cancelled. The handler must stop at once (it is raised from :meth:`Job.progress`)."""


@dataclasses.dataclass
class Job:
    """What a handler is given: the claimed row, and the means to report progress."""

    id: int
    kind: str
    payload: dict
    attempts: int
    max_attempts: int
    db: object = dataclasses.field(repr=False)
    token: str = dataclasses.field(repr=False)
    lease: dt.timedelta = dataclasses.field(default=LEASE, repr=False)
    moment: Callable[[], dt.datetime] = dataclasses.field(default=clock.now, repr=False)
    created_by: int | None = None
    listener: Callable[[int, int | None, str], None] | None = dataclasses.field(default=None, repr=False)

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress and renew the lease; raises :class:`LeaseLost` if the job is not ours."""
        cursor = self.db.execute(
            "UPDATE jobs SET progress_done = ?, progress_total = coalesce(?, progress_total), "
            "progress_message = ?, lease_until = ? WHERE id = ? AND lease_token = ? AND state = 'running'",
            [int(done), total, message[:500], _stamp(self.moment() + self.lease), self.id, self.token])
        if not cursor.rowcount:
            raise LeaseLost(f"job {self.id} is no longer held by this runner")
        if self.listener:
            self.listener(done, total, message)

    def renew(self) -> None:
        """Renew the lease without changing the progress (a long step with nothing to count)."""
        cursor = self.db.execute(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_token = ? AND state = 'running'",
            [_stamp(self.moment() + self.lease), self.id, self.token])
        if not cursor.rowcount:
            raise LeaseLost(f"job {self.id} is no longer held by this runner")


# --- queue ------------------------------------------------------------------------------------

def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def enqueue(db, kind: str, payload: dict | None = None, *, key: str | None = None, actor=None,
            max_attempts: int = MAX_ATTEMPTS, run_after: dt.datetime | None = None) -> int:
    """Queue a job; returns its id. With ``key``, at most one live (queued or running) job has that
    key: enqueueing again returns the live one instead of adding a second."""
    if not kind or not isinstance(kind, str):
        raise errors.Invalid("kind", "A job needs a kind.")
    if max_attempts < 1:
        raise errors.Invalid("max_attempts", "A job needs at least one attempt.")
    now = clock.now()
    with transaction(db):
        if key is not None:
            live = db.execute("SELECT id FROM jobs WHERE key = ? AND state IN ('queued', 'running')", [key]).fetchone()
            if live:
                return live[0]
        return db.execute(
            "INSERT INTO jobs (kind, payload, key, state, max_attempts, run_after, created_at, created_by) "
            "VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
            [kind, json.dumps(payload or {}, sort_keys=True), key, max_attempts,
             _stamp(run_after or now), _stamp(now), actor]).lastrowid


def _row(row: dict) -> dict:
    row["payload"] = loads(row["payload"], {})
    row["result"] = loads(row["result"], None)
    return row


def get(db, job_id: int) -> dict:
    rows = list(db.query("SELECT * FROM jobs WHERE id = ?", [job_id]))
    if not rows:
        raise errors.NotFound(f"There is no job {job_id}.")
    return _row(rows[0])


def latest(db, key: str) -> dict | None:
    """The newest job with ``key`` (live or finished), or None."""
    rows = list(db.query("SELECT * FROM jobs WHERE key = ? ORDER BY id DESC LIMIT 1", [key]))
    return _row(rows[0]) if rows else None


def listing(db, *, state: str | None = None, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Recent jobs, newest first, optionally of one state or kind."""
    where, params = [], []
    if state:
        if state not in STATES:
            raise errors.Invalid("state", f"A job's state is one of {', '.join(STATES)}.")
        where.append("state = ?")
        params.append(state)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return [_row(r) for r in db.query(
        f"SELECT * FROM jobs {clause} ORDER BY id DESC LIMIT ? OFFSET ?", params + [int(limit), int(offset)])]


def counts(db) -> dict[str, int]:
    """How many jobs are in each state."""
    found = {r["state"]: r["n"] for r in db.query("SELECT state, count(*) AS n FROM jobs GROUP BY state")}
    return {state: found.get(state, 0) for state in STATES}


def retry(db, job_id: int, now: dt.datetime | None = None) -> None:
    """Run a failed or cancelled job again (with a fresh count of attempts), or a job waiting
    out its backoff now."""
    job = get(db, job_id)
    now = now or clock.now()
    with transaction(db):
        if job["state"] in ("failed", "cancelled"):
            if job["key"] is not None and db.execute(
                    "SELECT 1 FROM jobs WHERE key = ? AND state IN ('queued', 'running') AND id != ?",
                    [job["key"], job_id]).fetchone():
                raise errors.Conflict(f"Job {job_id} was started again already; another job is doing its work.")
            db.execute("UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, finished_at = NULL, "
                       "lease_token = NULL, lease_until = NULL WHERE id = ?", [_stamp(now), job_id])
        elif job["state"] == "queued":
            db.execute("UPDATE jobs SET run_after = ? WHERE id = ? AND state = 'queued'", [_stamp(now), job_id])
        else:
            raise errors.Conflict(f"Job {job_id} is {job['state']}; only a failed or cancelled job can be retried.")


def cancel(db, job_id: int, now: dt.datetime | None = None) -> None:
    """Stop a queued or running job. A running handler stops at its next progress report."""
    job = get(db, job_id)
    with transaction(db):
        cursor = db.execute("UPDATE jobs SET state = 'cancelled', finished_at = ?, lease_until = NULL "
                            "WHERE id = ? AND state IN ('queued', 'running')", [_stamp(now or clock.now()), job_id])
    if not cursor.rowcount:
        raise errors.Conflict(f"Job {job_id} is {job['state']} and can no longer be cancelled.")


def prune(db, now: dt.datetime | None = None, keep: dt.timedelta = KEEP) -> int:
    """Delete done and cancelled jobs that finished more than ``keep`` ago; returns how many.
    Failed jobs stay until someone retries them."""
    cutoff = _stamp((now or clock.now()) - keep)
    with transaction(db):
        return db.execute("DELETE FROM jobs WHERE state IN ('done', 'cancelled') AND finished_at < ?",
                          [cutoff]).rowcount


# --- running ----------------------------------------------------------------------------------

def backoff(attempts: int) -> dt.timedelta:
    """The wait before another try after ``attempts`` failed ones: 30 s, 1, 2, 4 ... min, at most 1 h."""
    return min(dt.timedelta(seconds=30 * 2 ** min(max(attempts - 1, 0), 20)), MAX_BACKOFF)


def claim(db, now: dt.datetime, *, kinds: list[str] | tuple[str, ...] | None = None,
          lease: dt.timedelta = LEASE, job_id: int | None = None) -> dict | None:
    """Atomically take one runnable job of the given kinds (default: those with a handler here),
    or the job ``job_id`` if it is runnable.

    Runnable: queued and due (``job_id``: queued, due or not), or running with a lease that ran
    out (its runner died). One UPDATE takes it, so two runners never hold one job. A job whose
    runner died on its last allowed attempt is marked failed instead of being taken again.
    """
    kinds = list(_handlers) if kinds is None else [k for k in kinds if k in _handlers]
    if not kinds:
        return None
    marks = ", ".join("?" for _ in kinds)
    due = "1" if job_id is not None else "run_after <= ?"
    which = "AND id = ?" if job_id is not None else ""
    token = uuid.uuid4().hex
    stamp = _stamp(now)
    with transaction(db):
        db.execute(
            f"UPDATE jobs SET state = 'failed', finished_at = ?, lease_token = NULL, lease_until = NULL, "
            f"error = coalesce(error || char(10), '') || ? WHERE state = 'running' AND lease_until <= ? "
            f"AND attempts >= max_attempts AND kind IN ({marks})",
            [stamp, "The worker running this job stopped before it finished, on the last allowed attempt.",
             stamp, *kinds])
        rows = list(db.query(
            f"""UPDATE jobs SET state = 'running', lease_token = ?, lease_until = ?, attempts = attempts + 1,
                       started_at = coalesce(started_at, ?)
                WHERE id = (SELECT id FROM jobs WHERE kind IN ({marks}) {which}
                              AND ((state = 'queued' AND {due}) OR (state = 'running' AND lease_until <= ?))
                            ORDER BY run_after, id LIMIT 1)
                RETURNING *""",
            [token, _stamp(now + lease), stamp, *kinds, *([job_id] if job_id is not None else [stamp]), stamp]))
    return _row(rows[0]) if rows else None


@dataclasses.dataclass
class Outcome:
    """What one run of one job came to."""

    id: int
    kind: str
    state: str  # done, queued (to be retried), failed, cancelled, lost (taken over by another runner)
    attempts: int
    error: str | None = None

    def summary(self) -> str:
        text = f"job {self.id} ({self.kind}), attempt {self.attempts}: {self.state}"
        return text + (f": {self.error.splitlines()[0]}" if self.error else "")


def _moments(now: dt.datetime | None):
    """The runner's clock: ``now`` (default: the clock's now) moving on as real time passes."""
    if now is None:
        return clock.now
    start = clock.now()
    return lambda: now + (clock.now() - start)


def _open(instance_or_config):
    if hasattr(instance_or_config, "connect"):
        return instance_or_config.connect()
    return connect(instance_or_config["DATABASE"])


def run_job(db, instance, row: dict, *, moment=clock.now, lease: dt.timedelta = LEASE, listener=None) -> Outcome:
    """Run one claimed job to its outcome and record it (only while the lease is still ours).
    ``listener(done, total, message)`` hears each progress report."""
    job = Job(id=row["id"], kind=row["kind"], payload=row["payload"], attempts=row["attempts"],
              max_attempts=row["max_attempts"], db=db, token=row["lease_token"], lease=lease, moment=moment,
              created_by=row["created_by"], listener=listener)
    try:
        result = _handlers[row["kind"]](instance, job)
    except LeaseLost:
        state = db.execute("SELECT state FROM jobs WHERE id = ?", [job.id]).fetchone()
        lost = "cancelled" if state and state[0] == "cancelled" else "lost"
        log.info("jobs: job %s stopped: %s", job.id, lost)
        return Outcome(job.id, job.kind, lost, job.attempts)
    except Exception as e:
        error = (f"{e}" if isinstance(e, errors.FoiaError) else f"{type(e).__name__}: {e}")
        detail = error + "\n\n" + traceback.format_exc()
        log.warning("jobs: job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, error)
        stamp = moment()
        with transaction(db):
            if job.attempts >= job.max_attempts:
                state = "failed"
                cursor = db.execute(
                    "UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, lease_token = NULL, "
                    "lease_until = NULL WHERE id = ? AND lease_token = ? AND state = 'running'",
                    [detail[:ERROR_LIMIT], _stamp(stamp), job.id, job.token])
            else:
                state = "queued"
                cursor = db.execute(
                    "UPDATE jobs SET state = 'queued', error = ?, run_after = ?, lease_token = NULL, "
                    "lease_until = NULL WHERE id = ? AND lease_token = ? AND state = 'running'",
                    [detail[:ERROR_LIMIT], _stamp(stamp + backoff(job.attempts)), job.id, job.token])
        return Outcome(job.id, job.kind, state if cursor.rowcount else "lost", job.attempts, error)
    with transaction(db):
        cursor = db.execute(
            "UPDATE jobs SET state = 'done', error = NULL, result = ?, finished_at = ?, lease_token = NULL, "
            "lease_until = NULL WHERE id = ? AND lease_token = ? AND state = 'running'",
            [json.dumps(result, sort_keys=True, default=str) if result is not None else None,
             _stamp(moment()), job.id, job.token])
    return Outcome(job.id, job.kind, "done" if cursor.rowcount else "lost", job.attempts)


def run_once(instance_or_config, *, now: dt.datetime | None = None, limit: int = 10,
             kinds: list[str] | tuple[str, ...] | None = None, lease: dt.timedelta = LEASE,
             db=None) -> list[Outcome]:
    """Claim and run runnable jobs one after another, at most ``limit``; returns their outcomes.

    ``instance_or_config`` is what handlers receive (an instance, or a configuration mapping with
    ``DATABASE``); the runner opens its own connection unless ``db`` is given.
    """
    moment = _moments(now)
    own = db is None
    db = _open(instance_or_config) if own else db
    outcomes: list[Outcome] = []
    try:
        for _ in range(max(int(limit), 0)):
            row = claim(db, moment(), kinds=kinds, lease=lease)
            if row is None:
                break
            outcomes.append(run_job(db, instance_or_config, row, moment=moment, lease=lease))
    finally:
        if own:
            db.conn.close()
    return outcomes


def run_one(instance_or_config, job_id: int, *, now: dt.datetime | None = None, lease: dt.timedelta = LEASE,
            listener=None, db=None) -> Outcome | None:
    """Run the job ``job_id`` here and now if it is runnable (queued, even while waiting out a
    backoff, or abandoned by a dead runner); None if it is not (done, failed, or running elsewhere)."""
    moment = _moments(now)
    own = db is None
    db = _open(instance_or_config) if own else db
    try:
        row = claim(db, moment(), kinds=[get(db, job_id)["kind"]], lease=lease, job_id=job_id)
        if row is None:
            return None
        return run_job(db, instance_or_config, row, moment=moment, lease=lease, listener=listener)
    finally:
        if own:
            db.conn.close()
