"""The SVG charts, parsed back as XML."""
import xml.etree.ElementTree as ET

from foia import charts
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


def test_state_map_has_every_jurisdiction_once_with_its_figure():
    assert set(charts.TILES) == set(NAMES)  # 50 states, DC and US (federal)
    assert len(set(charts.TILES.values())) == len(charts.TILES)  # no two on one square
    values = {"CA": ("good", "90%"), "TX": ("poor", "20%")}
    chart = charts.state_map("map", "On time, by state", values, charts.ON_TIME_LEGEND, NAMES)
    root = ET.fromstring(str(chart.svg))
    groups = root.findall(f"{SVG}g")
    assert len(groups) == len(NAMES)
    texas = next(g for g in groups if g.find(f"{SVG}title").text.startswith("Texas"))
    assert [t.text for t in texas.iter(f"{SVG}text")] == ["TX", "20%"]
    assert any(r.get("fill") == "url(#map-stripes)" for r in texas.iter(f"{SVG}rect"))  # not colour alone
    assert chart.rows == [["California", "80% or more on time", "90%"], ["Texas", "under 50% on time", "20%"]]
    for fill, _ in charts.STYLES.values():
        assert _contrast(fill, "#ffffff") >= 4.5


def test_on_time_category():
    assert [charts.on_time_category(s) for s in (None, 0.2, 0.5, 0.8)] == ["none", "poor", "middle", "good"]
