"""Status charts as inline SVG, drawn from a :class:`~kik_core.presentation.Chart`.

The charts carry no number or word of their own: labels, counts, shares, the
title and the description all come from the presentation model. Each SVG has
``role="img"`` with a ``<title>`` and ``<desc>`` (the same text as the DOCX's
alt text); the page shows the chart's data table beside it.

Colours and patterns are those of the DOCX charts, chosen from the concept's
status scheme by :mod:`kik_core.web._styles`: for Kempten light grey for
*wartend*, the Okabe-Ito orange with diagonal hatching for *in Bearbeitung*, the
Okabe-Ito blue with dots for *implementiert*; another scheme's groups spread over
the Okabe-Ito colours with their own patterns. Every segment's count is written
on the chart, so colour never carries the information alone.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from markupsafe import Markup

from kik_core.model import Status
from kik_core.presentation import Chart, CountsView, StatusShare, status_key
from kik_core.web._styles import StatusStyle, style_of, svg_pattern

__all__ = ["chart_styles", "chart_svg"]

_TEXT = "#1A1A1A"
_FONT = "font-family=\"system-ui, 'Segoe UI', Roboto, Arial, sans-serif\""


def chart_styles(chart: Chart) -> dict[Status, StatusStyle]:
    """The style of every status (or group) the chart shows, as the DOCX charts draw it."""
    shares = chart.series[0].shares if chart.series else ()
    shown = [s.status for s in shares if s.percent is not None]
    return {s.status: style_of(s.status, shown) for s in shares}


def _patterns(prefix: str, chart: Chart) -> str:
    """One ``<pattern>`` per status; ids are prefixed so several charts share a page."""
    return (
        "<defs>"
        + "".join(
            svg_pattern(f"{prefix}-{status_key(s)}", st) for s, st in chart_styles(chart).items()
        )
        + "</defs>"
    )


def _fill(prefix: str, status: Status, chart: Chart) -> str:
    edge = chart_styles(chart)[status].edge
    return f'fill="url(#{prefix}-{status_key(status)})" stroke="{edge}"'


def _text(
    x: float, y: float, text: str, *, anchor: str = "middle", size: int = 13, bold: bool = False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{weight} '
        f'fill="{_TEXT}" dominant-baseline="middle">{escape(text)}</text>'
    )


def _label_box(x: float, y: float, text: str, size: int = 12) -> str:
    width = 0.62 * size * len(text) + 6
    return (
        f'<rect x="{x - width / 2:.1f}" y="{y - size * 0.75:.1f}" width="{width:.1f}" '
        f'height="{size * 1.5:.1f}" rx="3" fill="#FFFFFF" fill-opacity="0.92"/>'
        + _text(x, y, text, size=size)
    )


def _counted(counts: CountsView) -> list[StatusShare]:
    """The shares drawn as segments: those inside the percentages."""
    return [s for s in counts.shares if s.percent is not None]


def _share_text(share: StatusShare) -> str:
    if share.percent is None:
        return f"{share.count} (nicht mitgezählt)"
    return f"{share.count} ({share.percent} %)"


def _legend(prefix: str, y: float, width: float, chart: Chart) -> str:
    parts = []
    statuses = [s.status for s in _counted(chart.series[0])] if chart.series else []
    step = width / max(len(statuses), 1)
    for index, status in enumerate(statuses):
        x = index * step + 12
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="18" height="14" {_fill(prefix, status, chart)}/>'
            + _text(x + 24, y + 7, status.label, anchor="start", size=13)
        )
    return "".join(parts)


def _open(prefix: str, chart: Chart, width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{chart.kind}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" {_FONT}>'
        f'<title id="{prefix}-title">{escape(chart.title)}</title>'
        f'<desc id="{prefix}-desc">{escape(chart.description)}</desc>' + _patterns(prefix, chart)
    )


def _fitting_label(share: StatusShare, room: float, size: int) -> str:
    """``7 (23 %)`` where it fits into ``room`` pixels, else the count alone."""
    full = _share_text(share)
    return full if 0.62 * size * len(full) + 10 <= room else str(share.count)


def _bar_label(share: StatusShare, size: float, *, horizontal: bool) -> str:
    if horizontal:
        return _share_text(share) if size >= 16 else str(share.count)
    return _share_text(share) if size >= 9 else str(share.count)


def _bars(prefix: str, chart: Chart) -> str:
    """One 100 % bar per row, its label above it: narrow enough to stay readable on phones."""
    left, bar_w, row_h, bar_h = 10.0, 440.0, 58.0, 28.0
    width = left + bar_w + 10
    height = row_h * len(chart.series) + 64
    out = [_open(prefix, chart, width, height)]
    for row, (label, counts) in enumerate(zip(chart.labels, chart.series, strict=True)):
        y = 8 + row * row_h
        bold = row == len(chart.series) - 1 and label == "Gesamt"
        out.append(
            _text(left, y + 8, f"{label} ({counts.total_text})", anchor="start", size=14, bold=bold)
        )
        x, top = left, y + 18
        for share in _counted(counts):
            w = bar_w * (share.percent or 0) / 100
            if share.count == 0 or w <= 0:
                continue
            out.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{w:.1f}" height="{bar_h:.1f}" '
                f"{_fill(prefix, share.status, chart)}/>"
            )
            out.append(
                _label_box(x + w / 2, top + bar_h / 2, _fitting_label(share, w, 13), size=13)
            )
            x += w
    axis_y = 8 + row_h * len(chart.series)
    for tick in (0, 25, 50, 75, 100):
        x = left + bar_w * tick / 100
        out.append(
            f'<line x1="{x:.1f}" y1="{axis_y - 10:.1f}" x2="{x:.1f}" y2="{axis_y - 4:.1f}" '
            'stroke="#555555"/>'
        )
        anchor = "start" if tick == 0 else ("end" if tick == 100 else "middle")
        out.append(_text(x, axis_y + 6, f"{tick} %", anchor=anchor, size=12))
    out.append(_legend(prefix, axis_y + 26, width, chart))
    out.append("</svg>")
    return "".join(out)


def _columns(prefix: str, chart: Chart) -> str:
    col_w, gap, plot_h, left = 90.0, 40.0, 260.0, 60.0
    width = left + len(chart.series) * (col_w + gap) + 20
    width = max(width, 480.0)
    height = plot_h + 110
    out = [_open(prefix, chart, width, height)]
    top = 10.0
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        out.append(
            f'<line x1="{left - 5:.1f}" y1="{y:.1f}" x2="{left:.1f}" y2="{y:.1f}" '
            'stroke="#555555"/>'
        )
        out.append(_text(left - 8, y, f"{tick} %", anchor="end", size=11))
    for index, (label, counts) in enumerate(zip(chart.labels, chart.series, strict=True)):
        x = left + gap / 2 + index * (col_w + gap)
        base = top + plot_h
        for share in _counted(counts):
            h = plot_h * (share.percent or 0) / 100
            if share.count == 0 or h <= 0:
                continue
            out.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
                f"{_fill(prefix, share.status, chart)}/>"
            )
            out.append(
                _label_box(
                    x + col_w / 2,
                    base - h / 2,
                    _bar_label(share, share.percent or 0, horizontal=False),
                    size=11,
                )
            )
            base -= h
        out.append(_text(x + col_w / 2, top + plot_h + 16, label, size=12))
        out.append(_text(x + col_w / 2, top + plot_h + 32, f"({counts.total_text})", size=11))
    out.append(_legend(prefix, top + plot_h + 50, width, chart))
    out.append("</svg>")
    return "".join(out)


def _arc(centre: tuple[float, float], r_out: float, r_in: float, start: float, end: float) -> str:
    """A ring segment from ``start`` to ``end`` (fractions of the circle, clockwise from 12)."""
    cx, cy = centre
    if end - start >= 1:
        end = start + 0.99999
    a0, a1 = (2 * math.pi * f - math.pi / 2 for f in (start, end))
    large = 1 if end - start > 0.5 else 0

    def point(radius: float, angle: float) -> str:
        return f"{cx + radius * math.cos(angle):.2f} {cy + radius * math.sin(angle):.2f}"

    return (
        f"M {point(r_out, a0)} A {r_out} {r_out} 0 {large} 1 {point(r_out, a1)} "
        f"L {point(r_in, a1)} A {r_in} {r_in} 0 {large} 0 {point(r_in, a0)} Z"
    )


def _donut(prefix: str, chart: Chart) -> str:
    counts: CountsView = chart.series[0]
    width, height = 460.0, 290.0
    cx, cy, r_out, r_in = 130.0, 145.0, 118.0, 76.0
    out = [_open(prefix, chart, width, height)]
    if counts.total == 0:
        out.append(
            f'<circle cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" fill="none" '
            f'stroke="#F2F2F2" stroke-width="{r_out - r_in}"/>'
        )
    start = 0.0
    ring = _counted(counts)
    counted_total = sum(s.count for s in ring)
    # most advanced first, clockwise from 12 o'clock, like the DOCX donut
    for share in reversed(ring):
        if share.count == 0:
            continue
        end = start + share.count / counted_total
        out.append(
            f'<path d="{_arc((cx, cy), r_out, r_in, start, end)}" '
            f"{_fill(prefix, share.status, chart)}/>"
        )
        middle = 2 * math.pi * (start + end) / 2 - math.pi / 2
        label_r = (r_out + r_in) / 2
        out.append(
            _label_box(
                cx + label_r * math.cos(middle), cy + label_r * math.sin(middle), str(share.count)
            )
        )
        start = end
    out.append(_text(cx, cy, f"= {counts.total_text}", size=12, bold=True))
    y = 80.0
    step = min(60.0, 200.0 / max(len(counts.shares), 1))
    for share in reversed(counts.shares):
        out.append(
            f'<rect x="280" y="{y:.1f}" width="22" height="22" '
            f"{_fill(prefix, share.status, chart)}/>"
            + _text(310, y + 6, share.label, anchor="start", size=14, bold=True)
            + _text(310, y + 24, _share_text(share), anchor="start", size=13)
        )
        y += step
    out.append("</svg>")
    return "".join(out)


def chart_svg(chart: Chart, prefix: str) -> Markup:
    """The chart as an inline ``<svg>`` element; ``prefix`` makes its ids unique on the page."""
    if chart.kind == "donut":
        svg = _donut(prefix, chart)
    elif chart.kind == "bars":
        svg = _bars(prefix, chart)
    elif chart.kind == "columns":
        svg = _columns(prefix, chart)
    else:
        raise ValueError(f"unknown chart kind {chart.kind!r}")
    return Markup(svg)  # noqa: S704 - built from escaped text only
