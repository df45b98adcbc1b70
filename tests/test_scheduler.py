import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from foia import agencies, campaigns, clock, jobs, letters, lifecycle, recompute, reminders, scheduler
from tests import job_kinds, test_reminders  # noqa: F401 (job_kinds registers the test job kinds)

# The same fixtures: the deadlines and reminders tables on the app's database; a real SMTP server.
ddb = test_reminders.ddb
smtp = test_reminders.smtp
STAMP = "2026-09-01T09:00:00"


@pytest.fixture
def stop_scheduler():
    yield
    scheduler.stop_background()


def seed(db, title="Ring partnership records"):
    """A Georgia request filed 2026-09-10 (due 09-15) with its reminders planned, owned by ana."""
    owner = db["users"].insert({"email": "ana@example.org", "role": "member", "created_at": STAMP}).last_pk
    agency = db["agencies"].insert({"name": f"Atlanta PD {db['agencies'].count}", "state": "GA",
                                    "created_at": STAMP, "updated_at": STAMP}).last_pk
    events = [{"kind": "filed", "occurred_on": "2026-09-10", "data": {}}]
    request_id = db["requests"].insert({"agency_id": agency, "title": title, "owner_id": owner,
                                        "status": lifecycle.derive_status(events),
                                        "created_at": STAMP, "updated_at": STAMP}).last_pk
    db["events"].insert({"request_id": request_id, "kind": "filed", "occurred_on": "2026-09-10",
                         "recorded_at": STAMP, "data": "{}"})
    recompute.request(db, request_id, today=dt.date(2026, 9, 10))
    return request_id


def request_owner(db):
    return db.execute("SELECT owner_id FROM requests").fetchone()[0]


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def config_for(app, port):
    return dict(app.config, SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="foia@example.org")


def test_job_defaults_are_deliberate(app, ddb, stop_scheduler):
    sched = scheduler.start_background(dict(app.config), interval=3600)
    job = sched.get_job(scheduler.JOB_ID)
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time is None
    runner = sched.get_job(scheduler.JOBS_JOB_ID)
    assert runner.coalesce is True and runner.max_instances == 1 and runner.misfire_grace_time is None
    assert scheduler.start_background(dict(app.config)) is sched  # idempotent: one of each, one scheduler
    assert sorted(j.id for j in sched.get_jobs()) == sorted([scheduler.JOB_ID, scheduler.JOBS_JOB_ID])


def one_agency_campaign(db):
    letters.save_requester(db, {"name": "Jane Doe", "address": "1 Press Row", "email": "jane@example.org"})
    agencies.upsert(db, {"name": "Macon Police Department", "state": "GA", "mailing_address": "1 Main St"})
    campaign_id = campaigns.create(db, name="Ring records", template="ring-partnership",
                                   pasted="Macon Police Department")
    return campaign_id, campaigns.start(db, campaign_id, workers=0)


def test_background_scheduler_runs_queued_jobs(app, db, stop_scheduler):
    campaign_id, job_id = one_agency_campaign(db)
    scheduler.start_background(dict(app.config), interval=3600, jobs_interval=0.2)
    assert wait_for(lambda: jobs.get(db, job_id)["state"] == "done", timeout=60), jobs.get(db, job_id)
    assert campaigns.progress(db, campaign_id)["letters"] == {"pdf": 1, "docx": 1}


def test_run_jobs_logs_and_never_raises(app, caplog):
    assert scheduler.run_jobs({"DATABASE": str(os.path.join(app.instance_path, "no-such-dir", "x.db"))}) is None
    assert "job runner tick failed" in caplog.text


