"""Status colours and patterns of the web edition, from the concept's status scheme.

Every status and every summary group of the scheme gets a fill colour, a pattern
and an edge colour, chosen exactly as the DOCX charts choose them
(:func:`kik_core.report.charts._style`, not imported here because that module
loads matplotlib; ``tests/test_web.py`` holds the two to the same values):

* Kempten's three statuses keep their colours (light grey, Okabe-Ito orange with
  diagonal hatching, Okabe-Ito blue with dots);
* any other scheme's counted groups are spread over the Okabe-Ito colours, each
  with its own pattern, least advanced first;
* a group left out of the percentages ("entfallen") is white with a grey
  cross-hatch, the mark of "not counted";
* a status takes the style of the summary group it counts toward.

:func:`status_css` turns them into CSS custom properties, one set per status key
(``--status-in-umsetzung``, ``--status-in-umsetzung-edge``,
``--status-in-umsetzung-pattern``) and a class per key that the badges, key
numbers and bars use; a municipality may override any of them in
``eigenes.css``. :func:`svg_pattern` draws the same pattern in a chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kik_core.model import Status, StatusScheme
from kik_core.presentation import slug, status_key

__all__ = ["UNCOUNTED", "StatusStyle", "scheme_styles", "status_css", "style_of", "svg_pattern"]


@attrs.frozen
class StatusStyle:
    """How a status is drawn: fill colour, pattern (matplotlib hatch code), edge colour."""

    fill: str
    hatch: str
    edge: str


#: Kempten's statuses (the DOCX charts' ``PALETTE``, ``HATCHES`` and edges).
KEMPTEN: dict[str, StatusStyle] = {
    "wartend": StatusStyle("#D9D9D9", "", "#8C8C8C"),
    "in Bearbeitung": StatusStyle("#E69F00", "///", "#8A5F00"),
    "implementiert": StatusStyle("#0072B2", "..", "#9CC9E6"),
}
#: Styles of other schemes' statuses or groups by position among the counted ones (the
#: DOCX charts' extra styles): Okabe-Ito colours with distinct patterns.
EXTRA: tuple[StatusStyle, ...] = (
    StatusStyle("#D9D9D9", "", "#8C8C8C"),
    StatusStyle("#F0E442", "\\\\", "#8A7F00"),
    StatusStyle("#E69F00", "///", "#8A5F00"),
    StatusStyle("#56B4E9", "xx", "#1F6F99"),
    StatusStyle("#0072B2", "..", "#9CC9E6"),
    StatusStyle("#009E73", "++", "#7FD1B9"),
)
#: A group outside the percentages: white with a grey cross-hatch.
UNCOUNTED = StatusStyle("#FFFFFF", "xx", "#595959")


def style_of(status: Status, shown: Sequence[Status]) -> StatusStyle:
    """The style of ``status`` among the counted statuses or groups ``shown`` (in order).

    As the DOCX charts: Kempten's colours where every shown label is one of
    Kempten's three, else spread over :data:`EXTRA` (first grey, last blue-ish).
    A status not in ``shown`` (not counted) gets :data:`UNCOUNTED`.
    """
    labels = [s.label for s in shown]
    if status.label not in labels:
        return UNCOUNTED
    if all(label in KEMPTEN for label in labels):
        return KEMPTEN[status.label]
    index = labels.index(status.label)
    if len(shown) > 1:
        index = round(index * (len(EXTRA) - 2) / (len(shown) - 1))
    return EXTRA[index]


def scheme_styles(scheme: StatusScheme) -> dict[str, StatusStyle]:
    """The style of every summary group and status of ``scheme``, by :func:`status_key`."""
    groups = [Status(g.name, i, g.name) for i, g in enumerate(scheme.groups)]
    counted = [s for s, g in zip(groups, scheme.groups, strict=True) if g.counted]
    styles = {status_key(s): style_of(s, counted) for s in groups}
    for status in scheme.statuses:
        group = scheme.group_of(status)
        styles.setdefault(status_key(status), styles[slug(group.name)])
    return styles


def _css_pattern(key: str, hatch: str) -> str:
    edge = f"var(--status-{key}-edge)"
    lines = "transparent 0 4px, {edge} 4px 6px"
    if hatch == "///":
        return f"repeating-linear-gradient(45deg, {lines.format(edge=edge)})"
    if hatch == "\\\\":
        return f"repeating-linear-gradient(-45deg, {lines.format(edge=edge)})"
    if hatch == "xx":
        return (
            f"repeating-linear-gradient(45deg, {lines.format(edge=edge)}), "
            f"repeating-linear-gradient(-45deg, {lines.format(edge=edge)})"
        )
    if hatch == "++":
        return (
            f"repeating-linear-gradient(0deg, {lines.format(edge=edge)}), "
            f"repeating-linear-gradient(90deg, {lines.format(edge=edge)})"
        )
    if hatch == "..":
        return f"radial-gradient({edge} 30%, transparent 35%) 0 0 / 6px 6px"
    return "none"


def status_css(scheme: StatusScheme) -> str:
    """CSS custom properties and classes for every status and group of ``scheme``."""
    styles = scheme_styles(scheme)
    root = [
        line
        for key, style in styles.items()
        for line in (
            f"  --status-{key}: {style.fill};",
            f"  --status-{key}-edge: {style.edge};",
            f"  --status-{key}-pattern: {_css_pattern(key, style.hatch)};",
        )
    ]
    classes = [
        f".status-{key} {{ --fill: var(--status-{key}); --edge: var(--status-{key}-edge); "
        f"--pattern: var(--status-{key}-pattern); }}"
        for key in styles
    ]
    return (
        "/* Status colours and patterns of this concept's scheme (written by kik; override\n"
        "   them in web/eigenes.css). */\n:root {\n"
        + "\n".join(root)
        + "\n}\n"
        + "\n".join(classes)
        + "\n"
    )


def svg_pattern(pattern_id: str, style: StatusStyle) -> str:
    """A ``<pattern>`` drawing ``style`` (the fill and its hatching) for an SVG chart."""
    fill, edge = style.fill, style.edge
    start = f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" '
    if style.hatch in ("///", "\\\\", "xx"):
        angle = -45 if style.hatch == "\\\\" else 45
        cross = (
            f'<line x1="0" y1="3.5" x2="7" y2="3.5" stroke="{edge}" stroke-width="2"/>'
            if style.hatch == "xx"
            else ""
        )
        return (
            f'{start}width="7" height="7" patternTransform="rotate({angle})">'
            f'<rect width="7" height="7" fill="{fill}"/>'
            f'<line x1="0" y1="0" x2="0" y2="7" stroke="{edge}" stroke-width="2"/>{cross}'
            "</pattern>"
        )
    if style.hatch == "++":
        return (
            f'{start}width="7" height="7"><rect width="7" height="7" fill="{fill}"/>'
            f'<line x1="3.5" y1="0" x2="3.5" y2="7" stroke="{edge}" stroke-width="1.5"/>'
            f'<line x1="0" y1="3.5" x2="7" y2="3.5" stroke="{edge}" stroke-width="1.5"/>'
            "</pattern>"
        )
    if style.hatch == "..":
        return (
            f'{start}width="6" height="6"><rect width="6" height="6" fill="{fill}"/>'
            f'<circle cx="3" cy="3" r="1.3" fill="{edge}"/></pattern>'
        )
    return f'{start}width="8" height="8"><rect width="8" height="8" fill="{fill}"/></pattern>'
