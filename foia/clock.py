"""The one clock of the application.

Everything that needs "now" asks this module, so tests fake time in exactly one place:
set ``FOIA_NOW`` (an ISO date-time, e.g. ``2026-09-01T09:00:00``) in the environment, or call
:func:`set_now` in-process. Times are naive local times in the configured time zone
(``TIMEZONE`` in the configuration or ``FOIA_TIMEZONE``; default America/New_York): deadlines are counted in local calendar days.
"""
import datetime as dt
import os
from zoneinfo import ZoneInfo

_override: dt.datetime | None = None


def set_now(value: dt.datetime | str | None) -> None:
    """Pin the clock (tests); ``None`` returns to the real time."""
    global _override
    _override = dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def timezone() -> ZoneInfo:
    from . import config

    return ZoneInfo(config.current().get("TIMEZONE") or "America/New_York")


def now() -> dt.datetime:
    """Local wall-clock time, without tzinfo, to the second."""
    if _override is not None:
        return _override.replace(microsecond=0)
    fixed = os.environ.get("FOIA_NOW")
    if fixed:
        return dt.datetime.fromisoformat(fixed).replace(microsecond=0)
    return dt.datetime.now(timezone()).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    return now().date()


def stamp() -> str:
    """``now()`` as stored in the database: ``YYYY-MM-DDTHH:MM:SS``."""
    return now().isoformat(timespec="seconds")
