"""Document search and ingestion figures.

1. Ingests 10,000 text documents of about 5 KB (Zipf-distributed words, so search terms range from
   rare to very common) and 100 multi-page PDFs (made with WeasyPrint) through
   ``documents.add_document`` into a temporary instance, then times search: the
   ``documents.search`` function and the ``/search`` page through the Flask test client (server
   side: the full view and template). Target: p95 <= 15 ms.
2. Ingests a 1 GB file (a video: stored, not read; and a text file: stored and its text extracted up
   to the cap) in a fresh subprocess and reports its peak memory (``ru_maxrss``) and MB/s.
   Target: peak RSS <= 150 MB.
3. Hostile documents: 20 published texts of 1 MB repeating one word 58,000 times, then the
   ``/search`` and ``/archive`` pages for that word (snippets are cut from a bounded window, so
   these pages cost about what ordinary ones do). Target: every page under 1 s.

Prints the figures and records them in bench/results.json under "documents".

    .venv/bin/python bench/documents.py [--docs 10000] [--pdfs 100] [--big-mb 1024] [--repetitive 20]
"""
import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import record  # noqa: E402
from foia import create_app, documents  # noqa: E402
from foia import db as db_module  # noqa: E402
from foia.filestore import LocalStore  # noqa: E402
from foia.laws import NAMES  # noqa: E402

DOMAIN = ("ring neighbors portal video request footage camera owners memorandum understanding agreement "
          "invoice purchase order training policy law enforcement amazon partnership police department "
          "records release subpoena warrant emergency case number detective sergeant chief").split()


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vor", "ne", "pi", "dra", "gul", "te", "bo", "xi", "ma",
                 "lin", "qua", "so", "har", "pe", "zu", "ko", "fen", "ri", "del", "wa", "ny", "ost", "ba", "el"]
    words = list(DOMAIN)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def make_text(rng, words, weights, target: int = 5000) -> str:
    out, length = [], 0
    while length < target:
        line = " ".join(rng.choices(words, cum_weights=weights, k=12)).capitalize() + "."
        out.append(line)
        length += len(line) + 1
    return "\n".join(out)


def percentile(samples, q) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def figures(samples) -> dict:
    ms = [s * 1000 for s in samples]
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 0.95), 2),
            "samples": len(ms)}


def build(app, n_docs: int, n_pdfs: int) -> dict:
    import weasyprint

    rng = random.Random(11)
    database = db_module.connect(app.config["DATABASE"])
    documents.migrations.apply(database)
    store = LocalStore(app.config["FILES_DIR"])
    states = sorted(NAMES)
    now = "2026-09-15T10:00:00"
    conn = database.conn
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO agencies (id, name, city, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(i, f"Agency {i} Police Department", f"City {i}", states[i % len(states)], now, now) for i in range(1, 201)])
    conn.executemany(
        "INSERT INTO requests (id, agency_id, title, status, created_at, updated_at) VALUES (?, ?, ?, 'filed', ?, ?)",
        [(i, 1 + i % 200, f"Ring partnership records {i}", now, now) for i in range(1, 1001)])
    conn.execute("COMMIT")
    words = vocabulary(rng)
    cum, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank
        cum.append(total)
    started = time.perf_counter()
    for i in range(n_docs):
        text = f"Document {i}\n" + make_text(rng, words, cum)
        documents.add_document(database, store, 1 + i % 1000, io.BytesIO(text.encode()), f"release-{i}.txt",
                               received_on=f"2026-{1 + i % 9:02d}-{1 + i % 28:02d}")
    text_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(n_pdfs):
        pages = "".join(f"<p style='page-break-after: always'>{make_text(rng, words, cum, 2500)}</p>" for _ in range(3))
        pdf = weasyprint.HTML(string=f"<h1>Release PDF {i}</h1>{pages}", base_url=".").write_pdf()
        documents.add_document(database, store, 1 + i % 1000, io.BytesIO(pdf), f"release-{i}.pdf",
                               received_on="2026-09-01")
    pdf_seconds = time.perf_counter() - started
    conn.execute("UPDATE documents SET published = 1, published_at = ? WHERE id % 10 = 0", [now])
    conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('optimize')")
    count = database.execute("SELECT count(*), sum(length(text)) FROM documents").fetchone()
    database.conn.close()
    return {
        "documents": count[0], "text_chars": count[1], "words": words,
        "ingest_text_docs_per_s": round(n_docs / text_seconds, 1),
        "ingest_pdfs_per_s": round(n_pdfs / pdf_seconds, 2),
    }


