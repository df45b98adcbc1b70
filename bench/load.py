"""Reliability under load: gunicorn with 2 workers plus `foia scheduler`, many clients on loopback.

Sets up a temporary instance (demo data plus a few hundred requests, a member account and an API
token), starts ``gunicorn foia.wsgi:app`` (2 workers, gthread) and ``foia scheduler`` as separate
processes, then runs CLIENTS threads for SECONDS, each with its own keep-alive connection, doing a mix
of page lists, searches and new timeline events (pages through a signed-in session, the JSON API with
a bearer token). Afterwards it stops both processes and checks the database: ``PRAGMA
integrity_check``, and that every event the server acknowledged (201) is stored exactly once.

Prints the figures and records them in bench/results.json under "load". Loopback only.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--workers 2]
"""
import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import record  # noqa: E402
from foia import accounts, clock, demo, laws, requests  # noqa: E402
from foia import db as db_module  # noqa: E402

BIN = Path(sys.executable).parent
EMAIL, PASSWORD = "bench@example.org", "load test password"
WORDS = ["ring", "portal", "footage", "memorandum", "camera", "invoice", "neighbors", "police", "video"]
# (kind, weight)
MIX = [("requests_list", 20), ("requests_search", 15), ("agencies_search", 10), ("api_search", 15),
       ("request_page", 10), ("dashboard", 5), ("new_event", 25)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(instance: Path, extra_requests: int) -> tuple[str, list[int]]:
    """Demo data, more requests, a member and an API token. Returns (token, request ids)."""
    db = db_module.connect(str(instance / "foia.db"))
    db_module.migrate(db)
    accounts.migrations.apply(db)  # a no-op once accounts is in db.FEATURE_SCHEMAS
    laws.load_into(db)
    demo.load(db)
    agency_ids = [r[0] for r in db.execute("SELECT id FROM agencies")]
    rng = random.Random(7)
    today = clock.today()
    for n in range(extra_requests):
        requests.create_request(
            db, agency_id=rng.choice(agency_ids),
            title=f"{rng.choice(WORDS).title()} records, batch {n}",
            description=" ".join(rng.choice(WORDS) for _ in range(30)),
            filed_on=(today - dt.timedelta(days=rng.randint(0, 60))).isoformat())
    user_id = accounts.create_user(db, EMAIL, PASSWORD, "member", name="Load test")
    _, token = accounts.create_token(db, user_id, "load test")
    ids = [r[0] for r in db.execute("SELECT id FROM requests")]
    db.conn.close()
    return token, ids


class Client:
    """One keep-alive connection; a session cookie for pages, the bearer token for the API."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.token = token
        self.cookie = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next call
            raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, data

    def login(self):
        status, page = self.call("GET", "/login")
        match = re.search(rb'name="csrf_token" value="([^"]*)"', page)
        form = {"email": EMAIL, "password": PASSWORD, "csrf_token": match.group(1).decode() if match else ""}
        status, _ = self.call("POST", "/login", urllib.parse.urlencode(form),
                              {"Content-Type": "application/x-www-form-urlencoded"})
        if status not in (302, 303):
            raise RuntimeError(f"sign-in failed with {status}")


def run_client(client: Client, ids, stop, results, seed):
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    api = {"Authorization": f"Bearer {client.token}"}
    n = 0
    while not stop.is_set():
        kind = rng.choices(kinds, weights)[0]
        expected, body, headers = 200, None, None
        method = "GET"
        if kind == "requests_list":
            path = f"/requests/?page={rng.randint(1, 5)}"
        elif kind == "requests_search":
            path = f"/requests/?q={rng.choice(WORDS)}"
        elif kind == "agencies_search":
            path = f"/agencies/?q={rng.choice(['police', 'sheriff', 'county', 'a'])}"
        elif kind == "api_search":
            path, headers = f"/api/requests?q={rng.choice(WORDS)}&per_page=20", api
        elif kind == "request_page":
            path = f"/requests/{rng.choice(ids)}"
        elif kind == "dashboard":
            path = "/"
        else:
            method, expected = "POST", 201
            path = f"/api/requests/{rng.choice(ids)}/events"
            body = json.dumps({"kind": "note", "note": f"load {seed}-{n}"})
            headers = dict(api, **{"Content-Type": "application/json"})
        n += 1
        started = time.perf_counter()
        try:
            status, data = client.call(method, path, body, headers)
            error = None if status == expected else f"{method} {path}: {status} {data[:200]!r}"
        except Exception as exc:  # counted as an error, the run goes on
            status, error = None, f"{method} {path}: {type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        results.append((kind, elapsed, error, status == 201 and kind == "new_event"))


def wait_ready(port: int, proc: subprocess.Popen, log: Path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited early:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login")
            if conn.getresponse().status in (200, 302):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def stop_process(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    return proc.returncode


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--requests", type=int, default=400, help="requests added to the demo data")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="foia-load-"))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path) -> int:
    instance = work / "instance"
    instance.mkdir()
    token, ids = prepare(instance, args.requests)
    port = free_port()
    env = dict(os.environ, FOIA_INSTANCE=str(instance))
    env.pop("FOIA_NOW", None)
    gunicorn_log, scheduler_log = work / "gunicorn.log", work / "scheduler.log"
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(args.workers), "--worker-class", "gthread",
         "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}", "--keep-alive", "30",
         "--error-logfile", str(gunicorn_log), "foia.wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    scheduler = subprocess.Popen([str(BIN / "foia"), "scheduler"], cwd=ROOT, env=env,
                                 stdout=open(scheduler_log, "w"), stderr=subprocess.STDOUT)
    results: list = []
    try:
        wait_ready(port, web, gunicorn_log)
        if scheduler.poll() is not None:
            raise SystemExit(f"`foia scheduler` exited early:\n{scheduler_log.read_text()[-3000:]}")
        clients = [Client(port, token) for _ in range(args.clients)]
        for client in clients:
            client.login()
        stop = threading.Event()
        threads = [threading.Thread(target=run_client, args=(c, ids, stop, results, i))
                   for i, c in enumerate(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        scheduler_alive = scheduler.poll() is None
    finally:
        web_code = stop_process(web)
        scheduler_code = stop_process(scheduler)

    conn = sqlite3.connect(instance / "foia.db")
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    stored = conn.execute("SELECT count(*), count(DISTINCT note) FROM events WHERE kind = 'note' "
                          "AND note LIKE 'load %'").fetchone()
    conn.close()

    latencies = [r[1] for r in results]
    errors = [r[2] for r in results if r[2]]
    acknowledged = sum(1 for r in results if r[3])
    by_kind = {}
    for kind, _ in MIX:
        values = [r[1] for r in results if r[0] == kind]
        by_kind[kind] = {"requests": len(values), "p95_ms": round(percentile(values, 95) * 1000, 1)}
    figures = {
        "clients": args.clients, "seconds": round(wall, 1), "gunicorn_workers": args.workers,
        "threads_per_worker": args.threads, "scheduler_process": True,
        "scheduler_alive_at_end": scheduler_alive,
        "requests": len(results), "errors": len(errors), "error_samples": errors[:5],
        "requests_per_second": round(len(results) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "by_kind": by_kind,
        "events_acknowledged": acknowledged, "events_stored": stored[0], "events_distinct": stored[1],
        "integrity_check": integrity, "cpus": os.cpu_count(),
        "gunicorn_exit": web_code, "scheduler_exit": scheduler_code,
    }
    print(f"load: {args.clients} clients for {wall:.0f} s against gunicorn ({args.workers} workers x "
          f"{args.threads} threads) + foia scheduler")
    print(f"  requests {len(results)}  ({figures['requests_per_second']}/s)   errors {len(errors)} (target 0)")
    print(f"  latency p50 {figures['p50_ms']} ms   p95 {figures['p95_ms']} ms   p99 {figures['p99_ms']} ms")
    for kind, row in by_kind.items():
        print(f"    {kind:16} {row['requests']:7}  p95 {row['p95_ms']} ms")
    print(f"  events acknowledged {acknowledged}, stored {stored[0]} ({stored[1]} distinct)")
    print(f"  PRAGMA integrity_check: {integrity}")
    for sample in errors[:5]:
        print(f"  error: {sample}")
    record("load", figures)
    ok = not errors and integrity == "ok" and acknowledged == stored[0] == stored[1] and scheduler_alive
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
