"""Reminders: which ones a request needs, and the dispatcher that delivers due ones exactly once.

The ``reminders`` table is the truth about what is due. The package:

- ``schema``: the tables (reminders, notifications, preferences) and their migrations;
- ``plan``: which reminders a request's dates call for, and to whom (pure);
- ``store``: the stored reminders, re-planned by :mod:`foia.recompute`, and the user's own;
- ``dispatch``: the claim/lease dispatcher that delivers due ones exactly once;
- ``messages``: the texts (templates in ``templates/email/`` and ``templates/notifications/``);
- ``inbox``: the in-app notifications.

This module re-exports their public names.
"""
from .schema import CHANNELS, KINDS, PLANNED_KINDS, migrations
from .plan import Plan, due_at, plan, recipients
from .store import (EXISTING, add_custom, delete_pending, disabled_kinds, for_request, get, listing, replan,
                    replan_many, retry_now, set_disabled_kinds, users)
from .messages import compose, digest, notification
from .inbox import inbox, mark_read, unread_count
from .dispatch import BATCH, LEASE, MAX_BACKOFF, Report, backoff, claim, dispatch_due

__all__ = ["CHANNELS", "KINDS", "PLANNED_KINDS", "migrations", "Plan", "due_at", "plan", "recipients", "EXISTING",
           "add_custom", "delete_pending", "disabled_kinds", "for_request", "get", "listing", "replan", "replan_many",
           "retry_now", "set_disabled_kinds", "users", "compose", "digest", "notification", "inbox", "mark_read",
           "unread_count", "BATCH", "LEASE", "MAX_BACKOFF", "Report", "backoff", "claim", "dispatch_due"]
