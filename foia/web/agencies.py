"""Agencies in the browser: the list, one agency's page (its record, law and requests), the add and
edit form (every problem beside its field) and the CSV import (every refused row in words)."""
import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import agencies, charts, errors, formats, laws, requests, stats
from ..correspondence import store as mail_store
from . import actor_id, get_db, instance, page_number

bp = Blueprint("agencies", __name__, url_prefix="/agencies")
EDITABLE = ("name", "kind", "city", "county", "state", "records_email", "portal_url", "mailing_address",
            "phone", "ring_partner_since", "notes")
MAX_UPLOAD = 20 * 1024 * 1024


@bp.app_template_filter("agency_kind")
def agency_kind(kind: str | None) -> str:
    """``{{ a.kind|agency_kind }}``: ``state_police`` -> ``State police``."""
    return agencies.kind_label(kind)


@bp.app_template_filter("partner_since")
def partner_since(value) -> Markup:
    """A Ring partnership date as stored (a day, a month or a year) in a ``<time>`` element."""
    if not value:
        return Markup("")
    text = str(value)
    if len(text) == 10:
        words = formats.day(text)
    else:
        words = agencies.partner_since_words(text)
    return Markup('<time datetime="{}">{}</time>').format(text, words)


def _form_errors(e: errors.FoiaError) -> dict[str, str]:
    """Field -> message of a refused form ("form" for what belongs to no one field)."""
    found = getattr(e, "errors", None) or {}
    return {(field or "form"): message for field, message in found.items()} or {"form": str(e)}


def _form(agency: dict, found: dict[str, str]):
    states = sorted(((code, name) for code, name in laws.NAMES.items()), key=lambda item: item[1])
    return render_template("agencies/form.html", agency=agency, errors=found, kinds=agencies.KIND_LABELS,
                           states=states), (400 if found else 200)


@bp.get("/")
def index():
    db = get_db()
    q = request.args.get("q", "")[:200]
    state = request.args.get("state", "").upper()[:2]
    per_page = 50
    rows, total = agencies.search(db, q=q, state=state, page=page_number(), per_page=per_page)
    return render_template("agencies/index.html", rows=rows, total=total, q=q, state=state,
                           states=agencies.states_in_use(db), state_names=laws.NAMES, page=page_number(),
                           per_page=per_page)


@bp.get("/<int:agency_id>")
def show(agency_id):
    db = get_db()
    agency = agencies.get(db, agency_id)
    rows, total = requests.search(db, agency_id=agency_id, per_page=200)
    record = stats.agency_record(db, agency_id, instance().today())
    outcomes = stats.by_status(record)
    return render_template("agencies/show.html", agency=agency, law=laws.get(db, agency["state"]),
                           state_name=laws.NAMES.get(agency["state"], agency["state"]), record=record,
                           outcomes=outcomes,
                           chart=charts.record_chart(f"agency-{agency_id}-record", record) if record.requests else None,
                           requests=rows,
                           total=total, bounced=mail_store.broken(db, agency["records_email"] or ""))


@bp.route("/new", methods=["GET", "POST"])
def new():
    db = get_db()
    values, found = {}, {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in EDITABLE}
        try:
            agency_id, outcome = agencies.upsert(db, values, actor=actor_id(),
                                                 submission_key=request.form.get("form_key") or None)
        except (errors.Invalid, errors.Conflict) as e:
            found = _form_errors(e)
        else:
            if outcome == "resubmitted":
                flash("This form was already sent: here is the agency it added.")
            elif outcome != "imported":
                flash("An agency with that name already exists in that state; its details were updated.")
            return redirect(url_for(".show", agency_id=agency_id))
    return _form(values, found)


@bp.route("/<int:agency_id>/edit", methods=["GET", "POST"])
def edit(agency_id):
    db = get_db()
    agency = agencies.get(db, agency_id)
    found = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in EDITABLE}
        closed = request.form.get("closed_days", "")
        values["closed_days"] = [d for d in closed.replace(",", " ").split() if d]
        try:
            agencies.update(db, agency_id, values, actor=actor_id(), config=instance().config)
        except (errors.Invalid, errors.Conflict) as e:
            found = _form_errors(e)
            agency = dict(agency, **{k: v for k, v in values.items() if k != "closed_days"}, closed_days=closed)
        else:
            flash("Agency saved.")
            return redirect(url_for(".show", agency_id=agency_id), code=303)
    return _form(agency, found)


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    report, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        if not upload or not upload.filename:
            error = "Choose a CSV file to import."
        else:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                error = "The file is larger than 20 MB: split it into smaller files and import each."
            else:
                try:
                    report = agencies.import_csv(get_db(), data, actor=actor_id())
                except errors.Invalid as e:
                    error = str(e)
    return render_template("agencies/import.html", report=report, error=error), (400 if error else 200)


@bp.app_template_filter("closed_days")
def closed_days(value) -> list[str]:
    """An agency's extra closed days: the stored JSON list, or the text typed into the form."""
    text = str(value or "").strip()
    if text.startswith("["):
        try:
            days = json.loads(text)
        except ValueError:
            days = None
        if isinstance(days, list):
            return [str(d) for d in days]
    return text.replace(",", " ").split()
