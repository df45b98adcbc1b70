"""Deadline and reminder commands: deadline, reminders run-once/list/refresh, scheduler, export ics."""
import datetime as dt
import json

import click

from .. import clock, deadlines, errors, events, ics, laws, links, mail, recompute, reminders, scheduler
from ..formats import plural
from . import echo_json, fail, main, open_db, pass_instance


def _timeline_file(path: str) -> list[dict]:
    """The events of a ``--timeline`` file: a JSON list of {"kind", "occurred_on", "data"}, each
    checked like any timeline event (the same kinds and payload fields)."""
    try:
        with open(path, encoding="utf-8") as f:
            items = json.load(f)
    except ValueError as e:
        raise errors.Invalid("timeline", f"{path} is not valid JSON ({e}).") from None
    if not isinstance(items, list):
        raise errors.Invalid("timeline", f"{path} must hold a list of events, each with a kind, a date "
                                         "(occurred_on) and its details (data).")
    timeline = []
    for number, item in enumerate(items, start=1):
        where = f"Event {number} in {path}"
        if not isinstance(item, dict):
            raise errors.Invalid("timeline", f"{where} is not an object with kind, occurred_on and data.")
        try:
            occurred = dt.date.fromisoformat(str(item.get("occurred_on") or "").strip()[:10])
        except ValueError:
            raise errors.Invalid("timeline", f"{where}: {item.get('occurred_on')!r} is not a date "
                                             "(use YYYY-MM-DD).") from None
        try:
            payload = events.parse(item.get("kind"), item.get("data") or {})
        except errors.Invalid as e:
            raise errors.Invalid("timeline", f"{where}: {e}") from None
        timeline.append({"id": number, "kind": item["kind"], "occurred_on": occurred.isoformat(),
                         "data": payload.as_json()})
    if not any(e["kind"] in ("filed", "received_by_agency") for e in timeline):
        raise errors.Invalid("timeline", f"{path} needs a filed or received_by_agency event: the deadlines "
                                         "count from the day the agency received the request.")
    return timeline


@main.command("deadline")
@click.argument("jurisdiction")
@click.argument("received_date", required=False)
@click.option("--timeline", "timeline_path", type=click.Path(exists=True, dir_okay=False),
              help="A JSON list of timeline events ({kind, occurred_on, data}) to compute from.")
