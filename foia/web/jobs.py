"""The jobs page (admins): recent background jobs with their state, progress and error; retry
a failed job, cancel a queued or running one."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from .. import jobs
from . import get_db, page_number, wants_json
from .auth import admin_only

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
PER_PAGE = 50


@bp.app_template_filter("job_label")
def job_label(kind: str) -> str:
    return jobs.label(kind)


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
                           state=state, counts=jobs.counts(db), states=jobs.STATES)


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
    jobs.cancel(get_db(), job_id)
    flash(f"Job {job_id} is cancelled.")
    return redirect(url_for(".index"), code=303)
