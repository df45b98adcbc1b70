"""Campaigns in the browser: list, new campaign (form, preview, create), the campaign page with its
requests and bulk actions, live progress, cancel, CSV and ZIP downloads, and the opt-in public page.

Creating or resuming a campaign only queues its letter run (the job ``campaign.letters``); the job
runner of the scheduler does the work, and the page shows the job's progress. A bulk action on more
than :data:`foia.campaigns.BULK_NOW` requests is a job too.
"""
import csv
import io

from flask import (Blueprint, Response, flash, jsonify, redirect, render_template, request, stream_with_context,
                   url_for)

from .. import agencies, campaign_send, campaigns, errors, formats, letters, lifecycle, mail
from ..laws import NAMES
from . import actor_id, confirm_page, confirmed, form_token, get_db, instance, page_number
from .auth import public
from .letters import form_options, typed_options

bp = Blueprint("campaigns", __name__)

FILTER_KEYS = ("status", "state", "overdue")


@bp.get("/campaigns/")
def index():
    rows = campaigns.all_campaigns(get_db())
    folder = instance().letter_templates
    titles = {t: campaigns.template_title(t, folder) for t in {r["template"] for r in rows}}
    return render_template("campaigns/index.html", rows=rows, titles=titles)


# --- New campaign: form, preview, create ----------------------------------------------------------

def _values(form) -> dict:
    values = {k: form.get(k, "") for k in ("name", "template", "kind", "pasted")}
    values["states"] = [s for s in form.getlist("states") if s]
    values["ring_partners"] = bool(form.get("ring_partners"))
    values["skip_open"] = bool(form.get("skip_open"))
    values["form_key"] = form.get("form_key") or form_token()
    return values


def _new_form(values, options, error: errors.Invalid | None = None):
    db = get_db()
    return render_template(
        "campaigns/new.html", values=values, options=options, error=str(error) if error else None,
        errors=error.errors if error else {}, templates=letters.list_templates(instance().letter_templates),
        template_title=lambda name: campaigns.template_title(name, instance().letter_templates),
        categories=letters.categories(), kinds=agencies.KINDS, kind_words=campaigns.KIND_WORDS,
        states=agencies.states_in_use(db), state_names=NAMES,
    ), (error.status if error else 200)


@bp.get("/campaigns/new")
def new():
    values = {"template": letters.DEFAULT_TEMPLATE, "skip_open": True, "form_key": form_token(), "states": []}
    return _new_form(values, letters.normalize_options({}))


def _options_or_error(form):
    try:
        return letters.normalize_options(form_options(form)), None
    except errors.Invalid as e:
        return None, e
    except ValueError as e:  # the letters' error for a bad option
        return None, errors.Invalid("options", str(e))


def _shown_options(form):
    try:
        stored = letters.normalize_options(form_options(form))
    except ValueError:
        stored = letters.normalize_options({})
    return typed_options(form, stored)


@bp.post("/campaigns/new")
def create():
    """Three steps in one address, so it works without JavaScript: the form posts to a preview
    (nothing stored), the preview posts "Create the campaign" (``step=create``) or goes back to the
    form (``step=edit``). The form's one-time key travels with it: Back and resubmit, or a double
    click, lands on the campaign already created."""
    db = get_db()
    form = request.form
    values = _values(form)
    step = form.get("step", "preview")
    options, problem = _options_or_error(form)
    if step == "edit":
        return _new_form(values, _shown_options(form))
    existing = campaigns.find_by_key(db, form.get("form_key"))
    if existing and step == "create":
        flash("This campaign was already created; here it is.")
        return redirect(url_for(".show", campaign_id=existing), code=303)
    folder = instance().letter_templates
    selection = dict(states=values["states"], kind=values["kind"], ring_partners=values["ring_partners"],
                     pasted=values["pasted"], skip_open=values["skip_open"])
    try:
        if problem is not None:
            raise problem
        if step == "create":
            campaign_id = campaigns.create(
                db, name=values["name"], template=values["template"], options=options, actor=actor_id(),
                folder=folder, submission_key=form.get("form_key") or None, **selection)
        else:
            plan = campaigns.preview(db, name=values["name"], template=values["template"], options=options,
                                     folder=folder, **selection)
    except errors.Invalid as e:
        return _new_form(values, _shown_options(form), error=e)
    if step != "create":
        fields = [(k, v) for k, vs in form.lists() if k not in ("csrf_token", "step", "form_key") for v in vs]
        return render_template("campaigns/preview.html", plan=plan, fields=fields, form_key=values["form_key"],
                               values=values)
    campaigns.start(db, campaign_id, actor=actor_id())
    flash("Campaign created; its letters are being made in the background.")
    return redirect(url_for(".show", campaign_id=campaign_id), code=303)


# --- The campaign page -----------------------------------------------------------------------------

