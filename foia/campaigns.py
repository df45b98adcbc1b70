"""Campaigns: one letter template sent to many agencies, each letter citing its own state's law.

:func:`create` records the campaign with the agencies it selects (by state, kind, Ring partnership,
or a pasted list of names and ids), resolved once so a re-run works on the same set. :func:`start`
queues the job ``campaign.letters`` (one live run per campaign); the job runner calls :func:`run`,
which creates one request per agency and renders each request's PDF and DOCX letters in a pool of
worker processes, one per core: the parent builds each letter's text, the workers lay it out, and
the parent writes the files and rows. The run's state and progress are the job's; the campaign row
keeps what the run found (agencies done, per-agency errors). A run that is interrupted, or whose
runner is killed, is resumed by the next runner and only does what is left.
"""
import concurrent.futures
import datetime as dt
import io
import json
import multiprocessing
import os
import re
import select
import threading
import time
import zipfile
from pathlib import Path

from . import audit, clock, jobs, letters, requests
from .db import loads, transaction
from .errors import Invalid, NotFound

FORMATS = ("pdf", "docx")
JOB_KIND = "campaign.letters"
# A campaign's status: "pending" before its first run, then the state of its newest run's job.
STATUSES = ("pending", "queued", "running", "done", "failed", "cancelled")
MAX_ERRORS_KEPT = 200


# --- Selection -------------------------------------------------------------------------------


def _pasted_lines(text) -> list[str]:
    if isinstance(text, (list, tuple)):
        return [str(t).strip() for t in text if str(t).strip()]
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def resolve_pasted(db, text) -> list[int]:
    """Agency ids for pasted lines: an id, a name, or "name, ST" / "name (ST)" where names repeat.

    Every line must match exactly one agency; otherwise the error lists the lines that do not.
    """
    ids, problems = [], []
    for line in _pasted_lines(text):
        if line.isdigit():
            rows = list(db.query("SELECT id FROM agencies WHERE id = ?", [int(line)]))
        else:
            match = re.match(r"^(.*?)\s*(?:,\s*|\(\s*)([A-Za-z]{2})\s*\)?$", line)
            rows = []
            if match:
                rows = list(db.query(
                    "SELECT id FROM agencies WHERE name = ? COLLATE NOCASE AND state = ?",
                    [match.group(1), match.group(2).upper()],
                ))
            if not rows:
                rows = list(db.query("SELECT id FROM agencies WHERE name = ? COLLATE NOCASE", [line]))
        if len(rows) == 1:
            ids.append(rows[0]["id"])
        elif rows:
            problems.append(f"{line!r} matches {len(rows)} agencies (add the state: \"{line}, XX\")")
        else:
            problems.append(f"{line!r} matches no agency")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise Invalid("pasted", f"Pasted list: {shown}.")
    return list(dict.fromkeys(ids))


def select_agencies(db, *, states=(), kind="", ring_partners=False, pasted="") -> list[int]:
    """Agency ids matching every given filter (states, kind, Ring partner) plus any pasted ones.

    With only a pasted list, exactly those agencies; with filters and a pasted list, both.
    """
    states = [s.strip().upper() for s in states if s and s.strip()]
    chosen: list[int] = []
    if states or kind or ring_partners:
        where, params = [], []
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            params += states
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if ring_partners:
            where.append("ring_partner_since IS NOT NULL")
        chosen = [r["id"] for r in db.query(
            f"SELECT id FROM agencies WHERE {' AND '.join(where)} ORDER BY state, name, id", params
        )]
    if _pasted_lines(pasted):
        chosen += resolve_pasted(db, pasted)
    return list(dict.fromkeys(chosen))


# --- Campaign rows ---------------------------------------------------------------------------


