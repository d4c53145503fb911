"""Small inline SVG charts for the dashboard and the target pages: a month-by-month line with a labelled
scale, the plan's bound drawn (a dashed line, or a shaded band for a "từ … đến …" target) and the dotted
projection to December. No script, no fonts or images fetched: the SVG is part of the page."""

from __future__ import annotations

import html
import math

from reports.vn import format_number, value_decimals


def _esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def nice_ticks(low: float, high: float, count: int = 4) -> tuple[list[float], int]:
    """Round tick values covering [low, high] (steps of 1, 2, 2.5 or 5 × 10^k) and the decimals their
    labels need. A flat range is widened a little around its value, so 99,5 flat reads 99,4 … 99,6."""
    if high < low:
        low, high = high, low
    if high - low < 1e-9:
        pad = abs(high) * 0.002 or 0.5
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude
        if step >= raw - 1e-12:
            break
    start = math.floor(low / step + 1e-9) * step
    end = math.ceil(high / step - 1e-9) * step
    ticks = []
    value = start
    while value <= end + step / 2:
        ticks.append(round(value, 10))
        value += step
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if abs(step / 10 ** math.floor(math.log10(step) + 1e-9) - 2.5) < 1e-9:
        decimals += 1
    return ticks, decimals


def trend_svg(points: list[tuple[int, float]], bounds: list[float], projection: float | None, colour: str, *,
              unit: str = "", band: bool = False, width: int = 300, height: int = 130,
              label: str = "Diễn biến theo tháng") -> str:
    """A line chart of monthly values (months 1..12) on a labelled vertical scale (its unit above it),
    the bound(s) as dashed lines labelled "KH" (a band shaded between its two lines), and a dotted
    projection from the latest month to December. Scales with its container (``viewBox``)."""
    pad_l, pad_r, pad_t, pad_b = 46, 30, 16, 18
    values = [v for _, v in points] + list(bounds) + ([projection] if projection is not None else [])
    if not values:
        return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="Chưa có số liệu">'
                f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="11" fill="#666">'
                'Chưa có số liệu</text></svg>')
    ticks, decimals = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(month: float) -> float:
        return pad_l + (month - 1) / 11 * plot_w

    def y(value: float) -> float:
        return pad_t + (high - value) / (high - low) * plot_h

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(label)}">']
    if unit:
        parts.append(f'<text class="axis-unit" x="{pad_l - 4}" y="9" font-size="9" text-anchor="end" '
                     f'fill="#555">{_esc(unit)}</text>')
    if band and len(bounds) == 2:
        top, bottom = y(max(bounds)), y(min(bounds))
        parts.append(f'<rect class="band" x="{pad_l}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}" '
                     'fill="#8b0000" fill-opacity=".08"/>')
    for tick in ticks:
        parts.append(f'<line x1="{pad_l}" y1="{y(tick):.1f}" x2="{pad_l + plot_w}" y2="{y(tick):.1f}" '
                     'stroke="#e3e3e3"/>')
        parts.append(f'<text class="tick" x="{pad_l - 4}" y="{y(tick) + 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="#555">{_esc(format_number(tick, decimals))}</text>')
    for month in (1, 3, 6, 9, 12):
        parts.append(f'<text x="{x(month):.1f}" y="{height - 4}" font-size="9" text-anchor="middle" '
                     f'fill="#555">T{month}</text>')
    for bound in bounds:
        parts.append(f'<line class="bound" x1="{pad_l}" y1="{y(bound):.1f}" x2="{pad_l + plot_w}" '
                     f'y2="{y(bound):.1f}" stroke="#8b0000" stroke-dasharray="4 3"/>')
        parts.append(f'<text class="bound-label" x="{pad_l + plot_w + 3}" y="{y(bound) + 3:.1f}" font-size="9" '
                     f'fill="#8b0000">KH</text>')
    shown = value_decimals(unit)  # a count has no decimals, a percentage two
    if points:
        path = " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in points)
        parts.append(f'<polyline class="actual" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for m, v in points:
            parts.append(f'<circle cx="{x(m):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                         f'<title>Tháng {m}: {_esc(format_number(v, shown))} {_esc(unit)}</title></circle>')
        last_m, last_v = points[-1]
        if projection is not None and last_m < 12:
            parts.append(f'<line class="projection" x1="{x(last_m):.1f}" y1="{y(last_v):.1f}" x2="{x(12):.1f}" '
                         f'y2="{y(projection):.1f}" stroke="{colour}" stroke-dasharray="2 3" stroke-width="2"/>')
            parts.append(f'<circle cx="{x(12):.1f}" cy="{y(projection):.1f}" r="3" fill="#fff" '
                         f'stroke="{colour}"><title>Dự báo cả năm: {_esc(format_number(projection, shown))} '
                         f'{_esc(unit)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