def _filters(source) -> dict:
    status = source.get("status", "")
    if status not in lifecycle.STATUSES and status != "open":
        status = ""
    state = (source.get("state") or "").strip().upper()
    if state not in NAMES:
        state = ""
    return {"status": status, "state": state, "overdue": source.get("overdue") == "1"}


def _filter_args(filters) -> dict:
    args = {k: v for k, v in filters.items() if v}
    if args.get("overdue"):
        args["overdue"] = "1"
    return args


def _show_url(campaign_id, filters, **extra):
    return url_for(".show", campaign_id=campaign_id, **_filter_args(filters), **extra)


@bp.get("/campaigns/<int:campaign_id>")
def show(campaign_id):
    db = get_db()
    campaign = campaigns.get(db, campaign_id)
    filters = _filters(request.args)
    listing = campaigns.campaign_requests(db, campaign_id, page=page_number(), today=instance().today(), **filters)
    return render_template(
        "campaigns/show.html", campaign=campaign, state=campaigns.progress(db, campaign_id), listing=listing,
        filters=filters, statuses=lifecycle.STATUSES, state_names=NAMES,
        template_title=campaigns.template_title(campaign["template"], instance().letter_templates),
        described=campaigns.describe_selection(campaign["selection"]),
        filed_job=campaigns.latest_filed_job(db, campaign_id),
        can_mail=mail.is_configured(instance().config), mail_status=mail.status(instance().config),
        today=instance().today(), page_url=lambda n: _show_url(campaign_id, filters, page=n),
        csv_url=url_for(".export_csv", campaign_id=campaign_id, **_filter_args(filters)),
    )


@bp.get("/campaigns/<int:campaign_id>/progress")
def progress(campaign_id):
    return jsonify(campaigns.progress(get_db(), campaign_id))


@bp.post("/campaigns/<int:campaign_id>/run")
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


def _chosen(db, campaign_id, form, filters):
    return campaigns.selected_requests(db, campaign_id, form.getlist("ids"), all_matching=form.get("all") == "1",
                                       today=instance().today(), **filters)


@bp.post("/campaigns/<int:campaign_id>/bulk")
def bulk(campaign_id):
    """A bulk action on the ticked requests (or all that match the filters), after a confirmation."""
    db = get_db()
    campaigns.get(db, campaign_id)
    form = request.form
    filters = _filters(form)
    back = _show_url(campaign_id, filters)
    action = form.get("action", "")
    try:
        ids = _chosen(db, campaign_id, form, filters)
        if action == "filed":
            on = campaigns.check_filed_on(form.get("filed_on") or instance().today().isoformat(),
                                          today=instance().today())
    except errors.Invalid as e:
        flash(str(e))
        return redirect(back, code=303)
    count = formats.plural(len(ids), "request", "requests")
    if action == "filed":
        return _bulk_filed(db, campaign_id, ids, on, count, back)
    if action == "letters":
        return _bulk_letters(db, campaign_id, ids, count, back)
    if action == "email":
        return _bulk_email(db, campaign_id, ids, count, back, whole=form.get("all") == "1" and not any(filters.values()))
    flash("Choose what to do with the chosen requests.")
    return redirect(back, code=303)


def _bulk_filed(db, campaign_id, ids, on, count, back):
    if not confirmed():
        return confirm_page(
            title=f"Mark {count} filed on {formats.day(on)}?",
            message="Each draft request gets a “Filed” event on that date, and its deadlines and reminders "
                    "start from it. Requests already filed are left as they are.",
            button="Mark them filed", cancel_url=back, danger=False)
    # The form's key names the batch: Back and confirm again files nothing twice.
    batch = request.form.get("form_key") or form_token()
    if len(ids) > campaigns.BULK_NOW:
        campaigns.start_mark_filed(db, campaign_id, ids, on, batch=batch, actor=actor_id())
        flash(f"Marking {count} filed on {formats.day(on)} in the background; this page shows when it is done.")
    else:
        result = campaigns.mark_filed(db, campaign_id, ids, on, batch=batch, actor=actor_id(),
                                      config=instance().config)
        flash(campaigns.filed_report(result))
    return redirect(back, code=303)


def _bulk_letters(db, campaign_id, ids, count, back):
    missing = campaigns.requests_without_letters(db, campaign_id, ids)
    if not confirmed():
        have = f"{len(missing):,} {'has' if len(missing) == 1 else 'have'}"
        return confirm_page(
            title="Make the missing letters?",
            message=(f"Of the {count} chosen, {have} no letter yet. The campaign's letter run makes the letters "
                     "still missing (PDF and DOCX) in the background; letters already made are kept."),
            button="Make the letters", cancel_url=back, danger=False)
    before = campaigns.current_job(db, campaign_id)
    job_id = campaigns.start(db, campaign_id, actor=actor_id())
    if before is not None and before["id"] == job_id:
        flash("This campaign's letters are already being made.")
    else:
        flash(f"Making the letters of {formats.plural(len(missing), 'request', 'requests')} that had none; "
              "this page shows the progress.")
    return redirect(back, code=303)