def create(db, *, name, template, options=None, states=(), kind="", ring_partners=False, pasted="",
           actor=None, folder: Path | None = None, submission_key: str | None = None) -> int:
    """Record a campaign and the agencies it selects; nothing is generated until :func:`start`.

    The same ``submission_key`` (a form's one-time key) returns the campaign it already created.
    """
    if submission_key:
        existing = db.execute("SELECT id FROM campaigns WHERE submission_key = ?", [submission_key]).fetchone()
        if existing:
            return existing[0]
    name = (name or "").strip()
    if not name:
        raise Invalid("name", "A campaign needs a name.")
    if len(name) > 300:
        raise Invalid("name", "The campaign name is longer than 300 characters.")
    available = [t["name"] for t in letters.list_templates(folder)]
    if template not in available:
        raise Invalid("template", f"There is no letter template {template!r} (available: {', '.join(available) or 'none'}).")
    try:
        options = letters.normalize_options(options)
    except Invalid:
        raise
    except ValueError as e:  # the letters' error for a bad option
        raise Invalid("options", str(e)) from None
    if options["categories"] == []:
        raise Invalid("categories", "Choose at least one record category.")
    states = [s.strip().upper() for s in states if s and s.strip()]
    unknown_states = [s for s in states if not list(db.query("SELECT 1 FROM laws WHERE jurisdiction = ?", [s]))]
    if unknown_states:
        raise Invalid("states", f"Unknown state(s): {', '.join(unknown_states)}.")
    agency_ids = select_agencies(db, states=states, kind=kind, ring_partners=ring_partners, pasted=pasted)
    if not agency_ids:
        raise Invalid("states", "No agencies match this selection.")
    selection = {
        "states": states, "kind": kind or "", "ring_partners": bool(ring_partners),
        "pasted": _pasted_lines(pasted), "agency_ids": agency_ids,
    }
    with transaction(db):
        campaign_id = db["campaigns"].insert({
            "name": name, "template": template, "options": json.dumps(options, sort_keys=True),
            "selection": json.dumps(selection), "status": "pending", "total": len(agency_ids), "done": 0,
            "errors": "[]", "created_at": clock.stamp(), "created_by": actor, "submission_key": submission_key,
        }).last_pk
        _audit(db, "campaign.create", actor, campaign_id, {"agencies": len(agency_ids), "template": template})
    return campaign_id


def _audit(db, action, actor, campaign_id, detail):
    audit.record(db, action, user_id=actor, object_type="campaign", object_id=campaign_id, detail=detail)


def get(db, campaign_id) -> dict:
    rows = list(db.query("SELECT * FROM campaigns WHERE id = ?", [campaign_id]))
    if not rows:
        raise NotFound(f"No campaign with id {campaign_id}.")
    row = rows[0]
    row["options"] = loads(row["options"], {})
    row["selection"] = loads(row["selection"], {})
    row["errors"] = loads(row["errors"], [])
    job = current_job(db, campaign_id)
    row["status"] = job["state"] if job else "pending"
    row["job"] = job
    row["finished_at"] = job["finished_at"] if job else None
    return row


def all_campaigns(db) -> list[dict]:
    """Every campaign, newest first, with the status of its newest run."""
    rows = list(db.query(
        """SELECT c.*, j.state AS job_state, j.finished_at AS job_finished_at FROM campaigns c
           LEFT JOIN jobs j ON j.id = (SELECT max(id) FROM jobs WHERE key = 'campaign:' || c.id)
           ORDER BY c.id DESC"""))
    for row in rows:
        row["errors"] = loads(row["errors"], [])
        row["status"] = row.pop("job_state") or "pending"
        row["finished_at"] = row.pop("job_finished_at")
    return rows


def letter_counts(db, campaign_id, template: str) -> dict[str, int]:
    """How many of the campaign's requests have a letter in each format."""
    found = {r["format"]: r["n"] for r in db.query(
        """SELECT l.format, count(DISTINCT l.request_id) AS n FROM letters l JOIN requests r ON r.id = l.request_id
           WHERE r.campaign_id = ? AND l.template = ? GROUP BY l.format""", [campaign_id, template])}
    return {fmt: found.get(fmt, 0) for fmt in FORMATS}


def progress(db, campaign_id) -> dict:
    """What a progress display needs (JSON-ready): the run's status and counts, the per-agency
    errors, the letters made so far, and the job's attempt and error if it failed."""
    row = get(db, campaign_id)
    job = row["job"]
    return {
        "id": row["id"], "status": row["status"], "done": row["done"], "total": row["total"], "errors": row["errors"], "finished_at": row["finished_at"],
        "letters": letter_counts(db, campaign_id, row["template"]),
        "job": None if job is None else {
            "id": job["id"], "state": job["state"], "attempts": job["attempts"],
            "max_attempts": job["max_attempts"], "message": job["progress_message"],
            "error": (job["error"] or "").split("\n", 1)[0] or None, "run_after": job["run_after"],
        },
    }


# --- Running ---------------------------------------------------------------------------------

def job_key(campaign_id: int) -> str:
    """The jobs-table key of a campaign's letter run: one live run per campaign."""
    return f"campaign:{campaign_id}"


def current_job(db, campaign_id) -> dict | None:
    """The campaign's newest letter-run job (live or finished), or None if it never ran."""
    return jobs.latest(db, job_key(campaign_id))


