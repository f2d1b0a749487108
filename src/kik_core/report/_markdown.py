"""Markdown (CommonMark + GFM tables) → python-docx.

markdown-it-py parses the text into tokens; this module walks them and calls
back into the report writer for headings (so they are demoted to fit under
the report's levels and never skip one) and tables (so they get header rows
and descriptions). Supported: headings, paragraphs, bullet and numbered lists
(nested), bold, italic, inline code, links (rendered as text with the
address), hard breaks, block quotes, code blocks and pipe tables.

A foreign-language passage is marked ``[Meet the World]{lang=en}`` (the span
syntax of Pandoc): the brackets disappear and the run carries ``w:lang``, so a
screen reader switches its voice.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from typing import Any, Protocol

from docx.text.run import Run
from markdown_it import MarkdownIt
from markdown_it.token import Token

from kik_core.report._ooxml import set_run_language

__all__ = ["MarkdownSink", "add_text", "render_markdown", "strip_language_marks"]

_PARSER = MarkdownIt("commonmark").enable("table")

#: ``[text]{lang=en}`` marks a foreign-language passage (in Markdown and in workbook texts).
_LANG_SPAN = re.compile(r"\[([^\[\]]+)\]\{lang=([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\}")


#: The German gender star inside a word ("Akteur*innen") is text, not emphasis.
_GENDER_STAR = re.compile(r"(?<=\w)\*(?=\w)")


class MarkdownSink(Protocol):
    """What the renderer needs from the report writer."""

    def heading(self, text: str, level: int) -> Any:
        """Add a heading at (at most) ``level``."""

    def paragraph(self, style: str | None = None) -> Any:
        """Add an empty paragraph and return it."""

    def data_table(self, header: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> Any:
        """Add a table with one header row."""


def strip_language_marks(text: str) -> str:
    """The text without ``[…]{lang=xx}`` marks (for alt texts, captions, the CSV)."""
    return _LANG_SPAN.sub(r"\1", text)


#: Characters python-docx turns into elements of their own (tab, line break).
_RUN_BREAKS = frozenset("\t\r\n")


def _add_run(paragraph: Any, text: str) -> Any:
    """``paragraph.add_run(text)``, without python-docx's loop over every character.

    Text without tabs or line breaks becomes one ``w:t`` (with ``xml:space`` where
    spaces lead or trail), exactly what python-docx writes for it.
    """
    if _RUN_BREAKS.intersection(text):
        return paragraph.add_run(text)
    r = paragraph._p.add_r()
    if text:
        r.add_t(text)
    return Run(r, paragraph)


def add_text(paragraph: Any, text: str) -> list[Any]:
    """Add ``text`` as runs, giving marked foreign-language passages their ``w:lang``."""
    runs = []
    position = 0
    for match in _LANG_SPAN.finditer(text):
        if match.start() > position:
            runs.append(_add_run(paragraph, text[position : match.start()]))
        run = _add_run(paragraph, match[1])
        set_run_language(run, match[2])
        runs.append(run)
        position = match.end()
    if position < len(text):
        runs.append(_add_run(paragraph, text[position:]))
    return runs


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


#: Character style ids by style name, per document being written (looking a style up by
#: name scans the styles part: a thousand emphasised runs made that a hot spot).
_STYLE_IDS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def _style_id(run: Any, name: str) -> str | None:
    """The id of the style ``name`` in ``run``'s document, ``None`` if it has none."""
    part = run.part
    known = _STYLE_IDS.setdefault(part, {})
    if name not in known:
        try:
            known[name] = part.document.styles[name].style_id
        except KeyError:
            return None
    return known[name]


def _character_style(run: Any, name: str, fallback: str) -> None:
    """Give ``run`` the character style ``name`` (direct formatting if the template lacks it)."""
    style_id = _style_id(run, name)
    if style_id is None:
        setattr(run, fallback, True)
        return
    current = run._r.style
    if current is not None and current != style_id:
        # bold and italic at once: keep the first style, add the other directly
        setattr(run, fallback, True)
        return
    run._r.style = style_id