def queries(words) -> list[dict]:
    """Terms from the top, middle and tail of the Zipf distribution, phrases, prefixes and filters."""
    return [
        {"q": words[0]},  # in nearly every document
        {"q": words[3]},
        {"q": words[60]},
        {"q": words[800]},
        {"q": words[15000]},  # rare
        {"q": f"{words[40]} {words[90]}"},
        {"q": f'"{words[0]} {words[1]}"'},
        {"q": words[200][:3] + "*"},
        {"q": f"{words[500]} OR {words[700]}"},
        {"q": f"{words[10]} -{words[12]}"},
        {"q": words[5], "state": "CA"},
        {"q": words[20], "doc_type": "other", "date_from": "2026-03-01", "date_to": "2026-06-30"},
        {"q": "", "state": "TX"},
        {"q": words[30], "published_only": True},
    ]


def time_search(app, qs, rounds: int) -> dict:
    database = db_module.connect(app.config["DATABASE"])
    fn_samples, page_samples = [], []
    client = app.test_client()
    if "auth.login" in app.view_functions:  # the search page is for signed-in members
        from foia import accounts

        accounts.create_user(database, "bench@example.org", "bench password 1234", "admin")
        response = client.post("/login", data={"email": "bench@example.org", "password": "bench password 1234"})
        assert response.status_code in (302, 303), response.status_code
    for q in qs:  # warm the page cache and the templates
        documents.search(database, **q)
    for _ in range(rounds):
        for q in qs:
            started = time.perf_counter()
            documents.search(database, **q)
            fn_samples.append(time.perf_counter() - started)
            args = {"q": q["q"]}
            if q.get("state"):
                args["state"] = q["state"]
            if q.get("doc_type"):
                args["type"] = q["doc_type"]
            if q.get("date_from"):
                args["from"], args["to"] = q["date_from"], q["date_to"]
            path = "/archive" if q.get("published_only") else "/search"
            started = time.perf_counter()
            response = client.get(path, query_string=args)
            page_samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
    database.conn.close()
    return {"search_function": figures(fn_samples), "search_page": figures(page_samples)}


CHILD = r"""
import io, resource, sys, time
sys.path.insert(0, sys.argv[1])
from foia import db as db_module, documents, laws
from foia.filestore import LocalStore
instance, source = sys.argv[2], sys.argv[3]
database = db_module.connect(instance + "/foia.db")
db_module.migrate(database)
documents.migrations.apply(database)
laws.load_into(database)
now = "2026-09-15T10:00:00"
database.execute("INSERT INTO agencies (id, name, state, created_at, updated_at) VALUES (1, 'A', 'OR', ?, ?)", [now, now])
database.execute("INSERT INTO requests (id, agency_id, title, created_at, updated_at) VALUES (1, 1, 'R', ?, ?)", [now, now])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
with open(source, "rb") as f:
    added = documents.add_document(database, LocalStore(instance + "/files"), 1, f, "big", max_size=4 * 1024**3)
elapsed = time.perf_counter() - started
doc = documents.get(database, added.id)
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, before, hwm, doc["mime"], len(doc["text"]))
"""


def make_big(path: Path, mb: int, kind: str) -> None:
    rng = random.Random(3)
    with open(path, "wb") as f:
        if kind == "video":
            block = bytearray(os.urandom(1024 * 1024))
            block[:12] = b"\x00\x00\x00\x18ftypisom"
            for i in range(mb):
                block[12:20] = i.to_bytes(8, "big")
                f.write(block)
                block[:12] = os.urandom(12)
        else:
            words = vocabulary(rng, 2000)
            lines = [" ".join(rng.choices(words, k=14)) for _ in range(20000)]
            chunk = ("\n".join(lines) + "\n").encode()
            written = 0
            while written < mb * 1024 * 1024:
                f.write(chunk[: mb * 1024 * 1024 - written])
                written += len(chunk)


