"""Letter templates: the folder, the list offered, the Jinja environment and its filters.

A template is a ``NAME.md.j2`` file producing the Markdown subset of :mod:`foia.markup`. Every value
a template prints is escaped for that Markdown (the ``finalize`` hook), so what a user typed into
any field shows literally in both formats.
"""
import datetime as dt
import re
import traceback
from decimal import Decimal, InvalidOperation
from pathlib import Path

import jinja2

from .. import markup, resources
from ..errors import Invalid

DEFAULT_TEMPLATES = resources.LETTERS
DEFAULT_TEMPLATE = "ring-partnership"
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def templates_dir(config: dict | None = None) -> Path:
    """The letter-template folder: ``LETTER_TEMPLATES`` in the configuration, else the shipped one."""
    configured = (config or {}).get("LETTER_TEMPLATES")
    return Path(configured).resolve() if configured else DEFAULT_TEMPLATES


def stylesheet(folder: Path | None = None) -> Path:
    """The folder's ``letter.css`` (the PDF's stylesheet), else the shipped one."""
    path = Path(folder or DEFAULT_TEMPLATES).resolve() / "letter.css"
    return path if path.is_file() else DEFAULT_TEMPLATES / "letter.css"


# What the shipped templates are called on pages; another template's title comes from its name
# ("records-audit" -> "Records audit").
TITLES = {
    "ring-partnership": "Initial request: Ring partnership records",
    "follow-up": "Follow-up on a request",
    "appeal": "Appeal of a denial or a missed deadline",
}


def title(name: str | None) -> str:
    """A template's title for people: ``ring-partnership`` -> ``Initial request: Ring partnership records``."""
    if not name:
        return ""
    if name in TITLES:
        return TITLES[name]
    words = " ".join(str(name).replace("_", "-").split("-")).strip()
    return words[:1].upper() + words[1:]


def list_templates(folder: Path | None = None) -> list[dict]:
    """The templates available: name, title and the description from the file's first ``{# ... #}``."""
    folder = Path(folder or DEFAULT_TEMPLATES)
    found = []
    for path in sorted(folder.glob("*.md.j2")):
        name = path.name[: -len(".md.j2")]
        if not TEMPLATE_NAME.match(name):
            continue
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
        match = re.match(r"\s*\{#-?\s*(.*?)\s*-?#\}", head, re.S)
        description = " ".join(match.group(1).split()) if match else ""
        found.append({"name": name, "title": title(name), "description": description, "path": str(path)})
    return found


class Md(str):
    """Markdown that is already safe to print (the ``lines`` filter's output)."""


def _finalize(value):
    if value is None:
        return ""
    if isinstance(value, Md):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return markup.escape(str(value))


def lines(value) -> Md:
    """A multi-line value (an address) as escaped lines joined by hard line breaks."""
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = str(value or "").splitlines()
    return Md("\\\n".join(markup.escape(line.strip()) for line in items if line.strip()))


def one_paragraph(value) -> str:
    """A value with its line breaks and blank lines turned into spaces (to sit in one list item)."""
    return " ".join(str(value or "").split())


def require(value, message: str = "a value this template needs is missing"):
    if not value:
        raise Invalid("template", message)
    return ""


def date_words(value) -> str:
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{day:%B} {day.day}, {day.year}"


def money(value) -> str:
    """``25`` -> ``$25``; ``"1234.5"`` -> ``$1,234.50`` (amounts are decimal strings or numbers)."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def join_words(items, last: str = "and") -> str:
    items = [str(i) for i in items]
    if len(items) <= 2:
        return f" {last} ".join(items)
    return ", ".join(items[:-1]) + f", {last} " + items[-1]


def quoted(items, last: str = "or") -> str:
    """``["Ring", "Flock"]`` -> ``"Ring" or "Flock"`` (curly quotes come from the typography)."""
    return join_words([f'"{i}"' for i in items], last)


_environments: dict[str, jinja2.Environment] = {}


def environment(folder: Path) -> jinja2.Environment:
    key = str(folder)
    if key not in _environments:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(key),
            autoescape=False,  # the output is Markdown; _finalize escapes every printed value
            undefined=jinja2.StrictUndefined,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(lines=lines, date_words=date_words, money=money, join_words=join_words,
                           quoted=quoted, one_paragraph=one_paragraph)
        env.globals.update(require=require)
        _environments[key] = env
    return _environments[key]


def _template_error(exc: Exception, folder: Path, name: str) -> Invalid:
    """A message naming the template file and line of a syntax or runtime error."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{exc.filename or exc.name or name}, line {exc.lineno}"
        return Invalid("template", f"letter template {where}: {exc.message}")
    line = None
    filename = str(folder / f"{name}.md.j2")
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            filename, line = frame.filename, frame.lineno
    where = f"{filename}, line {line}" if line else filename
    return Invalid("template", f"letter template {where}: {exc}")


def check_template(template: str, folder: Path | None = None) -> None:
    folder = Path(folder or DEFAULT_TEMPLATES)
    if not TEMPLATE_NAME.match(template or "") or not (folder / f"{template}.md.j2").is_file():
        known = ", ".join(t["name"] for t in list_templates(folder)) or "none"
        raise Invalid("template", f"unknown letter template {template!r} (available: {known})")


def render_markdown(context: dict, template: str, folder: Path | None = None) -> str:
    """Run a template over a context; errors name the file and line."""
    folder = Path(folder or DEFAULT_TEMPLATES)
    check_template(template, folder)
    env = environment(folder)
    try:
        return env.get_template(f"{template}.md.j2").render(context)
    except Invalid as exc:
        if "letter template" in str(exc):
            raise
        raise _template_error(exc, folder, template) from None
    except Exception as exc:  # a syntax error, an undefined name, a failing filter inside the template
        raise _template_error(exc, folder, template) from None