@click.option("--extended", is_flag=True, help="Apply the law's extension (as if the agency claimed it).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_instance
def deadline(instance, jurisdiction, received_date, timeline_path, extended, as_json):
    """Compute the statutory dates for a request received on RECEIVED_DATE (YYYY-MM-DD), or for a
    whole timeline (--timeline FILE)."""
    code = jurisdiction.strip().upper()
    if code not in laws.NAMES:
        fail(f"Unknown jurisdiction {jurisdiction!r}; use a two-letter state code, DC or US.")
    if bool(received_date) == bool(timeline_path):
        fail("Give either the date the agency received the request (YYYY-MM-DD) or --timeline FILE.")
    if timeline_path:
        timeline = _timeline_file(timeline_path)
    else:
        try:
            received = dt.date.fromisoformat(received_date.strip())
        except ValueError:
            fail(f"{received_date!r} is not a valid date (use YYYY-MM-DD, e.g. 2026-08-28).")
        timeline = [{"id": 1, "kind": "received_by_agency", "occurred_on": received.isoformat(), "data": {}}]
    db = open_db()
    law = laws.require(db, code)
    settings = deadlines.load_settings(db, instance.config)
    try:
        dates = deadlines.compute(law, timeline, clock.today(), settings=settings,
                                  status=None if timeline_path else "filed", extended=extended)
    except ValueError as e:  # a date beyond the holiday tables, for instance
        fail(str(e))
    result = dates.as_json()
    if as_json:
        echo_json(result)
        return
    click.echo(f"{law.name}: {law.law_name}")
    rows = [("Acknowledge by", dates.acknowledge_by), ("Due", dates.due), ("Extended due", dates.extended_due),
            ("Operative due", dates.operative_due if dates.operative_due != dates.due else None),
            ("Produce by", dates.produce_by), ("Deemed denied on", dates.deemed_denied_on)]
    for label, day in rows:
        if day:
            click.echo(f"{label + ':':17}{day}")
    if extended and not dates.extended_due:
        click.echo(f"{'Extended due:':17}no extension period in the law")
    if not dates.due and dates.follow_up:
        click.echo(f"{'Follow up:':17}{dates.follow_up} (no legal deadline)")
    if dates.appeal:
        appeal = dates.appeal
        click.echo(f"{'Appeal:':17}{appeal['body']}" + (f", by {appeal['due']}" if appeal["due"] else ""))
    if law.residency.required:
        click.echo(f"{'Residency:':17}{law.residency.text}")
    click.echo("")
    for line in result["explain"]:
        click.echo(f"  {line}")


@main.group("reminders")
def reminders_group():
    """Reminders about deadlines: dispatch, list, recompute."""


@reminders_group.command("run-once")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_instance
def reminders_run_once(instance, as_json):
    """Deliver every reminder due now (for cron and tests), then exit."""
    config = instance.config
    db = open_db()
    report = scheduler.tick(db, clock.now(), config=config)
    if as_json:
        echo_json(vars(report) | {"mail": mail.status(config)})
        return
    click.echo(report.summary())
    if not mail.is_configured(config):
        click.echo(mail.status(config))


@reminders_group.command("list")
@click.option("--pending", is_flag=True, help="Only reminders not yet sent.")
@click.option("--failed", is_flag=True, help="Only reminders whose last delivery failed.")
@click.option("--limit", default=200, show_default=True, type=int, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def reminders_list(pending, failed, limit, as_json):
    """List reminders, soonest first."""
    rows = reminders.listing(open_db(), pending_only=pending, failed_only=failed, limit=limit)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = f"sent {row['sent_at']}" if row["sent_at"] else "pending"
        if row["outcome"] == "skipped":
            state = "skipped"
        if row["outcome"] == "failed":
            state = f"failed x{row['attempts']}, not retried (retry by hand): {row['last_error']}"
        elif not row["sent_at"] and row["last_error"]:
            state = f"failed x{row['attempts']}, retry {row['next_attempt_at']}: {row['last_error']}"
        click.echo(f"{row['id']:6} {row['due_at']} {row['kind']:20} {row['channel']:5} "
                   f"#{row['request_id']} {row['recipient']} [{state}]")
    click.echo(plural(len(rows), "reminder"))


@reminders_group.command("refresh")
@pass_instance
def reminders_refresh(instance):
    """Recompute every request's deadlines and reminders (after editing laws or settings)."""
    db = open_db()
    problems = []
    count = recompute.everything(db, config=instance.config, errors=problems)
    click.echo(f"Recomputed deadlines and reminders for {plural(count, 'request')}.")
    for request_id, message in problems:
        click.echo(f"Skipped request #{request_id} (its stored dates are kept): {message}", err=True)


@main.command("scheduler")
@pass_instance
def scheduler_command(instance):
    """Run the reminder dispatcher and the background jobs alone until stopped; use with several web workers."""
    config = instance.config
    instance.prepare().conn.close()
    click.echo(f"Dispatching reminders every {scheduler.INTERVAL} seconds and background jobs every "
               f"{scheduler.JOBS_INTERVAL} seconds. {mail.status(config)} Ctrl-C stops.")
    scheduler.run_forever(instance)


@main.group("export")
def export_group():
    """Export data: an iCalendar file of deadlines, archives of documents."""


@export_group.command("ics")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@pass_instance
def export_ics(instance, out):
    """Write every live deadline to OUT.ics (stable UIDs: re-import to update)."""
    try:
        db = open_db()
        count = ics.write(db, out, links.base_url(db, instance.config))
    except OSError as e:
        fail(f"Cannot write {out}: {e.strerror or e}")
    click.echo(f"{plural(count, 'event')} written to {out}")
