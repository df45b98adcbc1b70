"""The ``foia`` command. Every subcommand calls the same domain functions as the web UI.

Feature commands live in sibling modules (``foia/cli/<feature>.py``) that add themselves to
:data:`main`; ``COMMAND_MODULES`` lists them.
"""
import functools
import importlib
import json

import click

from .. import config as config_module
from .. import db as db_module

COMMAND_MODULES = ("foia.cli.core", "foia.cli.accounts", "foia.cli.deadlines", "foia.cli.letters", "foia.cli.documents")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="foia")
def main():
    """Track public-records requests about police partnerships with Amazon Ring.

    Data lives in the instance folder: ./instance, or the folder named by FOIA_INSTANCE.
    """


def load_config(overrides: dict | None = None) -> dict:
    return config_module.load(config_module.instance_path(), overrides)


def open_db(config: dict | None = None):
    """The instance database, migrated; the law table is loaded on first use."""
    config = config or load_config()
    database = db_module.connect(config["DATABASE"])
    db_module.migrate(database)
    if not database.execute("SELECT count(*) FROM laws").fetchone()[0]:
        from .. import laws

        laws.load_into(database)
    return database


def with_db(fn):
    """Pass the opened database as the first argument."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(open_db(), *args, **kwargs)
    return wrapper


def echo_json(value) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def fail(message: str, code: int = 1):
    """Exit with a message on stderr (ClickException exits 1; not-found uses 2 via ``code``)."""
    exc = click.ClickException(message)
    exc.exit_code = code
    raise exc


for _name in COMMAND_MODULES:
    importlib.import_module(_name)
