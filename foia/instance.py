"""One running instance of foia: its folder, its settings, its database, its files and its clock.

An :class:`Instance` is built once by the web app (``create_app`` keeps it as
``app.extensions["foia"]``) and once per CLI invocation (click's ``ctx.obj``), then passed to whatever
needs a setting, the database or the file store. Two instances in one process (two apps, or a test
with two folders) keep their own settings: nothing about an instance lives in a module global.
"""
import datetime as dt
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from . import clock, laws, resources
from . import config as config_module
from . import db as db_module
from .errors import Invalid
from .filestore import LocalStore
from .letters import storage as letter_storage


class Instance:
    """An instance folder and its merged configuration.

    The configuration is, in order: :data:`foia.config.DEFAULTS`, ``<folder>/config.py``, the
    ``FOIA_*`` environment variables, then ``overrides``. The folder is ``path``, else
    ``overrides["INSTANCE_PATH"]``, else ``FOIA_INSTANCE``, else ``./instance``; it is created if missing.
    """

    def __init__(self, path: str | os.PathLike | None = None, overrides: Mapping | None = None, *,
                 environ: Mapping[str, str] | None = None):
        environ = os.environ if environ is None else environ
        overrides = dict(overrides or {})
        folder = path or overrides.pop("INSTANCE_PATH", None)
        self.path = Path(folder).resolve() if folder else config_module.instance_path(environ)
        overrides.pop("INSTANCE_PATH", None)
        self.config: dict = config_module.load(self.path, overrides, environ)
        try:
            self.timezone = ZoneInfo(self.config["TIMEZONE"] or config_module.DEFAULTS["TIMEZONE"])
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid("TIMEZONE", f"Unknown time zone {self.config['TIMEZONE']!r}; use a name "
                                      "such as America/New_York.") from None

    def __repr__(self) -> str:
        return f"<Instance {self.path}>"

    # -- storage --------------------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return Path(self.config["DATABASE"])

    def connect(self) -> sqlite_utils.Database:
        """A new connection to the instance database (the caller closes it)."""
        return db_module.connect(str(self.db_path))

    def prepare(self) -> sqlite_utils.Database:
        """A connection to the database, migrated, with the law table loaded if it is empty."""
        database = self.connect()
        db_module.migrate(database)
        if not database.execute("SELECT count(*) FROM laws").fetchone()[0]:
            laws.load_into(database)
        # Letters an earlier version kept in their own folder move into the one file store.
        letter_storage.move_legacy_files(self.letters_dir, self.store)
        return database

    @functools.cached_property
    def store(self) -> LocalStore:
        """The one content-addressed file store (uploads, letters, messages)."""
        return LocalStore(self.config["FILES_DIR"])

    @property
    def letters_dir(self) -> Path:
        """Where generated letters are kept."""
        return Path(self.config["LETTERS_DIR"])

    @property
    def letter_templates(self) -> Path:
        """The folder of letter templates: ``LETTER_TEMPLATES``, else the packaged ``letters/``."""
        configured = self.config.get("LETTER_TEMPLATES")
        return Path(configured).resolve() if configured else resources.LETTERS

    # -- the clock ------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """Local wall-clock time in the instance's time zone (naive, to the second)."""
        return clock.now(self.timezone)

    def today(self) -> dt.date:
        return clock.today(self.timezone)

    def stamp(self) -> str:
        return clock.stamp(self.timezone)
