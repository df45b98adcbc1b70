"""Campaigns: one letter template sent to many agencies, each letter citing its own state's law.

:func:`create` records the campaign with the agencies it selects (by state, kind, Ring partnership,
or a pasted list of names and ids), resolved once so a re-run works on the same set. :func:`run`
creates one request per agency (idempotent per campaign and agency) and renders each request's
PDF and DOCX letters in a pool of worker processes, one per core: the parent builds each letter's
text, the workers lay it out, and the parent writes the files and rows. Progress (done, total,
errors) is stored on the campaign row as it goes, so a web page can poll it. Interrupted and run
again, it skips the letters that already exist.
"""
import concurrent.futures
import datetime as dt
import io
import json
import multiprocessing
import os
import re
import threading
import traceback
import zipfile
from pathlib import Path

from . import audit, clock, letters, requests
from .db import connect, loads, transaction

FORMATS = ("pdf", "docx")
STATUSES = ("pending", "running", "done", "interrupted", "failed")
MAX_ERRORS_KEPT = 200


class CampaignError(ValueError):
    """Bad campaign input: no name, unknown template, no agencies selected, unknown agencies."""


class NotFound(LookupError):
    pass


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
        raise CampaignError(f"pasted list: {shown}")
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
    """Record a campaign and the agencies it selects; nothing is generated until :func:`run`.

    The same ``submission_key`` (a form's one-time key) returns the campaign it already created.
    """
    if submission_key:
        existing = db.execute("SELECT id FROM campaigns WHERE submission_key = ?", [submission_key]).fetchone()
        if existing:
            return existing[0]
    name = (name or "").strip()
    if not name:
        raise CampaignError("a campaign needs a name")
    if len(name) > 300:
        raise CampaignError("the campaign name is longer than 300 characters")
    available = [t["name"] for t in letters.list_templates(folder)]
    if template not in available:
        raise CampaignError(f"unknown letter template {template!r} (available: {', '.join(available) or 'none'})")
    try:
        options = letters.normalize_options(options)
    except letters.LetterError as e:
        raise CampaignError(str(e)) from None
    if options["categories"] == []:
        raise CampaignError("choose at least one record category")
    states = [s.strip().upper() for s in states if s and s.strip()]
    unknown_states = [s for s in states if not list(db.query("SELECT 1 FROM laws WHERE jurisdiction = ?", [s]))]
    if unknown_states:
        raise CampaignError(f"unknown state(s): {', '.join(unknown_states)}")
    agency_ids = select_agencies(db, states=states, kind=kind, ring_partners=ring_partners, pasted=pasted)
    if not agency_ids:
        raise CampaignError("no agencies match this selection")
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
    return row


def all_campaigns(db) -> list[dict]:
    rows = list(db.query("SELECT * FROM campaigns ORDER BY id DESC"))
    for row in rows:
        row["errors"] = loads(row["errors"], [])
    return rows


def progress(db, campaign_id) -> dict:
    """What a progress bar needs: status, done, total, errors (JSON-ready)."""
    row = get(db, campaign_id)
    return {
        "id": row["id"], "status": row["status"], "done": row["done"], "total": row["total"],
        "errors": row["errors"], "finished_at": row["finished_at"],
    }


# --- Running ---------------------------------------------------------------------------------

_running: set[int] = set()
_running_lock = threading.Lock()


def is_running_here(campaign_id: int) -> bool:
    """Whether this process is running the campaign now (a background thread)."""
    with _running_lock:
        return campaign_id in _running


def _render_job(letter, formats, folder):
    """In a worker process: lay out one letter in each missing format."""
    return letter.request_id, {fmt: letters.render_bytes(letter, fmt, folder) for fmt in formats}


def _warm(folder):
    """Worker start-up: parse the letter stylesheet and build the DOCX base once per process."""
    letters.pdf_tools(folder)
    letters._docx_base_document()


def _pool(workers: int, folder):
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["foia.letters", "weasyprint", "docx"])
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_warm, initargs=(folder,)
    )


