"""Deadline and reminder commands: deadline, reminders run-once/list/refresh, scheduler, export ics."""
import datetime as dt

import click

from .. import clock, deadlines, ics, laws, mail, reminders, scheduler
from . import echo_json, fail, load_config, main, open_db


@main.command("deadline")
@click.argument("jurisdiction")
@click.argument("received_date")
@click.option("--extended", is_flag=True, help="Apply the law's extension (as if the agency claimed it).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def deadline(jurisdiction, received_date, extended, as_json):
    """Compute the statutory dates for a request received on RECEIVED_DATE (YYYY-MM-DD)."""
    code = jurisdiction.strip().upper()
    if code not in laws.NAMES:
        fail(f"Unknown jurisdiction {jurisdiction!r}; use a two-letter state code, DC or US.")
    try:
        received = dt.date.fromisoformat(received_date.strip())
    except ValueError:
        fail(f"{received_date!r} is not a valid date (use YYYY-MM-DD, e.g. 2026-08-28).")
    db = open_db()
    law = laws.get(db, code)
    if law is None:
        fail(f"No law on file for {code}; run `foia init` to load the law table.")
    events = [{"id": 1, "kind": "received_by_agency", "occurred_on": received.isoformat(), "data": {}}]
    try:
        dates = deadlines.compute(law, events, clock.today(), settings=deadlines.load_settings(db, load_config()),
                                  status="filed", extended=extended)
    except ValueError as e:  # a date beyond the holiday tables, for instance
        fail(str(e))
    result = dates.as_json()
    if as_json:
        echo_json(result)
        return
    click.echo(f"{law.name}: {law.law_name}")
    if dates.due:
        click.echo(f"Due:             {dates.due}")
        if extended:
            click.echo(f"Extended due:    {dates.extended_due or 'no extension period in the law'}")
    else:
        click.echo(f"Follow up:       {dates.follow_up} (no legal deadline)")
    if dates.acknowledge_by:
        click.echo(f"Acknowledge by:  {dates.acknowledge_by}")
    click.echo("")
    for line in result["explain"]:
        click.echo(f"  {line}")


@main.group("reminders")
def reminders_group():
    """Reminders about deadlines: dispatch, list, recompute."""


@reminders_group.command("run-once")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def reminders_run_once(as_json):
    """Deliver every reminder due now (for cron and tests), then exit."""
    config = load_config()
    db = open_db(config)
    report = reminders.tick(db, clock.now(), config=config)
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
    click.echo(f"{len(rows)} reminder(s)")


@reminders_group.command("refresh")
def reminders_refresh():
    """Recompute every request's deadlines and reminders (after editing laws or settings)."""
    config = load_config()
    db = open_db(config)
    errors = []
    count = deadlines.refresh_all(db, clock.today(), deadlines.load_settings(db, config), errors)
    click.echo(f"Recomputed deadlines and reminders for {count} request(s).")
    for request_id, message in errors:
        click.echo(f"Skipped request #{request_id} (its stored dates are kept): {message}", err=True)


@main.command("scheduler")
def scheduler_command():
    """Run the reminder dispatcher alone (every minute) until stopped; use with several web workers."""
    config = load_config()
    open_db(config).conn.close()
    click.echo(f"Dispatching reminders every {scheduler.INTERVAL} seconds. {mail.status(config)} Ctrl-C stops.")
    scheduler.run_forever(config)


@main.group("export")
def export_group():
    """Export data: an iCalendar file of deadlines, archives of documents."""


@export_group.command("ics")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def export_ics(out):
    """Write every live deadline to OUT.ics (stable UIDs: re-import to update)."""
    config = load_config()
    try:
        count = ics.write(open_db(config), out, config.get("BASE_URL", ""))
    except OSError as e:
        fail(f"Cannot write {out}: {e.strerror or e}")
    click.echo(f"{count} event(s) written to {out}")
