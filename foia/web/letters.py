"""Letters in the browser: requester settings, letter form with HTML preview, generate, download."""
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from .. import letters, markup, requests
from ..errors import Invalid
from ..letters.templates import title as template_title
from . import actor_id, get_db, instance

bp = Blueprint("letters", __name__)
# The letters section of the request page (the partial reads request_row, and request_letters()).
REQUEST_SECTION = ("letters/_request_letters.html", lambda db, row: {"request_row": row})


@bp.app_context_processor
def _letters_for_templates():
    def request_letters(request_id):
        return letters.for_request(get_db(), request_id)
    return {"request_letters": request_letters}


@bp.app_template_filter("letter_title")
def letter_title(name: str | None) -> str:
    """``{{ l.template|letter_title }}``: a letter template's name as its title."""
    return template_title(name)


def _folder():
    return instance().letter_templates


def form_options(source) -> dict:
    """Letter options from a submitted form (checkboxes absent = off)."""
    raw = {}
    for key in (letters.DATE_OPTIONS + letters.TEXT_OPTIONS + letters.LIST_OPTIONS + letters.DOMAIN_OPTIONS
                + ("fee_ceiling",)):
        if key in source:
            raw[key] = source.get(key, "")
    for key in letters.BOOL_OPTIONS:
        raw[key] = "yes" if source.get(key) else "no"
    chosen = source.getlist("categories")
    raw["categories"] = ",".join(chosen) if chosen else []
    return raw


def typed_options(source, stored: dict) -> dict:
    """The options as the user typed them (to show a form again beside its errors): each field's
    submitted text, in the shapes the form's fields print (lists as one item holding the text)."""
    shown = dict(stored)
    for key in letters.DATE_OPTIONS + letters.TEXT_OPTIONS + ("fee_ceiling",):
        if key in source:
            shown[key] = source.get(key, "")
    for key in letters.LIST_OPTIONS + letters.DOMAIN_OPTIONS:
        if key in source:
            shown[key] = [source.get(key, "")]
    for key in letters.BOOL_OPTIONS:
        shown[key] = bool(source.get(key))
    shown["categories"] = source.getlist("categories")
    return shown


def _form(request_id, *, values=None, options=None, error: Invalid | None = None, warnings=()):
    db = get_db()
    row = requests.get(db, request_id)
    agency = db["agencies"].get(row["agency_id"])
    options = options or letters.normalize_options(row["options"] or {})
    if error is not None and values is not None and "options_form" in values:
        options = typed_options(values, options)
    return render_template(
        "letters/form.html", request_row=row, agency=agency, templates=letters.list_templates(_folder()),
        template=(values or {}).get("template") or row["template"] or letters.DEFAULT_TEMPLATE,
        options=options, categories=letters.categories(), error=str(error) if error else None,
        errors=error.errors if error else {}, warnings=warnings,
        requester=letters.requester(db), letters_list=letters.for_request(db, request_id),
    ), (error.status if error else 200)


@bp.get("/requests/<int:request_id>/letters")
def new(request_id):
    return _form(request_id)


@bp.get("/requests/<int:request_id>/letters/preview")
def preview(request_id):
    """The letter as HTML, exactly as the PDF will read, before anything is stored."""
    db = get_db()
    row = requests.get(db, request_id)
    template = request.args.get("template") or None
    try:
        options = letters.normalize_options(form_options(request.args)) if "options_form" in request.args else None
        letter = letters.render(db, request_id, template, options, folder=_folder(), today=instance().today())
    except Invalid as e:
        return _form(request_id, values=request.args, error=e)
    return render_template(
        "letters/preview.html", request_row=row, letter=letter, letter_html=markup.to_html(letter.blocks),
        all_category_keys=[c.key for c in letters.categories()],
    )


@bp.post("/requests/<int:request_id>/letters")
def generate(request_id):
    db = get_db()
    requests.get(db, request_id)
    fmt = request.form.get("format", "pdf")
    try:
        options = letters.normalize_options(form_options(request.form))
        row = letters.generate(db, request_id, fmt, instance().store, request.form.get("template") or None, options,
                               folder=_folder(), actor=actor_id(), today=instance().today())
    except Invalid as e:
        return _form(request_id, values=request.form, error=e)
    # The browser downloads the new letter and stays on the preview; the request page lists it (the
    # preview already showed any warnings).
    return redirect(url_for(".download", letter_id=row["id"]), code=303)


@bp.get("/letters/<int:letter_id>/download")
def download(letter_id):
    db = get_db()
    row = letters.get(db, letter_id)
    return send_file(letters.open_file(row, instance().store), mimetype=letters.MIME[row["format"]], as_attachment=True,
                     download_name=letters.download_name(db, row), etag=row["sha256"])


@bp.get("/letters/letter.css")
def stylesheet():
    return send_file(letters.stylesheet(_folder()), mimetype="text/css", max_age=0)


@bp.route("/settings/requester", methods=["GET", "POST"])
def requester_settings():
    db = get_db()
    error = None
    values = letters.requester(db)
    if request.method == "POST":
        values = {field: request.form.get(field, "") for field in letters.REQUESTER_FIELDS}
        try:
            letters.save_requester(db, values)
        except Invalid as e:
            error = e
        else:
            flash("Requester details saved.")
            return redirect(url_for(".requester_settings"), code=303)
    return render_template("letters/requester.html", values=values, error=str(error) if error else None,
                           errors=error.errors if error else {},
                           required=letters.REQUESTER_REQUIRED), (error.status if error else 200)
