"""Write us-states.csv (the state outlines of the campaign and dashboard maps) from us-atlas.

us-atlas 3.0.1 (npm, ISC licence) ships the U.S. Census Bureau's 1:10,000,000 cartographic
boundaries, already projected (Albers USA: Alaska and Hawaii moved into insets) into a
975 x 610 box, as TopoJSON. This decodes its ``states`` object into one SVG path per state,
simplified (Douglas-Peucker, per shared arc) and rounded to whole units (finer than a pixel at the sizes the maps are shown), with a point to
write the state's code at (the centroid of its largest ring).

    npm pack us-atlas@3.0.1 && tar xzf us-atlas-3.0.1.tgz
    python foia/data/make-us-states.py package/states-albers-10m.json > foia/data/us-states.csv
"""
import csv
import json
import sys

from foia.laws import NAMES

TOLERANCE = 0.5  # units of the 975 x 610 box: a border moves by half a unit at most


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplify(points, tolerance):
    """Douglas-Peucker on one arc: shared borders stay shared (both states get the same points)."""
    if len(points) < 3:
        return points
    (x0, y0), (x1, y1) = points[0], points[-1]
    dx, dy = x1 - x0, y1 - y0
    length = (dx * dx + dy * dy) ** 0.5
    far, index = -1.0, 0
    for i, (x, y) in enumerate(points[1:-1], 1):
        d = abs(dy * (x - x0) - dx * (y - y0)) / length if length else ((x - x0) ** 2 + (y - y0) ** 2) ** 0.5
        if d > far:
            far, index = d, i
    if far <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[:index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def ring_points(ring: list[int], arcs) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def area_and_centroid(points) -> tuple[float, tuple[float, float]]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if not area:
        return 0.0, points[0]
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def path(rings) -> str:
    parts = []
    for points in rings:
        rounded = []
        for x, y in points:
            p = (round(x), round(y))
            if not rounded or rounded[-1] != p:
                rounded.append(p)
        if len(rounded) < 3:
            continue
        steps = [f"{x - px} {y - py}" for (px, py), (x, y) in zip(rounded, rounded[1:])]
        parts.append(f"M{rounded[0][0]} {rounded[0][1]}l" + " ".join(steps) + "z")
    return "".join(parts)


def main(source: str) -> None:
    topology = json.load(open(source))
    arcs = [simplify(arc, TOLERANCE) for arc in decode_arcs(topology)]
    codes = {name: code for code, name in NAMES.items()}
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["code", "label_x", "label_y", "path"])
    rows = []
    for geometry in topology["objects"]["states"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [ring_points(ring, arcs) for polygon in polygons for ring in polygon]
        outer = [ring_points(polygon[0], arcs) for polygon in polygons]
        _, (lx, ly) = max((area_and_centroid(r) for r in outer), key=lambda found: found[0])
        rows.append([codes[geometry["properties"]["name"]], round(lx), round(ly), path(rings)])
    writer.writerows(sorted(rows))


if __name__ == "__main__":
    main(sys.argv[1])
