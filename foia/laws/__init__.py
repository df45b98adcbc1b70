"""Public-records laws, one per jurisdiction (50 states, DC and US federal): the law model.

- :mod:`.model`: the dataclasses (clocks, extension, estimates, deemed denial, appeal route,
  residency, fees, closed days), with the names of the first law table kept as properties;
- :mod:`.table`: reading and validating ``foia/data/laws-v2.csv``, ``appeals.csv`` and
  ``law-readings.csv`` (a malformed cell is an error naming its file, line and column);
- :mod:`.store`: the ``laws`` table in the database (:func:`load_into`, :func:`get`).

"(not verified)" cells never become numbers: they stay text, listed in ``Law.unverified``.
"""
from .model import (DAY_TYPES, NAMES, RESPONSE_KINDS, ROUTE_WORDS, ROUTES, UNVERIFIED, Appeal, Clock, DeemedDenial,
                    Estimate, Extension, Law, Period, Residency, is_unverified)
from .store import all_laws, from_row, get, load_into, migrations, require
from .table import (APPEAL_COLUMNS, APPEALS_CSV, COLUMNS, DATA, LAWS_CSV, READING_COLUMNS, READINGS_CSV,
                    LawTableError, parse, read_raw, read_tables)

__all__ = [
    "APPEAL_COLUMNS", "APPEALS_CSV", "COLUMNS", "DATA", "DAY_TYPES", "LAWS_CSV", "NAMES", "READING_COLUMNS",
    "READINGS_CSV", "RESPONSE_KINDS", "ROUTE_WORDS", "ROUTES", "UNVERIFIED", "Appeal", "Clock", "DeemedDenial",
    "Estimate", "Extension", "Law", "LawTableError", "Period", "Residency", "all_laws", "from_row", "get",
    "is_unverified", "load_into", "migrations", "parse", "read_csv", "read_raw", "read_tables", "require",
]


def read_csv(path=None) -> list[Law]:
    """Every jurisdiction's law, validated (``path``: a laws-v2.csv to check instead of the bundled one)."""
    return list((read_tables(path) if path else read_tables()).values())
