"""Deadlines and reminders on the web: the notifications inbox, the calendar feed, the reminder
settings, and the reminders section of a request page. Thin views over deadlines/reminders/ics."""
import datetime as dt
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import deadlines, errors, formats, ics, mail, recompute, reminders
from . import actor_id, get_db, instance, link_base
from . import safe_next
from .auth import admin_only, public, self_service

bp = Blueprint("deadlines", __name__)


def unread_count() -> int:
    """Unread notifications of the signed-in user (for the header badge; 0 when signed out)."""
    user_id = actor_id()
    return reminders.unread_count(get_db(), user_id) if user_id else 0


def context() -> dict:
    """Template globals this blueprint offers to every page."""
    return {"unread_count": unread_count}


def _channel_words(rows: list[dict]) -> str:
    """"in the app", "by e-mail to ana@example.org", "in the app and by e-mail to …"."""
    words = []
    if any(r["channel"] == "app" for r in rows):
        words.append("in the app")
    mailed = sorted({r["recipient"] for r in rows if r["channel"] == "email"})
    if mailed:
        words.append("by e-mail to " + ", ".join(mailed))
    return " and ".join(words)


def grouped_reminders(rows: list[dict], *, mail_on: bool) -> list[dict]:
    """One entry per reminder (its kind, time and note) with the channels it goes out on, instead
    of one row per channel. With e-mail not set up, e-mail copies that were never tried are left
    out (they are skipped at delivery, or were): the reminder appears "in the app" only.

    Each entry: kind, due_at, note, request_id (and the first row's title, agency_name when
    present), ``rows`` (the channel rows, for their states and actions), ``channels`` (words)."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        if row["channel"] == "email" and not mail_on and (row["outcome"] == "skipped" or not row["attempts"]):
            continue
        key = (row["request_id"], row["kind"], row["due_at"], row["note"] or "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = {**row, "rows": []}
        group["rows"].append(row)
    found = list(groups.values())
    for group in found:
        group["channels"] = _channel_words(group["rows"])
        group["pending"] = any(not r["sent_at"] for r in group["rows"])
    return found


def request_context(db, request_id, today=None) -> dict:
    """What ``deadlines/_request_dates.html`` needs for one request."""
    today = today or instance().today()
    return {
        "dates": deadlines.for_request(db, request_id, today=today,
                                       settings=deadlines.load_settings(db, instance().config)),
        "reminder_rows": grouped_reminders(reminders.for_request(db, request_id),
                                           mail_on=mail.is_configured(instance().config)),
        "disabled_kinds": reminders.disabled_kinds(db, request_id),
        "reminder_kinds": reminders.KINDS,
        "planned_kinds": reminders.PLANNED_KINDS,
        "dates_request_id": request_id,
    }


def dashboard_context(db, today=None) -> dict:
    """What ``deadlines/_dashboard.html`` needs."""
    return {"deadline_board": deadlines.dashboard(db, today or instance().today())}


REQUEST_SECTION = ("deadlines/_request_dates.html", lambda db, row: request_context(db, row["id"]))
DASHBOARD_SECTION = ("deadlines/_dashboard.html", lambda db: dashboard_context(db))


def _back(default: str):
    """Back to the form's ``next`` page when it is a path on this site, else to ``default``."""
    target = request.form.get("next") or ""
    return redirect(safe_next(target, default), code=303)


def _link(path: str) -> str:
    """The address of ``path`` (from ``url_for``) under ``FOIA_BASE_URL`` (else the address the request came in on), for links read outside the
    site (calendar apps), like those in e-mail."""
    return link_base() + path[len(request.script_root):]


# --- notifications inbox ------------------------------------------------------------------------

@bp.get("/notifications")
def inbox():
    unread_only = request.args.get("unread") == "1"
    rows = reminders.inbox(get_db(), actor_id(), unread_only=unread_only)
    return render_template("deadlines/notifications.html", rows=rows, unread_only=unread_only,
                           mail_on=mail.is_configured(instance().config), mail_status=mail.status(instance().config))


@bp.post("/notifications/<int:notification_id>/read")
@self_service
def mark_read(notification_id):
    reminders.mark_read(get_db(), actor_id(), notification_id)
    return _back(url_for(".inbox"))


@bp.post("/notifications/read-all")
@self_service
def mark_all_read():
    count = reminders.mark_read(get_db(), actor_id())
    flash(f"{formats.plural(count, 'notification')} marked read.")
    return _back(url_for(".inbox"))


# --- calendar feed and settings -----------------------------------------------------------------

