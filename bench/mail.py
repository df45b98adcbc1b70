"""Mail ingestion and classification figures.

1. Writes a Maildir of ``--messages`` replies (default 10,000; half with a one-page PDF attachment of
   its own text) to 200 requests of 50 agencies: most carry a request's reply token, some come from
   strangers (review queue), some are bounces and out-of-office replies. Imports it with
   ``foia.correspondence.receive.import_maildir`` in a fresh subprocess and reports messages per
   second and the subprocess's peak memory (``ru_maxrss``).
2. Times the reader alone (``read.read`` on a parsed message) on 20 KB messages: each corpus reply
   (tests/mail_corpus) with a quoted thread and an HTML alternative beneath it. Target: p95 < 20 ms.

Prints the figures and records them in bench/results.json under "mail".

    .venv/bin/python bench/mail.py [--messages 10000]
"""
import argparse
import json
import mailbox
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import record  # noqa: E402
from tests.mail_fixtures import tiny_pdf  # noqa: E402

CORPUS = ROOT / "tests" / "mail_corpus"
BODIES = [
    "We received your public records request and will respond within 10 business days.",
    "The department is extending the time to respond by ten (10) business days.",
    "The estimated cost is $45.00. A deposit is required before we begin.",
    "Attached please find the records responsive to your request.",
    "After a diligent search, we did not locate any records responsive to your request.",
    "Your request is denied; the records are exempt from disclosure.",
    "Could you please narrow the request to a specific date range?",
]
QUOTE = "".join(f"> Line {n} of the request we sent: all records of the Ring partnership and video requests.\n"
                for n in range(12))


def _message(n: int, tokens: list[str], rng: random.Random) -> bytes:
    m = EmailMessage()
    roll = rng.random()
    m["Date"] = "Tue, 15 Sep 2026 10:12:00 -0400"
    m["Message-ID"] = f"<bench-{n}@pd.example>"
    if roll < 0.05:
        m["From"] = "Mail Delivery System <MAILER-DAEMON@mx.group.example>"
        m["To"] = f"records+{rng.choice(tokens)}@group.example"
        m["Subject"] = "Undelivered Mail Returned to Sender"
        m.set_content(f"<records{n % 50}@agency{n % 50}.example>: 550 5.1.1 User unknown\n")
        return bytes(m)
    if roll < 0.10:
        m["From"] = f"clerk{n % 50}@agency{n % 50}.example"
        m["To"] = f"records+{rng.choice(tokens)}@group.example"
        m["Subject"] = "Automatic reply: Public records request"
        m["Auto-Submitted"] = "auto-replied"
        m.set_content("I am out of the office until Monday with limited access to email.")
        return bytes(m)
    if roll < 0.30:
        m["From"] = f"person{n}@example.net"
        m["To"] = "records@group.example"
        m["Subject"] = f"Question {n}"
    else:
        m["From"] = f"Records <records{n % 50}@agency{n % 50}.example>"
        m["To"] = f"records+{rng.choice(tokens)}@group.example"
        m["Subject"] = "RE: Public records request"
    m.set_content(f"Dear requester,\n\n{rng.choice(BODIES)}\n\nSincerely,\nRecords Unit\n\n"
                  f"On Mon, Sep 14, 2026 at 9:00 AM Alice <alice@group.example> wrote:\n{QUOTE}")
    if n % 2 == 0:
        m.add_attachment(tiny_pdf(f"Bench document {n}", "Ring Neighbors Portal video request log"),
                         maintype="application", subtype="pdf", filename=f"records-{n}.pdf")
    return bytes(m)


def prepare(folder: Path, messages: int) -> tuple[Path, int]:
    """A migrated instance with 200 requests, and the Maildir to import."""
    from foia import agencies, create_app, requests
    from foia import db as db_module
    from foia.correspondence import store, tokens

    app = create_app({"INSTANCE_PATH": str(folder / "instance"), "TESTING": True})
    db = db_module.connect(app.config["DATABASE"])
    store.ensure_schema(db)
    reply_tokens = []
    for a in range(50):
        agency_id, _ = agencies.upsert(db, {"name": f"Agency {a} Police Department", "state": "CA",
                                            "records_email": f"records{a}@agency{a}.example"})
        for r in range(4):
            request_id = requests.create_request(db, agency_id=agency_id, title=f"Ring records {a}-{r}",
                                                 filed_on="2026-09-01", config=app.config)
            reply_tokens.append(tokens.token_for(db, request_id))
    db.conn.close()
    box = mailbox.Maildir(str(folder / "Maildir"), create=True)
    rng = random.Random(7)
    with_pdf = 0
    for n in range(messages):
        box.add(_message(n, reply_tokens, rng))
        with_pdf += n % 2 == 0
    return folder / "instance", with_pdf


def ingest_child(instance: str, maildir: str) -> None:
    """Run in a subprocess: import the Maildir, print the figures as JSON."""
    from foia.correspondence import receive
    from foia.instance import Instance

    inst = Instance(instance)
    db = inst.prepare()
    start = time.perf_counter()
    report = receive.import_maildir(db, inst.store, maildir, config=inst.config)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "report": report.as_dict(),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def classify_figures(rounds: int = 20) -> dict:
    from foia.correspondence import parse, read

    messages = []
    for path in sorted(CORPUS.glob("*.eml")):
        parsed = parse.parse(path.read_bytes())
        thread = "\n\nOn Mon, Sep 14, 2026 at 9:00 AM Alice Rivera <alice@group.example> wrote:\n"
        quoted = "".join(f"> {line}\n" for line in (QUOTE * 40).splitlines())
        parsed.text = parsed.text + thread + quoted
        while len(parsed.text.encode()) < 20_000:
            parsed.text += quoted
        parsed.text = parsed.text[:20_000]
        messages.append(parsed)
    for parsed in messages:  # warm up (dateparser loads its language data on first use)
        read.read(parsed)
    times = []
    for _ in range(rounds):
        for parsed in messages:
            start = time.perf_counter()
            read.read(parsed)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"messages": len(messages), "runs": len(times), "size_bytes": 20_000,
            "p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95)], 2),
            "max_ms": round(times[-1], 2), "target_p95_ms": 20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        ingest_child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="foia-bench-mail-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        instance, with_pdf = prepare(folder, args.messages)
        print(f"prepared {args.messages} messages ({with_pdf} with a PDF) in {time.perf_counter() - start:.1f} s")
        env = dict(os.environ, FOIA_INSTANCE=str(instance))
        out = subprocess.run([sys.executable, __file__, "--child", str(instance), str(folder / "Maildir")],
                             capture_output=True, text=True, env=env, check=True)
        child = json.loads(out.stdout.strip().splitlines()[-1])
    ingest = {
        "messages": args.messages, "with_pdf": with_pdf, "seconds": round(child["seconds"], 1),
        "messages_per_second": round(args.messages / child["seconds"], 1),
        "peak_rss_mb": round(child["peak_rss_mb"], 1), "outcome": child["report"],
    }
    classify = classify_figures()
    figures = {"ingest": ingest, "classify_20kb": classify}
    print(json.dumps(figures, indent=2))
    record("mail", figures)


if __name__ == "__main__":
    main()
