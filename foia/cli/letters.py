"""Letter and campaign commands: letter, campaign create/run/show/letters, settings requester."""
import shutil
from pathlib import Path

import click

from .. import campaigns, letters
from . import echo_json, fail, load_config, main, open_db


def _open():
    config = load_config()
    database = open_db(config)
    return database, config


def _warn(messages):
    for message in messages:
        click.echo(f"Warning: {message}", err=True)


@main.command("letter")
@click.argument("request_id", type=int)
@click.option("--format", "fmt", type=click.Choice(letters.FORMATS), default="pdf", show_default=True,
              help="File format.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the letter.")
@click.option("--template", default=None, help="Letter template (default: the request's, else ring-partnership).")
@click.option("--option", "option_pairs", multiple=True, metavar="KEY=VALUE",
              help="Letter option, e.g. date_from=2019-01-01 or rolling=no (repeatable; see `foia letter-options`).")
def letter(request_id, fmt, out, template, option_pairs):
    """Render request REQUEST_ID's letter to a PDF or DOCX file (also kept in the instance)."""
    db, config = _open()
    try:
        options = letters.parse_option_pairs(option_pairs) if option_pairs else None
        row = letters.generate(db, request_id, fmt, config["LETTERS_DIR"], template, options,
                               folder=letters.templates_dir(config))
    except letters.LetterError as e:
        fail(str(e), 2 if str(e).startswith("unknown request") else 1)
    _warn(row["warnings"])
    shutil.copyfile(letters.file_path(row, config["LETTERS_DIR"]), out)
    click.echo(f"{out} ({row['size']} bytes, sha256 {row['sha256'][:12]}, letter {row['id']})")


@main.command("letter-options")
def letter_options():
    """List the letter options and the templates available."""
    for key, text in letters.OPTION_HELP.items():
        click.echo(f"{key:18} {text}")
    click.echo("")
    for template in letters.list_templates(letters.templates_dir(load_config())):
        click.echo(f"template {template['name']}: {template['description']}")


@main.group("campaign")
def campaign_group():
    """One letter template sent to many agencies."""


def _run(db, config, campaign_id):
    campaign = campaigns.get(db, campaign_id)
    with click.progressbar(length=campaign["total"], label=f"Campaign {campaign_id}", file=None,
                           show_pos=True) as bar:
        state = {"done": 0}

        def advance(done, total, errors):
            bar.update(done - state["done"])
            state["done"] = done

        result = campaigns.run(db, campaign_id, letters_dir=config["LETTERS_DIR"],
                               folder=letters.templates_dir(config), on_progress=advance)
    click.echo(f"Campaign {campaign_id}: {result['done']} of {result['total']} agencies done, "
               f"{len(result['errors'])} error(s).")
    for error in result["errors"]:
        click.echo(f"  {error['agency']}: {error['error']}", err=True)
    if result["errors"]:
        raise SystemExit(1)


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
def campaign_create(name, template, states, kind, ring_partners, pasted, option_pairs, no_run):
    """Create a campaign, print its id, and run it with a progress bar."""
    db, config = _open()
    try:
        options = letters.parse_option_pairs(option_pairs)
        campaign_id = campaigns.create(
            db, name=name, template=template, options=options, states=states, kind=kind,
            ring_partners=ring_partners, pasted=pasted.read() if pasted else "",
            folder=letters.templates_dir(config),
        )
    except (campaigns.CampaignError, letters.LetterError) as e:
        fail(str(e))
    click.echo(campaign_id)
    if not no_run:
        _run(db, config, campaign_id)


@campaign_group.command("run")
@click.argument("campaign_id", type=int)
def campaign_run(campaign_id):
    """Run (or resume) campaign CAMPAIGN_ID; letters already made are kept."""
    db, config = _open()
    try:
        campaigns.get(db, campaign_id)
    except campaigns.NotFound as e:
        fail(str(e), 2)
    _run(db, config, campaign_id)


@campaign_group.command("show")
@click.argument("campaign_id", type=int)
def campaign_show(campaign_id):
    """Print a campaign's progress as JSON."""
    db, _ = _open()
    try:
        echo_json(campaigns.progress(db, campaign_id))
    except campaigns.NotFound as e:
        fail(str(e), 2)


@campaign_group.command("list")
def campaign_list():
    """List campaigns with their progress."""
    db, _ = _open()
    for row in campaigns.all_campaigns(db):
        click.echo(f"{row['id']:4} {row['status']:11} {row['done']}/{row['total']:<5} {row['template']:18} {row['name']}")


@campaign_group.command("letters")
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(letters.FORMATS), default="pdf", show_default=True,
              help="Which letters.")
@click.option("--out", "out", type=click.Path(file_okay=True), required=True,
              help="A folder to copy the letters into, or a file ending in .zip.")
def campaign_letters(campaign_id, fmt, out):
    """Copy all letters of campaign CAMPAIGN_ID into a folder (or one ZIP file)."""
    db, config = _open()
    try:
        campaigns.get(db, campaign_id)
    except campaigns.NotFound as e:
        fail(str(e), 2)
    if out.lower().endswith(".zip"):
        count = campaigns.write_zip(db, campaign_id, config["LETTERS_DIR"], out, fmt)
        click.echo(f"{count} letters in {out}")
        return
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows = campaigns.campaign_letters(db, campaign_id, fmt)
    for row in rows:
        shutil.copyfile(letters.file_path(row, config["LETTERS_DIR"]), folder / letters.download_name(db, row))
    click.echo(f"{len(rows)} letters in {folder}")


settings_group = main.commands.get("settings")
if settings_group is None:
    @main.group("settings")
    def settings_group():
        """Settings kept in the database."""


@settings_group.command("requester")
@click.option("--name", help="Your name, as it signs the letters.")
@click.option("--organization", help="Organization (optional).")
@click.option("--address", help="Postal address; use \\n or several lines for line breaks.")
@click.option("--email", help="Email address agencies reply to.")
@click.option("--phone", help="Phone number (optional).")
def settings_requester(**given):
    """Show or set the requester's details used in every letter."""
    db, _ = _open()
    current = letters.requester(db)
    changes = {k: v.replace("\\n", "\n") for k, v in given.items() if v is not None}
    if changes:
        try:
            current = letters.save_requester(db, {**current, **changes})
        except letters.LetterError as e:
            fail(str(e))
        click.echo("Requester saved.")
    echo_json(current)
