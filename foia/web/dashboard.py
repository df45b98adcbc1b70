from flask import Blueprint, render_template

from .. import lifecycle, requests
from . import get_db, sections

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    db = get_db()
    counts = requests.status_counts(db)
    return render_template(
        "dashboard/index.html",
        counts=[(status, label, counts.get(status, 0)) for status, label in lifecycle.STATUSES.items()],
        total=sum(counts.values()),
        open_total=sum(n for s, n in counts.items() if s in lifecycle.OPEN_STATUSES),
        recent=requests.recent_events(db),
        sections=sections("dashboard"),
    )
