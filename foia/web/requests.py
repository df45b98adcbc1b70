from flask import Blueprint, redirect, render_template, request, url_for

from .. import agencies, clock, laws, letters, lifecycle, requests
from . import actor_id, get_db, get_or_404, page_number, sections

bp = Blueprint("requests", __name__, url_prefix="/requests")
FORM_FIELDS = ("agency_id", "title", "description", "method", "tracking_number", "filed_on")


def list_args() -> dict:
    status = request.args.get("status", "")
    return {
        "status": status if status == "open" or status in lifecycle.STATUSES else "",
        "state": request.args.get("state", "").upper()[:2],
        "agency_id": request.args.get("agency", type=int),
        "campaign_id": request.args.get("campaign_id", type=int),
        "q": request.args.get("q", "")[:200],
        "sort": request.args.get("sort", "updated") if request.args.get("sort") in requests.SORTS else "updated",
    }


@bp.get("/")
def index():
    db = get_db()
    args = list_args()
    per_page = 50
    rows, total = requests.search(db, **args, page=page_number(), per_page=per_page)
    agency = None
    if args["agency_id"]:
        try:
            agency = agencies.get(db, args["agency_id"])
        except agencies.NotFound:
            agency = None
    return render_template("requests/index.html", rows=rows, total=total, args=args, agency=agency,
                           states=agencies.states_in_use(db), sorts=requests.SORTS, page=page_number(),
                           per_page=per_page)


def _agency_choices(db):
    return list(db.query("SELECT id, name, state FROM agencies ORDER BY state, name"))


@bp.route("/new", methods=["GET", "POST"])
def new():
    db = get_db()
    values = {"agency_id": request.args.get("agency", ""), "method": "email"}
    errors = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in FORM_FIELDS}
        try:
            request_id = requests.create_request(
                db, agency_id=values["agency_id"], title=values["title"], description=values["description"],
                method=values["method"], tracking_number=values["tracking_number"],
                filed_on=values["filed_on"] or None, owner_id=actor_id(), actor=actor_id(),
                submission_key=request.form.get("form_key") or None,
            )
        except requests.RequestError as e:
            errors[e.field or "form"] = str(e)
        else:
            return redirect(url_for(".show", request_id=request_id), code=303)
    return render_template("requests/new.html", values=values, errors=errors, agencies=_agency_choices(db),
                           methods=requests.METHODS), (400 if errors else 200)


def _show(request_id, *, event_values=None, event_error=None, status=200):
    db = get_db()
    row = get_or_404(requests.get, db, request_id)
    timeline = requests.events(db, request_id)
    today = clock.today().isoformat()
    next_kinds = lifecycle.allowed_next(timeline, today)
    suggested = next((k for k in next_kinds if k not in ("drafted", "note")), "note")
    return render_template(
        "requests/show.html", request_row=row, events=timeline, law=laws.get(db, row["agency_state"]),
        next_kinds=next_kinds, event_values=event_values or {"occurred_on": today, "kind": suggested},
        event_error=event_error, outcomes=lifecycle.APPEAL_OUTCOMES, sections=sections("request", row),
    ), status


@bp.get("/<int:request_id>")
def show(request_id):
    return _show(request_id)


@bp.post("/<int:request_id>/events")
def add_event(request_id):
    db = get_db()
    get_or_404(requests.get, db, request_id)
    values = {k: request.form.get(k, "")
              for k in ("kind", "occurred_on", "note", "outcome", "days", "amount", "estimated_date")}
    data = {}
    if values["outcome"] and values["kind"] == "appeal_decided":
        data["outcome"] = values["outcome"]
    if values["kind"] == "extension_claimed" and values["days"]:
        data["days"] = int(values["days"]) if values["days"].isdigit() else values["days"]
    if values["kind"] == "fee_estimate" and values["amount"]:
        data["amount"] = values["amount"][:20]
    # The follow-up letter quotes an estimate given with one of these events.
    if values["estimated_date"] and values["kind"] in letters.ESTIMATE_EVENTS:
        data["estimated_date"] = values["estimated_date"]
    try:
        requests.add_event(db, request_id, values["kind"], values["occurred_on"] or None, note=values["note"],
                           data=data, actor=actor_id(), submission_key=request.form.get("form_key") or None)
    except requests.RequestError as e:
        return _show(request_id, event_values=values, event_error=str(e), status=400)
    return redirect(url_for(".show", request_id=request_id) + "#timeline", code=303)


@bp.post("/<int:request_id>/events/<int:event_id>/delete")
def delete_event(request_id, event_id):
    db = get_db()
    get_or_404(requests.get, db, request_id)
    try:
        requests.delete_event(db, event_id, request_id=request_id, actor=actor_id())
    except requests.NotFound as e:
        return _show(request_id, event_error=str(e), status=404)
    except requests.RequestError as e:
        return _show(request_id, event_error=str(e), status=400)
    return redirect(url_for(".show", request_id=request_id) + "#timeline", code=303)


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
def edit(request_id):
    db = get_db()
    row = get_or_404(requests.get, db, request_id)
    errors = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in ("title", "description", "method", "tracking_number")}
        try:
            requests.update(db, request_id, values, actor=actor_id())
        except requests.RequestError as e:
            errors[e.field or "form"] = str(e)
            row = dict(row, **values)
        else:
            return redirect(url_for(".show", request_id=request_id), code=303)
    return render_template("requests/edit.html", values=row, errors=errors, methods=requests.METHODS), (
        400 if errors else 200)
