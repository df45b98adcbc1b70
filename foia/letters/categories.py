"""The record categories a Ring letter may ask for: one table, ``foia/data/record-categories.csv``.

Categories 1-12 follow the checklist in ``foia/data/ring-record-categories.md`` (``source`` is
``checklist``); the later ones came from a records lawyer's review of the letters (``review``).
"""
import csv
import dataclasses
import functools
from pathlib import Path

CATEGORIES_CSV = Path(__file__).resolve().parent.parent / "data" / "record-categories.csv"


@dataclasses.dataclass(frozen=True)
class Category:
    number: int
    key: str
    checklist: str  # the short name: the opening words of the checklist item
    letter_text: str
    source: str  # "checklist" or "review"


@functools.cache
def _read(path: Path, mtime_ns: int) -> tuple[Category, ...]:
    with open(path, newline="", encoding="utf-8") as f:
        return tuple(
            Category(int(row["number"]), row["key"], row["checklist"], row["letter_text"], row["source"])
            for row in csv.DictReader(f)
        )


def categories() -> list[Category]:
    """The record categories, in their numbered order."""
    return list(_read(CATEGORIES_CSV, CATEGORIES_CSV.stat().st_mtime_ns))


def keys() -> list[str]:
    return [c.key for c in categories()]
