"""Charts drawn on the server as SVG: no script, no external asset, readable by screen readers.

Each function returns a :class:`Chart`: the SVG (``role="img"``, a ``<title>`` and ``<desc>`` it
is labelled by) and the same figures as a table (``headers``, ``rows``) to print beside it. Colours
are dark enough for AA contrast with white text or on white, and every category also has its own
pattern and a text label, so colour is never the only cue.
"""
from dataclasses import dataclass, field

from markupsafe import Markup, escape

INK = "#1a1a1a"
BAR = "#1f5f8b"  # 6.9:1 on white

# The US as a tile grid: (column, row) of one square per state, DC, and US (federal).
TILES = {
    "AK": (0, 0), "ME": (11, 0),
    "WI": (6, 1), "VT": (10, 1), "NH": (11, 1),
    "WA": (1, 2), "ID": (2, 2), "MT": (3, 2), "ND": (4, 2), "MN": (5, 2), "IL": (6, 2), "MI": (7, 2),
    "NY": (9, 2), "MA": (10, 2),
    "OR": (1, 3), "NV": (2, 3), "WY": (3, 3), "SD": (4, 3), "IA": (5, 3), "IN": (6, 3), "OH": (7, 3),
    "PA": (8, 3), "NJ": (9, 3), "CT": (10, 3), "RI": (11, 3),
    "CA": (1, 4), "UT": (2, 4), "CO": (3, 4), "NE": (4, 4), "MO": (5, 4), "KY": (6, 4), "WV": (7, 4),
    "VA": (8, 4), "MD": (9, 4), "DE": (10, 4),
    "AZ": (2, 5), "NM": (3, 5), "KS": (4, 5), "AR": (5, 5), "TN": (6, 5), "NC": (7, 5), "SC": (8, 5),
    "DC": (9, 5),
    "OK": (4, 6), "LA": (5, 6), "MS": (6, 6), "AL": (7, 6), "GA": (8, 6),
    "HI": (0, 7), "TX": (4, 7), "FL": (9, 7), "US": (11, 7),
}

# Map categories: (fill, pattern drawn over the tile's lower strip). White text on every fill: AA.
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


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'class="chart" aria-labelledby="{chart_id}-title {chart_id}-desc">'
            f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>')


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int]], *, unit: str = "requests") -> Chart:
    """Horizontal bars, one per (label, value), each with its value written at its end."""
    row_height, label_width, bar_width = 28, 190, 300
    height = max(1, len(items)) * row_height + 8
    top = max((v for _, v in items), default=0) or 1
    description = f"Bar chart of {len(items)} values, in {unit}; the table beside it gives the same figures."
    parts = [_open(chart_id, title, description, label_width + bar_width + 70, height)]
    for i, (label, value) in enumerate(items):
        y = 4 + i * row_height
        length = round(bar_width * value / top)
        parts.append(f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" fill="{INK}" '
                     f'font-size="13">{escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row_height - 8}" fill="{BAR}"/>'
                     f'<text x="{label_width + length + 6}" y="{y + 18}" fill="{INK}" font-size="13">{value:,}</text>')
    parts.append("</svg>")
    return Chart(chart_id, title, description, Markup("".join(parts)), ["", unit.capitalize()],
                 [[label, f"{value:,}"] for label, value in items])


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


def state_map(chart_id: str, title: str, values: dict[str, tuple[str, str]], legend: dict[str, str],
              names: dict[str, str] | None = None) -> Chart:
    """A tile-grid map: one square per state, DC and US (federal).

    ``values`` maps a state code to (category, short text written in its tile, e.g. "82%");
    ``legend`` maps each category used (a key of :data:`STYLES`) to its words. States without a
    value are drawn in the "none" style."""
    names = names or {}
    size, gap = 48, 4
    width, height = 12 * (size + gap), 8 * (size + gap) + 30 * len(legend) + 10
    description = "Map of the United States, one square per state; the table beside it gives each state's figure."
    parts = [_open(chart_id, title, description, width, height), _patterns(chart_id)]
    for code, (column, row) in TILES.items():
        category, text = values.get(code, ("none", ""))
        fill, pattern = STYLES[category]
        x, y = column * (size + gap), row * (size + gap)
        parts.append(f'<g><title>{escape(names.get(code, code))}: {escape(text or legend.get(category, "no data"))}'
                     f'</title><rect x="{x}" y="{y}" width="{size}" height="{size}" fill="{fill}"/>')
        if pattern != "none":
            parts.append(f'<rect x="{x}" y="{y + size - 12}" width="{size}" height="12" '
                         f'fill="url(#{chart_id}-{pattern})"/>')
        parts.append(f'<text x="{x + size / 2}" y="{y + 17}" text-anchor="middle" fill="#ffffff" font-size="14" '
                     f'font-weight="bold">{code}</text>'
                     f'<text x="{x + size / 2}" y="{y + 32}" text-anchor="middle" fill="#ffffff" '
                     f'font-size="11">{escape(text)}</text></g>')
    y = 8 * (size + gap) + 8
    for category, words in legend.items():
        fill, pattern = STYLES[category]
        parts.append(f'<rect x="0" y="{y}" width="22" height="22" fill="{fill}"/>')
        if pattern != "none":
            parts.append(f'<rect x="0" y="{y}" width="22" height="22" fill="url(#{chart_id}-{pattern})"/>')
        parts.append(f'<text x="30" y="{y + 16}" fill="{INK}" font-size="13">{escape(words)}</text>')
        y += 30
    parts.append("</svg>")
    rows = [[names.get(code, code), legend.get(values[code][0], ""), values[code][1]]
            for code in sorted(values)]
    return Chart(chart_id, title, description, Markup("".join(parts)), ["Jurisdiction", "Category", "Figure"], rows)


def on_time_category(share: float | None) -> str:
    """The map category of an on-time share (0..1 or None)."""
    if share is None:
        return "none"
    return "good" if share >= 0.8 else "middle" if share >= 0.5 else "poor"


ON_TIME_LEGEND = {"good": "80% or more on time", "middle": "50-79% on time", "poor": "under 50% on time",
                  "none": "no request judged yet"}
