"""Charts drawn on the server as SVG: no script, no external asset, readable by screen readers.

Each function returns a :class:`Chart`: the SVG (``role="img"``, a ``<title>`` and ``<desc>`` it
is labelled by) and the same figures as a table (``headers``, ``rows``) to print beside it. Colours
are dark enough for AA contrast with white text or on white, and every category also has its own
pattern and a text label, so colour is never the only cue.
"""
import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape

from . import formats, lifecycle

INK = "#1a1a1a"
BAR = "#1f5f8b"  # 6.9:1 on white

# On-time map categories: (fill, pattern drawn over it). White text on every fill: AA.
STYLES = {
    "good": ("#1b5e20", "none"),
    "middle": ("#8a4b00", "dots"),
    "poor": ("#a4161a", "stripes"),
    "none": ("#5f6b76", "cross"),
}


@dataclass
class Chart:
    id: str
    title: str
    description: str
    svg: Markup
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    # (fill, pattern fill or "", words) per category, shown as an HTML key under the chart
    # (readable at a phone's width, where text inside a scaled-down map is not).
    legend: list[tuple[str, str, str]] = field(default_factory=list)


def _open(chart_id: str, title: str, description: str, width: int, height: int, kind: str = "") -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'class="chart{" chart-" + kind if kind else ""}" aria-labelledby="{chart_id}-title {chart_id}-desc">'
            f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>')


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int]], *, unit: str = "requests",
              note: str = "", label_width: int = 190, suffix: str = "", top: int | None = None) -> Chart:
    """Horizontal bars, one per (label, value), each with its value (and ``suffix``, e.g. "%")
    written at its end; ``note``: a sentence added to the description; ``top``: the value of a
    full-length bar (default: the largest value)."""
    row_height, bar_width = 28, 300
    height = max(1, len(items)) * row_height + 8
    top = top or max((v for _, v in items), default=0) or 1
    description = f"Bar chart of {len(items)} values, in {unit}; the table beside it gives the same figures."
    description += f" {note}" if note else ""
    parts = [_open(chart_id, title, description, label_width + bar_width + 70, height)]
    for i, (label, value) in enumerate(items):
        y = 4 + i * row_height
        length = round(bar_width * value / top)
        parts.append(f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" fill="{INK}" '
                     f'font-size="13">{escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row_height - 8}" fill="{BAR}"/>'
                     f'<text x="{label_width + length + 6}" y="{y + 18}" fill="{INK}" font-size="13">'
                     f'{value:,}{escape(suffix)}</text>')
    parts.append("</svg>")
    return Chart(chart_id, title, description, Markup("".join(parts)), ["", unit.capitalize()],
                 [[label, f"{value:,}{suffix}"] for label, value in items])


def _patterns(chart_id: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{chart_id}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.5" fill="#ffffff"/></pattern>'
        f'<pattern id="{chart_id}-stripes" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="2" height="6" fill="#ffffff"/></pattern>'
        f'<pattern id="{chart_id}-cross" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<path d="M0 0L8 8M8 0L0 8" stroke="#ffffff" stroke-width="1"/></pattern>'
        "</defs>"
    )


def on_time_category(share: float | None) -> str:
    """The map category of an on-time share (0..1 or None)."""
    if share is None:
        return "none"
    return "good" if share >= 0.8 else "middle" if share >= 0.5 else "poor"


ON_TIME_LEGEND = {"good": "80% or more on time", "middle": "50-79% on time", "poor": "Under 50% on time",
                  "none": "No request judged yet"}


# -- line chart -------------------------------------------------------------------------------------

