from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from markupsafe import Markup

from .. import agencies, deadlines, errors, events, formats, laws, letters, lifecycle, requests
from .deadlines import reason_line
from . import actor_id, confirm_page, confirmed, form_token, get_db, instance, named_sections, page_number, parse_id

bp = Blueprint("requests", __name__, url_prefix="/requests")
FORM_FIELDS = ("agency_id", "title", "description", "method", "tracking_number", "filed_on")
# Where each feature's section of the request page goes: the main column (the story of the
# request) or the side column (dates, reminders, letters, documents). Others go to the side.
MAIN_SECTIONS = ("correspondence/_conversation.html",)
SIDE_ORDER = ("deadlines/_request_dates.html", "letters/_request_letters.html", "documents/_request_documents.html")
ALREADY_CREATED = "This request was already created; here it is."
SORT_LABELS = {"updated": "Last updated", "created": "Newest", "due": "Due date", "agency": "Agency",
               "status": "Status", "id": "Number"}


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
                           states=agencies.states_in_use(db), sort_labels=SORT_LABELS, page=page_number(),
                           per_page=per_page)


def _agency_choices(db):
    return list(db.query("SELECT id, name, state FROM agencies ORDER BY state, name"))


def _form_errors(e: errors.FoiaError) -> dict[str, str]:
    """Field -> message of a refused form ("form" for what belongs to no one field)."""
    found = getattr(e, "errors", None) or {}
    return {(field or "form"): message for field, message in found.items()} or {"form": str(e)}


def _new_request_key(db) -> str:
    """The one-time key of this browser session's new-request form. Every copy of the form loaded
    before a request is made from it (another tab, the page Back returns to) carries the same key,
    so submitting two of them makes one request; once a request used the key, a new one is made."""
    key = session.get("new_request_key")
    if not key or db.execute("SELECT 1 FROM requests WHERE submission_key = ?", [key]).fetchone():
        key = session["new_request_key"] = form_token()
    return key


@bp.route("/new", methods=["GET", "POST"])
def new():
    db = get_db()
    values = {"agency_id": request.args.get("agency", ""), "method": "email"}
    errors_found, similar = {}, []
    if request.method == "POST":
        values = {f: request.form.get(f, "") for f in FORM_FIELDS}
        key = request.form.get("form_key") or None
        try:
            result = requests.create(
                db, agency_id=values["agency_id"], title=values["title"], description=values["description"],
                method=values["method"], tracking_number=values["tracking_number"],
                filed_on=values["filed_on"] or None, owner_id=actor_id(), actor=actor_id(),
                submission_key=key, config=instance().config,
                check_similar=request.form.get("confirm_similar") != "yes",
            )
        except requests.SimilarRequest as e:
            similar = e.matches
        except (errors.Invalid, errors.Conflict) as e:
            errors_found = _form_errors(e)
        else:
            if key and session.get("new_request_key") == key:
                session.pop("new_request_key", None)
            if not result.created:
                flash(ALREADY_CREATED)
            return redirect(url_for(".show", request_id=result.id), code=303)
        form_key = key or _new_request_key(db)
    else:
        form_key = _new_request_key(db)
    return render_template("requests/new.html", values=values, errors=errors_found, agencies=_agency_choices(db),
                           methods=requests.METHOD_LABELS, similar=similar, form_key=form_key), (
        400 if errors_found else 409 if similar else 200)


# The likeliest next step, in order: what the form suggests when no kind was chosen.
LIKELY_NEXT = ("clarification_answered", "fee_paid", "appeal_decided", "filed", "acknowledged", "records_released")


def _chosen_kind(wanted: str, allowed: list[str]) -> str:
    """The kind whose fields the event form shows: the one asked for if the timeline allows it,
    else the likeliest next step."""
    if wanted in allowed:
        return wanted
    return next((k for k in LIKELY_NEXT if k in allowed),
                next((k for k in allowed if k not in ("drafted", "note")), "note"))


def event_details(event) -> list[tuple[str, Markup]]:
    """(label, value) of each detail an event records, for the timeline: dates as "Tue 8 Dec 2026"
    (in a <time> element), amounts as "$12.50", choices in words."""
    payload = events.payload(event)
    found = []
    for spec in payload.fields():
        value = getattr(payload, spec.name)
        if value is None:
            continue
        if spec.type == "date":
            text = Markup('<time datetime="{}">{}</time>').format(formats.iso(value), formats.day(value))
        elif spec.type == "money":
            text = Markup.escape(formats.money(value))
        else:
            text = Markup.escape(spec.display(value).replace("_", " "))
        found.append((spec.label, text))
    return found


