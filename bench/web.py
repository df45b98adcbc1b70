"""Requests list and request page timings at 100,000 requests / 1,000,000 events and at
1,000,000 requests / 10,000,000 events.

For each scale, builds a database in a temporary instance with bulk inserts (``INSERT ... SELECT``
from a recursive CTE, journal and fsync off while generating), then times pages through the Flask
app (server-side: no network, the full view and template). Prints median and p95 in ms and records
them in bench/results.json under "web", one entry per scale. Target: p95 <= 25 ms.

    .venv/bin/python bench/web.py [--scales 100000,1000000] [--events-per-request 10]
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
    """Agencies, requests and events generated inside SQLite (no Python loop per row)."""
    states = sorted(NAMES)
    now = "2026-09-15T10:00:00"
    conn = database.conn
    conn.execute("PRAGMA journal_mode = OFF")  # a throw-away database: no journal, no fsync while filling
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO agencies (id, name, city, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(i, f"Agency {i} Police Department", f"City {i}", states[i % len(states)], now, now) for i in range(1, 1001)],
    )
    conn.execute(
        """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
           INSERT INTO requests (id, agency_id, title, status, due_on, created_at, updated_at)
           SELECT i, 1 + (i * 7919) % 1000, 'Ring partnership records ' || i,
                  json_extract(:statuses, '$[' || (i % :nstatus) || ']'),
                  printf('2026-%02d-%02d', 1 + (i * 31) % 12, 1 + (i * 17) % 28), :now, :now
           FROM n""",
        {"count": n_requests, "statuses": json.dumps(STATUSES), "nstatus": len(STATUSES), "now": now},
    )
    conn.execute(
        """WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :count - 1)
           INSERT INTO events (request_id, kind, occurred_on, recorded_at, note)
           SELECT 1 + i / :per, json_extract(:kinds, '$[' || (i % :per % :nkinds) || ']'),
                  printf('2026-%02d-%02d', 1 + (i % :per) % 9, 1 + (i % :per) % 28), :now, 'bench event'
           FROM n""",
        {"count": n_requests * per_request, "per": per_request, "kinds": json.dumps(KINDS), "nkinds": len(KINDS),
         "now": now},
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("ANALYZE")


def sign_in(app, client) -> None:
    if "auth.login" not in app.view_functions:
        return
    from foia import accounts

    database = db_module.connect(app.config["DATABASE"])
    accounts.create_user(database, "bench@example.org", "bench password 123", "viewer")
    database.conn.close()
    client.post("/login", data={"email": "bench@example.org", "password": "bench password 123"})


def _figures(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2), "samples": len(samples)}


def time_pages(client, urls: list[str], rounds: int, *, per_url: bool = False) -> dict:
    """Median and p95 over all the URLs; with ``per_url``, also each URL's own (to find the slow one)."""
    samples: dict[str, list[float]] = {url: [] for url in urls}
    for _ in range(rounds):
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            samples[url].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    result = _figures([t for times in samples.values() for t in times])
    if per_url:
        result["by_url"] = {url: _figures(times) for url, times in samples.items()}
    return result


def measure(n_requests: int, per_request: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "WTF_CSRF_ENABLED": False})
        database = db_module.connect(app.config["DATABASE"])
        start = time.perf_counter()
        build(database, n_requests, per_request)
        n_events = database.execute("SELECT count(*) FROM events").fetchone()[0]
        database.conn.close()
        build_s = time.perf_counter() - start
        client = app.test_client()
        sign_in(app, client)
        rng = random.Random(1)
        last_page = n_requests // 50
        lists = ["/requests/", "/requests/?status=filed", "/requests/?state=CA&page=3",
                 "/requests/?status=open&state=NY&sort=due", "/requests/?sort=agency&page=40", "/requests/?agency=17",
                 "/requests/?q=records%2012345", f"/requests/?page={min(1500, last_page)}"]
        pages = [f"/requests/{rng.randint(1, n_requests)}" for _ in range(8)]
        for url in lists + pages:  # warm caches once
            client.get(url)
        return {
            "requests": n_requests, "events": n_events, "build_s": round(build_s, 1),
            "requests_list": time_pages(client, lists, rounds, per_url=True),
            "request_page": time_pages(client, pages, rounds),
            "target_p95_ms": 25,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100000,1000000", help="numbers of requests, comma-separated")
    parser.add_argument("--events-per-request", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    figures = {}
    for scale in (int(s) for s in args.scales.split(",")):
        figures[str(scale)] = measure(scale, args.events_per_request, args.rounds)
        print(json.dumps({scale: figures[str(scale)]}, indent=2), flush=True)
    record("web", figures)


if __name__ == "__main__":
    main()
