from flask import Blueprint, redirect, render_template, request, url_for

from .. import agencies, errors, events, laws, letters, lifecycle, requests
from . import actor_id, get_db, instance, page_number, parse_id, sections

bp = Blueprint("requests", __name__, url_prefix="/requests")
FORM_FIELDS = ("agency_id", "title", "description", "method", "tracking_number", "filed_on")


def list_args() -> dict:
    status = request.args.get("status", "")
    return {
        "status": status if status == "open" or status in lifecycle.STATUSES else "",
        "state": request.args.get("state", "").upper()[:2],
        "agency_id": parse_id(request.args.get("agency"), "agency", "agency id"),
        "campaign_id": parse_id(request.args.get("campaign_id"), "campaign_id", "campaign id"),
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
        except errors.NotFound:
            agency = None  # a filter naming no agency lists nothing, without a name
    return render_template("requests/index.html", rows=rows, total=total, args=args, agency=agency,
                           states=agencies.states_in_use(db), sorts=requests.SORTS, page=page_number(),
                           per_page=per_page)


def _agency_choices(db):
    return list(db.query("SELECT id, name, state FROM agencies ORDER BY state, name"))


def _form_errors(e: errors.FoiaError) -> dict[str, str]:
    """Field -> message of a refused form ("form" for what belongs to no one field)."""
    found = getattr(e, "errors", None) or {}
    return {(field or "form"): message for field, message in found.items()} or {"form": str(e)}


@bp.route("/new", methods=["GET", "POST"])
def new():
    db = get_db()
    values = {"agency_id": request.args.get("agency", ""), "method": "email"}
    errors_found = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in FORM_FIELDS}
        try:
            request_id = requests.create_request(
                db, agency_id=values["agency_id"], title=values["title"], description=values["description"],
                method=values["method"], tracking_number=values["tracking_number"],
                filed_on=values["filed_on"] or None, owner_id=actor_id(), actor=actor_id(),
                submission_key=request.form.get("form_key") or None, config=instance().config,
            )
        except (errors.Invalid, errors.Conflict) as e:
            errors_found = _form_errors(e)
        else:
            return redirect(url_for(".show", request_id=request_id), code=303)
    return render_template("requests/new.html", values=values, errors=errors_found, agencies=_agency_choices(db),
                           methods=requests.METHODS), (400 if errors_found else 200)


def _chosen_kind(wanted: str, allowed: list[str]) -> str:
    """The kind whose fields the event form shows: the one asked for if the timeline allows it,
    else the likeliest next step."""
    if wanted in allowed:
        return wanted
    return next((k for k in allowed if k not in ("drafted", "note")), "note")


def _show(request_id, *, event_values=None, event_errors=None, status=200):
    db = get_db()
    row = requests.get(db, request_id)
    timeline = requests.events(db, request_id)
    today = instance().today().isoformat()
    next_kinds = lifecycle.allowed_next(timeline, today)
    values = dict(event_values or {"occurred_on": today})
    values["kind"] = _chosen_kind(values.get("kind") or request.args.get("kind", ""), next_kinds)
    return render_template(
        "requests/show.html", request_row=row, events=timeline, law=laws.get(db, row["agency_state"]),
        state_name=laws.NAMES.get(row["agency_state"], row["agency_state"]),
        requester_state=letters.requester(db).get("residence", ""),
        next_kinds=next_kinds, kind_fields={kind: events.fields(kind) for kind in next_kinds},
        event_values=values, event_errors=event_errors or {}, payload=events.payload,
        sections=sections("request", row),
    ), status


@bp.get("/<int:request_id>")
def show(request_id):
    return _show(request_id)


@bp.post("/<int:request_id>/events")
def add_event(request_id):
    db = get_db()
    requests.get(db, request_id)
    kind = request.form.get("kind", "")
    values = {k: request.form.get(k, "") for k in ("kind", "occurred_on", "note")}
    # Only the chosen kind's fields count: the form shows (and sends) no others.
    data = {f.name: request.form.get(f.name, "") for f in events.fields(kind)}
    try:
        requests.add_event(db, request_id, kind, values["occurred_on"] or None, note=values["note"], data=data,
                           actor=actor_id(), submission_key=request.form.get("form_key") or None,
                           config=instance().config, form=True)
    except (errors.Invalid, errors.Conflict) as e:
        return _show(request_id, event_values=dict(values, **data), event_errors=_form_errors(e), status=400)
    return redirect(url_for(".show", request_id=request_id) + "#timeline", code=303)


@bp.post("/<int:request_id>/events/<int:event_id>/delete")
def delete_event(request_id, event_id):
    db = get_db()
    requests.get(db, request_id)
    try:
        requests.delete_event(db, event_id, request_id=request_id, actor=actor_id(), config=instance().config)
    except errors.NotFound as e:
        return _show(request_id, event_errors={"form": str(e)}, status=404)
    except errors.Conflict as e:
        return _show(request_id, event_errors={"form": str(e)}, status=400)
    return redirect(url_for(".show", request_id=request_id) + "#timeline", code=303)


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
def edit(request_id):
    db = get_db()
    row = requests.get(db, request_id)
    errors_found = {}
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in ("title", "description", "method", "tracking_number")}
        try:
            requests.update(db, request_id, values, actor=actor_id(), config=instance().config)
        except errors.Invalid as e:
            errors_found = _form_errors(e)
            row = dict(row, **values)
        else:
            return redirect(url_for(".show", request_id=request_id), code=303)
    return render_template("requests/edit.html", values=row, errors=errors_found, methods=requests.METHODS), (
        400 if errors_found else 200)
