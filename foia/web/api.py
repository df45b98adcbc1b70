"""JSON API: the same data and filters as the pages. Errors (foia.errors) reach the app's one
handler, which answers JSON: ``{"error", "message", "status", "errors": {field: message}}``."""
from flask import Blueprint, abort, jsonify, request

from .. import agencies, laws, requests
from . import actor_id, get_db, instance, page_number
from .requests import list_args

bp = Blueprint("api", __name__, url_prefix="/api")


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Send a JSON object with Content-Type: application/json.")
    return data


def _per_page() -> int:
    return max(1, min(request.args.get("per_page", 50, type=int) or 50, 500))


@bp.get("/agencies")
def agency_list():
    rows, total = agencies.search(get_db(), q=request.args.get("q", "")[:200],
                                  state=request.args.get("state", "").upper()[:2],
                                  page=page_number(), per_page=_per_page())
    return jsonify({"total": total, "page": page_number(), "agencies": rows})


@bp.get("/agencies/<int:agency_id>")
def agency_detail(agency_id):
    db = get_db()
    agency = agencies.get(db, agency_id)
    law = laws.get(db, agency["state"])
    return jsonify(dict(agency, law=vars(law) if law else None))


@bp.get("/requests")
def request_list():
    rows, total = requests.search(get_db(), **list_args(), page=page_number(), per_page=_per_page())
    return jsonify({"total": total, "page": page_number(), "requests": rows})


@bp.get("/requests/<int:request_id>")
def request_detail(request_id):
    db = get_db()
    row = requests.get(db, request_id)
    return jsonify(dict(row, events=requests.events(db, request_id)))


@bp.post("/requests")
def request_create():
    body = _body()
    db = get_db()
    request_id = requests.create_request(
        db, agency_id=body.get("agency_id"), title=body.get("title", ""),
        description=body.get("description", ""), method=body.get("method", "email"),
        tracking_number=body.get("tracking_number", ""), filed_on=body.get("filed_on"),
        owner_id=actor_id(), actor=actor_id(), submission_key=body.get("submission_key"),
        config=instance().config)
    return jsonify(requests.get(db, request_id)), 201


@bp.post("/requests/<int:request_id>/events")
def event_create(request_id):
    body = _body()
    db = get_db()
    requests.get(db, request_id)
    event_id = requests.add_event(db, request_id, body.get("kind", ""), body.get("occurred_on"),
                                  note=body.get("note", ""), data=body.get("data"), actor=actor_id(),
                                  submission_key=body.get("submission_key"), config=instance().config,
                                  confirm_duplicate=body.get("confirm_duplicate") is True)
    return jsonify({"id": event_id, "request": requests.get(db, request_id)}), 201
