"""Checks of what people type about documents: a received date, a document type."""
import datetime as dt

from ..errors import Invalid
from .classify import DOC_TYPES


def check_date(value, what="received date", field="received_on") -> str:
    """``value`` as an ISO date string; :class:`~foia.errors.Invalid` naming ``field`` if it is not one."""
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise Invalid(field, f"The {what} {str(value)[:40]!r} is not a date (YYYY-MM-DD).") from None


def check_type(doc_type) -> str | None:
    """A known document type, or None for "use the suggestion"."""
    if doc_type in (None, ""):
        return None
    if doc_type not in DOC_TYPES:
        raise Invalid("doc_type", f"Unknown document type {str(doc_type)[:40]!r}; choose one of "
                                  f"{', '.join(DOC_TYPES.values())}.")
    return doc_type