def _add_inline(paragraph: Any, token: Token) -> None:
    bold = italic = False
    href: list[str] = []
    link_text: list[str] = []
    for child in token.children or []:
        kind = child.type
        if kind == "strong_open":
            bold = True
        elif kind == "strong_close":
            bold = False
        elif kind == "em_open":
            italic = True
        elif kind == "em_close":
            italic = False
        elif kind == "link_open":
            href.append(str(child.attrs.get("href", "")))
            link_text.clear()
        elif kind == "link_close":
            url = href.pop() if href else ""
            shown = "".join(link_text).strip()
            if url and url not in (shown, f"mailto:{shown}") and not url.startswith("#"):
                paragraph.add_run(f" ({url})")
        elif kind in ("text", "code_inline", "html_inline"):
            runs = add_text(paragraph, child.content) if kind == "text" else []
            if kind != "text":
                runs = [paragraph.add_run(child.content)]
            for run in runs:
                if bold:
                    _character_style(run, "Strong", "bold")
                if italic:
                    _character_style(run, "Emphasis", "italic")
                if kind == "code_inline":
                    run.font.name = "Courier New"
            if href:
                link_text.append(child.content)
        elif kind == "softbreak":
            paragraph.add_run(" ")
        elif kind == "hardbreak":
            paragraph.add_run().add_break()
        elif kind == "image":
            paragraph.add_run(child.content or str(child.attrs.get("alt", "")))


def render_markdown(sink: MarkdownSink, text: str, *, base_level: int = 1) -> None:
    """Render Markdown ``text`` into the document through ``sink``.

    Args:
        sink: the report writer.
        text: CommonMark with GFM pipe tables.
        base_level: the report level a Markdown ``#`` heading maps to
            (``##`` becomes ``base_level + 1`` and so on).
    """
    tokens = _PARSER.parse(_GENDER_STAR.sub(r"\\*", text))
    lists: list[str] = []  # "bullet" / "ordered", innermost last
    quote = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1:]) + base_level - 1
            sink.heading(_inline_text(tokens[i + 1]), level)
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("bullet" if kind == "bullet_list_open" else "ordered")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "paragraph_open":
            if lists:
                style = "List Bullet" if lists[-1] == "bullet" else "List Number"
                if len(lists) > 1:
                    style += f" {min(len(lists), 3)}"
                paragraph = sink.paragraph(style)
            else:
                paragraph = sink.paragraph("Quote" if quote else None)
                following = tokens[i + 3].type if i + 3 < len(tokens) else ""
                if following in ("bullet_list_open", "ordered_list_open", "table_open"):
                    # a sentence that introduces a list or table stays on its page
                    paragraph.paragraph_format.keep_with_next = True
            _add_inline(paragraph, tokens[i + 1])
            i += 3
            continue
        elif kind in ("fence", "code_block"):
            paragraph = sink.paragraph(None)
            for n, line in enumerate(token.content.rstrip("\n").split("\n")):
                if n:
                    paragraph.add_run().add_break()
                paragraph.add_run(line).font.name = "Courier New"
        elif kind == "table_open":
            i = _table(sink, tokens, i)
            continue
        i += 1


def _table(sink: MarkdownSink, tokens: Sequence[Token], start: int) -> int:
    header: list[str] = []
    rows: list[list[str]] = []
    current: list[str] | None = None
    in_head = False
    i = start + 1
    while i < len(tokens) and tokens[i].type != "table_close":
        token = tokens[i]
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            current = []
        elif token.type == "tr_close" and current is not None:
            if in_head:
                header = current
            else:
                rows.append(current)
            current = None
        elif token.type == "inline" and current is not None:
            current.append(_inline_text(token))
        i += 1
    caption = "Tabelle: " + ", ".join(h for h in header if h)
    sink.data_table(header, rows, caption)
    return i + 1
