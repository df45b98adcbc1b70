"""Campaigns: one letter template sent to many agencies, each letter citing its own state's law.

:func:`preview` checks a selection (by state, kind, Ring partnership, or a pasted list of names and
ids) and says what creating it would do: how many requests, how many can go by e-mail, the states
covered, agencies already asked (left out with ``skip_open``) and residency warnings for the
requester. :func:`create` records the campaign with the agencies the preview resolved, once, so a
re-run works on the same set. :func:`start` queues the job ``campaign.letters`` (one live run per
campaign); the job runner calls :func:`run`, which creates one request per agency and renders each
request's PDF and DOCX letters in a pool of worker processes, one per core: the parent builds each
letter's text, the workers lay it out, and the parent writes the files and rows. The run's state
and progress are the job's; the campaign row keeps what the run found (agencies done, per-agency
errors). A run that is interrupted, or whose runner is killed, is resumed by the next runner and
only does what is left; :func:`cancel` stops it.

The campaign's requests: :func:`campaign_requests` (filtered, one page), bulk :func:`mark_filed`
(a job, ``campaign.mark_filed``, beyond :data:`BULK_NOW` requests), :func:`csv_rows`, and the
opt-in public page (:func:`set_public`, :func:`public_view`). Sending by e-mail is in
:mod:`foia.campaign_send`.
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

from . import audit, clock, formats, jobs, laws, letters, lifecycle, requests
from . import errors as errors_module
from .db import loads, transaction
from .errors import Conflict, Invalid, NotFound
from .laws import NAMES

FORMATS = ("pdf", "docx")
JOB_KIND = "campaign.letters"
# A campaign's status: "pending" before its first run, then the state of its newest run's job.
STATUSES = ("pending", "queued", "running", "done", "failed", "cancelled")
STATUS_WORDS = {"pending": "Not started", "queued": "Waiting to start", "running": "Making letters",
                "done": "Done", "failed": "Failed", "cancelled": "Cancelled"}
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


KIND_WORDS = {
    "police": ("police department", "police departments"),
    "sheriff": ("sheriff's office", "sheriff's offices"),
    "state_police": ("state police agency", "state police agencies"),
    "campus_police": ("campus police department", "campus police departments"),
    "transit_police": ("transit police department", "transit police departments"),
    "city": ("city", "cities"),
    "county": ("county", "counties"),
    "other": ("other agency", "other agencies"),
}
PREVIEW_NAMES = 10  # agencies named in each list of the preview (the rest are counted)


def _and(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def template_title(name: str, folder: Path | None = None) -> str:
    """A letter template's title for people ("Ring partnership"), not its file name."""
    for t in letters.list_templates(folder):
        if t["name"] == name:
            if t.get("title"):
                return t["title"]
            break
    words = (name or "").replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def describe_selection(selection: dict) -> str:
    """What a campaign chose, in words: "Police departments in Illinois and Pennsylvania with a known
    Ring partnership, and 4 agencies named in a list"."""
    states = [NAMES.get(s, s) for s in selection.get("states") or []]
    kind = selection.get("kind") or ""
    pasted = len(selection.get("pasted") or [])
    main = ""
    if states or kind or selection.get("ring_partners"):
        words = KIND_WORDS.get(kind, ("agency", "agencies"))[1] if kind else "agencies"
        main = words[:1].upper() + words[1:]
        if states:
            main += " in " + _and(states)
        if selection.get("ring_partners"):
            main += " with a known Ring partnership"
    listed = formats.plural(pasted, "agency", "agencies") + " named in a list" if pasted else ""
    text = f"{main}, and {listed}" if main and listed else (main or listed[:1].upper() + listed[1:])
    if not text:
        return "No agencies"
    if selection.get("skip_open"):
        text += ", leaving out agencies that already had an open request"
    return text


