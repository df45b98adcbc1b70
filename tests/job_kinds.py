"""Job handlers for the job-runner tests, importable by the test processes and by runner subprocesses.

Each records what it did in a table of its own (``job_runs``), with no unique constraint, so a job
run twice would show as two rows.
"""
import os
import time

from foia import jobs
from foia.db import transaction


def prepare(db) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS job_runs (id INTEGER PRIMARY KEY, job_id INTEGER, step INTEGER, "
               "pid INTEGER, attempt INTEGER)")


@jobs.handler("test.record")
def record(instance, job):
    """One step: note this run, after a pause that widens any race between runners."""
    time.sleep(job.payload.get("pause", 0.01))
    with transaction(job.db):
        job.renew()  # still ours: then the row is written in the same transaction
        job.db.execute("INSERT INTO job_runs (job_id, step, pid, attempt) VALUES (?, 0, ?, ?)",
                       [job.id, os.getpid(), job.attempts])
    return {"pid": os.getpid()}


@jobs.handler("test.steps")
def steps(instance, job):
    """``steps`` resumable steps, each done once: a step already recorded is skipped."""
    total = job.payload["steps"]
    done = {r[0] for r in job.db.execute("SELECT step FROM job_runs WHERE job_id = ?", [job.id])}
    for step in range(total):
        if step in done:
            continue
        time.sleep(job.payload.get("pause", 0.05))
        with transaction(job.db):
            job.renew()
            job.db.execute("INSERT INTO job_runs (job_id, step, pid, attempt) VALUES (?, ?, ?, ?)",
                           [job.id, step, os.getpid(), job.attempts])
        job.progress(step + 1, total, f"step {step + 1} of {total}")
        if step + 1 == job.payload.get("stall_after"):
            time.sleep(job.payload["stall"])  # a runner that stalls (swapped out, suspended) past its lease
    return {"steps": total}


@jobs.handler("test.flaky", label="Flaky records server")
def flaky(instance, job):
    """Fails until attempt ``succeed_on`` (never, if it is 0)."""
    succeed_on = job.payload.get("succeed_on", 0)
    if not succeed_on or job.attempts < succeed_on:
        raise RuntimeError(f"the records server did not answer (attempt {job.attempts})")
    return {"attempt": job.attempts}


@jobs.handler("test.what-am-i-given")
def given(instance, job):
    """Reports what the runner handed it."""
    return {"type": type(instance).__name__, "files": str(instance.config["FILES_DIR"]),
            "store": type(instance.store).__name__}
