"""A small log-log line chart as SVG, with no plotting library to install."""

from __future__ import annotations

import math
from pathlib import Path


def svg_plot(points: dict[str, list[tuple[int, float]]], path: Path) -> None:
    """A log-log chart of p50 latency (ms) against corpus size, one line per series."""
    width, height, pad = 560, 320, 50
    xs = [x for line in points.values() for x, _ in line]
    ys = [y for line in points.values() for _, y in line if y > 0]
    x0, x1 = math.log10(min(xs)), math.log10(max(xs)) or 1.0
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    if y1 == y0:
        y1 += 1

    def at(x: float, y: float) -> tuple[float, float]:
        px = pad + (math.log10(x) - x0) / max(x1 - x0, 1e-9) * (width - 2 * pad)
        py = height - pad - (math.log10(max(y, 10**y0)) - y0) / (y1 - y0) * (height - 2 * pad)
        return px, py

    colours = ["#005eb8", "#d5281b", "#007f3b", "#ffb81c"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for e in range(y0, y1 + 1):
        _, py = at(min(xs), 10**e)
        parts.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{py:.0f}" y2="{py:.0f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{pad - 6}" y="{py + 4:.0f}" text-anchor="end">{10**e:g} ms</text>')
    last = -math.inf
    for x in sorted(set(xs)):
        px, _ = at(x, 10**y0)
        if px - last < 40:  # two sizes a few per cent apart would print over each other
            continue
        last = px
        parts.append(
            f'<text x="{px:.0f}" y="{height - pad + 16}" text-anchor="middle">{x:,}</text>'
        )
    for n, (name, line) in enumerate(points.items()):
        coords = " ".join(f"{a:.0f},{b:.0f}" for a, b in (at(x, y) for x, y in sorted(line)))
        colour = colours[n % len(colours)]
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{pad + 8}" y="{pad - 20 + 14 * n}" fill="{colour}">{name}</text>')
    parts.append(
        f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle">passages (log)</text>'
    )
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")
