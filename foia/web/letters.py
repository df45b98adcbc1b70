"""Letters in the browser: requester settings, letter form with HTML preview, generate, download."""
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)

from .. import letters
from .. import db as db_module
from . import actor_id, get_db

bp = Blueprint("letters", __name__)
# The letters section of the request page (the partial reads request_row, and request_letters()).
REQUEST_SECTION = ("letters/_request_letters.html", lambda db, row: {"request_row": row})


@bp.app_context_processor
def _letters_for_templates():
    def request_letters(request_id):
        return letters.for_request(get_db(), request_id)
    return {"request_letters": request_letters}


def _folder():
    return letters.templates_dir(current_app.config)


def form_options(source) -> dict:
    """Letter options from a submitted form (checkboxes absent = off)."""
    raw = {}
    for key in letters.DATE_OPTIONS + letters.TEXT_OPTIONS + ("parties", "domains", "fee_ceiling"):
        if key in source:
            raw[key] = source.get(key, "")
    for key in letters.BOOL_OPTIONS:
        raw[key] = "yes" if source.get(key) else "no"
    chosen = source.getlist("categories")
    raw["categories"] = ",".join(chosen) if chosen else []
    return raw


def _request_or_404(db, request_id):
    try:
        return letters.request_row(db, request_id)
    except letters.LetterError:
        abort(404, description=f"No request with id {request_id}.")


def _form(request_id, *, values=None, options=None, error=None, warnings=(), status=200):
    db = get_db()
    row = _request_or_404(db, request_id)
    agency = db["agencies"].get(row["agency_id"])
    options = options or letters.normalize_options(db_module.loads(row["options"], {}) or {})
    return render_template(
        "letters/form.html", request_row=row, agency=agency, templates=letters.list_templates(_folder()),
        template=(values or {}).get("template") or row["template"] or letters.DEFAULT_TEMPLATE,
        options=options, categories=letters.categories(), error=error, warnings=warnings,
        requester=letters.requester(db), letters_list=letters.for_request(db, request_id),
    ), status


@bp.get("/requests/<int:request_id>/letters")
def new(request_id):
    return _form(request_id)


@bp.get("/requests/<int:request_id>/letters/preview")
def preview(request_id):
    """The letter as HTML, exactly as the PDF will read, before anything is stored."""
    db = get_db()
    _request_or_404(db, request_id)
    template = request.args.get("template") or None
    try:
        options = letters.normalize_options(form_options(request.args)) if "options_form" in request.args else None
        letter = letters.render(db, request_id, template, options, folder=_folder())
    except letters.LetterError as e:
        return _form(request_id, values=request.args, error=str(e), status=400)
    return render_template(
        "letters/preview.html", request_row=letters.request_row(db, request_id), letter=letter,
        letter_html=letters.markup.to_html(letter.blocks),
        all_category_keys=[c.key for c in letters.categories()],
    )


@bp.post("/requests/<int:request_id>/letters")
def generate(request_id):
    db = get_db()
    _request_or_404(db, request_id)
    fmt = request.form.get("format", "pdf")
    try:
        options = letters.normalize_options(form_options(request.form))
        row = letters.generate(db, request_id, fmt, current_app.config["LETTERS_DIR"],
                               request.form.get("template") or None, options, folder=_folder(),
                               actor=actor_id())
    except letters.LetterError as e:
        return _form(request_id, values=request.form, error=str(e), status=400)
    flash(f"Letter generated ({row['format'].upper()}, {row['size']:,} bytes).")
    for warning in row["warnings"]:
        flash(f"Warning: {warning}")
    return redirect(url_for("requests.show", request_id=request_id) + "#letters", code=303)


@bp.get("/letters/<int:letter_id>/download")
def download(letter_id):
    db = get_db()
    row = letters.get(db, letter_id)
    if row is None:
        abort(404, description=f"No letter with id {letter_id}.")
    path = letters.file_path(row, current_app.config["LETTERS_DIR"])
    if not path.is_file():
        abort(410, description="The letter's file is missing from the instance folder; generate it again.")
    return send_file(path, mimetype=letters.MIME[row["format"]], as_attachment=True,
                     download_name=letters.download_name(db, row))


@bp.get("/letters/letter.css")
def stylesheet():
    folder = _folder()
    path = folder / "letter.css"
    if not path.is_file():
        path = letters.DEFAULT_TEMPLATES / "letter.css"
    return send_file(path, mimetype="text/css", max_age=0)


@bp.route("/settings/requester", methods=["GET", "POST"])
def requester_settings():
    db = get_db()
    error = None
    values = letters.requester(db)
    if request.method == "POST":
        values = {field: request.form.get(field, "") for field in letters.REQUESTER_FIELDS}
        try:
            letters.save_requester(db, values)
        except letters.LetterError as e:
            error = str(e)
        else:
            flash("Requester details saved.")
            return redirect(url_for(".requester_settings"), code=303)
    return render_template("letters/requester.html", values=values, error=error,
                           required=letters.REQUESTER_REQUIRED), (400 if error else 200)
