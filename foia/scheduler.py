"""The clock that drives reminder delivery: APScheduler 3.x, one job, our table as the truth.

APScheduler keeps its jobs in memory (``MemoryJobStore``) under a fixed id: it is only a metronome.
What is due lives in the ``reminders`` table, so a run missed while the process was down needs no
replay: the next tick delivers everything whose time has passed. Hence ``coalesce=True`` (missed
runs collapse into one), ``max_instances=1`` (a slow tick is never overlapped in this process) and
``misfire_grace_time=None`` (a late run is still run, however late, instead of APScheduler's
default of dropping runs more than a second late). Several processes may run a scheduler at once
(``foia serve`` in-process and ``foia scheduler``): the dispatcher's claim makes that safe.
"""
import datetime as dt
import logging
import threading

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from . import clock, reminders
from .db import connect

JOB_ID = "foia-reminders-dispatch"
INTERVAL = 60  # seconds
log = logging.getLogger(__name__)

_lock = threading.Lock()
_background: BackgroundScheduler | None = None


def run_tick(config: dict) -> reminders.Report | None:
    """One dispatcher tick on a connection of its own; errors are logged, never raised."""
    try:
        database = connect(config["DATABASE"])
    except Exception:
        log.exception("reminders: cannot open the database")
        return None
    try:
        report = reminders.tick(database, clock.now(), config=config)
        if report.claimed:
            log.info("reminders: %s", report.summary())
        return report
    except Exception:
        log.exception("reminders: dispatcher tick failed; the reminders stay pending")
        return None
    finally:
        database.conn.close()


def _configure(scheduler, config: dict, interval: float) -> None:
    scheduler.configure(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=clock.timezone(),
    )
    # The first run is now (real time: APScheduler is only the metronome), then every ``interval``.
    scheduler.add_job(run_tick, "interval", args=[config], seconds=interval, id=JOB_ID,
                      replace_existing=True, next_run_time=dt.datetime.now(clock.timezone()))


def start_background(config: dict, interval: float = INTERVAL) -> BackgroundScheduler:
    """Start the dispatcher in this process (``foia serve``); idempotent. Returns the scheduler."""
    global _background
    with _lock:
        if _background is not None and _background.running:
            return _background
        scheduler = BackgroundScheduler()
        _configure(scheduler, config, interval)
        scheduler.start()
        _background = scheduler
        return scheduler


def stop_background(wait: bool = True) -> None:
    global _background
    with _lock:
        if _background is not None and _background.running:
            _background.shutdown(wait=wait)
        _background = None


def run_forever(config: dict, interval: float = INTERVAL) -> None:
    """Run the dispatcher alone in the foreground (``foia scheduler``) until interrupted."""
    scheduler = BlockingScheduler()
    _configure(scheduler, config, interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
