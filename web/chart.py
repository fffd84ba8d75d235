"""Coordinates for the series chart, drawn as SVG by templates/series.html (no script, so the CSP
holds): years along x, values along y, outcomes as a line of filled points, targets as hollow ones."""
from __future__ import annotations

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 760, 320, 70, 20, 20, 40


def chart(data: dict) -> dict | None:
    """Scaled points, axis ticks and the polyline of outcomes; None when there is nothing to draw."""
    points = [p for kind in ("outcomes", "targets") for p in data[kind] if p["year"] is not None]
    if not points:
        return None
    years = [p["year"] for p in points]
    values = [p["value"] for p in points]
    y0, y1 = min(years), max(years)
    top = max(values) * 1.1 or 1.0
    bottom = min(0.0, min(values))

    def x(year: int) -> float:
        return round(LEFT + (year - y0) / max(1, y1 - y0) * (WIDTH - LEFT - RIGHT), 1)

    def y(value: float) -> float:
        return round(TOP + (top - value) / (top - bottom) * (HEIGHT - TOP - BOTTOM), 1)

    def place(kind: str) -> list[dict]:
        return [p | {"x": x(p["year"]), "y": y(p["value"])} for p in data[kind] if p["year"] is not None]

    outcomes, targets = place("outcomes"), place("targets")
    step = max(1, (y1 - y0) // 10 or 1)
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "bottom": HEIGHT - BOTTOM, "right": WIDTH - RIGHT,
            "outcomes": outcomes, "targets": targets,
            "line": " ".join(f"{p['x']},{p['y']}" for p in outcomes),
            "x_ticks": [{"x": x(year), "label": year} for year in range(y0, y1 + 1, step)],
            "y_ticks": [{"y": y(bottom + (top - bottom) * i / 4), "label": _short(bottom + (top - bottom) * i / 4)}
                        for i in range(5)]}


def _short(value: float) -> str:
    for size, name in ((1e12, "万亿"), (1e8, "亿"), (1e4, "万"), (1, "")):
        if abs(value) >= size:
            scaled = value / size
            return (f"{scaled:.0f}" if abs(scaled) >= 100 else f"{scaled:.3g}") + name
    return f"{value:.3g}"