def existing_formats(db, request_id, template) -> set[str]:
    return {r["format"] for r in db.query(
        "SELECT DISTINCT format FROM letters WHERE request_id = ? AND template = ?", [request_id, template]
    )}


def run(db, campaign_id, *, letters_dir, folder: Path | None = None, workers: int | None = None,
        on_progress=None, today: dt.date | None = None, formats=FORMATS) -> dict:
    """Create the campaign's requests and letters; returns its progress when finished.

    ``on_progress(done, total, errors)`` is called as each agency completes. Letters already made
    for a request (same template and format) are skipped, so a re-run after an interruption only
    does what is left. ``workers=0`` renders in this process (no pool).
    """
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

    def save(status=None):
        values = {"done": done, "total": total, "errors": json.dumps(errors[:MAX_ERRORS_KEPT])}
        if status:
            values["status"] = status
            values["finished_at"] = clock.stamp() if status in ("done", "failed") else None
        with transaction(db):
            db["campaigns"].update(campaign_id, values)
        if on_progress:
            on_progress(done, total, errors)

    def fail(agency_id, message):
        row = next(iter(db.query("SELECT name, state FROM agencies WHERE id = ?", [agency_id])), None)
        errors.append({"agency_id": agency_id, "agency": f"{row['name']} ({row['state']})" if row else "",
                       "error": message})

    save("running")
    status = "failed"
    try:
        # Requests first (cheap and idempotent), noting which letters each still lacks.
        jobs = []
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
                jobs.append((agency_id, request_id, missing))
            else:
                done += 1
        save()

        def letter_for(agency_id, request_id):
            try:
                return letters.render(db, request_id, template, options, folder=folder, today=today)
            except letters.LetterError as e:
                fail(agency_id, str(e))
                save()
                return None

        def finish(agency_id, letter, files):
            nonlocal done
            with transaction(db):
                for fmt, data in files.items():
                    letters.store(db, letter, fmt, data, letters_dir, actor=campaign["created_by"])
                done += 1
            save()

        if workers == 0:
            for agency_id, request_id, missing in jobs:
                letter = letter_for(agency_id, request_id)
                if letter is not None:
                    finish(agency_id, letter, _render_job(letter, missing, folder)[1])
        elif jobs:
            _render_in_pool(jobs, workers, folder, letter_for, finish, fail, save)
        status = "done"
    except (KeyboardInterrupt, SystemExit):
        status = "interrupted"
        raise
    finally:
        save(status)
    return progress(db, campaign_id)


def _render_in_pool(jobs, workers, folder, letter_for, finish, fail, save):
    """Keep the workers busy: build letter text in this process while they lay out the last ones."""
    pending = {}
    queue = iter(jobs)
    limit = workers * 3
    with _pool(workers, folder) as pool:
        while True:
            while len(pending) < limit:
                job = next(queue, None)
                if job is None:
                    break
                agency_id, request_id, missing = job
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


def run_in_background(config: dict, campaign_id: int, *, folder: Path | None = None) -> threading.Thread | None:
    """Run a campaign in a thread of this process (the web UI polls :func:`progress`).

    Returns None if this process is already running it.
    """
    with _running_lock:
        if campaign_id in _running:
            return None
        _running.add(campaign_id)

    def target():
        database = connect(config["DATABASE"])
        try:
            run(database, campaign_id, letters_dir=config["LETTERS_DIR"],
                folder=folder or letters.templates_dir(config))
        except Exception:
            traceback.print_exc()
        finally:
            database.conn.close()
            with _running_lock:
                _running.discard(campaign_id)

    thread = threading.Thread(target=target, name=f"campaign-{campaign_id}", daemon=True)
    thread.start()
    return thread


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


def write_zip(db, campaign_id, letters_dir, target, fmt: str | None = None) -> int:
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
            archive.writestr(entry, letters.file_path(row, letters_dir).read_bytes())
    return len(rows)


def zip_bytes(db, campaign_id, letters_dir, fmt: str | None = None) -> bytes:
    buffer = io.BytesIO()
    write_zip(db, campaign_id, letters_dir, buffer, fmt)
    return buffer.getvalue()
