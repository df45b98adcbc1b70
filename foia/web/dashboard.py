"""The dashboard: where requests stand (counts, the status chart and the on-time map, from the kept
figures of foia.stats), each feature's section, and the recent activity."""
from flask import Blueprint, render_template

from .. import activity, lifecycle, requests, stats
from . import get_db, instance, sections
from .insights import on_time_map, status_chart

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    db = get_db()
    shown = stats.current(db, instance().today())
    figures = shown["figures"] if shown["figures"] and shown["figures"]["overall"].requests else None
    # The kept figures when there are any; a large instance's first look, before the job has
    # counted, reads the counts from the status index instead.
    counts = figures["overall"].outcomes if figures else requests.status_counts(db)
    return render_template(
        "dashboard/index.html",
        counts=[(status, label, counts.get(status, 0)) for status, label in lifecycle.STATUSES.items()],
        total=sum(counts.values()),
        open_total=sum(n for s, n in counts.items() if s in lifecycle.OPEN_STATUSES),
        shown=shown,
        status_chart=status_chart(figures["overall"], "dashboard-status") if figures else None,
        state_map=on_time_map(figures["per_state"], "dashboard-map") if figures else None,
        recent=activity.recent(db),
        sections=sections("dashboard"),
    )
