"""Requests list and request page timings over 100,000 requests and 1,000,000 events.

Builds a database in a temporary instance, then times pages through the Flask app (server-side:
no network, the full view and template). Prints median and p95 in ms and records them in
bench/results.json under "web". Target: p95 <= 25 ms.

    .venv/bin/python bench/web.py [--requests 100000] [--events-per-request 10]
"""
import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record  # noqa: E402
from foia import create_app, lifecycle  # noqa: E402
from foia import db as db_module  # noqa: E402
from foia.laws import NAMES  # noqa: E402

STATUSES = list(lifecycle.STATUSES)
KINDS = ["filed", "received_by_agency", "acknowledged", "extension_claimed", "note", "note", "partial_release",
         "note", "clarification_requested", "clarification_answered"]


def build(database, n_requests: int, per_request: int) -> None:
    rng = random.Random(7)
    states = sorted(NAMES)
    now = "2026-09-15T10:00:00"
    conn = database.conn
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO agencies (id, name, city, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(i, f"Agency {i} Police Department", f"City {i}", states[i % len(states)], now, now) for i in range(1, 1001)],
    )
    batch = []
    for i in range(1, n_requests + 1):
        due = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        batch.append((i, rng.randint(1, 1000), f"Ring partnership records {i}", STATUSES[i % len(STATUSES)], due, now, now))
    conn.executemany(
        "INSERT INTO requests (id, agency_id, title, status, due_on, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        batch,
    )
    events = []
    for i in range(1, n_requests + 1):
        for k in range(per_request):
            events.append((i, KINDS[k % len(KINDS)], f"2026-{1 + k % 9:02d}-{1 + k:02d}", now, "bench event"))
        if len(events) >= 200_000:
            conn.executemany("INSERT INTO events (request_id, kind, occurred_on, recorded_at, note) VALUES (?, ?, ?, ?, ?)", events)
            events = []
    conn.executemany("INSERT INTO events (request_id, kind, occurred_on, recorded_at, note) VALUES (?, ?, ?, ?, ?)", events)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")


def sign_in(app, client) -> None:
    if "auth.login" not in app.view_functions:
        return
    from foia import accounts

    database = db_module.connect(app.config["DATABASE"])
    accounts.create_user(database, "bench@example.org", "bench password 123", "viewer")
    database.conn.close()
    client.post("/login", data={"email": "bench@example.org", "password": "bench password 123"})


def time_pages(client, urls: list[str], rounds: int) -> dict:
    samples = []
    for _ in range(rounds):
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2), "samples": len(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--events-per-request", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "WTF_CSRF_ENABLED": False})
        database = db_module.connect(app.config["DATABASE"])
        start = time.perf_counter()
        build(database, args.requests, args.events_per_request)
        n_events = database.execute("SELECT count(*) FROM events").fetchone()[0]
        database.conn.close()
        build_s = time.perf_counter() - start
        client = app.test_client()
        sign_in(app, client)
        rng = random.Random(1)
        lists = ["/requests/", "/requests/?status=filed", "/requests/?state=CA&page=3", "/requests/?status=open&state=NY&sort=due",
                 "/requests/?sort=agency&page=40", "/requests/?agency=17", "/requests/?q=records%2012345", "/requests/?page=1500"]
        pages = [f"/requests/{rng.randint(1, args.requests)}" for _ in range(8)]
        for url in lists + pages:  # warm caches once
            client.get(url)
        figures = {
            "requests": args.requests, "events": n_events, "build_s": round(build_s, 1),
            "requests_list": time_pages(client, lists, args.rounds),
            "request_page": time_pages(client, pages, args.rounds),
            "target_p95_ms": 25,
        }
    print(json.dumps(figures, indent=2))
    record("web", figures)


if __name__ == "__main__":
    main()