def ingest_big(tmp: Path, mb: int, kind: str) -> dict:
    source = tmp / f"big-{kind}"
    make_big(source, mb, kind)
    instance = tmp / f"instance-{kind}"
    instance.mkdir()
    done = subprocess.run([sys.executable, "-c", CHILD, str(Path(__file__).resolve().parent.parent), str(instance),
                           str(source)], capture_output=True, text=True, check=True)
    elapsed, maxrss_kb, before_kb, hwm_kb, mime, text_len = done.stdout.split()
    source.unlink()
    return {
        "size_mb": mb, "mime": mime, "text_chars_kept": int(text_len), "seconds": round(float(elapsed), 2),
        "mb_per_s": round(mb / float(elapsed), 1),
        # ru_maxrss of the child; Linux carries the parent's high-water mark across fork+exec, so the
        # bench runs this before building its own database, and also reads VmHWM (this process only).
        "peak_rss_mb": round(int(maxrss_kb) / 1024, 1), "rss_before_ingest_mb": round(int(before_kb) / 1024, 1),
        "vm_hwm_mb": round(int(hwm_kb) / 1024, 1),
    }


def repetitive(tmp: Path, count: int, rounds: int) -> dict:
    """Search and archive pages over ``count`` published 1 MB documents repeating one word."""
    app = create_app({"INSTANCE_PATH": str(tmp / "instance-repetitive"), "TESTING": True, "WTF_CSRF_ENABLED": False})
    database = db_module.connect(app.config["DATABASE"])
    now = "2026-09-15T10:00:00"
    database.execute("INSERT INTO agencies (id, name, state, created_at, updated_at) VALUES (1, 'A PD', 'OR', ?, ?)",
                     [now, now])
    database.execute("INSERT INTO requests (id, agency_id, title, status, created_at, updated_at) "
                     "VALUES (1, 1, 'R', 'filed', ?, ?)", [now, now])
    store = LocalStore(app.config["FILES_DIR"])
    text = (b"lorem ipsum " * 58_000 + b"dolor " * 40_000)[: 1024 * 1024]
    for i in range(count):
        added = documents.add_document(database, store, 1, io.BytesIO(text + b" %d" % i), f"lorem-{i}.txt")
        documents.publish(database, added.id)
    client = app.test_client()
    if "auth.login" in app.view_functions:
        from foia import accounts

        accounts.create_user(database, "bench@example.org", "bench password 1234", "admin")
        client.post("/login", data={"email": "bench@example.org", "password": "bench password 1234"})
    pages = {}
    for path in ("/search?q=lorem", "/search?q=%22lorem+ipsum%22", "/archive?q=ipsum", "/archive?q=lor*"):
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(path)
            response.get_data()
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        pages[path] = figures(samples)
    database.conn.close()
    return {"documents": count, "document_mb": 1, "word_repeats": 58_000, "pages": pages, "target_page_ms": 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--pdfs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--big-mb", type=int, default=1024)
    parser.add_argument("--repetitive", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="foia-bench-docs-") as tmp:
        tmp = Path(tmp)
        big = {kind: ingest_big(tmp, args.big_mb, kind) for kind in ("video", "text")}
        app = create_app({"INSTANCE_PATH": str(tmp / "instance"), "TESTING": True, "WTF_CSRF_ENABLED": False})
        if "documents" not in app.blueprints:
            from foia.web import documents as documents_web

            app.register_blueprint(documents_web.bp)
        started = time.perf_counter()
        built = build(app, args.docs, args.pdfs)
        build_s = time.perf_counter() - started
        words = built.pop("words")
        timings = time_search(app, queries(words), args.rounds)
        hostile = repetitive(tmp, args.repetitive, max(3, args.rounds // 3))
    result = {
        "load_average": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        **built, "build_s": round(build_s, 1), **timings, "ingest_1gb": big, "repetitive": hostile,
        "target_search_p95_ms": 15, "target_peak_rss_mb": 150,
    }
    print(json.dumps(result, indent=2, sort_keys=True))
    record("documents", result)


if __name__ == "__main__":
    main()
