"""The job runner: claim with a lease, progress, retries with backoff, failures shown, runners racing
in real processes, a runner killed or stalled mid-job, the CLI and the admin page."""
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from foia import jobs
from foia.cli import main
from foia.web import jobs as web_jobs
from tests import job_kinds

ROOT = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 9, 15, 10, 0, 0)  # the tests' clock (conftest.TODAY)


@pytest.fixture
def app(app):
    if "jobs" not in app.blueprints:  # until the app factory lists the jobs page
        app.register_blueprint(web_jobs.bp)
    return app


@pytest.fixture
def jdb(db):
    job_kinds.prepare(db)
    return db


def runs(db, job_id=None):
    sql = "SELECT job_id, step, pid, attempt FROM job_runs" + (" WHERE job_id = ?" if job_id else "") + " ORDER BY id"
    return [tuple(r) for r in db.execute(sql, [job_id] if job_id else [])]


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def runner_process(app, code: str, *, start_file: Path | None = None, now: str = "2026-09-15T10:00:00"):
    """A job runner in a process of its own (this checkout, the test handlers registered)."""
    prelude = ("import os, sys, time, pathlib\n"
               "import tests.job_kinds\n"
               "from foia import jobs\n"
               f"config = {{'DATABASE': {app.config['DATABASE']!r}}}\n")
    if start_file:
        prelude += f"while not pathlib.Path({str(start_file)!r}).exists(): time.sleep(0.005)\n"
    env = dict(os.environ, FOIA_NOW=now, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", prelude + code], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# --- the queue --------------------------------------------------------------------------------


def test_one_live_job_per_key(jdb):
    first = jobs.enqueue(jdb, "test.record", {"n": 1}, key="campaign:7", actor=None)
    assert jobs.enqueue(jdb, "test.record", {"n": 2}, key="campaign:7") == first
    other = jobs.enqueue(jdb, "test.record", {"n": 3}, key="campaign:8")
    unkeyed = [jobs.enqueue(jdb, "test.record", {}) for _ in range(2)]
    assert len({first, other, *unkeyed}) == 4
    job = jobs.get(jdb, first)
    assert (job["state"], job["payload"], job["attempts"], job["key"]) == ("queued", {"n": 1}, 0, "campaign:7")

    outcomes = jobs.run_once({"DATABASE": jdb_path(jdb)}, db=jdb)
    assert [(o.id, o.state) for o in outcomes] == [(first, "done"), (other, "done")] + [(i, "done") for i in unkeyed]
    assert jobs.get(jdb, first)["result"] == {"pid": os.getpid()}
    # Once the keyed job is finished, the key is free for a new run.
    again = jobs.enqueue(jdb, "test.record", {}, key="campaign:7")
    assert again not in (first, other) and jobs.latest(jdb, "campaign:7")["id"] == again
    assert jobs.counts(jdb) == {"queued": 1, "running": 0, "done": 4, "failed": 0, "cancelled": 0}
    with pytest.raises(jobs.errors.NotFound, match="There is no job 999"):
        jobs.get(jdb, 999)


def jdb_path(db) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


def test_only_kinds_with_a_handler_here_are_claimed(jdb):
    unknown = jobs.enqueue(jdb, "ocr.someday", {})
    known = jobs.enqueue(jdb, "test.record", {})
    assert [o.id for o in jobs.run_once({"DATABASE": jdb_path(jdb)}, db=jdb)] == [known]
    assert jobs.get(jdb, unknown)["state"] == "queued"


def test_failing_job_retries_with_backoff_then_shows_failed_and_retry_runs_it(jdb):
    config = {"DATABASE": jdb_path(jdb)}
    job_id = jobs.enqueue(jdb, "test.flaky", {}, max_attempts=3)
    seen = []
    for minutes, expected in [(0, ["queued"]), (0.25, []), (0.5, ["queued"]), (1.0, []), (1.5, ["failed"]),
                              (600, [])]:
        outcomes = jobs.run_once(config, now=T0 + dt.timedelta(minutes=minutes), db=jdb)
        assert [o.state for o in outcomes] == expected, minutes
        seen += outcomes
        job = jobs.get(jdb, job_id)
        if expected == ["queued"]:
            # Backoff: 30 s after the first failure, 60 s after the second.
            wait = jobs.backoff(job["attempts"])
            assert job["run_after"] == (T0 + dt.timedelta(minutes=minutes) + wait).isoformat()
    assert [o.attempts for o in seen] == [1, 2, 3]
    job = jobs.get(jdb, job_id)
    assert (job["state"], job["attempts"], job["finished_at"]) == ("failed", 3, "2026-09-15T10:01:30")
    assert job["error"].startswith("RuntimeError: the records server did not answer (attempt 3)")
    assert "Traceback" in job["error"]

    # Retried by a person: a fresh count of attempts, and this time the server answers.
    jobs.retry(jdb, job_id)
    assert jobs.get(jdb, job_id)["state"] == "queued"
    jdb.execute("UPDATE jobs SET payload = ? WHERE id = ?", ['{"succeed_on": 1}', job_id])
    assert [(o.state, o.attempts) for o in jobs.run_once(config, db=jdb)] == [("done", 1)]
    job = jobs.get(jdb, job_id)
    assert (job["state"], job["error"], job["result"]) == ("done", None, {"attempt": 1})
    with pytest.raises(jobs.errors.Conflict, match="only a failed or cancelled job can be retried"):
        jobs.retry(jdb, job_id)


def test_backoff_grows_and_is_capped():
    assert [jobs.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert jobs.backoff(50) == jobs.MAX_BACKOFF


def test_a_runner_that_died_on_the_last_attempt_leaves_the_job_failed(jdb):
    job_id = jobs.enqueue(jdb, "test.record", {}, max_attempts=1)
    claimed = jobs.claim(jdb, T0)  # ...and the runner dies before it finishes
    assert claimed["id"] == job_id and claimed["state"] == "running" and claimed["attempts"] == 1
    assert jobs.claim(jdb, T0 + jobs.LEASE - dt.timedelta(seconds=1)) is None  # its lease still holds
    assert jobs.claim(jdb, T0 + jobs.LEASE) is None  # it ran out, but that was the last attempt
    job = jobs.get(jdb, job_id)
    assert job["state"] == "failed" and "stopped before it finished" in job["error"]
    assert runs(jdb) == []


def test_cancel_a_running_job_stops_it_at_its_next_progress_report(jdb):
    config = {"DATABASE": jdb_path(jdb)}
    job_id = jobs.enqueue(jdb, "test.steps", {"steps": 40, "pause": 0.05})
    outcomes = []
    thread = threading.Thread(target=lambda: outcomes.extend(jobs.run_once(config)))
    thread.start()
    assert wait_for(lambda: jobs.get(jdb, job_id)["progress_done"] >= 2)
    jobs.cancel(jdb, job_id)
    thread.join(30)
    assert [o.state for o in outcomes] == ["cancelled"]
    job = jobs.get(jdb, job_id)
    assert job["state"] == "cancelled" and 2 <= job["progress_done"] < 40
    assert len(runs(jdb, job_id)) < 40
    with pytest.raises(jobs.errors.Conflict, match="can no longer be cancelled"):
        jobs.cancel(jdb, job_id)


# --- real processes ---------------------------------------------------------------------------


def test_runners_racing_never_run_one_job_twice(app, jdb, tmp_path):
    ids = [jobs.enqueue(jdb, "test.record", {"pause": 0.02}) for _ in range(80)]
    go = tmp_path / "go"
    procs = [runner_process(app, "print(len(jobs.run_once(config, limit=1000)))", start_file=go)
             for _ in range(4)]
    time.sleep(0.5)
    go.touch()
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        counts.append(int(out.strip()))
    assert sum(counts) == 80
    done = runs(jdb)
    assert sorted(r[0] for r in done) == ids  # every job ran, and exactly once
    assert len({r[2] for r in done}) >= 2  # the runners did share the work
    assert jobs.counts(jdb)["done"] == 80


def test_a_job_whose_runner_is_killed_is_resumed_by_another_without_redoing_steps(app, jdb):
    job_id = jobs.enqueue(jdb, "test.steps", {"steps": 30, "pause": 0.05})
    proc = runner_process(app, "jobs.run_once(config)")
    try:
        assert wait_for(lambda: jobs.get(jdb, job_id)["progress_done"] >= 5), proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    before = runs(jdb, job_id)
    assert 5 <= len(before) < 30 and jobs.get(jdb, job_id)["state"] == "running"
    config = {"DATABASE": app.config["DATABASE"]}
    assert jobs.run_once(config, db=jdb) == []  # the dead runner's lease has not run out yet
    outcomes = jobs.run_once(config, now=T0 + jobs.LEASE + dt.timedelta(seconds=1), db=jdb)
    assert [(o.id, o.state, o.attempts) for o in outcomes] == [(job_id, "done", 2)]
    after = runs(jdb, job_id)
    assert sorted(r[1] for r in after) == list(range(30))  # each step exactly once
    assert after[:len(before)] == before and {r[3] for r in after[len(before):]} == {2}
    job = jobs.get(jdb, job_id)
    assert (job["state"], job["progress_done"], job["progress_total"]) == ("done", 30, 30)


def test_a_stalled_runner_that_lost_its_lease_stores_nothing_more(app, jdb):
    """A runner that stalls past its lease (not dead: paused) is overtaken; when it wakes, its next
    write finds the lease gone and it stops, so no step is done twice."""
    job_id = jobs.enqueue(jdb, "test.steps", {"steps": 12, "pause": 0.02, "stall_after": 3, "stall": 4})
    proc = runner_process(app, "print([o.state for o in jobs.run_once(config)])")
    assert wait_for(lambda: jobs.get(jdb, job_id)["progress_done"] >= 3)
    later = T0 + jobs.LEASE + dt.timedelta(seconds=1)
    outcomes = jobs.run_once({"DATABASE": app.config["DATABASE"]}, now=later, db=jdb)
    assert [(o.state, o.attempts) for o in outcomes] == [("done", 2)]
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip() == "['lost']"
    steps = runs(jdb, job_id)
    assert sorted(r[1] for r in steps) == list(range(12))
    assert {r[3] for r in steps[:3]} == {1} and {r[3] for r in steps[3:]} == {2}
    assert jobs.get(jdb, job_id)["state"] == "done"


# --- CLI and web ------------------------------------------------------------------------------


def test_jobs_cli(instance, runner, app, jdb):
    failing = jobs.enqueue(jdb, "test.flaky", {}, max_attempts=1)
    fine = jobs.enqueue(jdb, "test.steps", {"steps": 2, "pause": 0})
    result = runner.runner.invoke(main, ["jobs", "run-once"])
    assert result.exit_code == 1, result.output
    assert f"job {failing} (test.flaky), attempt 1: failed: RuntimeError: the records server" in result.output
    assert f"job {fine} (test.steps), attempt 1: done" in result.output and "2 jobs run." in result.output
    listed = runner("jobs", "list").output
    assert f"{fine:5} test.steps           done            2/2 attempt 1/1" not in listed  # default max is 5
    assert f"{fine:5} test.steps           done            2/2 attempt 1/5" in listed
    assert "failed" in listed and "RuntimeError: the records server did not answer (attempt 1)" in listed
    assert runner("jobs", "list", "--state", "failed").output.count("\n") == 1
    assert '"state": "failed"' in runner("jobs", "show", failing).output
    assert runner("jobs", "retry", failing).exit_code == 0
    assert jobs.get(jdb, failing)["state"] == "queued"
    assert runner("jobs", "cancel", failing).exit_code == 0
    missing = runner.runner.invoke(main, ["jobs", "retry", "999"])
    assert missing.exit_code == 2 and "There is no job 999" in missing.output
    done = runner.runner.invoke(main, ["jobs", "retry", str(fine)])
    assert done.exit_code == 1 and "only a failed or cancelled job can be retried" in done.output
    assert runner("jobs", "run-once").output.strip() == "0 jobs run."


def test_jobs_page_for_admins(app, client, jdb):
    failed = jobs.enqueue(jdb, "test.flaky", {}, max_attempts=1)
    jobs.run_once({"DATABASE": app.config["DATABASE"]}, db=jdb)
    page = client.get("/jobs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Flaky records server" in html and "Failed after 1 attempt" in html and "the records server did not answer" in html
    assert re.findall(r'<td><time datetime="[^"]+">([^<]+)</time></td>', html)[0] == "Tue 15 Sep 2026, 10:00"
    assert f'action="/jobs/{failed}/retry"' in html
    shown = client.get(f"/jobs/{failed}").get_data(as_text=True)
    assert "Flaky records server" in shown and "<code>test.flaky</code>" in shown and "Traceback" in shown
    listing = client.get("/jobs/?state=failed", headers={"Accept": "application/json"}).get_json()
    assert [j["id"] for j in listing["jobs"]] == [failed] and listing["counts"]["failed"] == 1
    assert client.post(f"/jobs/{failed}/retry").status_code == 303
    assert jobs.get(jdb, failed)["state"] == "queued"
    assert client.post(f"/jobs/{failed}/retry").status_code == 303  # queued: run it now
    # Stopping a job asks first; the confirmation posts back with confirm=yes.
    asked = client.post(f"/jobs/{failed}/cancel")
    assert asked.status_code == 200 and "Stop the job" in asked.get_data(as_text=True)
    assert jobs.get(jdb, failed)["state"] == "queued"
    assert client.post(f"/jobs/{failed}/cancel", data={"confirm": "yes"}).status_code == 303
    assert client.post(f"/jobs/{failed}/cancel", data={"confirm": "yes"}).status_code == 409
    assert client.get("/jobs/999").status_code == 404


def test_jobs_page_is_for_admins_only(app, jdb):
    from foia import accounts

    accounts.create_user(jdb, "member@example.org", "correct horse battery staple", "member")
    member = app.test_client()
    member.post("/login", data={"email": "member@example.org", "password": "correct horse battery staple"})
    assert member.get("/jobs/").status_code == 403
    assert app.test_client().get("/jobs/").status_code in (302, 303, 401)


def test_finished_jobs_are_pruned_after_a_month_failed_ones_kept(jdb):
    config = {"DATABASE": jdb_path(jdb)}
    done = jobs.enqueue(jdb, "test.record", {})
    failed = jobs.enqueue(jdb, "test.flaky", {}, max_attempts=1)
    jobs.run_once(config, db=jdb)
    cancelled = jobs.enqueue(jdb, "test.record", {})
    jobs.cancel(jdb, cancelled)
    queued = jobs.enqueue(jdb, "test.record", {}, run_after=T0 + dt.timedelta(days=60))
    assert jobs.prune(jdb, now=T0 + jobs.KEEP) == 0
    assert jobs.prune(jdb, now=T0 + jobs.KEEP + dt.timedelta(seconds=1)) == 2
    assert [j["id"] for j in jobs.listing(jdb)] == [queued, failed]
    assert done < failed < cancelled
