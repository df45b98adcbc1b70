"""Letter HTML to PDF with WeasyPrint and the template folder's ``letter.css``.

The renderer fetches only stylesheets and fonts inside the letter-template folder: nothing from
the network or elsewhere on disk, whatever the letter's text says.

Importing this module imports WeasyPrint (about half a second), so the package does not import it
up front: :func:`foia.letters.storage.render_bytes` and :func:`foia.letters.warm` load it when a
PDF is first needed.
"""
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML, URLFetcher
from weasyprint.text.fonts import FontConfiguration

from .templates import stylesheet

FETCHABLE = (".css", ".ttf", ".otf", ".woff", ".woff2")


class LetterFetcher(URLFetcher):
    """Fetches only stylesheets and fonts inside the letter-template folder; nothing else."""

    def __init__(self, folder: Path):
        super().__init__(allowed_protocols=("file",))
        self.folder = folder.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"letters do not fetch {url}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.folder) or path.suffix.lower() not in FETCHABLE:
            raise ValueError(f"letters do not fetch {url}")
        return super().fetch(path.as_uri(), headers)


_tools: dict[str, tuple] = {}


def pdf_tools(folder: Path | None = None):
    """Per-process cache: the parsed ``letter.css``, a font configuration and the URL fetcher."""
    css_path = stylesheet(folder)
    key = f"{css_path}:{css_path.stat().st_mtime_ns}"
    if key not in _tools:
        fetcher = LetterFetcher(css_path.parent)
        fonts = FontConfiguration()
        css = CSS(filename=str(css_path), url_fetcher=fetcher, font_config=fonts)
        _tools.clear()
        _tools[key] = (css, fonts, fetcher, css_path.parent.as_uri() + "/")
    return _tools[key]


def to_pdf(html: str, folder: Path | None = None) -> bytes:
    """Render letter HTML to PDF bytes with ``letter.css``; fonts are embedded (subset)."""
    css, fonts, fetcher, base_url = pdf_tools(folder)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[css], font_config=fonts, pdf_identifier=b"foia-letter")
