"""Campaigns in the browser: list, new campaign form, progress page, ZIP download.

Creating or resuming a campaign only queues its letter run (the job ``campaign.letters``); the job
runner of the scheduler does the work, and the page shows the job's progress.
"""
import tempfile

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for

from .. import agencies, campaigns, errors, letters
from ..laws import NAMES
from . import actor_id, get_db, instance
from .letters import form_options

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.get("/")
def index():
    return render_template("campaigns/index.html", rows=campaigns.all_campaigns(get_db()))


def _new_form(values, options, error=None, status=200):
    db = get_db()
    return render_template(
        "campaigns/new.html", values=values, options=options, error=error,
        templates=letters.list_templates(instance().letter_templates),
        categories=letters.categories(), kinds=agencies.KINDS, states=agencies.states_in_use(db),
        state_names=NAMES,
    ), status


@bp.get("/new")
def new():
    return _new_form({"template": letters.DEFAULT_TEMPLATE}, letters.normalize_options({}))


@bp.post("/new")
def create():
    db = get_db()
    values = {k: request.form.get(k, "") for k in ("name", "template", "kind", "pasted")}
    values["states"] = [s for s in request.form.getlist("states") if s]
    values["ring_partners"] = bool(request.form.get("ring_partners"))
    try:
        options = letters.normalize_options(form_options(request.form))
        campaign_id = campaigns.create(
            db, name=values["name"], template=values["template"], options=options, states=values["states"],
            kind=values["kind"], ring_partners=values["ring_partners"], pasted=values["pasted"],
            actor=actor_id(), folder=instance().letter_templates,
            submission_key=request.form.get("form_key") or None,
        )
    except ValueError as e:  # errors.Invalid, or the letters' error for a bad option
        try:
            shown = letters.normalize_options(form_options(request.form))
        except ValueError:
            shown = letters.normalize_options({})
        return _new_form(values, shown, error=str(e), status=422)
    campaigns.start(db, campaign_id, actor=actor_id())
    flash("Campaign created; its letters are being made in the background.")
    return redirect(url_for(".show", campaign_id=campaign_id), code=303)


@bp.get("/<int:campaign_id>")
def show(campaign_id):
    db = get_db()
    campaign = campaigns.get(db, campaign_id)
    return render_template("campaigns/show.html", campaign=campaign, state=campaigns.progress(db, campaign_id))


@bp.get("/<int:campaign_id>/progress")
def progress(campaign_id):
    return jsonify(campaigns.progress(get_db(), campaign_id))


@bp.post("/<int:campaign_id>/run")
def run(campaign_id):
    db = get_db()
    campaigns.get(db, campaign_id)
    before = campaigns.current_job(db, campaign_id)
    job_id = campaigns.start(db, campaign_id, actor=actor_id())
    if before is not None and before["id"] == job_id:
        flash("This campaign's letters are already being made.")
    else:
        flash("Campaign queued again; letters already made are kept.")
    return redirect(url_for(".show", campaign_id=campaign_id), code=303)


@bp.get("/<int:campaign_id>/letters.zip")
def download_zip(campaign_id):
    db = get_db()
    campaign = campaigns.get(db, campaign_id)
    fmt = request.args.get("format") or None
    if fmt not in (None,) + campaigns.FORMATS:
        raise errors.Invalid("format", "The format must be pdf or docx.")
    spooled = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
    count = campaigns.write_zip(db, campaign_id, instance().store, spooled, fmt)
    if not count:
        raise errors.NotFound("This campaign has no letters yet.")
    spooled.seek(0)
    suffix = f"-{fmt}" if fmt else ""
    return send_file(spooled, mimetype="application/zip", as_attachment=True,
                     download_name=f"campaign-{campaign['id']}{suffix}.zip")
