"""Core commands: init, serve, laws, agencies, requests."""
import json

import click
import waitress

from .. import accounts, agencies, demo, laws, lifecycle, recompute, requests
from ..web.app import create_app
from . import echo_json, fail, main, open_db, pass_instance, with_db


@main.command()
@click.option("--demo", "with_demo", is_flag=True, help="Also load the demo agencies and sample requests.")
@pass_instance
def init(instance, with_demo):
    """Create or upgrade the database and load the law table (safe to run again)."""
    database = open_db()
    count = laws.load_into(database)
    recompute.everything(database, config=instance.config, today=instance.today())  # the laws may have changed
    click.echo(f"Database ready: {instance.db_path} ({count} jurisdictions)")
    if with_demo:
        result = demo.load(database, config=instance.config, today=instance.today())
        click.echo(f"Demo agencies: {result['agencies']}; demo requests added: {result['requests_added']}")
        created = accounts.ensure_demo_admin(database)
        if created:
            click.echo(f"Demo admin: {created[0]}  password: {created[1]}  (shown once; change it at /account)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Requests served at once.")
@click.option("--no-scheduler", is_flag=True, help="Do not run the reminder dispatcher in this process.")
@pass_instance
def serve(instance, host, port, threads, no_scheduler):
    """Serve the web app with a production server (waitress), and the dispatcher unless --no-scheduler."""
    instance.config["SCHEDULER"] = not no_scheduler
    instance.config["PORT"] = port  # links made outside a request fall back to this port
    app = create_app(instance=instance)
    click.echo(f"Serving on http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="", _quiet=True)  # no Server header


@main.group("laws")
def laws_group():
    """The public-records law table."""


@laws_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_db
def laws_list(db, as_json):
    """List every jurisdiction with its response period."""
    rows = laws.all_laws(db)
    if as_json:
        echo_json([vars(law) for law in rows.values()])
        return
    for law in rows.values():
        period = f"{law.response_days} {law.day_type} days" if law.has_fixed_period else "no fixed period"
        click.echo(f"{law.jurisdiction:3} {period:20} {law.citation}")


@laws_group.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def laws_check(path):
    """Validate a law table CSV (default: the bundled one)."""
    rows = laws.read_csv(path) if path else laws.read_csv()
    click.echo(f"{len(rows)} rows OK")


@main.group("agencies")
def agencies_group():
    """Police departments and other agencies."""


@agencies_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_db
def agencies_import(db, path, as_json):
    """Import agencies from a CSV export (re-importing the same file changes nothing)."""
    report = agencies.import_csv(db, path)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.summary())
        for line, name, reason in report.rejected:
            click.echo(f"  rejected line {line} ({name or 'no name'}): {reason}")
        if report.unmapped_columns:
            click.echo("  ignored columns: " + ", ".join(report.unmapped_columns))


@agencies_group.command("list")
@click.option("--state", default="", help="Two-letter state code.")
@click.option("--q", default="", help="Search name or city.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_db
def agencies_list(db, state, q, as_json):
    """List agencies."""
    rows, total = agencies.search(db, q=q, state=state.upper(), per_page=100000)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']:5} {row['state']} {row['name']} ({row['city']})")
    click.echo(f"{total} agencies")


@main.group("requests")
def requests_group():
    """Records requests and their timelines."""


@requests_group.command("list")
@click.option("--status", default="", help="A status, or 'open'.")
@click.option("--state", default="", help="Two-letter state code.")
@click.option("--agency", "agency_id", type=int, help="Agency id.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_db
def requests_list(db, status, state, agency_id, as_json):
    """List requests, most recently changed first."""
    if status and status != "open" and status not in lifecycle.STATUSES:
        fail(f"Unknown status {status!r}; one of: open, {', '.join(lifecycle.STATUSES)}")
    rows, total = requests.search(db, status=status, state=state.upper(), agency_id=agency_id,
                                  per_page=1_000_000)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        due = f" due {row['due_on']}" if row["due_on"] else ""
        click.echo(f"{row['id']:5} {row['status']:22} {row['agency_state']} {row['agency_name']}: {row['title']}{due}")
    click.echo(f"{total} requests")


@requests_group.command("show")
@click.argument("request_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_db
def requests_show(db, request_id, as_json):
    """Show one request and its timeline."""
    row = requests.get(db, request_id)
    timeline = requests.events(db, request_id)
    if as_json:
        echo_json(dict(row, events=timeline))
        return
    click.echo(f"#{row['id']} {row['title']}\n{row['agency_name']} ({row['agency_state']}) - {row['status']}")
    for event in timeline:
        click.echo(f"  {event['occurred_on']} {event['kind']}" + (f": {event['note']}" if event["note"] else ""))


@requests_group.command("add")
@click.option("--agency", "agency_id", required=True, type=int, help="Agency id.")
@click.option("--title", required=True, help="Short title.")
@click.option("--description", default="", help="The records sought.")
@click.option("--method", type=click.Choice(requests.METHODS), default="email", show_default=True, help="How it is sent.")
@click.option("--tracking-number", default="", help="The agency's reference.")
@click.option("--filed-on", default=None, help="Date filed (YYYY-MM-DD); omit for a draft.")
@with_db
def requests_add(db, agency_id, title, description, method, tracking_number, filed_on):
    """Create a request (prints its id)."""
    request_id = requests.create_request(db, agency_id=agency_id, title=title, description=description,
                                         method=method, tracking_number=tracking_number, filed_on=filed_on)
    click.echo(request_id)


@requests_group.command("event")
@click.argument("request_id", type=int)
@click.argument("kind", type=click.Choice(list(lifecycle.EVENT_KINDS)))
@click.option("--on", "occurred_on", default=None, help="Date (YYYY-MM-DD); default today.")
@click.option("--note", default="", help="A note for the timeline.")
@click.option("--data", default=None, help='Extra JSON, e.g. {"outcome": "denied"} or {"days": 10}.')
@click.option("--again", is_flag=True, help="Record it even if the request has this kind of event on that day already.")
@with_db
def requests_event(db, request_id, kind, occurred_on, note, data, again):
    """Add a timeline event to a request."""
    try:
        extra = json.loads(data) if data else {}
        if not isinstance(extra, dict):
            raise ValueError
    except (ValueError, RecursionError):
        fail("--data must be a JSON object.")
    try:
        event_id = requests.add_event(db, request_id, kind, occurred_on, note=note, data=extra,
                                      confirm_duplicate=again)
    except requests.DuplicateEvent as e:
        fail(f"{e} Add --again to record a second one.")
    row = requests.get(db, request_id)
    click.echo(f"event {event_id} added; status {row['status']}")
