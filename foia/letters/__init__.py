"""Request letters: one Jinja template producing Markdown, rendered to PDF and to DOCX.

The package's modules, one job each:

- :mod:`.schema`: the ``letters`` table (migrations);
- :mod:`.categories`: the record categories (``foia/data/record-categories.csv``);
- :mod:`.options`: letter options, validated into one canonical dict;
- :mod:`.requester`: the requester who signs the letters (settings);
- :mod:`.templates`: the template folder, the Jinja environment and its filters;
- :mod:`.context`: everything a template may print about a request;
- :mod:`.render`: template -> Markdown -> blocks (:class:`Letter`), and the letter as HTML;
- :mod:`.pdf`: HTML -> PDF (WeasyPrint, ``letter.css``; imported when a PDF is first made, as
  importing WeasyPrint takes half a second); :mod:`.docx`: blocks -> DOCX (python-docx);
- :mod:`.storage`: letter bytes in the one file store, the rows that record them, downloads.

This module re-exports the public names, so callers write ``letters.render(...)``.
"""
from . import language
from .categories import CATEGORIES_CSV, Category, categories
from .context import DENIAL_EVENTS, ESTIMATE_EVENTS, EXPEDITED, RELEASE_EVENTS, build_context, title_adds
from .docx import base_document, to_docx
from .options import (BOOL_OPTIONS, CUSTODIANS, DATE_OPTIONS, DEFAULT_DATE_FROM, DEFAULT_OPTIONS, DOMAIN_OPTIONS,
                      LIST_OPTIONS, OPTION_HELP, SEARCH_TERMS, TEXT_OPTIONS, normalize_options,
                      parse_option_pairs)
from .render import Letter, letterhead, render, to_html
from .requester import REQUESTER_FIELDS, REQUESTER_REQUIRED, requester, save_requester
from .schema import migrations
from .storage import (FORMATS, MIME, as_store, download_name, file_path, for_request, generate, get,
                      move_legacy_files, open_file, render_bytes, store)
from .templates import (DEFAULT_TEMPLATE, DEFAULT_TEMPLATES, list_templates, render_markdown, stylesheet,
                        templates_dir)


def warm(folder=None) -> None:
    """Load what rendering needs once per process (WeasyPrint and the parsed stylesheet, the DOCX base)."""
    from .pdf import pdf_tools  # see render_bytes: WeasyPrint is loaded when PDFs are to be made

    pdf_tools(folder)
    base_document()


__all__ = [
    "BOOL_OPTIONS", "CATEGORIES_CSV", "CUSTODIANS", "Category", "DATE_OPTIONS", "DEFAULT_DATE_FROM",
    "DEFAULT_OPTIONS", "DEFAULT_TEMPLATE", "DEFAULT_TEMPLATES", "DENIAL_EVENTS", "DOMAIN_OPTIONS",
    "ESTIMATE_EVENTS", "EXPEDITED", "FORMATS", "LIST_OPTIONS", "Letter", "MIME", "OPTION_HELP",
    "RELEASE_EVENTS", "REQUESTER_FIELDS", "REQUESTER_REQUIRED", "SEARCH_TERMS",
    "TEXT_OPTIONS", "as_store", "language", "base_document", "build_context", "categories", "download_name", "file_path",
    "for_request", "generate", "get", "letterhead", "list_templates", "migrations", "move_legacy_files",
    "normalize_options", "open_file", "parse_option_pairs", "render", "render_bytes",
    "render_markdown", "requester", "save_requester", "store", "stylesheet", "templates_dir", "title_adds",
    "to_docx", "to_html", "warm",
]