def _residency_warnings(db, states_covered: dict, residence: str) -> list[dict]:
    """The covered states whose law lets only residents request, when the requester (the letters'
    requester settings) does not live there, or has not said where they live."""
    found = []
    for state, count in states_covered.items():
        law = laws.get(db, state)
        if law is None or not law.residency.required:
            continue
        rule = law.residency
        name = NAMES.get(state, state)
        if rule.scope == "US":
            resident = bool(residence) and residence in NAMES and residence != "US"
            who = "United States residents"
        else:
            resident = residence == state
            who = f"residents of {name}"
        if resident:
            continue
        if residence:
            lives = f"the requester lives in {NAMES.get(residence, residence)}"
        else:
            lives = "the requester settings do not say where the requester lives"
        message = (f"{name}: only {who} may request under its law, and {lives}. "
                   f"{formats.plural(count, 'request', 'requests')} may be refused; ask someone who lives in {name} to "
                   f"file {'it' if count == 1 else 'them'}.")
        if not rule.verified:
            message += " (This rule is not verified: the sources disagree.)"
        found.append({"state": state, "state_name": name, "agencies": count, "scope": rule.scope,
                      "verified": rule.verified, "message": message})
    return found


def _open_elsewhere(db, agency_ids: list[int], campaign_id=None) -> list[dict]:
    """The agencies among ``agency_ids`` that already have an open or draft request (outside the
    campaign ``campaign_id``), with the newest such request."""
    statuses = sorted(lifecycle.OPEN_STATUSES | {"draft"})
    found = []
    for start in range(0, len(agency_ids), 500):
        chunk = agency_ids[start:start + 500]
        found += list(db.query(
            f"""SELECT a.id AS agency_id, a.name AS agency_name, a.state AS agency_state, max(r.id) AS request_id
                FROM requests r JOIN agencies a ON a.id = r.agency_id
                WHERE r.agency_id IN ({", ".join("?" * len(chunk))})
                  AND r.status IN ({", ".join("?" * len(statuses))})
                  AND (r.campaign_id IS NULL OR r.campaign_id != ?)
                GROUP BY a.id ORDER BY a.state, a.name""",
            [*chunk, *statuses, -1 if campaign_id is None else campaign_id]))
    return found