def _bulk_email(db, campaign_id, ids, count, back, *, whole: bool):
    config = instance().config
    if not mail.is_configured(config):
        flash("E-mail is not set up, so requests cannot be sent from here.")
        return redirect(back, code=303)
    if not confirmed():
        found = campaign_send.plan(db, campaign_id, ids)
        return confirm_page(title=f"Send {count} by e-mail?", message=campaign_send.confirm_text(found),
                            button="Send them", cancel_url=back, danger=False)
    try:
        result = campaign_send.queue(db, campaign_id, ids, config, whole_campaign=whole, actor=actor_id())
    except (errors.Invalid, errors.Conflict) as e:
        flash(str(e))
    else:
        flash(campaign_send.report(result))
    return redirect(back, code=303)


@bp.get("/campaigns/<int:campaign_id>/requests.csv")
def export_csv(campaign_id):
    """The chosen requests (``ids``), or all that match the filters, as CSV, streamed row by row."""
    db = get_db()
    campaign = campaigns.get(db, campaign_id)
    filters = _filters(request.args)
    ids = request.args.getlist("ids")
    chosen = None
    if ids and request.args.get("all") != "1":
        chosen = campaigns.selected_requests(db, campaign_id, ids)
    rows = campaigns.csv_rows(db, campaign_id, chosen, today=instance().today(), **filters)

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for n, row in enumerate(rows, 1):
            writer.writerow(row)
            if n % 200 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="campaign-{campaign["id"]}-requests.csv"'})


@bp.post("/campaigns/<int:campaign_id>/cancel")
def cancel(campaign_id):
    db = get_db()
    campaign = campaigns.get(db, campaign_id)
    back = url_for(".show", campaign_id=campaign_id)
    if not confirmed():
        return confirm_page(
            title="Stop making this campaign's letters?",
            message=(f"{formats.plural(campaign['done'], 'agency is', 'agencies are')} done so far. The requests and "
                     "letters already made stay; you can run the campaign again later to make the rest."),
            button="Stop the letter run", cancel_url=back)
    try:
        campaigns.cancel(db, campaign_id, actor=actor_id())
    except errors.Conflict as e:
        flash(str(e))
    else:
        flash("The letter run is stopped. The requests and letters already made are kept.")
    return redirect(back, code=303)


@bp.post("/campaigns/<int:campaign_id>/public")
def set_public(campaign_id):
    db = get_db()
    campaigns.get(db, campaign_id)
    back = url_for(".show", campaign_id=campaign_id)
    make_public = request.form.get("public") == "1"
    if not confirmed():
        if make_public:
            return confirm_page(
                title="Show this campaign on a public page?",
                message=("Anyone with the link will see the campaign's name, each agency with its status and dates, "
                         "and the documents you have published. Notes, the requester's name and e-mail addresses "
                         "are never shown."),
                button="Show it publicly", cancel_url=back, danger=False)
        return confirm_page(title="Stop showing this campaign publicly?",
                            message="Its public page will be gone; visitors with the link will find nothing.",
                            button="Make it private", cancel_url=back)
    campaigns.set_public(db, campaign_id, make_public, actor=actor_id())
    flash("This campaign now has a public page." if make_public else "This campaign is private again.")
    return redirect(back, code=303)


@bp.get("/campaigns/<int:campaign_id>/letters.zip")
def download_zip(campaign_id):
    """Every letter of the campaign (or one format), streamed one letter at a time."""
    db = get_db()
    campaign = campaigns.get(db, campaign_id)
    fmt = request.args.get("format") or None
    if fmt not in (None,) + campaigns.FORMATS:
        raise errors.Invalid("format", "The format must be pdf or docx.")
    rows = campaigns.campaign_letters(db, campaign_id, fmt)
    if not rows:
        raise errors.NotFound("This campaign has no letters yet.")
    suffix = f"-{fmt}" if fmt else ""
    return Response(stream_with_context(campaigns.zip_stream(db, rows, instance().store)), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="campaign-{campaign["id"]}{suffix}.zip"'})


# --- The public page ---------------------------------------------------------------------------------

@bp.get("/public/campaigns/<int:campaign_id>")
@public
def public_page(campaign_id):
    """A campaign whose organisers chose to show it: agencies, status, dates, published documents."""
    view = campaigns.public_view(get_db(), campaign_id, page=page_number())
    return render_template("public/campaign.html", view=view, statuses=lifecycle.STATUSES,
                           page_url=lambda n: url_for(".public_page", campaign_id=campaign_id, page=n))