def start(db, campaign_id, *, actor=None, today: dt.date | None = None, workers: int | None = None) -> int:
    """Queue the campaign's letter run for the job runner; returns the job id.

    If a run is already queued or running, that one is returned. The letter date is fixed here, so
    a run resumed on another day still dates every letter of the campaign alike.
    """
    get(db, campaign_id)
    live = current_job(db, campaign_id)
    if live and live["state"] in jobs.LIVE:
        return live["id"]
    payload = {"campaign_id": int(campaign_id), "letter_date": (today or clock.today()).isoformat()}
    if workers is not None:
        payload["workers"] = int(workers)
    job_id = jobs.enqueue(db, JOB_KIND, payload, key=job_key(campaign_id), actor=actor)
    _audit(db, "campaign.run", actor, campaign_id, {"job": job_id})
    return job_id


def _render_job(letter, formats, folder):
    """In a worker process: lay out one letter in each missing format."""
    return letter.request_id, {fmt: letters.render_bytes(letter, fmt, folder) for fmt in formats}


def _warm(folder, runner_pid: int):
    """Worker start-up: parse the letter stylesheet and build the DOCX base once per process, and
    exit when the runner that started the pool is gone."""
    _exit_with(runner_pid)
    letters.warm(folder)


def _exit_with(runner_pid: int) -> None:
    """A worker whose runner is killed (``kill -9``) would otherwise wait for work for ever: a
    thread waits on the runner's process (a pidfd, else a poll each second) and ends the worker."""
    try:
        handle = os.pidfd_open(runner_pid)
    except (AttributeError, OSError):  # not Linux 5.3+, or the runner is already gone
        handle = None

    def watch():
        if handle is not None:
            select.select([handle], [], [])
        else:
            while True:
                try:
                    os.kill(runner_pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="runner-watch", daemon=True).start()


def _pool(workers: int, folder):
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["foia.letters", "weasyprint", "docx"])
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_warm, initargs=(folder, os.getpid())
    )


def existing_formats(db, request_id, template) -> set[str]:
    return {r["format"] for r in db.query(
        "SELECT DISTINCT format FROM letters WHERE request_id = ? AND template = ?", [request_id, template]
    )}


def run(db, campaign_id, *, files, folder: Path | None = None, workers: int | None = None,
        on_progress=None, today: dt.date | None = None, formats=FORMATS, hold=None) -> dict:
    """Create the campaign's requests and letters; returns its progress when finished.

    Every step is idempotent in the database, so a run interrupted at any point (even killed)
    and run again does only what is left: a request is created once per campaign and agency (a
    unique index), and a letter is stored only if its request has none of that template and
    format yet, checked in the same write transaction that stores it.

    ``on_progress(done, total, errors)`` is called as each agency completes; ``hold()``, if given,
    is called inside each write transaction before anything is stored (the job runner renews its
    lease there, so a runner that lost the job stores nothing). ``workers=0`` renders in this
    process (no pool). ``files`` is the file store the letters go to (or a folder to root one at).
    """
    store = letters.as_store(files)
    campaign = get(db, campaign_id)
    agency_ids = campaign["selection"].get("agency_ids", [])
    template = campaign["template"]
    options = campaign["options"]
    folder = Path(folder or letters.DEFAULT_TEMPLATES)
    today = today or clock.today()
    workers = (os.cpu_count() or 1) if workers is None else workers
    total = len(agency_ids)
    errors: list[dict] = []
    done = 0

    def save():
        with transaction(db):
            if hold:
                hold()
            db["campaigns"].update(campaign_id, {
                "done": done, "total": total, "errors": json.dumps(errors[:MAX_ERRORS_KEPT])})
        if on_progress:
            on_progress(done, total, errors)

    def fail(agency_id, message):
        row = next(iter(db.query("SELECT name, state FROM agencies WHERE id = ?", [agency_id])), None)
        errors.append({"agency_id": agency_id, "agency": f"{row['name']} ({row['state']})" if row else "",
                       "error": message})

    save()
    # Requests first (cheap and idempotent), noting which letters each still lacks.
    pending = []
    for agency_id in agency_ids:
        try:
            request_id = requests.create_request(
                db, agency_id=agency_id, title=campaign["name"], campaign_id=campaign_id,
                template=template, options=options, actor=campaign["created_by"],
            )
        except ValueError as e:
            fail(agency_id, str(e))
            continue
        missing = [fmt for fmt in formats if fmt not in existing_formats(db, request_id, template)]
        if missing:
            pending.append((agency_id, request_id, missing))
        else:
            done += 1
    save()

    def letter_for(agency_id, request_id):
        try:
            return letters.render(db, request_id, template, options, folder=folder, today=today)
        except ValueError as e:  # this agency's letter cannot be made (the letters' own error): note it
            fail(agency_id, str(e))
            save()
            return None

    def finish(agency_id, letter, rendered):
        nonlocal done
        with transaction(db):
            if hold:
                hold()
            have = existing_formats(db, letter.request_id, template)
            for fmt, data in rendered.items():
                if fmt not in have:
                    letters.store(db, letter, fmt, data, store, actor=campaign["created_by"])
            done += 1
        save()

    if workers == 0:
        for agency_id, request_id, missing in pending:
            letter = letter_for(agency_id, request_id)
            if letter is not None:
                finish(agency_id, letter, _render_job(letter, missing, folder)[1])
    elif pending:
        _render_in_pool(pending, workers, folder, letter_for, finish, fail, save)
    return progress(db, campaign_id)