@bp.get("/calendar/<token>.ics")
@public
def feed(token):
    db = get_db()
    if not ics.check_token(db, token):
        abort(404)
    response = Response(ics.calendar(db, link_base()), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="foia-deadlines.ics"'
    response.headers["Cache-Control"] = "no-cache"
    return response


def _calendar_page(db, problems=None, form=None):
    admin = current_user.is_admin
    return render_template(
        "deadlines/calendar.html",
        feed_url=_link(url_for(".feed", token=ics.token(db))) if admin else None,
        admin=admin, settings=deadlines.load_settings(db, instance().config),
        mail_status=mail.status(instance().config), mail_on=mail.is_configured(instance().config),
        events=len(ics.entries(db)), errors=problems or {}, form=form, recompute_job=recompute.latest_job(db))


@bp.get("/calendar")
def calendar_page():
    return _calendar_page(get_db())


@bp.post("/calendar/rotate")
@admin_only
def rotate_token():
    ics.token(get_db(), rotate=True)
    flash("A new calendar address was made; the old one no longer works.")
    return redirect(url_for(".calendar_page"), code=303)


@bp.post("/calendar/settings")
@admin_only
def save_settings():
    db = get_db()
    form = request.form
    # The fields the form sent (a setting it does not show keeps its value); the digest checkbox
    # is sent only when ticked.
    values = {name: form[name].strip() for name in deadlines.SETTING_KEYS if name != "digest" and name in form}
    values["digest"] = form.get("digest") == "1"
    try:
        recompute.settings_saved(db, values, config=instance().config, actor=actor_id())
    except errors.Invalid as e:
        return _calendar_page(db, dict(e.errors, settings=str(e)), form), 400
    flash("Reminder settings saved. Deadlines and reminders are being recomputed in the background; "
          "the progress is shown below.")
    return redirect(url_for(".calendar_page"), code=303)


# --- reminders --------------------------------------------------------------------------------

@bp.get("/reminders")
def reminder_list():
    show = request.args.get("show", "pending")
    show = show if show in ("pending", "failed", "all") else "pending"
    mail_on = mail.is_configured(instance().config)
    rows = reminders.listing(get_db(), pending_only=show == "pending", failed_only=show == "failed", limit=500)
    return render_template("deadlines/reminders.html", rows=grouped_reminders(rows, mail_on=mail_on), show=show,
                           kinds=reminders.KINDS, mail_status=mail.status(instance().config), mail_on=mail_on)


@bp.get("/requests/<int:request_id>/dates")
def request_dates(request_id):
    return render_template("deadlines/request.html", **request_context(get_db(), request_id))


def _request_page(request_id):
    return url_for("requests.show", request_id=request_id) + "#reminders"


def _reminder_of(request_id, reminder_id) -> dict:
    """The reminder, if it belongs to the request in the URL; 404 otherwise."""
    row = reminders.get(get_db(), reminder_id)
    if row is None or row["request_id"] != request_id:
        abort(404, description=f"Request {request_id} has no reminder {reminder_id}.")
    return row


@bp.post("/requests/<int:request_id>/reminders/kinds")
def set_kinds(request_id):
    db = get_db()
    off = [k for k in reminders.PLANNED_KINDS if request.form.get(f"on_{k}") != "1"]
    recompute.reminder_kinds(db, request_id, off, config=instance().config)
    flash("Reminder choices saved." + (f" Off: {', '.join(reminders.KINDS[k] for k in off)}." if off else ""))
    return _back(_request_page(request_id))


@bp.post("/requests/<int:request_id>/reminders/custom")
def add_custom(request_id):
    db = get_db()
    try:
        reminders.add_custom(db, request_id, request.form.get("on", ""), request.form.get("note", ""),
                             settings=deadlines.load_settings(db, instance().config), actor=actor_id())
    except (errors.Invalid, errors.Conflict) as e:
        flash(f"Reminder not added: {e}")
    else:
        flash(f"You will be reminded on {formats.day(request.form.get('on'))}.")
    return _back(_request_page(request_id))


@bp.post("/requests/<int:request_id>/reminders/<int:reminder_id>/retry")
def retry(request_id, reminder_id):
    _reminder_of(request_id, reminder_id)
    try:
        reminders.retry_now(get_db(), reminder_id)
    except errors.Conflict as e:
        flash(str(e))
    else:
        flash("The reminder will be sent again within a minute.")
    return _back(_request_page(request_id))


@bp.post("/requests/<int:request_id>/reminders/<int:reminder_id>/delete")
def delete(request_id, reminder_id):
    row = _reminder_of(request_id, reminder_id)
    db = get_db()
    # The reminder on every channel it was going out on (one line on the page).
    copies = [r["id"] for r in reminders.for_request(db, request_id)
              if (r["kind"], r["due_at"], r["note"]) == (row["kind"], row["due_at"], row["note"])
              and not r["sent_at"] and r["id"] != reminder_id]
    try:
        reminders.delete_pending(db, reminder_id, request_id)
        for copy in copies:
            reminders.delete_pending(db, copy, request_id)
    except (errors.NotFound, errors.Conflict) as e:
        flash(str(e))
    else:
        flash("Reminder removed.")
    return _back(_request_page(request_id))


_ISO_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b(?: (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)?")


_COUNT = re.compile(r"\b(\d+) (\w+ )?day\(s\)")


@bp.app_template_filter("in_words")
def in_words(text: str) -> str:
    """An explanation line of the deadline engine for people: its ISO dates as words
    ("2026-09-12 Saturday" -> "Sat 12 Sep 2026") and its counts with the right plural
    ("1 day(s)" -> "1 day", "45 business day(s)" -> "45 business days")."""
    def words(match):
        if match.group(2) and formats.day(match.group(1)).split(" ", 1)[0] != match.group(2)[:3]:
            return f"{formats.day(match.group(1))} {match.group(2)}"
        return formats.day(match.group(1))
    text = _COUNT.sub(lambda m: formats.plural(int(m.group(1)), (m.group(2) or "") + "day"), text or "")
    return _ISO_DAY.sub(words, text)


@bp.app_template_filter("reason_line")
def reason_line(line: str) -> str:
    """An explanation line as the one-line reason shown beside a date: without its leading
    "Operative due date 2026-09-21: " (the date is shown already), in words (:func:`in_words`)."""
    head, sep, rest = (line or "").partition(": ")
    if sep and _ISO_DAY.search(head) and rest:
        line = rest[:1].upper() + rest[1:]
    return in_words(line)


@bp.app_template_filter("weekday")
def weekday(day) -> str:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return day.strftime("%a")