def _axis(value: int) -> tuple[int, int]:
    """(top, step) of a value axis: a round step (1, 2 or 5 x 10^n) giving at most five intervals."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor * 5 >= value:
                size = step * factor
                return max(size, -(-value // size) * size), size
        step *= 10


def line_chart(chart_id: str, title: str, points: list[tuple[str, int]], *, unit: str = "requests",
               one: str = "request", x_label: str = "", headers: tuple[str, str] | None = None) -> Chart:
    """A line over (label, value) points, left to right, with both axes labelled, a circle per point
    (its own ``<title>`` gives the figure on hover) and the value written above the last point."""
    left, right, top, bottom, width, height = 56, 24, 20, 56, 640, 300
    plot_w, plot_h = width - left - right, height - top - bottom
    peak, step = _axis(max((v for _, v in points), default=0))
    n = len(points)
    description = (f"Line chart of {n} values, in {unit}, from {points[0][0]} to {points[-1][0]}; "
                   "the table beside it gives the same figures." if points else "No figures yet.")
    parts = [_open(chart_id, title, description, width, height)]
    for value in range(0, peak + 1, step):  # horizontal grid lines with the axis's figures
        y = top + plot_h - plot_h * value / peak
        text = f"{value:,}"
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>'
                     f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}" font-size="12">{text}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{INK}"/>'
                 f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{INK}"/>')
    xs = [left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    ys = [top + plot_h - plot_h * v / peak for _, v in points]
    label_every = max(1, -(-n // 7))  # at most about seven labels under the axis
    for i, (label, _) in enumerate(points):
        if (n - 1 - i) % label_every == 0:  # counted from the newest, which is always labelled
            parts.append(f'<text x="{xs[i]:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="{INK}" '
                         f'font-size="12">{escape(label)}</text>')
    if n:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
        parts.append(f'<polyline points="{line}" fill="none" stroke="{BAR}" stroke-width="3"/>')
        for (label, value), x, y in zip(points, xs, ys):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#ffffff" stroke="{BAR}" stroke-width="3">'
                         f'<title>{escape(label)}: {escape(formats.plural(value, one, unit))}</title></circle>')
        parts.append(f'<text x="{xs[-1]:.1f}" y="{ys[-1] - 10:.1f}" text-anchor="end" fill="{INK}" font-size="13" '
                     f'font-weight="bold">{points[-1][1]:,}</text>')
    if x_label:
        parts.append(f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle" fill="{INK}" '
                     f'font-size="12">{escape(x_label)}</text>')
    parts.append(f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" fill="{INK}" font-size="12" '
                 f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(unit.capitalize())}</text>')
    parts.append("</svg>")
    header = list(headers) if headers else [x_label or "", unit.capitalize()]
    return Chart(chart_id, title, description, Markup("".join(parts)), header,
                 [[label, f"{value:,}"] for label, value in points])


# -- the United States, state by state ----------------------------------------------------------------

OUTLINES = Path(__file__).resolve().parent / "data" / "us-states.csv"
"""One SVG path per state and DC, in a 975 x 610 box (us-atlas 3.0.1: the Census Bureau's 1:10m
boundaries, Albers USA; written by ``foia/data/make-us-states.py``; see us-states-SOURCES.md)."""

# States too small to label inside their outline: labelled in a box to the right, joined by a line.
CALLOUTS = ("VT", "NH", "MA", "RI", "CT", "NJ", "DE", "MD", "DC")

# Response states of a campaign's requests (stats.RESPONSE_STATES) as map styles.
CAMPAIGN_STYLES = {
    "answered": ("#1b5e20", "none"),
    "waiting": ("#1f5f8b", "dots"),
    "overdue": ("#a4161a", "stripes"),
    "not_filed": ("#5f6b76", "cross"),
    "ended": ("#5b3a8c", "rings"),
}
ABSENT = "#f1f1f1"  # a state with no figure: light, with dark text
ABSENT_EDGE = "#767676"


@dataclass(frozen=True)
class Outline:
    code: str
    label_x: int
    label_y: int
    path: str


@functools.cache
def outlines() -> dict[str, Outline]:
    with OUTLINES.open(newline="") as f:
        return {row["code"]: Outline(row["code"], int(row["label_x"]), int(row["label_y"]), row["path"])
                for row in csv.DictReader(f)}


def _map_patterns(chart_id: str) -> str:
    return _patterns(chart_id).replace("</defs>", (
        f'<pattern id="{chart_id}-rings" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<circle cx="4" cy="4" r="2.5" fill="none" stroke="#ffffff" stroke-width="1"/></pattern></defs>'))


def _halo(text_colour: str) -> str:
    """White text gets a dark outline, so it stays readable over a pattern."""
    return f'stroke="{INK}" stroke-width="3" paint-order="stroke"' if text_colour == "#ffffff" else ""


def us_map(chart_id: str, title: str, values: dict[str, tuple[str, str]], legend: dict[str, str],
           names: dict[str, str] | None = None, *, styles: dict[str, tuple[str, str]] | None = None,
           absent: str = "No requests") -> Chart:
    """The United States as its states' outlines (one ``<g>`` per state and DC, plus a box for US
    federal agencies), each filled by its category with a pattern and written code.

    ``values`` maps a state code to (category, short text, e.g. "82%" or "3 of 5 answered");
    ``legend`` maps each category (a key of ``styles``, by default :data:`STYLES`) to its words.
    States without a value are drawn light and called ``absent`` ("No requests")."""
    styles = styles or STYLES
    names = names or {}
    shapes = outlines()
    box_x, box = 990, 30
    width, height = box_x + box + 70, 612
    description = ("Map of the United States, one shape per state (small eastern states and federal agencies "
                   "in boxes on the right), each hatched or dotted by its category as the key under it "
                   "says; the table beside it gives each state's figure.")
    parts = [_open(chart_id, title, description, width, height, "map"), _map_patterns(chart_id)]

    def style(code):
        category, text = values.get(code, (None, ""))
        if category is None:
            return ABSENT, "none", INK, absent
        fill, pattern = styles[category]
        return fill, pattern, "#ffffff", text or legend.get(category, "")

    def tooltip(code, words):
        return f'<title>{escape(names.get(code, code))}: {escape(words)}</title>'

    # Outlines first, then every label above them (a label may cross a neighbour's edge).
    labels = []
    callout_y = 90
    for code in sorted(shapes, key=lambda c: (c in CALLOUTS, shapes[c].label_y if c in CALLOUTS else 0, c)):
        shape = shapes[code]
        fill, pattern, text_colour, words = style(code)
        parts.append(f'<g class="state" data-state="{code}">{tooltip(code, words)}'
                     f'<path d="{shape.path}" fill="{fill}" stroke="#ffffff" stroke-width="1"/>')
        if pattern != "none":
            parts.append(f'<path d="{shape.path}" fill="url(#{chart_id}-{pattern})"/>')
        if code in CALLOUTS:
            y = callout_y
            callout_y += box + 8
            parts.append(f'<line x1="{shape.label_x}" y1="{shape.label_y}" x2="{box_x}" y2="{y + box / 2}" '
                         f'stroke="{INK}" stroke-width="1"/>'
                         f'<rect x="{box_x}" y="{y}" width="{box}" height="{box}" fill="{fill}" stroke="{ABSENT_EDGE}"/>')
            if pattern != "none":
                parts.append(f'<rect x="{box_x}" y="{y}" width="{box}" height="{box}" fill="url(#{chart_id}-{pattern})"/>')
            parts.append(f'<text x="{box_x + box + 6}" y="{y + box / 2 + 6}" fill="{INK}" font-size="17" '
                         f'font-weight="bold">{code}</text>')
        else:
            labels.append(f'<text x="{shape.label_x}" y="{shape.label_y + 6}" text-anchor="middle" '
                          f'fill="{text_colour}" {_halo(text_colour)} font-size="16" font-weight="bold">{code}</text>')
        parts.append("</g>")
    parts.extend(labels)
    # Federal agencies have no outline: a box of their own, under the callouts.
    fill, pattern, text_colour, words = style("US")
    y = callout_y + 20
    parts.append(f'<g class="state" data-state="US">{tooltip("US", words)}'
                 f'<rect x="{box_x - 40}" y="{y}" width="{box + 40}" height="{box + 4}" fill="{fill}" stroke="{ABSENT_EDGE}"/>')
    if pattern != "none":
        parts.append(f'<rect x="{box_x - 40}" y="{y}" width="{box + 40}" height="{box + 4}" '
                     f'fill="url(#{chart_id}-{pattern})"/>')
    parts.append(f'<text x="{box_x - 5 + box / 2}" y="{y + box / 2 + 8}" text-anchor="middle" fill="{text_colour}" '
                 f'{_halo(text_colour)} font-size="16" font-weight="bold">US</text>'
                 f'<text x="{box_x - 5 + box / 2}" y="{y + box + 24}" text-anchor="middle" fill="{INK}" '
                 f'font-size="13">federal</text></g>')
    # The key: every category, then the light "absent" style.
    key = [(styles[c][0], "" if styles[c][1] == "none" else f"url(#{chart_id}-{styles[c][1]})", words)
           for c, words in legend.items()] + [(ABSENT, "", absent)]
    parts.append("</svg>")
    rows = [[names.get(code, code), legend.get(values[code][0], ""), values[code][1]] for code in sorted(values)]
    return Chart(chart_id, title, description, Markup("".join(parts)), ["Jurisdiction", "Category", "Figure"], rows,
                 legend=key)


# -- an agency's record ---------------------------------------------------------------------------------

def _days(value: float) -> str:
    """7.5 → "7.5 days", 1 → "1 day" (medians can fall between two whole days)."""
    return f"{value:g} day" + ("" if value == 1 else "s")


def record_chart(chart_id: str, record, *, title: str | None = None) -> Chart:
    """A small chart of a record's outcomes (a :class:`foia.stats.Record`, e.g. ``stats.agency_record``):
    one bar per status its requests are in, the median days in its description."""
    title = title or f"Where {record.label}'s requests stand"
    items = [(lifecycle.STATUSES.get(status, status.replace("_", " ")), n) for status, n in record.outcomes.items()]
    facts = []
    if record.median_days_to_response is not None:
        facts.append(f"median {_days(record.median_days_to_response)} to a first response")
    if record.median_days_to_release is not None:
        facts.append(f"median {_days(record.median_days_to_release)} to a release")
    note = ("; ".join(facts) + ".").capitalize() if facts else ""
    return bar_chart(chart_id, title, items, note=note, label_width=160)
