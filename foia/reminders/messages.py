"""The texts of reminders: e-mails, digests and in-app notifications, from Jinja templates.

The templates sit in ``templates/email/`` and ``templates/notifications/`` (found through
:data:`foia.resources.TEMPLATES`) and are rendered with plain Jinja, no Flask. Each renders a
``Subject:`` line, a blank line and the body, like an e-mail file, so the wording is edited in
one place.
"""
import functools

import jinja2

from .. import formats, links
from ..resources import TEMPLATES


@functools.cache
def _environment() -> jinja2.Environment:
    # Plain text: nothing to escape. StrictUndefined: a misspelt variable is an error, not a gap.
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def render(template: str, **context) -> tuple[str, str]:
    """(subject, body) of a message template."""
    text = _environment().get_template(template).render(**context)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"{template} must begin with a 'Subject: ' line and a blank line")
    return head.removeprefix("Subject: ").strip(), body.strip("\n") + "\n"


def _context(row: dict, config: dict | None, base_url: str | None = None) -> dict:
    # Links start with ``base_url`` (the caller's :func:`foia.links.base_url`, which knows the address
    # the site was last reached on), else BASE_URL, else this machine on the configured port.
    base = (base_url if base_url is not None else links.fallback(config)).rstrip("/")
    return {
        "r": row,
        "about": formats.day(row.get("about") or row["due_at"][:10]),  # Tue 15 Sep 2026
        "follow_up_only": row["kind"] in ("due_today", "follow_up") and row.get("target_kind") == "follow_up",
        "link": f"{base}/requests/{row['request_id']}" if base else "",
    }


def compose(row: dict, config: dict | None = None, *, base_url: str | None = None) -> tuple[str, str]:
    """Subject and body of a reminder e-mail, from the row as claimed (joined with its request)."""
    return render("email/reminder.txt", **_context(row, config, base_url))


def notification(row: dict, config: dict | None = None, *, base_url: str | None = None) -> tuple[str, str]:
    """Title and text of a reminder in the in-app inbox."""
    return render("notifications/reminder.txt", **_context(row, config, base_url))


def digest(rows: list[dict], day, config: dict | None = None, *, base_url: str | None = None) -> tuple[str, str]:
    """One e-mail for several reminders to one recipient."""
    messages = [dict(zip(("subject", "body"), compose(row, config, base_url=base_url))) for row in rows]
    return render("email/digest.txt", messages=messages, day=day.isoformat())