def test_background_scheduler_delivers_due_reminders(app, ddb, smtp, stop_scheduler):
    seed(ddb)
    clock.set_now("2026-09-11T09:00:30")
    scheduler.start_background(config_for(app, smtp.port), interval=1)
    assert wait_for(lambda: len(smtp.subjects()) == 1)
    assert smtp.subjects() == ["Response due Tue 15 Sep 2026: Ring partnership records"]
    assert wait_for(lambda: reminders.unread_count(ddb, request_owner(ddb)) == 1)

    # The dispatcher stops; reminders fall due meanwhile; it restarts and catches up, once each.
    scheduler.stop_background()
    clock.set_now("2026-09-17T08:00:00")
    time.sleep(1.5)
    assert len(smtp.subjects()) == 1
    scheduler.start_background(config_for(app, smtp.port), interval=1)
    assert wait_for(lambda: len(smtp.subjects()) == 3)
    time.sleep(2.5)  # a few more ticks: nothing is sent twice
    assert sorted(smtp.subjects()) == sorted([
        "Response due Tue 15 Sep 2026: Ring partnership records", "Response due today: Ring partnership records",
        "Response overdue since Tue 15 Sep 2026: Ring partnership records"])


def test_a_late_run_still_runs(app, ddb, smtp, stop_scheduler):
    """APScheduler's default grace of 1 s would skip a run that is an hour late; ours runs it."""
    seed(ddb)
    clock.set_now("2026-09-11T09:00:30")
    late = dt.datetime.now(clock.timezone()) - dt.timedelta(hours=1)

    default_runs = []
    plain = BackgroundScheduler(timezone=clock.timezone())
    plain.add_job(lambda: default_runs.append(1), "interval", hours=2, next_run_time=late)
    plain.start()

    ours = BackgroundScheduler()
    scheduler._configure(ours, config_for(app, smtp.port), 7200)
    ours.modify_job(scheduler.JOB_ID, next_run_time=late)
    ours.start()
    try:
        assert wait_for(lambda: len(smtp.subjects()) == 1)
        assert default_runs == []  # dropped as a misfire
    finally:
        ours.shutdown()
        plain.shutdown()


def test_tick_errors_are_logged_not_raised(app, caplog):
    assert scheduler.run_tick({"DATABASE": str(os.path.join(app.instance_path, "no-such-dir", "x.db"))}) is None
    assert "cannot open the database" in caplog.text or "tick failed" in caplog.text


def test_run_forever_in_its_own_process(app, ddb, smtp, instance):
    seed(ddb)
    clock.set_now("2026-09-11T09:00:30")  # the scheduler process's clock: the job is due
    campaign_id, job_id = one_agency_campaign(ddb)
    env = dict(os.environ, FOIA_INSTANCE=str(instance), FOIA_NOW="2026-09-11T09:00:30",
               FOIA_SMTP_HOST="127.0.0.1", FOIA_SMTP_PORT=str(smtp.port), FOIA_MAIL_FROM="foia@example.org")
    code = "from foia import config, scheduler; scheduler.run_forever(config.load(config.instance_path()), interval=1)"
    log = instance / "scheduler.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            assert wait_for(lambda: len(smtp.subjects()) == 1, timeout=30), log.read_text()
            assert wait_for(lambda: jobs.get(ddb, job_id)["state"] == "done", timeout=60), log.read_text()
            time.sleep(2.5)
            assert len(smtp.subjects()) == 1
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    row = list(ddb.query("SELECT sent_at FROM reminders WHERE kind = 'due_soon' AND channel = 'email'"))[0]
    assert row["sent_at"] == "2026-09-11T09:00:30"
    assert campaigns.progress(ddb, campaign_id)["letters"] == {"pdf": 1, "docx": 1}


def test_handlers_are_given_an_instance_even_if_the_scheduler_got_a_mapping(app, db, stop_scheduler):
    job_id = jobs.enqueue(db, "test.what-am-i-given", {})
    scheduler.start_background(dict(app.config), interval=3600, jobs_interval=0.2)
    assert wait_for(lambda: jobs.get(db, job_id)["state"] == "done", timeout=30)
    assert jobs.get(db, job_id)["result"] == {"type": "Instance", "files": app.config["FILES_DIR"],
                                              "store": "LocalStore"}
