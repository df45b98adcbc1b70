"""The dispatcher: APScheduler 3.x as the metronome, our tables as the truth.

Two APScheduler jobs under fixed ids, kept in memory (``MemoryJobStore``): the reminders tick
(every minute) and the job runner (every few seconds), each on its own thread so a long campaign
never holds up a reminder. What is due lives in the ``reminders`` and ``jobs`` tables, so a run
missed while the process was down needs no replay: the next tick does everything whose time has
passed, and a job whose runner died is taken up again when its lease runs out. Hence ``coalesce=True`` (missed
runs collapse into one), ``max_instances=1`` (a slow tick is never overlapped in this process) and
``misfire_grace_time=None`` (a late run is still run, however late, instead of APScheduler's
default of dropping runs more than a second late). Several processes may run a scheduler at once
(``foia serve`` in-process and ``foia scheduler``): the claims of both tables make that safe.

The modules imported here register the job handlers the runner can run. Both ticks take the
instance (:class:`foia.instance.Instance`) or, from callers not yet converted, its configuration
mapping (made into an instance: job handlers are always given one).
"""
import datetime as dt
import logging
import threading
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

# Each of these registers the handler of a job kind: campaign.letters, recompute.all, document.ocr,
# document.extract, mail.poll.
from . import campaigns, clock, jobs, recompute, reminders, stats  # noqa: F401
from .correspondence import receive, send  # noqa: F401
from .config import DEFAULTS
from .db import connect
from .documents import ocr, reading  # noqa: F401
from .instance import Instance

JOB_ID = "foia-reminders-dispatch"
JOBS_JOB_ID = "foia-jobs-run"
MAIL_JOB_ID = "foia-mail-poll"
INTERVAL = 60  # seconds
JOBS_INTERVAL = 3  # seconds: a queued campaign starts within a few seconds
JOBS_PER_TICK = 20  # then the next tick goes on (APScheduler never overlaps two ticks)
log = logging.getLogger(__name__)

_lock = threading.Lock()
_background: BackgroundScheduler | None = None


def _config(instance_or_config) -> dict:
    return getattr(instance_or_config, "config", instance_or_config)


def as_instance(instance_or_config) -> Instance:
    """The instance whose settings a configuration mapping holds (job handlers are given an
    instance: its file store, its letters folder), or the instance itself."""
    if isinstance(instance_or_config, Instance):
        return instance_or_config
    config = dict(instance_or_config)
    # The folder that holds the database (an instance's, unless configured elsewhere): every
    # setting comes from the mapping anyway, and nothing is created beside an unrelated folder.
    folder = config.pop("INSTANCE_PATH", None) or Path(config["DATABASE"]).resolve().parent
    return Instance(folder, config)


def tick(db, now=None, sender=None, config: dict | None = None) -> reminders.Report:
    """One reminders tick: once a day re-plan every request (:func:`foia.recompute.daily`: follow-ups
    move forward, holiday and law changes take effect), then deliver what is due. A failing re-plan is
    logged and never holds up delivery (it is tried again at the next tick)."""
    now = now or clock.now()
    try:
        recompute.daily(db, config, now.date())
    except Exception:
        log.exception("reminders: the daily recompute of deadlines failed; delivering what is due anyway")
    return reminders.dispatch_due(db, now, sender, config)


def run_tick(instance_or_config) -> reminders.Report | None:
    """One dispatcher tick on a connection of its own; errors are logged, never raised."""
    config = _config(instance_or_config)
    try:
        database = connect(config["DATABASE"])
    except Exception:
        log.exception("reminders: cannot open the database")
        return None
    try:
        report = tick(database, clock.now(), config=config)
        if report.claimed:
            log.info("reminders: %s", report.summary())
        return report
    except Exception:
        log.exception("reminders: dispatcher tick failed; the reminders stay pending")
        return None
    finally:
        database.conn.close()


def run_jobs(instance_or_config, limit: int = JOBS_PER_TICK) -> list[jobs.Outcome] | None:
    """One job-runner tick: run queued jobs (and jobs whose runner died) one after another, at most
    ``limit``, then forget jobs finished long ago; errors are logged, never raised (a failed job is
    recorded on its row)."""
    try:
        database = connect(_config(instance_or_config)["DATABASE"])
    except Exception:
        log.exception("jobs: the job runner tick failed; the jobs stay queued")
        return None
    try:
        outcomes = jobs.run_once(instance_or_config, limit=limit, db=database)
        if outcomes:
            jobs.prune(database)
    except Exception:
        log.exception("jobs: the job runner tick failed; the jobs stay queued")
        return None
    finally:
        database.conn.close()
    for outcome in outcomes:
        log.info("jobs: %s", outcome.summary())
    return outcomes


def queue_mail_poll(instance_or_config) -> int | None:
    """Queue the mailbox poll (one live ``mail.poll`` job at a time) when a mailbox is configured."""
    config = _config(instance_or_config)
    if not receive.is_configured(config):
        return None
    try:
        database = connect(config["DATABASE"])
    except Exception:
        log.exception("mail: cannot open the database to queue the mailbox poll")
        return None
    try:
        return jobs.enqueue(database, "mail.poll", {}, key="mail.poll")
    except Exception:
        log.exception("mail: could not queue the mailbox poll")
        return None
    finally:
        database.conn.close()


def _configure(scheduler, instance_or_config, interval: float, jobs_interval: float = JOBS_INTERVAL) -> None:
    scheduler.configure(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=clock.timezone(),
    )
    # The first runs are now (real time: APScheduler is only the metronome), then at each interval.
    start = dt.datetime.now(clock.timezone())
    instance = as_instance(instance_or_config)
    scheduler.add_job(run_tick, "interval", args=[instance], seconds=interval, id=JOB_ID,
                      replace_existing=True, next_run_time=start)
    scheduler.add_job(run_jobs, "interval", args=[instance], seconds=jobs_interval, id=JOBS_JOB_ID,
                      replace_existing=True, next_run_time=start)
    if receive.is_configured(instance.config):
        minutes = max(1, int(instance.config.get("MAIL_POLL_MINUTES") or DEFAULTS["MAIL_POLL_MINUTES"]))
        scheduler.add_job(queue_mail_poll, "interval", args=[instance], minutes=minutes, id=MAIL_JOB_ID,
                          replace_existing=True, next_run_time=start)


def start_background(instance_or_config, interval: float = INTERVAL,
                     jobs_interval: float = JOBS_INTERVAL) -> BackgroundScheduler:
    """Start the dispatcher in this process (``foia serve``); idempotent. Returns the scheduler."""
    global _background
    with _lock:
        if _background is not None and _background.running:
            return _background
        scheduler = BackgroundScheduler()
        _configure(scheduler, instance_or_config, interval, jobs_interval)
        scheduler.start()
        _background = scheduler
        return scheduler


def stop_background(wait: bool = True) -> None:
    global _background
    with _lock:
        if _background is not None and _background.running:
            _background.shutdown(wait=wait)
        _background = None


def run_forever(instance_or_config, interval: float = INTERVAL, jobs_interval: float = JOBS_INTERVAL) -> None:
    """Run the dispatcher alone in the foreground (``foia scheduler``) until interrupted."""
    scheduler = BlockingScheduler()
    _configure(scheduler, instance_or_config, interval, jobs_interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
