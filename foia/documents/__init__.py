"""Returned documents: storing, reading, classifying, searching and publishing them.

One module per job (none of them imports this package's ``__init__``; it only gathers their public
names so callers can write ``from foia import documents; documents.add_document(...)``):

- :mod:`.schema`: the tables, the search index and its triggers (migrations)
- :mod:`.names`: file names, titles, safe download headers
- :mod:`.sniff`: what a file is, from its bytes
- :mod:`.extract`: text of PDFs, DOCX, e-mails, HTML and text; members of ZIPs and e-mails; limits
- :mod:`.sandbox`: PDF and DOCX read in a child process with time and memory limits
- :mod:`.classify`: document types and the suggestion rules
- :mod:`.checks`: validation of dates and types typed by people
- :mod:`.ingest`: adding an upload (store, unpack, record, have its text read)
- :mod:`.reading`: the ``document.extract`` job
- :mod:`.catalog`: reading and changing document rows (title, type, publishing, removing and
  restoring); verifying the stored files
- :mod:`.search`: full-text search returning data (snippets as parts, never HTML)
- :mod:`.ocr`: OCR with Tesseract, as the ``document.ocr`` job

Files live in the content-addressed store (:mod:`foia.filestore`); which of them are still needed is
:mod:`foia.filerefs`' business.
"""
from .catalog import (MAX_TITLE, PREVIEW_CHARS, PUBLIC_FIELDS, preview, public_view, all_documents, check_title, count_removed, edit, for_request, get, members,
                      publish, remove, removed, restore, set_published, set_type, stats, unpublish, verify)
from .checks import check_date, check_type
from .classify import DOC_TYPES, RULES, suggest_type
from .extract import (EXTRACT_LIMITS, MAX_PARSE_SIZE, MAX_TEXT, ZIP_LIMITS, ExtractLimits, Extracted, ZipLimits,
                      check_zip, clean_text, decode_text, extract, html_to_text)
from .ingest import DEFAULT_MAX_SIZE, Added, add_document, request_summary
from .names import ascii_filename, content_disposition, one_line, safe_filename
from .ocr import OCR_JOB, ocr_available, ocr_document, ocr_job, request_ocr
from .reading import EXTRACT_JOB, is_pending, read_text
from .sandbox import extract_file
from .schema import FTS_COLUMNS, migrations
from .search import PER_PAGE, RANK_LIMIT, Results, archive, fts_query, search
from .sniff import DOCX, FILE_KINDS, IMAGE_TYPES, file_kind, INLINE_TYPES, PPTX, XLSX, inline_safe, sniff

__all__ = [
    "Added", "DEFAULT_MAX_SIZE", "MAX_TITLE", "check_title", "count_removed", "edit", "remove", "removed",
    "restore", "PREVIEW_CHARS", "PUBLIC_FIELDS", "preview", "public_view", "FILE_KINDS", "file_kind", "DOCX", "DOC_TYPES", "EXTRACT_JOB", "EXTRACT_LIMITS", "ExtractLimits",
    "Extracted", "FTS_COLUMNS", "IMAGE_TYPES", "INLINE_TYPES", "MAX_PARSE_SIZE", "MAX_TEXT", "OCR_JOB",
    "PER_PAGE", "PPTX", "RANK_LIMIT", "RULES", "Results", "XLSX", "ZIP_LIMITS", "ZipLimits", "add_document",
    "all_documents", "archive", "ascii_filename", "check_date", "check_type", "check_zip", "clean_text",
    "content_disposition", "decode_text", "extract", "extract_file", "for_request", "fts_query", "get",
    "html_to_text", "inline_safe", "is_pending", "members", "migrations", "ocr_available", "ocr_document",
    "ocr_job", "one_line", "publish", "read_text", "request_ocr", "request_summary", "safe_filename",
    "search", "set_published", "set_type", "sniff", "stats", "suggest_type", "unpublish", "verify",
]
