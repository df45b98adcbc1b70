"""Statutory deadlines, derived from a request's timeline and the law table, never stored by hand.

:func:`compute` is pure: (law, timeline events, today, the agency's closed days, settings) ->
:class:`Dates`. The rule:

- Day 0 is the day the agency received the request (``received_by_agency``, else ``filed``).
- Business-day laws: the due date is the N-th business day after day 0 (weekends, the
  jurisdiction's public holidays with observed dates, and the agency's own closed days skipped).
- Calendar-day laws: day 0 + N days, rolled forward to the next business day if that is closed.
- Extension (an ``extension_claimed`` event, its data may carry ``{"days": N}``): E units of the
  law's extension day type added to the original (unrolled) due date, then rolled forward.
- Acknowledgement: ``acknowledgement_days`` business days after day 0.
- Laws with no fixed period: no legal due date, a follow-up date instead (default 10 business days).
- Clarification: ``clarification_requested`` stops the clock (that day still counts),
  ``clarification_answered`` restarts it from the answer date with the days that remained, or
  with the full period where ``law-settings.csv`` says the law restarts it. A request made on the
  due date itself (for calendar days: up to the business day the due date rolls forward to) still
  stops the clock; no days remain, so the answer date (or the next business day, if it is closed)
  becomes the due date. A request made after the due date changes nothing.

Every date carries explanation lines: the rule, the citation, the days counted and each day
skipped with its reason. :mod:`foia.recompute` writes the results to the database (``requests.due_on`` and the
``request_dates`` table) and re-plans the request's reminders. ``requests.due_on``, "overdue", the
reminders and the calendar feed follow the operative due date (``operative_due``: an agency's
estimate or certification where the law makes it operative), then the extended, then the statutory
due date, then the follow-up date.

The package: ``engine`` (the pure computation), ``settings`` (instance and per-law settings),
``store`` (the ``request_dates`` cache). This module re-exports their public names.
"""
from .engine import (ACKNOWLEDGING_KINDS, CLARIFICATION_KINDS, DECIDED_KINDS, Dates, as_date,
                     compute)
from .settings import (LAW_SETTINGS_CSV, SETTING_KEYS, SETTING_LIMITS, LawSettings, Settings,
                       law_settings, load_settings, read_law_settings, save_settings, store_setting)
from .store import (DATE_COLUMNS, LEGAL_DUE_SQL, REQUEST_ROWS, TARGET_SQL, TIMELINE, dashboard, for_request,
                    mark_refreshed, migrations, refreshed_on)

__all__ = ["ACKNOWLEDGING_KINDS", "CLARIFICATION_KINDS", "DECIDED_KINDS", "Dates", "as_date", "compute",
           "LAW_SETTINGS_CSV", "SETTING_KEYS", "SETTING_LIMITS", "LawSettings", "Settings", "law_settings",
           "load_settings", "read_law_settings", "save_settings", "store_setting", "DATE_COLUMNS",
           "LEGAL_DUE_SQL", "TARGET_SQL", "REQUEST_ROWS", "TIMELINE", "dashboard", "for_request", "mark_refreshed", "migrations", "refreshed_on"]
