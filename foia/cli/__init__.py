"""The ``foia`` command. Every subcommand calls the same domain functions as the web UI.

Feature commands live in sibling modules (``foia/cli/<feature>.py``) that add themselves to
:data:`main`; ``COMMAND_MODULES`` lists them. Each invocation builds one
:class:`foia.instance.Instance` (click's ``ctx.obj``); commands take it with ``@pass_instance`` or the
migrated database with ``@with_db``. Errors are handled once, in :class:`Group`: a
:mod:`foia.errors` error or a file-system error (a missing output folder, say) becomes a one-line
message and a non-zero exit (2 for something not found), never a traceback.
"""
import functools
import importlib
import json

import click

from ..errors import FoiaError, NotFound
from ..instance import Instance

COMMAND_MODULES = ("foia.cli.core", "foia.cli.accounts", "foia.cli.deadlines", "foia.cli.letters", "foia.cli.documents",
                   "foia.cli.campaigns", "foia.cli.jobs", "foia.cli.mail")

# What a file-system error means, in words.
OS_REASONS = (
    (FileNotFoundError, "no such file or folder"),
    (IsADirectoryError, "that is a folder, not a file"),
    (NotADirectoryError, "part of that path is not a folder"),
    (FileExistsError, "it already exists"),
    (PermissionError, "permission denied"),
)


def os_error_message(e: OSError) -> str:
    reason = next((text for kind, text in OS_REASONS if isinstance(e, kind)), None) or e.strerror or str(e)
    target = e.filename if e.filename is not None else ""
    if e.filename2 is not None:
        target = f"{target} -> {e.filename2}"
    return f"Could not use {target}: {reason}." if target else f"{reason[0].upper()}{reason[1:]}."


def _ours(e: Exception) -> bool:
    """An exception class defined in foia: its message is written for the user (anything else is a bug)."""
    return type(e).__module__.partition(".")[0] == "foia"


class Group(click.Group):
    """The command group that turns user errors into one-line messages (for every subcommand)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as e:
            raise Failure(os_error_message(e)) from None
        except FoiaError as e:
            raise Failure(str(e), 2 if isinstance(e, NotFound) else 1) from None
        except Exception as e:
            if not _ours(e):
                raise
            # A feature's own error class (until every feature raises foia.errors): same handling.
            raise Failure(str(e), 2 if isinstance(e, LookupError) else 1) from None


class Failure(click.ClickException):
    """A one-line message on stderr and the exit code ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="foia")
def main():
    """Track public-records requests about police partnerships with Amazon Ring.

    Data lives in the instance folder: ./instance, or the folder named by FOIA_INSTANCE.
    """


def current_instance() -> Instance:
    """This invocation's instance, built on first use and kept as the root context's ``obj`` (so a
    command that needs none, such as a declined restore, creates no instance folder)."""
    root = click.get_current_context().find_root()
    if not isinstance(root.obj, Instance):
        root.obj = Instance()
    return root.obj


def pass_instance(fn):
    """Pass this invocation's :class:`Instance` as the first argument."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(current_instance(), *args, **kwargs)
    return wrapper


def load_config(overrides: dict | None = None) -> dict:
    """This invocation's configuration (plus ``overrides``)."""
    config = current_instance().config
    return {**config, **overrides} if overrides else config


def open_db(config: dict | None = None):
    """The instance database, migrated, with the law table loaded; closed when the command ends."""
    instance = current_instance()
    if config is not None and config.get("DATABASE") != instance.config["DATABASE"]:
        instance = Instance(instance.path, config)
    database = instance.prepare()
    click.get_current_context().call_on_close(database.conn.close)
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
    """Exit with a message on stderr (1; something not found uses 2)."""
    raise Failure(message, code)


for _name in COMMAND_MODULES:
    importlib.import_module(_name)
