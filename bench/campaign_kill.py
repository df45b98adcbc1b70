"""Acceptance: `kill -9` of the process running a campaign, then `foia jobs run-once` finishes it.

A fresh instance with N agencies (default 200) and one campaign over all of them. `foia jobs
run-once` (a real process, with its pool of letter workers) starts the campaign's job; when about a
third of the agencies are done it is killed with SIGKILL. Then:
- `foia jobs run-once` at once: runs nothing (the dead runner's lease still holds the job);
- `foia jobs run-once` once the lease has run out: resumes the job and completes the campaign.
By default the second runner's clock is set a lease ahead (FOIA_NOW, the one clock); with
--wait-lease it waits the lease out in real time instead.

Checked: every agency has exactly one request, every request exactly one PDF and one DOCX
letter (no duplicate row, no missing file), and every PDF and DOCX opens. Prints the figures and
merges them into bench/results.json under "campaign_kill".

Run: .venv/bin/python bench/campaign_kill.py [--agencies 200] [--kill-at 0.33] [--wait-lease]
"""
import argparse
import datetime as dt
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
import pypdf  # noqa: E402

from bench.results import record  # noqa: E402
from foia import agencies, campaigns, clock, jobs, laws, letters  # noqa: E402
from foia import db as db_module  # noqa: E402

FOIA = [sys.executable, "-m", "foia.cli"]