def _render_in_pool(pending_letters, workers, folder, letter_for, finish, fail, save):
    """Keep the workers busy: build letter text in this process while they lay out the last ones."""
    pending = {}
    queue = iter(pending_letters)
    limit = workers * 3
    with _pool(workers, folder) as pool:
        while True:
            while len(pending) < limit:
                item = next(queue, None)
                if item is None:
                    break
                agency_id, request_id, missing = item
                letter = letter_for(agency_id, request_id)
                if letter is not None:
                    pending[pool.submit(_render_job, letter, missing, folder)] = (agency_id, letter)
            if not pending:
                break
            finished, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                agency_id, letter = pending.pop(future)
                try:
                    _, files = future.result()
                except Exception as e:  # a layout failure in a worker: note it, go on with the rest
                    fail(agency_id, f"{type(e).__name__}: {e}")
                    save()
                    continue
                finish(agency_id, letter, files)


@jobs.handler(JOB_KIND, label="Campaign letters")
def run_letters_job(instance, job) -> dict:
    """The job ``campaign.letters``: run (or resume) a campaign's letters, reporting progress."""
    payload = job.payload
    today = dt.date.fromisoformat(payload["letter_date"]) if payload.get("letter_date") else None
    result = run(
        job.db, payload["campaign_id"], files=instance.store, folder=instance.letter_templates, workers=payload.get("workers"),
        today=today, hold=job.renew,
        on_progress=lambda done, total, errors: job.progress(
            done, total, f"{done} of {total} agencies done" + (f", {len(errors)} error(s)" if errors else "")),
    )
    return {"done": result["done"], "total": result["total"], "errors": len(result["errors"])}


# --- Letters of a campaign -------------------------------------------------------------------


def campaign_letters(db, campaign_id, fmt: str | None = None) -> list[dict]:
    """The newest letter of each request and format in the campaign (its template only)."""
    campaign = get(db, campaign_id)
    params = [campaign_id, campaign["template"]]
    format_clause = ""
    if fmt:
        format_clause = "AND l.format = ?"
        params.append(fmt)
    return list(db.query(
        f"""SELECT l.*, a.name AS agency_name, a.state AS agency_state
            FROM letters l JOIN requests r ON r.id = l.request_id JOIN agencies a ON a.id = r.agency_id
            WHERE r.campaign_id = ? AND l.template = ? {format_clause}
              AND l.id = (SELECT max(id) FROM letters m
                          WHERE m.request_id = l.request_id AND m.format = l.format AND m.template = l.template)
            ORDER BY a.state, a.name, l.format""",
        params,
    ))


def write_zip(db, campaign_id, files, target, fmt: str | None = None) -> int:
    """Write the campaign's letters into a ZIP (a path or a binary file); returns the count.

    Entries are ``pdf/<name>.pdf`` and ``docx/<name>.docx``, dated by when each letter was made.
    """
    rows = campaign_letters(db, campaign_id, fmt)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            when = dt.datetime.fromisoformat(row["generated_at"])
            entry = zipfile.ZipInfo(f"{row['format']}/{letters.download_name(db, row)}",
                                    date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_STORED if row["format"] == "docx" else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            with letters.open_file(row, files) as data:
                archive.writestr(entry, data.read())
    return len(rows)


def zip_bytes(db, campaign_id, files, fmt: str | None = None) -> bytes:
    buffer = io.BytesIO()
    write_zip(db, campaign_id, files, buffer, fmt)
    return buffer.getvalue()
