"""Signed-in insights: how requests stand and how agencies answer, as charts with their tables."""
from flask import Blueprint, render_template, request

from .. import calendar_month, charts, stats
from ..laws import NAMES
from . import get_db, instance

bp = Blueprint("insights", __name__)


def _share(share):
    return "" if share is None else f"{round(share * 100)}%"


@bp.get("/insights")
def index():
    db = get_db()
    today = instance().today()
    shown = stats.current(db, today)
    figures = shown["figures"]
    context = {"shown": shown, "figures": figures, "share": _share}
    if figures:
        context["status_chart"] = charts.bar_chart(
            "by-status", "Requests by status", [(label, n) for _, label, n in stats.by_status(figures["overall"])])
        context["overdue_chart"] = charts.bar_chart(
            "overdue", "Overdue requests, week by week",
            [(f"{day.day} {day:%b}", n) for day, n in figures["overdue"]])
        context["state_map"] = charts.state_map(
            "on-time-map", "Share answered on time, by state",
            {r.key: (charts.on_time_category(r.on_time_share), _share(r.on_time_share)) for r in figures["per_state"]},
            charts.ON_TIME_LEGEND, NAMES)
    return render_template("insights/index.html", **context)


@bp.get("/calendar/month")
def calendar_page():
    """The month view of deadlines and reminders (``?month=YYYY-MM``, default this month)."""
    today = instance().today()
    year, number = calendar_month.parse_month(request.args.get("month"), today)
    return render_template("calendar/month.html", view=calendar_month.month(get_db(), year, number, today=today))