def session_processes(session_id: int) -> list[int]:
    """Pids of the processes left in a session (the killed runner's letter workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=200)
    parser.add_argument("--kill-at", type=float, default=0.33, help="fraction of agencies done when killed")
    parser.add_argument("--wait-lease", action="store_true", help="wait the lease out in real time")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="foia-bench-kill-"))
    instance = work / "instance"
    env = dict(os.environ, FOIA_INSTANCE=str(instance), PYTHONPATH=str(ROOT))
    env.pop("FOIA_NOW", None)
    if not args.wait_lease:  # every process on one pinned clock; the second runner's is a lease ahead
        env["FOIA_NOW"] = "2026-09-15T10:00:00"
        clock.set_now(env["FOIA_NOW"])
    instance.mkdir()
    db = db_module.connect(str(instance / "foia.db"))
    db_module.migrate(db)
    laws.load_into(db)
    letters.save_requester(db, {"name": "Jane Doe", "address": "1 Press Row\nPhiladelphia, PA 19103",
                                "email": "jane@example.org"})
    states = sorted(laws.NAMES)
    for i in range(args.agencies):
        agencies.upsert(db, {"name": f"Town {i} Police Department", "state": states[i % len(states)],
                             "kind": "police", "mailing_address": f"{i} Main Street\nTown {i}"})
    campaign_id = campaigns.create(db, name="Ring partnership records", template="ring-partnership",
                                   states=states)
    total = campaigns.get(db, campaign_id)["total"]
    queued = subprocess.run(FOIA + ["campaign", "run", str(campaign_id), "--no-wait"], env=env, check=True,
                            capture_output=True, text=True).stdout.strip()
    print(queued)
    job_id = campaigns.current_job(db, campaign_id)["id"]

    # The first runner, killed with SIGKILL about a third of the way through.
    started = time.perf_counter()
    log = open(work / "runner-1.log", "wb")
    first = subprocess.Popen(FOIA + ["jobs", "run-once"], env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    kill_at = max(1, int(total * args.kill_at))
    while jobs.get(db, job_id)["progress_done"] < kill_at:
        if first.poll() is not None:
            raise SystemExit(f"the runner ended before it was killed: {(work / 'runner-1.log').read_text()}")
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    log.close()
    killed_after = time.perf_counter() - started
    job = jobs.get(db, job_id)
    at_kill = {
        "seconds": round(killed_after, 1), "agencies_done": job["progress_done"],
        "requests": db.execute("SELECT count(*) FROM requests WHERE campaign_id = ?", [campaign_id]).fetchone()[0],
        "letters": db.execute("SELECT count(*) FROM letters").fetchone()[0],
        "job_state": job["state"], "exit_status": first.returncode,
    }
    time.sleep(1)
    orphans = session_processes(first.pid)
    at_kill["workers_left_running"] = len(orphans)
    for pid in orphans:
        try:
            ppid = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1]
            cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:150]
        except FileNotFoundError:
            continue
        print(f"  left running: pid {pid} (parent {ppid}): {cmd}")
    print(f"killed (SIGKILL) after {at_kill['seconds']} s: {at_kill['agencies_done']} of {total} agencies done, "
          f"{at_kill['letters']} letters, job {job['state']}; {len(orphans)} letter worker(s) of it still alive")

    # At once: the lease still holds, nothing runs.
    right_away = subprocess.run(FOIA + ["jobs", "run-once"], env=env, capture_output=True, text=True)
    print("foia jobs run-once at once:", right_away.stdout.strip().splitlines()[-1])

    # Once the lease has run out: the second runner resumes and completes the campaign.
    lease_until = dt.datetime.fromisoformat(jobs.get(db, job_id)["lease_until"])
    second_env = dict(env)
    if args.wait_lease:
        wait = (lease_until - clock.now()).total_seconds() + 1
        print(f"waiting {wait:.0f} s for the lease to run out")
        time.sleep(max(wait, 0))
    else:
        second_env["FOIA_NOW"] = (lease_until + dt.timedelta(seconds=1)).isoformat()
    started = time.perf_counter()
    second = subprocess.run(FOIA + ["jobs", "run-once"], env=second_env, capture_output=True, text=True)
    resumed_seconds = time.perf_counter() - started
    print("foia jobs run-once after the lease:", " / ".join(second.stdout.strip().splitlines()))
    for pid in orphans:  # the killed runner's workers (this script started them)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    # The checks.
    job = jobs.get(db, job_id)
    state = campaigns.progress(db, campaign_id)
    per_agency = db.execute("SELECT agency_id, count(*) FROM requests WHERE campaign_id = ? GROUP BY agency_id",
                            [campaign_id]).fetchall()
    per_letter = db.execute(
        """SELECT r.id, l.format, count(l.id) FROM requests r
           CROSS JOIN (SELECT 'pdf' AS format UNION ALL SELECT 'docx') f
           LEFT JOIN letters l ON l.request_id = r.id AND l.format = f.format
           WHERE r.campaign_id = ? GROUP BY r.id, f.format""", [campaign_id]).fetchall()
    rows = campaigns.campaign_letters(db, campaign_id)
    unreadable = 0
    for row in rows:
        data = letters.file_path(row, instance / "files").read_bytes()
        try:
            if row["format"] == "pdf":
                assert len(pypdf.PdfReader(io.BytesIO(data)).pages) >= 1
            else:
                assert docx.Document(io.BytesIO(data)).paragraphs
        except Exception:
            unreadable += 1
    figures = {
        "agencies": total,
        "killed": at_kill,
        "run_once_at_once": right_away.stdout.strip().splitlines()[-1],
        "resumed": {"seconds": round(resumed_seconds, 1), "job_state": job["state"], "attempts": job["attempts"],
                    "lease_waited_in_real_time": args.wait_lease},
        "campaign": {"status": state["status"], "done": state["done"], "errors": len(state["errors"])},
        "requests": len(per_agency),
        "agencies_with_more_than_one_request": sum(1 for _, n in per_agency if n != 1),
        "letters": db.execute("SELECT count(*) FROM letters").fetchone()[0],
        "request_formats_not_exactly_one_letter": sum(1 for *_, n in per_letter if n != 1),
        "unreadable_letters": unreadable,
    }
    ok = (job["state"] == "done" and state["done"] == total and len(per_agency) == total
          and figures["agencies_with_more_than_one_request"] == 0 and figures["letters"] == 2 * total
          and figures["request_formats_not_exactly_one_letter"] == 0 and unreadable == 0)
    figures["passed"] = ok
    print(f"completed: campaign {state['status']}, {state['done']} of {total} agencies, {len(per_agency)} requests, "
          f"{figures['letters']} letters; duplicates: {figures['agencies_with_more_than_one_request']} requests, "
          f"{figures['request_formats_not_exactly_one_letter']} letters; unreadable: {unreadable}; "
          f"resumed run {figures['resumed']['seconds']} s")
    record("campaign_kill", figures)
    db.conn.close()
    if not ok:
        raise SystemExit(f"FAILED: see the figures above; the instance is kept in {work}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
