"""Letter commands: letter, letter-options, settings requester (campaigns are in ``foia.cli.campaigns``)."""
import shutil

import click

from .. import letters
from . import echo_json, main, open_db, pass_instance


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
@pass_instance
def letter(instance, request_id, fmt, out, template, option_pairs):
    """Render request REQUEST_ID's letter to a PDF or DOCX file (also kept in the instance)."""
    db = open_db()
    options = letters.parse_option_pairs(option_pairs) if option_pairs else None
    row = letters.generate(db, request_id, fmt, instance.store, template, options, folder=instance.letter_templates)
    _warn(row["warnings"])
    with letters.open_file(row, instance.store) as data, open(out, "wb") as copy:
        shutil.copyfileobj(data, copy)
    click.echo(f"{out} ({row['size']} bytes, sha256 {row['sha256'][:12]}, letter {row['id']})")


@main.command("letter-options")
@pass_instance
def letter_options(instance):
    """List the letter options and the templates available."""
    for key, text in letters.OPTION_HELP.items():
        click.echo(f"{key:18} {text}")
    click.echo("")
    for template in letters.list_templates(instance.letter_templates):
        click.echo(f"template {template['name']}: {template['description']}")


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
    db = open_db()
    current = letters.requester(db)
    changes = {k: v.replace("\\n", "\n") for k, v in given.items() if v is not None}
    if changes:
        current = letters.save_requester(db, {**current, **changes})
        click.echo("Requester saved.")
    echo_json(current)