def _summary(db, row) -> dict:
    """The top of the request page: the dates now in force, the due date's one-line reason and
    the next action (computed by the domain, never in the template)."""
    today = instance().today()
    dates = deadlines.for_request(db, row["id"], today=today,
                                  settings=deadlines.load_settings(db, instance().config))
    key = "operative_due" if dates.effective_due else "follow_up"
    reason = reason_line((dates.explain.get(key) or dates.explain.get("due") or [""])[0])
    return {"dates": dates, "due_reason": reason, "action": requests.next_action(row["status"], dates, today)}


def _columns(row) -> tuple[list[Markup], list[Markup]]:
    found = named_sections("request", row)
    main = [found.pop(name) for name in MAIN_SECTIONS if name in found]
    side = [found.pop(name) for name in SIDE_ORDER if name in found]
    return main, side + list(found.values())


def _show(request_id, *, event_values=None, event_errors=None, status=200, duplicate=None):
    db = get_db()
    row = requests.get(db, request_id)
    timeline = requests.events(db, request_id)
    today = instance().today().isoformat()
    next_kinds = [k for k in lifecycle.allowed_next(timeline, today) if k != "drafted"]
    values = dict(event_values or {"occurred_on": today})
    values["kind"] = _chosen_kind(values.get("kind") or request.args.get("kind", ""), next_kinds)
    main_sections, side_sections = _columns(row)
    return render_template(
        "requests/show.html", request_row=row, events=timeline, law=laws.get(db, row["agency_state"]),
        state_name=laws.NAMES.get(row["agency_state"], row["agency_state"]),
        requester_state=letters.requester(db).get("residence", ""),
        next_kinds=next_kinds, kind_fields={kind: events.fields(kind) for kind in next_kinds},
        event_values=values, event_errors=event_errors or {}, event_details=event_details,
        method_labels=requests.METHOD_LABELS, main_sections=main_sections, side_sections=side_sections, duplicate=duplicate,
        **_summary(db, row),
    ), status


@bp.get("/<int:request_id>")
def show(request_id):
    return _show(request_id)


@bp.post("/<int:request_id>/events")
def add_event(request_id):
    db = get_db()
    requests.get(db, request_id)
    kind = request.form.get("kind", "")
    values = {k: request.form.get(k, "") for k in ("kind", "occurred_on", "note", "form_key")}
    # Only the chosen kind's fields count: the form shows (and sends) no others.
    data = {f.name: request.form.get(f.name, "") for f in events.fields(kind)} if kind in events.LABELS else {}
    try:
        requests.add_event(db, request_id, kind, values["occurred_on"] or None, note=values["note"], data=data,
                           actor=actor_id(), submission_key=request.form.get("form_key") or None,
                           config=instance().config, form=True,
                           confirm_duplicate=request.form.get("confirm_duplicate") == "yes")
    except requests.DuplicateEvent as e:
        duplicate = {"message": f"{e} Tick the box below to record a second one, or change the date.", "label": events.label(kind), "day": values["occurred_on"]}
        return _show(request_id, event_values=dict(values, **data), event_errors={}, status=409,
                     duplicate=duplicate)
    except (errors.Invalid, errors.Conflict) as e:
        return _show(request_id, event_values=dict(values, **data), event_errors=_form_errors(e), status=400)
    return redirect(url_for(".show", request_id=request_id) + "#timeline", code=303)


@bp.post("/<int:request_id>/events/<int:event_id>/delete")
def delete_event(request_id, event_id):
    db = get_db()
    requests.get(db, request_id)
    event = requests.get_event(db, event_id, request_id=request_id)
    if not confirmed():
        return confirm_page(
            title="Remove this event?",
            message=f"Remove the {events.label(event['kind'])} event of {formats.day(event['occurred_on'])}? "
                    "The dates and reminders will be recounted.",
            button="Remove the event", cancel_url=url_for(".show", request_id=request_id) + "#timeline")
    try:
        requests.delete_event(db, event_id, request_id=request_id, actor=actor_id(), config=instance().config)
    except errors.Conflict as e:
        return _show(request_id, event_errors={"form": str(e)}, status=400)
    flash(f"The {events.label(event['kind'])} event of {formats.day(event['occurred_on'])} was removed.")
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
    return render_template("requests/edit.html", values=row, errors=errors_found, methods=requests.METHOD_LABELS), (
        400 if errors_found else 200)
