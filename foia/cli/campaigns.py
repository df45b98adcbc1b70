"""Campaign commands: campaign create, run, show, list, letters.

``foia campaign run ID`` queues the campaign's letter run (the job ``campaign.letters``) and, unless
``--no-wait``, runs it here to completion with a progress bar; if another runner holds it, it shows
that runner's progress until the run ends.
"""
import shutil
import time
from pathlib import Path

import click

from .. import campaigns, jobs, letters
from ..formats import plural
from . import echo_json, fail, main, open_db, pass_instance

POLL = 1.0  # seconds between looks at a run held by another runner


@main.group("campaign")
def campaign_group():
    """One letter template sent to many agencies."""


def _report(db, campaign_id) -> None:
    state = campaigns.progress(db, campaign_id)
    click.echo(f"Campaign {campaign_id}: {state['done']} of {state['total']} agencies done, "
               f"{plural(len(state['errors']), 'error')}.")
    for error in state["errors"]:
        click.echo(f"  {error['agency']}: {error['error']}", err=True)
    job = state["job"]
    if job and job["state"] != "done":
        if job["state"] == "queued" and job["error"]:
            fail(f"The run failed (attempt {job['attempts']} of {job['max_attempts']}): {job['error']} "
                 f"It will be tried again from {job['run_after'].replace('T', ' ')} by the scheduler, "
                 f"or now with `foia jobs retry {job['id']}`.")
        if job["state"] == "failed":
            fail(f"The run failed after {plural(job['attempts'], 'attempt')}: {job['error']} "
                 f"Retry with `foia jobs retry {job['id']}`.")
        if job["state"] == "cancelled":
            fail("The run was cancelled.")
    if state["errors"]:
        raise SystemExit(1)


def _run(db, instance, campaign_id, wait: bool = True) -> None:
    job_id = campaigns.start(db, campaign_id)
    if not wait:
        click.echo(f"Campaign {campaign_id} is queued as job {job_id}; the scheduler will run it "
                   f"(or run it now with `foia jobs run-once`).")
        return
    total = campaigns.get(db, campaign_id)["total"]
    with click.progressbar(length=total, label=f"Campaign {campaign_id}", file=None, show_pos=True) as bar:
        shown = {"done": 0}

        def advance(done, _total=None, _message=""):
            bar.update(done - shown["done"])
            shown["done"] = done

        while True:
            outcome = jobs.run_one(instance, job_id, listener=advance, db=db)
            job = jobs.get(db, job_id)
            if outcome is not None or job["state"] not in jobs.LIVE:
                break
            # Held by another runner (or its lease has not run out yet): follow its progress.
            advance(job["progress_done"])
            time.sleep(POLL)
    _report(db, campaign_id)


@campaign_group.command("create")
@click.option("--name", required=True, help="Campaign name (also each request's title).")
@click.option("--template", default=letters.DEFAULT_TEMPLATE, show_default=True, help="Letter template.")
@click.option("--state", "states", multiple=True, metavar="XX", help="Agencies in this state (repeatable).")
@click.option("--kind", default="", help="Only agencies of this kind (police, sheriff, ...).")
@click.option("--ring-partners", is_flag=True, help="Only agencies with a known Ring partnership.")
@click.option("--agencies", "pasted", type=click.File("r"), default=None,
              help="File listing agencies, one a line: id, name, or 'name, ST' ('-' for stdin).")
@click.option("--option", "option_pairs", multiple=True, metavar="KEY=VALUE", help="Letter option (repeatable).")
@click.option("--no-run", is_flag=True, help="Only create it; run later with `foia campaign run ID`.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Run it here with a progress bar, or only queue it for the scheduler.")
@pass_instance
def campaign_create(instance, name, template, states, kind, ring_partners, pasted, option_pairs, no_run, wait):
    """Create a campaign, print its id, and run it with a progress bar."""
    db = open_db()
    options = letters.parse_option_pairs(option_pairs)
    campaign_id = campaigns.create(
        db, name=name, template=template, options=options, states=states, kind=kind,
        ring_partners=ring_partners, pasted=pasted.read() if pasted else "", folder=instance.letter_templates,
    )
    click.echo(campaign_id)
    if not no_run:
        _run(db, instance, campaign_id, wait)


@campaign_group.command("run")
@click.argument("campaign_id", type=int)
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Run it here with a progress bar, or only queue it for the scheduler.")
@pass_instance
def campaign_run(instance, campaign_id, wait):
    """Run (or resume) campaign CAMPAIGN_ID; letters already made are kept."""
    db = open_db()
    campaigns.get(db, campaign_id)
    _run(db, instance, campaign_id, wait)


@campaign_group.command("show")
@click.argument("campaign_id", type=int)
def campaign_show(campaign_id):
    """Print a campaign's progress as JSON."""
    echo_json(campaigns.progress(open_db(), campaign_id))


@campaign_group.command("list")
def campaign_list():
    """List campaigns with their progress."""
    for row in campaigns.all_campaigns(open_db()):
        click.echo(f"{row['id']:4} {row['status']:9} {row['done']}/{row['total']:<5} {row['template']:18} {row['name']}")


@campaign_group.command("letters")
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(letters.FORMATS), default="pdf", show_default=True,
              help="Which letters.")
@click.option("--out", "out", type=click.Path(file_okay=True), required=True,
              help="A folder to copy the letters into, or a file ending in .zip.")
@pass_instance
def campaign_letters(instance, campaign_id, fmt, out):
    """Copy all letters of campaign CAMPAIGN_ID into a folder (or one ZIP file)."""
    db = open_db()
    campaigns.get(db, campaign_id)
    files = instance.store
    if out.lower().endswith(".zip"):
        count = campaigns.write_zip(db, campaign_id, files, out, fmt)
        click.echo(f"{count} letters in {out}")
        return
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows = campaigns.campaign_letters(db, campaign_id, fmt)
    for row in rows:
        with letters.open_file(row, files) as data, open(folder / letters.download_name(db, row), "wb") as copy:
            shutil.copyfileobj(data, copy)
    click.echo(f"{len(rows)} letters in {folder}")
