"""A letter rendered: template -> Markdown -> blocks, and the blocks as an HTML document.

:func:`render` builds the context, runs the template and parses the Markdown with
:mod:`foia.markup`. That one parsed :class:`Letter` feeds both :func:`to_html` (then the PDF) and
:mod:`foia.letters.docx`, so the two formats carry the same words in the same order.
"""
import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from .. import clock, markup, requests
from ..errors import Invalid
from .context import build_context
from .templates import DEFAULT_TEMPLATE, render_markdown


@dataclasses.dataclass
class Letter:
    """A rendered letter: the Markdown source, its parsed blocks, and what both formats share."""

    request_id: int
    template: str
    options: dict
    date: str  # ISO date of the letter
    title: str
    author: str
    letterhead: list[str]
    running_header: str  # printed at the top of every page after the first
    markdown: str
    blocks: list
    warnings: list[str]

    def texts(self) -> list[str]:
        """Letterhead lines, then each paragraph, heading and list item: the words of the letter."""
        return list(self.letterhead) + markup.block_texts(self.blocks)


def letterhead(person: dict) -> list[str]:
    lines = [person["name"]]
    if person.get("organization"):
        lines.append(person["organization"])
    lines.append(", ".join(person.get("address_lines") or person["address"].splitlines()))
    contact = [c for c in (person.get("email"), person.get("phone")) if c]
    if contact:
        lines.append(" · ".join(contact))
    return [markup.typography(line) for line in lines]


def render(db, request_id, template: str | None = None, options: dict | None = None, *,
           folder: Path | None = None, today: dt.date | None = None,
           law_fields: Mapping | None = None, settings=None) -> Letter:
    """Build the context, run the template, parse the Markdown."""
    request = requests.get(db, request_id)
    template = template or request["template"] or DEFAULT_TEMPLATE
    context = build_context(db, request["id"], options, today=today or clock.today(), law_fields=law_fields,
                            settings=settings)
    source = render_markdown(context, template, folder)
    blocks = markup.parse(source)
    if not blocks:
        raise Invalid("template", f"letter template {template}: it produced an empty letter")
    name = context["requester"]["name"]
    return Letter(
        request_id=request["id"],
        template=template,
        options=context["options"],
        date=context["date_iso"],
        title=f"{context['law']['law_name']} request: {request['title']}",
        author=name,
        letterhead=letterhead(context["requester"]),
        running_header=markup.typography(f"{name} · {context['agency']['name']} · {context['date']}"),
        markdown=source,
        blocks=blocks,
        warnings=context["warnings"] + (context["appeal_warnings"] if template.startswith("appeal") else []),
    )


def to_html(letter: Letter, css_href: str | None = None) -> str:
    """The letter as a complete HTML document (link ``css_href`` for a browser preview)."""
    esc = markup.html.escape
    link = f'<link rel="stylesheet" href="{esc(css_href)}">\n' if css_href else ""
    head_lines = "".join(
        f'<p class="{"name" if i == 0 else "line"}">{esc(line)}</p>\n' for i, line in enumerate(letter.letterhead)
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{esc(letter.title)}</title>\n"
        f'<meta name="author" content="{esc(letter.author)}">\n'
        f'<meta name="dcterms.created" content="{letter.date}">\n'
        f'<meta name="dcterms.modified" content="{letter.date}">\n'
        f"{link}</head>\n<body>\n"
        f'<div class="running-header">{esc(letter.running_header)}</div>\n'
        f'<header class="letterhead">\n{head_lines}</header>\n'
        f'<main class="letter">\n{markup.to_html(letter.blocks)}</main>\n</body>\n</html>\n'
    )
