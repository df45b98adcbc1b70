"""The one clock of the application.

Everything that needs "now" asks this module, so tests fake time in exactly one place:
set ``FOIA_NOW`` (an ISO date-time, e.g. ``2026-09-01T09:00:00``) in the environment, or call
:func:`set_now` in-process. Times are naive local times in the instance's time zone, which the caller
passes in (``instance.now()`` does): deadlines are counted in local calendar days. This module reads
no configuration; without a zone it uses the default one (``TIMEZONE`` in :data:`foia.config.DEFAULTS`).
"""
import datetime as dt
import os
from zoneinfo import ZoneInfo

from .config import DEFAULTS

DEFAULT_TIMEZONE = ZoneInfo(DEFAULTS["TIMEZONE"])

_override: dt.datetime | None = None


def set_now(value: dt.datetime | str | None) -> None:
    """Pin the clock (tests); ``None`` returns to the real time."""
    global _override
    _override = dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def timezone(tz: dt.tzinfo | None = None) -> dt.tzinfo:
    return tz or DEFAULT_TIMEZONE


def now(tz: dt.tzinfo | None = None) -> dt.datetime:
    """Local wall-clock time in ``tz``, without tzinfo, to the second."""
    if _override is not None:
        return _override.replace(microsecond=0)
    fixed = os.environ.get("FOIA_NOW")
    if fixed:
        return dt.datetime.fromisoformat(fixed).replace(microsecond=0)
    return dt.datetime.now(timezone(tz)).replace(tzinfo=None, microsecond=0)


def today(tz: dt.tzinfo | None = None) -> dt.date:
    return now(tz).date()


def stamp(tz: dt.tzinfo | None = None) -> str:
    """``now()`` as stored in the database: ``YYYY-MM-DDTHH:MM:SS``."""
    return now(tz).isoformat(timespec="seconds")
