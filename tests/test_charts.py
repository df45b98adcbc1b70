"""The SVG charts, parsed back as XML."""
import xml.etree.ElementTree as ET

from foia import charts, stats
from foia.laws import NAMES

SVG = "{http://www.w3.org/2000/svg}"


def _luminance(hex_colour):
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_bar_chart_is_labelled_and_scaled():
    chart = charts.bar_chart("status", "Requests by status", [("Filed", 40), ("Denied <2>", 10)])
    root = ET.fromstring(str(chart.svg))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "status-title status-desc"
    assert root.find(f"{SVG}title").text == "Requests by status"
    bars = [int(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert bars == [300, 75]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Denied <2>" in texts and "40" in texts  # escaped in the SVG, read back as text
    assert chart.rows == [["Filed", "40"], ["Denied <2>", "10"]]
    assert _contrast(charts.BAR, "#ffffff") >= 4.5


def test_on_time_map_has_every_jurisdiction_once_with_its_figure():
    values = {"CA": ("good", "90%"), "TX": ("poor", "20%")}
    chart = charts.us_map("map", "On time, by state", values, charts.ON_TIME_LEGEND, NAMES)
    root = ET.fromstring(str(chart.svg))
    groups = root.findall(f"{SVG}g")
    assert len(groups) == len(NAMES)  # 50 states, DC and US (federal)
    texas = next(g for g in groups if g.find(f"{SVG}title").text.startswith("Texas"))
    assert texas.find(f"{SVG}title").text == "Texas: 20%"
    assert any(p.get("fill") == "url(#map-stripes)" for p in texas.iter(f"{SVG}path"))  # not colour alone
    assert chart.rows == [["California", "80% or more on time", "90%"], ["Texas", "Under 50% on time", "20%"]]
    for fill, _ in charts.STYLES.values():
        assert _contrast(fill, "#ffffff") >= 4.5


def test_on_time_category():
    assert [charts.on_time_category(s) for s in (None, 0.2, 0.5, 0.8)] == ["none", "poor", "middle", "good"]


def test_line_chart_has_a_titled_point_per_value_and_labelled_axes():
    points = [(f"{d} Sep", n) for d, n in zip(range(1, 13), (0, 1, 3, 2, 7, 7, 4, 0, 1, 2, 9, 12))]
    chart = charts.line_chart("overdue", "Overdue requests", points, x_label="Week ending")
    root = ET.fromstring(str(chart.svg))
    assert root.get("role") == "img" and root.find(f"{SVG}desc").text.startswith("Line chart of 12 values")
    circles = root.findall(f"{SVG}circle")
    assert [c.find(f"{SVG}title").text for c in circles][:2] == ["1 Sep: 0 requests", "2 Sep: 1 request"]
    assert len(circles) == 12
    line = root.find(f"{SVG}polyline").get("points").split()
    assert len(line) == 12
    ys = [float(p.split(",")[1]) for p in line]
    assert ys[-1] < ys[0] and ys[4] == ys[5]  # higher value, higher on the page; equal values level
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"0", "5", "10", "15"} <= set(texts)  # the value axis, in round steps past the peak
    assert "12 Sep" in texts and "Week ending" in texts and "Requests" in texts
    assert chart.rows[-1] == ["12 Sep", "12"]
    empty = charts.line_chart("none", "Nothing", [])
    assert ET.fromstring(str(empty.svg)).find(f"{SVG}polyline") is None


def test_us_map_draws_each_state_once_labelled_and_patterned():
    assert set(charts.outlines()) == set(NAMES) - {"US"}  # 50 states and DC, from the Census outlines
    values = {"OR": ("answered", "1 answered"), "IL": ("overdue", "2 overdue"), "RI": ("waiting", "1 waiting"),
              "US": ("not_filed", "3 not filed yet")}
    chart = charts.us_map("c", "A campaign", values, stats.RESPONSE_STATES, NAMES, styles=charts.CAMPAIGN_STYLES,
                          absent="Not in this campaign")
    root = ET.fromstring(str(chart.svg))
    groups = {g.get("data-state"): g for g in root.iter(f"{SVG}g")}
    assert set(groups) == set(NAMES)  # one shape per state and DC, and the federal box
    assert groups["IL"].find(f"{SVG}title").text == "Illinois: 2 overdue"
    assert groups["TX"].find(f"{SVG}title").text == "Texas: Not in this campaign"
    fills = [p.get("fill") for p in groups["IL"].findall(f"{SVG}path")]
    assert fills == ["#a4161a", "url(#c-stripes)"]  # colour and a pattern
    assert [t.text for t in groups["RI"].iter(f"{SVG}text")] == ["RI"]  # a small state: labelled in its box
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert all(code in labels for code in NAMES)
    assert chart.legend[:2] == [("#a4161a", "url(#c-stripes)", "Overdue"), ("#1f5f8b", "url(#c-dots)", "Waiting for an answer")]
    assert chart.legend[-1] == (charts.ABSENT, "", "Not in this campaign")  # the key, shown under the map
    assert chart.rows[0] == ["Illinois", "Overdue", "2 overdue"]
    for fill, _ in charts.CAMPAIGN_STYLES.values():
        assert _contrast(fill, "#ffffff") >= 4.5
    assert _contrast(charts.ABSENT, charts.INK) >= 4.5


def test_record_chart_shows_outcomes_and_medians():
    record = stats.Record(key="7", label="Fresno Police Department", requests=3, on_time=1, late=1,
                          median_days_to_response=5, median_days_to_release=7.5,
                          outcomes={"filed": 1, "acknowledged": 1, "released": 1})
    chart = charts.record_chart("agency-record", record)
    root = ET.fromstring(str(chart.svg))
    assert root.find(f"{SVG}title").text == "Where Fresno Police Department's requests stand"
    assert "Median 5 days to a first response; median 7.5 days to a release." in root.find(f"{SVG}desc").text
    assert len(root.findall(f"{SVG}rect")) == 3
    assert [row[0] for row in chart.rows] == ["Filed", "Acknowledged", "Records released"]


def test_bar_chart_of_shares_scales_to_a_hundred_and_writes_percent():
    chart = charts.bar_chart("share", "On time", [("Austin", 25), ("Fresno", 50)], unit="per cent", suffix="%", top=100)
    root = ET.fromstring(str(chart.svg))
    assert [int(r.get("width")) for r in root.iter(f"{SVG}rect")] == [75, 150]
    assert "50%" in [t.text for t in root.iter(f"{SVG}text")] and chart.rows[1] == ["Fresno", "50%"]


def test_record_chart_says_one_day():
    record = stats.Record(key="1", label="Austin Police Department", requests=1, median_days_to_response=1,
                          outcomes={"acknowledged": 1})
    assert "Median 1 day to a first response." in charts.record_chart("a", record).description
