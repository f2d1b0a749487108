"""Markdown written by people (intros, goal texts, highlights, Leichte Sprache) → safe HTML.

Raw HTML in the Markdown is escaped, never passed through; headings are moved
down so they fit under the page's own headings and never skip a level.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["markdown_html"]

#: The German gender star inside a word ("Akteur*innen") is text, not emphasis
#: (the same rule as the DOCX renderer's).
_GENDER_STAR = re.compile(r"(?<=\w)\*(?=\w)")

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_html(text: str, base_level: int = 2) -> Markup:
    """Render Markdown as HTML; ``#`` becomes ``<h{base_level}>``, deeper ones follow.

    A heading never goes deeper than one below the previous one, so the page's
    heading structure stays without gaps.
    """
    if not text.strip():
        return Markup("")
    tokens = _PARSER.parse(_GENDER_STAR.sub(r"\\*", text))
    last = base_level - 1
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            if token.type == "heading_open":
                wanted = int(token.tag[1:]) + base_level - 1
                last = max(base_level, min(wanted, last + 1, 6))
            token.tag = f"h{last}"
        if token.type == "table_open":
            token.attrSet("class", "data")
    html: str = _PARSER.renderer.render(tokens, _PARSER.options, {})
    # a wide table scrolls inside its own (keyboard-reachable) region, not the page
    html = html.replace(
        '<table class="data">',
        '<div class="table-scroll" role="region" aria-label="Tabelle" tabindex="0">'
        '<table class="data">',
    ).replace("</table>", "</table></div>")
    return Markup(html)  # noqa: S704 - markdown-it escapes text; raw HTML is disabled