def preview(db, *, name, template, options=None, states=(), kind="", ring_partners=False, pasted="",
            skip_open=False, folder: Path | None = None) -> dict:
    """What creating this campaign would do, checked as :func:`create` checks it (every problem at
    once, :class:`foia.errors.Invalid`): how many requests, how many can go by e-mail, the states
    covered, the agencies left out because they already have an open request (with ``skip_open``)
    or that will get a second one (without), and the residency warnings for the requester."""
    problems: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = "A campaign needs a name: each request is titled with it."
    elif len(name) > 300:
        problems["name"] = "The campaign name is longer than 300 characters."
    available = [t["name"] for t in letters.list_templates(folder)]
    if template not in available:
        problems["template"] = (f"There is no letter template {template!r} "
                                f"(available: {', '.join(available) or 'none'}).")
    try:
        options = letters.normalize_options(options)
    except Invalid as e:
        problems.update(e.errors)
        options = None
    except ValueError as e:  # the letters' error for a bad option
        problems["options"] = str(e)
        options = None
    if options is not None and options["categories"] == []:
        problems["categories"] = "Choose at least one record category."
    states = list(dict.fromkeys(s.strip().upper() for s in states if s and s.strip()))
    unknown = [s for s in states if not list(db.query("SELECT 1 FROM laws WHERE jurisdiction = ?", [s]))]
    agency_ids: list[int] = []
    if unknown:
        problems["states"] = f"Unknown {'state' if len(unknown) == 1 else 'states'}: {', '.join(unknown)}."
    else:
        try:
            agency_ids = select_agencies(db, states=states, kind=kind, ring_partners=ring_partners, pasted=pasted)
        except Invalid as e:
            problems.update(e.errors)
        else:
            if not agency_ids:
                problems["states"] = "No agencies match this selection."
    errors_module.check(problems)
    already = _open_elsewhere(db, agency_ids)
    left_out = already if skip_open else []
    if left_out:
        dropped = {r["agency_id"] for r in left_out}
        agency_ids = [i for i in agency_ids if i not in dropped]
        if not agency_ids:
            raise Invalid("states", "Every agency of this selection already has an open request.")
    rows = []
    for start in range(0, len(agency_ids), 500):
        chunk = agency_ids[start:start + 500]
        rows += list(db.query(
            f"SELECT id, state, records_email, portal_url FROM agencies WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk))
    with_email = sum(1 for r in rows if "@" in (r["records_email"] or ""))
    portal = sum(1 for r in rows if "@" not in (r["records_email"] or "") and (r["portal_url"] or "").strip())
    covered: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: r["state"]):
        covered[r["state"]] = covered.get(r["state"], 0) + 1
    residence = letters.requester(db)["residence"]
    selection = {
        "states": states, "kind": kind or "", "ring_partners": bool(ring_partners),
        "pasted": _pasted_lines(pasted), "skip_open": bool(skip_open), "agency_ids": agency_ids,
        "left_out": [r["agency_id"] for r in left_out],
    }
    total = len(agency_ids)
    summary = f"This will create {formats.plural(total, 'request', 'requests')}"
    other = total - with_email
    if with_email and other:
        summary += f": {with_email:,} with e-mail, {other:,} portal or mail only."
    elif with_email:
        summary += ", all with e-mail."
    else:
        summary += ", none with e-mail: all go by portal or mail."
    return {
        "name": name, "template": template, "template_title": template_title(template, folder),
        "options": options, "selection": selection, "agency_ids": agency_ids, "total": total,
        "with_email": with_email, "portal": portal, "mail_only": total - with_email - portal, "summary": summary,
        "states": [{"state": s, "state_name": NAMES.get(s, s), "agencies": n} for s, n in covered.items()],
        "left_out": left_out[:PREVIEW_NAMES], "left_out_count": len(left_out),
        "second_request": [] if skip_open else already[:PREVIEW_NAMES],
        "second_request_count": 0 if skip_open else len(already),
        "residency": _residency_warnings(db, covered, residence), "requester_residence": residence,
        "described": describe_selection(selection),
    }


def find_by_key(db, submission_key: str | None) -> int | None:
    """The campaign a form's one-time key already created, if any."""
    if not submission_key:
        return None
    row = db.execute("SELECT id FROM campaigns WHERE submission_key = ?", [submission_key]).fetchone()
    return row[0] if row else None


def create(db, *, name, template, options=None, states=(), kind="", ring_partners=False, pasted="",
           skip_open=False, actor=None, folder: Path | None = None, submission_key: str | None = None) -> int:
    """Record a campaign and the agencies it selects (checked and counted by :func:`preview`);
    nothing is generated until :func:`start`.

    The same ``submission_key`` (a form's one-time key) returns the campaign it already created.
    """
    existing = find_by_key(db, submission_key)
    if existing:
        return existing
    plan = preview(db, name=name, template=template, options=options, states=states, kind=kind,
                   ring_partners=ring_partners, pasted=pasted, skip_open=skip_open, folder=folder)
    agency_ids = plan["agency_ids"]
    with transaction(db):
        existing = find_by_key(db, submission_key)
        if existing:
            return existing
        campaign_id = db["campaigns"].insert({
            "name": plan["name"], "template": template, "options": json.dumps(plan["options"], sort_keys=True),
            "selection": json.dumps(plan["selection"]), "status": "pending", "total": len(agency_ids), "done": 0,
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
    row["status_label"] = STATUS_WORDS.get(row["status"], row["status"])
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
        row["status_label"] = STATUS_WORDS.get(row["status"], row["status"])
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
        "id": row["id"], "status": row["status"], "status_label": STATUS_WORDS.get(row["status"], row["status"]),
        "done": row["done"], "total": row["total"], "errors": row["errors"], "finished_at": row["finished_at"],
        "finished_at_text": formats.moment(row["finished_at"]) if row["finished_at"] else "",
        "letters": letter_counts(db, campaign_id, row["template"]),
        "job": None if job is None else {
            "id": job["id"], "state": job["state"], "attempts": job["attempts"],
            "max_attempts": job["max_attempts"], "message": job["progress_message"],
            "error": (job["error"] or "").split("\n", 1)[0] or None, "run_after": job["run_after"],
            "run_after_text": formats.moment(job["run_after"]) if job["run_after"] else "",
        },
    }


# --- The campaign's requests -----------------------------------------------------------------

PER_PAGE = 100
BULK_NOW = 50  # a bulk action on more requests than this runs as a job
BULK_MAX = 100_000
FILED_JOB = "campaign.mark_filed"
CSV_COLUMNS = ("request", "agency", "state", "status", "filed on", "due on", "e-mail", "tracking number")


def _filters(campaign_id, status="", state="", overdue=False, today: dt.date | None = None):
    where, params = ["r.campaign_id = ?"], [campaign_id]
    if status == "open":
        where.append(f"r.status IN ({', '.join('?' * len(lifecycle.OPEN_STATUSES))})")
        params += sorted(lifecycle.OPEN_STATUSES)
    elif status:
        if status not in lifecycle.STATUSES:
            raise Invalid("status", "Choose a status from the list.")
        where.append("r.status = ?")
        params.append(status)
    if state:
        where.append("a.state = ?")
        params.append(state.strip().upper())
    if overdue:
        where.append(f"r.due_on < ? AND r.status IN ({', '.join('?' * len(lifecycle.OPEN_STATUSES))})")
        params += [(today or clock.today()).isoformat(), *sorted(lifecycle.OPEN_STATUSES)]
    return " AND ".join(where), params


_ROW_SQL = """SELECT r.id, r.status, r.due_on, r.method, r.tracking_number, a.id AS agency_id,
       a.name AS agency_name, a.state AS agency_state, a.records_email AS agency_email,
       (SELECT min(e.occurred_on) FROM events e WHERE e.request_id = r.id AND e.kind = 'filed') AS filed_on
FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE {where} ORDER BY a.state, a.name, r.id"""


def campaign_requests(db, campaign_id, *, status="", state="", overdue=False, page=1, per_page=PER_PAGE,
                      today: dt.date | None = None) -> dict:
    """One page of the campaign's requests (agency, status, filed and due dates), filtered by
    status ("open" for any open one), state and overdue; with the total and the number of pages."""
    get(db, campaign_id)
    today = today or clock.today()
    where, params = _filters(campaign_id, status, state, overdue, today)
    total = db.execute(f"SELECT count(*) FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE {where}",
                       params).fetchone()[0]
    pages = max(1, -(-total // per_page))
    page = max(1, min(int(page), pages))
    rows = list(db.query(_ROW_SQL.format(where=where) + " LIMIT ? OFFSET ?", [*params, per_page, (page - 1) * per_page]))
    for row in rows:
        row["status_label"] = lifecycle.STATUSES.get(row["status"], row["status"])
        row["overdue"] = bool(row["due_on"] and row["due_on"] < today.isoformat()
                              and row["status"] in lifecycle.OPEN_STATUSES)
    states = [r[0] for r in db.execute(
        "SELECT DISTINCT a.state FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.campaign_id = ? "
        "ORDER BY a.state", [campaign_id])]
    counts = {r[0]: r[1] for r in db.execute(
        "SELECT status, count(*) FROM requests WHERE campaign_id = ? GROUP BY status", [campaign_id])}
    return {"rows": rows, "total": total, "page": page, "pages": pages, "per_page": per_page,
            "states": states, "status_counts": counts}


def selected_requests(db, campaign_id, request_ids=(), *, all_matching=False, status="", state="",
                      overdue=False, today: dt.date | None = None) -> list[int]:
    """The ids a bulk action works on: the ticked ones that belong to the campaign, or with
    ``all_matching`` every request matching the filters. :class:`Invalid` if there are none."""
    get(db, campaign_id)
    if all_matching:
        where, params = _filters(campaign_id, status, state, overdue, today)
        ids = [r[0] for r in db.execute(
            f"SELECT r.id FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE {where} ORDER BY r.id", params)]
    else:
        wanted = []
        for value in request_ids:
            text = str(value).strip()
            if text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < 2**63:
                wanted.append(int(text))
        wanted = sorted(set(wanted))[:BULK_MAX]
        ids = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            ids += [r[0] for r in db.execute(
                f"SELECT id FROM requests WHERE campaign_id = ? AND id IN ({', '.join('?' * len(chunk))}) ORDER BY id",
                [campaign_id, *chunk])]
    if not ids:
        raise Invalid("ids", "Tick at least one request, or choose all the requests that match the filters.")
    return ids[:BULK_MAX]


def check_filed_on(value, today: dt.date | None = None) -> str:
    """The date a bulk "mark filed" records: an ISO date, not in the future."""
    return lifecycle.parse_date(value, field="Filed on", name="filed_on", today=today or clock.today())


def _filed_key(batch: str, request_id: int) -> str:
    return f"bulk-filed:{batch}:{request_id}"[:200]


def mark_filed(db, campaign_id, request_ids, filed_on, *, batch: str, method: str | None = None, actor=None,
               config=None, on_progress=None) -> dict:
    """Record a ``filed`` event on ``filed_on`` for each draft request among ``request_ids``
    (through :func:`foia.requests.add_event`, so the dates and reminders follow). Requests already
    filed are counted, not touched. ``batch`` names this bulk action: the same batch run again
    (a resubmitted form, a resumed job) files nothing twice and reports the same counts.

    Returns ``{"filed", "already", "refused": [{"request_id", "agency", "why"}], "filed_on"}``."""
    get(db, campaign_id)
    on = lifecycle.parse_date(filed_on, field="Filed on", name="filed_on")
    if method is not None and method not in requests.METHODS:
        raise Invalid("method", "Choose how the requests were sent: e-mail, portal, mail or fax.")
    filed = already = 0
    refused = []
    ids = list(request_ids)
    for n, request_id in enumerate(ids, 1):
        key = _filed_key(batch, request_id)
        if db.execute("SELECT 1 FROM events WHERE submission_key = ?", [key]).fetchone():
            filed += 1
        else:
            row = next(iter(db.query(
                "SELECT r.status, r.method, r.campaign_id, a.name, a.state FROM requests r "
                "JOIN agencies a ON a.id = r.agency_id WHERE r.id = ?", [request_id])), None)
            if row is None or row["campaign_id"] != int(campaign_id):
                pass
            elif row["status"] != "draft":
                already += 1
            else:
                try:
                    requests.add_event(db, request_id, "filed", on, data={"method": method or row["method"]},
                                       actor=actor, submission_key=key, config=config)
                    filed += 1
                except (Invalid, Conflict) as e:
                    refused.append({"request_id": request_id, "agency": f"{row['name']} ({row['state']})",
                                    "why": str(e)})
        if on_progress and (n % 20 == 0 or n == len(ids)):
            on_progress(n, len(ids))
    result = {"filed": filed, "already": already, "refused": refused[:MAX_ERRORS_KEPT], "filed_on": on}
    _audit(db, "campaign.mark_filed", actor, campaign_id,
           {"filed": filed, "already": already, "refused": len(refused), "filed_on": on})
    return result


def filed_report(result: dict) -> str:
    """ "Marked 12 requests filed on Tue 8 Dec 2026; 2 were already filed." """
    text = f"Marked {formats.plural(result['filed'], 'request', 'requests')} filed on {formats.day(result['filed_on'])}"
    extra = []
    if result["already"]:
        extra.append(f"{formats.plural(result['already'], 'was', 'were')} already filed")
    if result["refused"]:
        n = len(result["refused"])
        first = result["refused"][0]
        extra.append(f"{n:,} could not be: {first['agency']}: {first['why']}" + (" (and others)" if n > 1 else ""))
    return text + ("; " + "; ".join(extra) if extra else "") + "."


def start_mark_filed(db, campaign_id, request_ids, filed_on, *, batch: str, method=None, actor=None) -> int:
    """Queue a bulk "mark filed" as the job ``campaign.mark_filed`` (one live job per batch)."""
    on = check_filed_on(filed_on)
    payload = {"campaign_id": int(campaign_id), "request_ids": [int(i) for i in request_ids], "filed_on": on,
               "batch": batch, "method": method}
    return jobs.enqueue(db, FILED_JOB, payload, key=f"campaign-filed:{int(campaign_id)}:{batch}"[:200], actor=actor)


def latest_filed_job(db, campaign_id) -> dict | None:
    """The campaign's newest bulk "mark filed" job, if any (its result carries the report)."""
    row = db.execute("SELECT id FROM jobs WHERE kind = ? AND key LIKE ? ORDER BY id DESC LIMIT 1",
                     [FILED_JOB, f"campaign-filed:{int(campaign_id)}:%"]).fetchone()
    return jobs.get(db, row[0]) if row else None


def requests_without_letters(db, campaign_id, request_ids) -> list[int]:
    """Those of ``request_ids`` that lack a letter of the campaign's template in some format."""
    template = get(db, campaign_id)["template"]
    return [i for i in request_ids if set(FORMATS) - existing_formats(db, i, template)]


@jobs.handler(FILED_JOB, label="Mark campaign requests filed")
def run_mark_filed_job(instance, job) -> dict:
    """The job ``campaign.mark_filed``: resumable (each request's event carries the batch's key)."""
    p = job.payload
    result = mark_filed(job.db, p["campaign_id"], p["request_ids"], p["filed_on"], batch=p["batch"],
                        method=p.get("method"), actor=job.created_by, config=getattr(instance, "config", None),
                        on_progress=lambda done, total: job.progress(done, total, f"{done} of {total} requests"))
    result["report"] = filed_report(result)
    return result


def csv_rows(db, campaign_id, request_ids=None, *, status="", state="", overdue=False, today=None):
    """The campaign's requests for a CSV export, one row at a time (a header row first): the given
    ids, else every request matching the filters."""
    get(db, campaign_id)
    yield list(CSV_COLUMNS)
    if request_ids is not None:
        ids = sorted({int(i) for i in request_ids})
        chunks = [ids[i:i + 500] for i in range(0, len(ids), 500)]
        queries = [(f"r.campaign_id = ? AND r.id IN ({', '.join('?' * len(c))})", [campaign_id, *c]) for c in chunks]
    else:
        queries = [_filters(campaign_id, status, state, overdue, today)]
    for where, params in queries:
        for row in db.query(_ROW_SQL.format(where=where), params):
            yield [row["id"], row["agency_name"], row["agency_state"],
                   lifecycle.STATUSES.get(row["status"], row["status"]), row["filed_on"] or "", row["due_on"] or "",
                   row["agency_email"] or "", row["tracking_number"] or ""]


def cancel(db, campaign_id, *, actor=None) -> dict:
    """Stop the campaign's letter run (the requests and letters already made stay); returns
    ``{"done", "total"}`` as they were. :class:`Conflict` if no run is waiting or running."""
    row = get(db, campaign_id)
    job = row["job"]
    if job is None or job["state"] not in jobs.LIVE:
        raise Conflict("This campaign's letters are not being made: there is nothing to cancel.")
    jobs.cancel(db, job["id"])
    _audit(db, "campaign.cancel", actor, campaign_id, {"job": job["id"], "done": row["done"]})
    return {"done": row["done"], "total": row["total"]}


def set_public(db, campaign_id, public: bool, *, actor=None) -> None:
    """Show the campaign on its public page, or stop showing it (audited)."""
    get(db, campaign_id)
    with transaction(db):
        db["campaigns"].update(campaign_id, {"public": 1 if public else 0})
        _audit(db, "campaign.publish" if public else "campaign.unpublish", actor, campaign_id, {})


def public_view(db, campaign_id, *, page=1, per_page=PER_PAGE) -> dict:
    """What the public page of a campaign shows: its name, each agency's status and dates, and the
    published documents of its requests. No notes, no requester, no e-mail addresses.
    :class:`NotFound` unless the campaign is public."""
    row = db.execute("SELECT id, name, created_at, public FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    if row is None or not row[3]:
        raise NotFound("There is no public campaign with this number.")
    listing = campaign_requests(db, campaign_id, page=page, per_page=per_page)
    agencies_rows = [{"agency_name": r["agency_name"], "agency_state": r["agency_state"],
                      "state_name": NAMES.get(r["agency_state"], r["agency_state"]), "status": r["status"],
                      "status_label": r["status_label"], "filed_on": r["filed_on"], "due_on": r["due_on"],
                      "overdue": r["overdue"]} for r in listing["rows"]]
    columns = db["documents"].columns_dict if db["documents"].exists() else {}
    documents = []
    if columns:
        live = " AND d.deleted_at IS NULL" if "deleted_at" in columns else ""
        documents = list(db.query(
            f"""SELECT d.id, d.title, d.filename, d.pages, d.received_on, d.agency_name, d.agency_state
                FROM documents d JOIN requests r ON r.id = d.request_id
                WHERE r.campaign_id = ? AND d.published = 1 AND d.parent_id IS NULL{live}
                ORDER BY d.received_on DESC, d.id DESC LIMIT 500""", [campaign_id]))
    return {"id": row[0], "name": row[1], "created_at": row[2], "agencies": agencies_rows, "total": listing["total"],
            "page": listing["page"], "pages": listing["pages"], "status_counts": listing["status_counts"],
            "documents": documents}


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
            done, total, f"{done} of {total} agencies done" + (f", {formats.plural(len(errors), 'error')}" if errors else "")),
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


def _zip_entries(db, rows, files, archive) -> None:
    for row in rows:
        when = dt.datetime.fromisoformat(row["generated_at"])
        entry = zipfile.ZipInfo(f"{row['format']}/{letters.download_name(db, row)}", date_time=when.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_STORED if row["format"] == "docx" else zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        with letters.open_file(row, files) as data:
            archive.writestr(entry, data.read())
        yield


def write_zip(db, campaign_id, files, target, fmt: str | None = None) -> int:
    """Write the campaign's letters into a ZIP (a path or a binary file); returns the count.

    Entries are ``pdf/<name>.pdf`` and ``docx/<name>.docx``, dated by when each letter was made.
    """
    rows = campaign_letters(db, campaign_id, fmt)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for _ in _zip_entries(db, rows, files, archive):
            pass
    return len(rows)


class _Chunks:
    """A write-only file for :mod:`zipfile` (no seek, no tell: it writes data descriptors) whose
    bytes are taken out as they come."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_stream(db, rows, files):
    """The ZIP of ``rows`` (from :func:`campaign_letters`) as a stream of chunks, one letter at a
    time: a download of every letter of a large campaign never sits whole in memory or on disk."""
    out = _Chunks()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for _ in _zip_entries(db, rows, files, archive):
            chunk = out.take()
            if chunk:
                yield chunk
    tail = out.take()
    if tail:
        yield tail


def zip_bytes(db, campaign_id, files, fmt: str | None = None) -> bytes:
    buffer = io.BytesIO()
    write_zip(db, campaign_id, files, buffer, fmt)
    return buffer.getvalue()
