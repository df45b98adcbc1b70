"""Where the packaged folders are: the page templates and the letter templates.

In the repository they sit at the top level (``templates/``, ``letters/``); an installed wheel carries
them inside the package. Everything that needs one of them asks here.
"""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _folder(name: str) -> Path:
    packaged = PACKAGE / "_bundled" / name
    return packaged if packaged.is_dir() else PACKAGE.parent / name


TEMPLATES = _folder("templates")  # Jinja pages, and the texts of e-mails and notifications
LETTERS = _folder("letters")  # the default letter templates (user-editable Jinja)
