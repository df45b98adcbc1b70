"""Signed-in insights: how requests stand and how agencies answer, as charts with their tables;
a campaign's map; the calendar month."""
from flask import Blueprint, render_template, request

from .. import calendar_month, campaigns, charts, stats
from ..laws import NAMES
from . import get_db, instance

bp = Blueprint("insights", __name__)

AGENCY_ROWS = 50  # agencies listed in the table, in the order asked for
PUNCTUALITY_BARS = 5  # agencies at each end of the on-time chart


def share(value) -> str:
    return "" if value is None else f"{round(value * 100)}%"


def status_chart(record: stats.Record, chart_id: str = "by-status") -> charts.Chart:
    return charts.bar_chart(chart_id, "Requests by status", [(label, n) for _, label, n in stats.by_status(record)])


def on_time_map(per_state: list[stats.Record], chart_id: str = "on-time-map") -> charts.Chart:
    return charts.us_map(
        chart_id, "Share answered on time, by state",
        {r.key: (charts.on_time_category(r.on_time_share), share(r.on_time_share)) for r in per_state},
        charts.ON_TIME_LEGEND, NAMES)


def overdue_chart(overdue) -> charts.Chart:
    return charts.line_chart(
        "overdue", "Overdue requests, week by week",
        [(f"{day.day} {day:%b}", n) for day, n in overdue], x_label="Week ending",
        headers=("Week ending", "Overdue requests"))


def punctuality_chart(per_agency: list[stats.Record]) -> charts.Chart | None:
    """The least and the most punctual agencies (of those with a request judged), as % on time."""
    judged = [r for r in per_agency if r.on_time_share is not None]
    if not judged:
        return None
    ordered, _ = stats.sorted_records(judged, "on_time")
    picked = ordered if len(ordered) <= 2 * PUNCTUALITY_BARS else (
        ordered[:PUNCTUALITY_BARS] + ordered[-PUNCTUALITY_BARS:])
    return charts.bar_chart(
        "punctuality", "Least and most punctual agencies (share answered on time)",
        [(r.label, round(r.on_time_share * 100)) for r in picked], unit="per cent answered on time", suffix="%", top=100,
        note="The least punctual first.", label_width=300)


@bp.get("/insights")
def index():
    db = get_db()
    today = instance().today()
    shown = stats.current(db, today)
    figures = shown["figures"]
    context = {"shown": shown, "figures": figures, "share": share,
               "campaigns": campaigns.all_campaigns(db)}
    if figures:
        states, state_sort = stats.sorted_records(figures["per_state"], request.args.get("state_sort"))
        agencies, agency_sort = stats.sorted_records(figures["per_agency"], request.args.get("agency_sort"))
        context.update(
            status_chart=status_chart(figures["overall"]),
            overdue_chart=overdue_chart(figures["overdue"]),
            state_map=on_time_map(figures["per_state"]),
            punctuality_chart=punctuality_chart(figures["per_agency"]),
            states=[(r, NAMES.get(r.key, r.key)) for r in states], state_sort=state_sort,
            agencies=[(r, r.label) for r in agencies[:AGENCY_ROWS]], agency_total=len(agencies), agency_sort=agency_sort,
            sorts=stats.SORTS)
    return render_template("insights/index.html", **context)


@bp.get("/insights/campaigns/<id:campaign_id>")
def campaign(campaign_id):
    """One campaign on the map: each state coloured by how its requests stand, with the tables."""
    db = get_db()
    today = instance().today()
    found = campaigns.get(db, campaign_id)
    rows = stats.campaign_rows(db, campaign_id)
    states = stats.campaign_states(rows, today)
    values = {code: (kind, ", ".join(f"{n} {stats.RESPONSE_STATES[k].lower()}" for k, n in counts.items()))
              for code, (kind, counts) in states.items()}
    response_map = charts.us_map(
        "campaign-map", f"How the requests of “{found['name']}” stand, by state", values,
        stats.RESPONSE_STATES, NAMES, styles=charts.CAMPAIGN_STYLES, absent="Not in this campaign")
    per_state, state_sort = stats.sorted_records(
        stats.per_state(db, today, NAMES, campaign_id=campaign_id), request.args.get("state_sort"))
    return render_template(
        "insights/campaign.html", campaign=found, rows=rows, overall=stats.overall(db, today, campaign_id=campaign_id),
        response_map=response_map, states=[(r, r.label) for r in per_state], state_sort=state_sort,
        sorts=stats.SORTS, share=share)


@bp.get("/calendar/month")
def calendar_page():
    """The month view of deadlines and reminders (``?month=YYYY-MM``, default this month)."""
    today = instance().today()
    year, number = calendar_month.parse_month(request.args.get("month"), today)
    return render_template("calendar/month.html", view=calendar_month.month(get_db(), year, number, today=today))
