"""Deadline and reminder figures.

1. Recomputes the deadlines and reminders of 100,000 requests (every jurisdiction, a realistic mix of
   timelines: receipts, acknowledgements, extensions, clarification pauses, releases, denials; some
   agencies with closed days of their own) with ``recompute.everything``: once on an empty reminders
   table, once more when everything is already planned. Target: <= 10 s.
2. One dispatcher tick (``scheduler.tick`` after the day's refresh: the claim UPDATE plus the check)
   with 100,000 pending reminders of which none is due. Target: <= 20 ms.

Prints the figures and records them in bench/results.json under "deadlines" (not with --no-record).

    .venv/bin/python bench/deadlines.py [--requests 100000] [--ticks 200] [--no-record]
"""
import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record  # noqa: E402
from foia import clock, deadlines, laws, lifecycle, recompute, reminders, scheduler  # noqa: E402
from foia import db as db_module  # noqa: E402

TODAY = dt.date(2026, 9, 15)
STAMP = "2026-09-01T09:00:00"


def timeline(rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, date, data) for one request: filed within the last 150 days, then what followed."""
    filed = TODAY - dt.timedelta(days=rng.randint(0, 150))
    events = [("filed", filed, "{}")]
    day = filed
    roll = rng.random()

    def later(max_days):
        nonlocal day
        day = min(day + dt.timedelta(days=rng.randint(0, max_days)), TODAY)
        return day

    if rng.random() < 0.4:
        events.append(("received_by_agency", later(3), "{}"))
    if rng.random() < 0.3:
        events.append(("acknowledged", later(5), "{}"))
    if roll < 0.08:
        events.append(("clarification_requested", later(6), "{}"))
        if rng.random() < 0.7:
            events.append(("clarification_answered", later(10), "{}"))
    elif roll < 0.15:
        events.append(("extension_claimed", later(8), json.dumps({"days": 10}) if rng.random() < 0.3 else "{}"))
    final = rng.random()
    if final < 0.15:
        events.append(("records_released", later(40), "{}"))
    elif final < 0.2:
        events.append(("denied", later(30), "{}"))
    elif final < 0.22:
        events.append(("no_records", later(30), "{}"))
    return [(kind, on.isoformat(), data) for kind, on, data in events]


def build(db, count: int, rng: random.Random) -> None:
    codes = sorted(laws.NAMES)
    agencies = []
    for i in range(2000):
        code = codes[i % len(codes)]
        closed = json.dumps([(TODAY - dt.timedelta(days=rng.randint(-60, 150))).isoformat()
                             for _ in range(rng.randint(1, 4))]) if rng.random() < 0.1 else "[]"
        agencies.append((i + 1, f"Police Department {i}", code, closed, STAMP, STAMP))
    users = [(i + 1, f"user{i}@example.org", "member", STAMP) for i in range(20)]
    requests, events = [], []
    event_id = 0
    for request_id in range(1, count + 1):
        items = timeline(rng)
        status = lifecycle.derive_status([{"kind": k, "occurred_on": on, "data": {}} for k, on, _ in items])
        owner = rng.randint(1, 20) if rng.random() < 0.7 else None
        requests.append((request_id, rng.randint(1, len(agencies)), f"Ring records {request_id}", status, owner,
                         STAMP, STAMP))
        for kind, on, data in items:
            event_id += 1
            events.append((event_id, request_id, kind, on, STAMP, data))
    with db_module.transaction(db):
        db.conn.executemany("INSERT INTO users (id, email, role, created_at) VALUES (?, ?, ?, ?)", users)
        db.conn.executemany("INSERT INTO agencies (id, name, state, closed_days, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", agencies)
        db.conn.executemany("INSERT INTO requests (id, agency_id, title, status, owner_id, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", requests)
        db.conn.executemany("INSERT INTO events (id, request_id, kind, occurred_on, recorded_at, data) "
                            "VALUES (?, ?, ?, ?, ?, ?)", events)
        db.execute("INSERT INTO settings (key, value) VALUES ('reminders.group_email', 'team@example.org')")


def top_up(db, target: int) -> int:
    """Make exactly ``target`` reminders pending (custom ones in the future, where planning made fewer)."""
    pending = db.execute("SELECT count(*) FROM reminders WHERE sent_at IS NULL").fetchone()[0]
    missing = target - pending
    if missing > 0:
        ids = [r[0] for r in db.execute("SELECT id FROM requests ORDER BY id")]
        rows = []
        for n in range(missing):
            due_at = (dt.datetime(2026, 10, 1, 9) + dt.timedelta(minutes=n)).isoformat()
            rows.append((ids[n % len(ids)], due_at, "app", "team", STAMP, due_at))
        with db_module.transaction(db):
            db.conn.executemany("INSERT INTO reminders (request_id, kind, due_at, channel, recipient, created_at, "
                                "next_attempt_at) VALUES (?, 'custom', ?, ?, ?, ?, ?)", rows)
    elif missing < 0:
        with db_module.transaction(db):
            db.execute("DELETE FROM reminders WHERE id IN (SELECT id FROM reminders WHERE sent_at IS NULL "
                       "ORDER BY due_at DESC LIMIT ?)", [-missing])
    return db.execute("SELECT count(*) FROM reminders WHERE sent_at IS NULL").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--no-record", action="store_true", help="print the figures only")
    args = parser.parse_args()
    rng = random.Random(4)
    clock.set_now(f"{TODAY.isoformat()}T08:00:00")

    with tempfile.TemporaryDirectory() as tmp:
        db = db_module.connect(str(Path(tmp) / "foia.db"))
        db_module.migrate(db)
        deadlines.migrations.apply(db)
        reminders.migrations.apply(db)
        laws.load_into(db)
        started = time.perf_counter()
        build(db, args.requests, rng)
        setup = time.perf_counter() - started
        event_count = db["events"].count

        started, cpu = time.perf_counter(), time.process_time()
        done = recompute.everything(db, today=TODAY)
        cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
        planned = db["reminders"].count

        started, cpu = time.perf_counter(), time.process_time()
        recompute.everything(db, today=TODAY)
        warm, warm_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert db["reminders"].count == planned, "a second recompute must change nothing"

        by_kind = dict(db.execute("SELECT target_kind, count(*) FROM request_dates GROUP BY 1").fetchall())
        overdue = db.execute("SELECT count(*) FROM request_dates WHERE clock = 'running' AND target_kind = 'legal' "
                             "AND COALESCE(extended_due, due) < ?", [TODAY.isoformat()]).fetchone()[0]

        pending = top_up(db, args.reminders)
        now = dt.datetime.combine(TODAY, dt.time(8, 0))  # before the day's 09:00 reminders: none due
        assert db.execute("SELECT count(*) FROM reminders WHERE sent_at IS NULL AND next_attempt_at <= ?",
                          [now.isoformat()]).fetchone()[0] == 0
        scheduler.tick(db, now, config={})  # warm the connection and caches
        timings = []
        for _ in range(args.ticks):
            started = time.perf_counter()
            report = scheduler.tick(db, now, config={})
            timings.append((time.perf_counter() - started) * 1000)
            assert report.claimed == 0
        timings.sort()
        db.conn.close()

    figures = {
        "requests": done,
        "events": event_count,
        "setup_s": round(setup, 2),
        "recompute_cold_s": round(cold, 2),
        "recompute_cold_cpu_s": round(cold_cpu, 2),
        "recompute_warm_s": round(warm, 2),
        "recompute_warm_cpu_s": round(warm_cpu, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "recompute_target_s": 10,
        "reminders_planned": planned,
        "targets": by_kind,
        "overdue": overdue,
        "tick_pending_reminders": pending,
        "tick_median_ms": round(statistics.median(timings), 2),
        "tick_p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "tick_max_ms": round(timings[-1], 2),
        "tick_target_ms": 20,
    }
    print(f"recompute {done:,} requests ({event_count:,} events): {cold:.2f} s ({cold_cpu:.2f} s CPU) on an empty "
          f"reminders table, {warm:.2f} s ({warm_cpu:.2f} s CPU) when all are planned (target <= 10 s); "
          f"{planned:,} reminders planned, {overdue:,} overdue; load average {figures['load_average_1min']} "
          f"on {os.cpu_count()} CPUs")
    print(f"dispatcher tick, {pending:,} pending, none due: median {figures['tick_median_ms']} ms, "
          f"p95 {figures['tick_p95_ms']} ms, max {figures['tick_max_ms']} ms (target <= 20 ms)")
    if not args.no_record:
        record("deadlines", figures)


if __name__ == "__main__":
    main()
