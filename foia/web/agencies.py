from flask import Blueprint, flash, redirect, render_template, request, url_for

from .. import agencies, errors, laws, requests, stats
from . import actor_id, get_db, instance, page_number

bp = Blueprint("agencies", __name__, url_prefix="/agencies")
EDITABLE = ("name", "kind", "city", "county", "state", "records_email", "portal_url", "mailing_address",
            "phone", "ring_partner_since", "notes")


@bp.get("/")
def index():
    db = get_db()
    q = request.args.get("q", "")[:200]
    state = request.args.get("state", "").upper()[:2]
    per_page = 50
    rows, total = agencies.search(db, q=q, state=state, page=page_number(), per_page=per_page)
    return render_template("agencies/index.html", rows=rows, total=total, q=q, state=state,
                           states=agencies.states_in_use(db), page=page_number(), per_page=per_page)


@bp.get("/<int:agency_id>")
def show(agency_id):
    db = get_db()
    agency = agencies.get(db, agency_id)
    rows, total = requests.search(db, agency_id=agency_id, per_page=200)
    record = stats.agency_record(db, agency_id, instance().today())
    return render_template("agencies/show.html", agency=agency, law=laws.get(db, agency["state"]),
                           state_name=laws.NAMES.get(agency["state"], agency["state"]), record=record,
                           outcomes=stats.by_status(record), requests=rows, total=total)


@bp.route("/new", methods=["GET", "POST"])
def new():
    db = get_db()
    values, error = {}, None
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in EDITABLE}
        try:
            agency_id, outcome = agencies.upsert(db, values, actor=actor_id())
        except (errors.Invalid, errors.Conflict) as e:
            error = str(e)
        else:
            if outcome != "imported":
                flash("An agency with that name already exists in that state; it was updated.")
            return redirect(url_for(".show", agency_id=agency_id))
    return render_template("agencies/form.html", agency=values, error=error, kinds=agencies.KINDS,
                           states=sorted(laws.NAMES)), (400 if error else 200)


@bp.route("/<int:agency_id>/edit", methods=["GET", "POST"])
def edit(agency_id):
    db = get_db()
    agency = agencies.get(db, agency_id)
    error = None
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in EDITABLE}
        closed = request.form.get("closed_days", "")
        values["closed_days"] = [d for d in closed.replace(",", " ").split() if d]
        try:
            agencies.update(db, agency_id, values, actor=actor_id(), config=instance().config)
        except (errors.Invalid, errors.Conflict) as e:
            error = str(e)
            agency = dict(agency, **{k: v for k, v in values.items() if k != "closed_days"})
        else:
            return redirect(url_for(".show", agency_id=agency_id))
    return render_template("agencies/form.html", agency=agency, error=error, kinds=agencies.KINDS,
                           states=sorted(laws.NAMES)), (400 if error else 200)


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    report, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        if not upload or not upload.filename:
            error = "Choose a CSV file to import."
        else:
            data = upload.read(20 * 1024 * 1024 + 1)
            if len(data) > 20 * 1024 * 1024:
                error = "The file is larger than 20 MB; split it."
            else:
                try:
                    report = agencies.import_csv(get_db(), data, actor=actor_id())
                except errors.Invalid as e:
                    error = str(e)
    if error and request.method == "POST":
        return render_template("agencies/import.html", report=None, error=error), 400
    return render_template("agencies/import.html", report=report, error=error)
