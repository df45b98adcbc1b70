"""The jobs page (admins): recent background jobs with their state, progress and error; retry
a failed job, cancel a queued or running one (after a confirmation)."""
import datetime as dt

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from .. import formats, jobs
from . import confirm_page, confirmed, get_db, instance, page_number, wants_json
from .auth import admin_only

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
PER_PAGE = 50
STATE_WORDS = {"queued": "Waiting", "running": "Running", "done": "Done", "failed": "Failed",
               "cancelled": "Cancelled"}


@bp.app_template_filter("job_label")
def job_label(kind: str) -> str:
    return jobs.label(kind)


def _when(stamp, today: dt.date) -> str:
    """``12:30`` today, else ``Wed 2 Dec 2026, 12:30``."""
    text = str(stamp or "")
    if text[:10] == today.isoformat() and len(text) > 10:
        return formats.moment(text).rsplit(", ", 1)[-1]
    return formats.moment(text)


def state_words(job: dict, today: dt.date | None = None) -> str:
    """A job's state for people: "Waiting", "Running: 120 of 200", "Failed: will retry at 12:30"."""
    today = today or instance().today()
    state = job.get("state")
    done, total = job.get("progress_done") or 0, job.get("progress_total")
    if state == "queued" and job.get("attempts"):
        return f"Failed: will retry at {_when(job.get('run_after'), today)}"
    if state == "running":
        if total:
            return f"Running: {done:,} of {total:,}"
        return f"Running: {done:,} done" if done else "Running"
    if state == "failed":
        return f"Failed after {formats.plural(job.get('attempts') or 0, 'attempt')}"
    if state == "done" and total:
        return f"Done: {done:,} of {total:,}"
    return STATE_WORDS.get(state, str(state))


@bp.app_template_filter("job_state")
def job_state(job: dict) -> str:
    return state_words(job)


@bp.get("/")
@admin_only
def index():
    db = get_db()
    state = request.args.get("state") or None
    page = page_number()
    rows = jobs.listing(db, state=state, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    if wants_json():
        return jsonify({"jobs": rows[:PER_PAGE], "counts": jobs.counts(db)})
    return render_template("jobs/index.html", rows=rows[:PER_PAGE], more=len(rows) > PER_PAGE, page=page,
                           state=state, counts=jobs.counts(db), states=jobs.STATES, state_names=STATE_WORDS)


@bp.get("/<int:job_id>")
@admin_only
def show(job_id):
    job = jobs.get(get_db(), job_id)
    if wants_json():
        return jsonify(job)
    return render_template("jobs/show.html", job=job)


@bp.post("/<int:job_id>/retry")
@admin_only
def retry(job_id):
    jobs.retry(get_db(), job_id)
    flash(f"Job {job_id} is queued again.")
    return redirect(url_for(".index"), code=303)


@bp.post("/<int:job_id>/cancel")
@admin_only
def cancel(job_id):
    job = jobs.get(get_db(), job_id)
    if not confirmed():
        return confirm_page(title=f"Stop job {job_id}?",
                            message=f"“{jobs.label(job['kind'])}” stops where it is. Work already done is kept; "
                                    "you can retry the job later to finish it.",
                            button="Stop the job", cancel_url=url_for(".show", job_id=job_id))
    jobs.cancel(get_db(), job_id)
    flash(f"Job {job_id} is cancelled.")
    return redirect(url_for(".index"), code=303)
