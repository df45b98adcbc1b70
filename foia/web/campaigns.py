"""Campaigns in the browser: list, new campaign form, progress page, ZIP download."""
import tempfile

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for

from .. import agencies, campaigns, letters
from ..laws import NAMES
from . import actor_id, get_db
from .letters import form_options

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _get_or_404(db, campaign_id):
    try:
        return campaigns.get(db, campaign_id)
    except campaigns.NotFound as e:
        abort(404, description=str(e))


@bp.get("/")
def index():
    return render_template("campaigns/index.html", rows=campaigns.all_campaigns(get_db()))


def _new_form(values, options, error=None, status=200):
    db = get_db()
    return render_template(
        "campaigns/new.html", values=values, options=options, error=error,
        templates=letters.list_templates(letters.templates_dir(current_app.config)),
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
            actor=actor_id(), folder=letters.templates_dir(current_app.config),
            submission_key=request.form.get("form_key") or None,
        )
    except (campaigns.CampaignError, letters.LetterError) as e:
        try:
            shown = letters.normalize_options(form_options(request.form))
        except letters.LetterError:
            shown = letters.normalize_options({})
        return _new_form(values, shown, error=str(e), status=400)
    campaigns.run_in_background(current_app.config, campaign_id)
    flash("Campaign created; its letters are being generated.")
    return redirect(url_for(".show", campaign_id=campaign_id), code=303)


@bp.get("/<int:campaign_id>")
def show(campaign_id):
    db = get_db()
    campaign = _get_or_404(db, campaign_id)
    counts = {fmt: len(campaigns.campaign_letters(db, campaign_id, fmt)) for fmt in campaigns.FORMATS}
    return render_template("campaigns/show.html", campaign=campaign, counts=counts,
                           running_here=campaigns.is_running_here(campaign_id))


@bp.get("/<int:campaign_id>/progress")
def progress(campaign_id):
    db = get_db()
    _get_or_404(db, campaign_id)
    state = campaigns.progress(db, campaign_id)
    state["running_here"] = campaigns.is_running_here(campaign_id)
    return jsonify(state)


@bp.post("/<int:campaign_id>/run")
def run(campaign_id):
    db = get_db()
    _get_or_404(db, campaign_id)
    if campaigns.run_in_background(current_app.config, campaign_id) is None:
        flash("This campaign is already running.")
    else:
        flash("Campaign resumed; letters already made are kept.")
    return redirect(url_for(".show", campaign_id=campaign_id), code=303)


@bp.get("/<int:campaign_id>/letters.zip")
def download_zip(campaign_id):
    db = get_db()
    campaign = _get_or_404(db, campaign_id)
    fmt = request.args.get("format") or None
    if fmt not in (None,) + campaigns.FORMATS:
        abort(400, description="format must be pdf or docx")
    spooled = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
    count = campaigns.write_zip(db, campaign_id, current_app.config["LETTERS_DIR"], spooled, fmt)
    if not count:
        abort(404, description="This campaign has no letters yet.")
    spooled.seek(0)
    suffix = f"-{fmt}" if fmt else ""
    return send_file(spooled, mimetype="application/zip", as_attachment=True,
                     download_name=f"campaign-{campaign['id']}{suffix}.zip")
