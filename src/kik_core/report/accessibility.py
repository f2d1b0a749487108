"""An automated accessibility check for DOCX files (BITV 2.0 / EN 301 549).

:func:`check_docx` reads any ``.docx`` (not only ours) and reports what an
office can fix before publishing:

* every picture has alternative text (``descr`` on ``wp:docPr``);
* the document language is set (``w:lang`` in the styles' ``docDefaults``);
* the core properties carry a title;
* every table marks its first row as a header row (``w:tblHeader``) and has a
  caption or description (``w:tblCaption`` / ``w:tblDescription``);
* there is at least one heading, the first is level 1 and no level is skipped;
* data tables have no merged cells (``w:gridSpan``/``w:vMerge``), and no row
  says its status only with a mark ("x") a screen reader reads without meaning;
* widow/orphan control is on (``w:widowControl`` in the body style or defaults);
* the title page carries no page number (``w:titlePg`` with a field-free first footer);
* no leftover ``stylesWithEffects.xml`` (python-docx' en-US styles);
* each picture stays on the page of the paragraph before it (its sentence or
  heading has "keep with next", directly or through its style).

:func:`check_pdf` checks the exported PDF (tagged, ``/Lang``, title, every
figure with alt text and content, table header cells with a scope).

It does not replace a manual check (reading order, contrast of images,
meaningful link texts), but it catches the mistakes generators make.

Example:
    >>> from kik_core.report import check_docx  # doctest: +SKIP
    >>> [str(i) for i in check_docx(Path("bericht.docx"))]  # doctest: +SKIP
    []
"""

from __future__ import annotations

import enum
import re
import zipfile
from pathlib import Path
from typing import Any

import attrs
from lxml import etree

from kik_core.report._pdf_tags import check_pdf as check_structure

__all__ = ["AccessibilityIssue", "IssueCode", "check_docx", "check_pdf"]

#: Cell texts that are marks, not words ("x", ticks): a row with only these says nothing.
_MARKS = {"x", "X", "✓", "✔", "✗", "●", "○"}

_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_W = "{%s}" % _NS["w"]  # noqa: UP031 - a Clark-notation prefix, not formatting
_HEADING_NAME = re.compile(r"^(?:heading|überschrift)\s*([1-9])$", re.IGNORECASE)


class IssueCode(enum.Enum):
    """Fixed codes of accessibility problems."""

    IMAGE_WITHOUT_ALT_TEXT = "image_without_alt_text"
    NO_LANGUAGE = "no_language"
    NO_TITLE = "no_title"
    TABLE_WITHOUT_HEADER_ROW = "table_without_header_row"
    TABLE_WITHOUT_DESCRIPTION = "table_without_description"
    NO_HEADINGS = "no_headings"
    HEADING_LEVEL_SKIPPED = "heading_level_skipped"
    UNREADABLE = "unreadable"
    MERGED_CELLS = "merged_cells"
    MARK_WITHOUT_WORDS = "mark_without_words"
    NO_WIDOW_CONTROL = "no_widow_control"
    PAGE_NUMBER_ON_TITLE_PAGE = "page_number_on_title_page"
    LEFTOVER_STYLES = "leftover_styles"
    PDF_STRUCTURE = "pdf_structure"
    PICTURE_NOT_KEPT = "picture_not_kept"


@attrs.frozen
class AccessibilityIssue:
    """One problem: its code, where it is and a German explanation."""

    code: IssueCode
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def _parse(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        data = archive.read(name)
    except KeyError:
        return None
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, huge_tree=True))


def _heading_levels(styles: Any) -> dict[str, int]:
    """Style id → heading level, by name or outline level (following ``basedOn``)."""
    if styles is None:
        return {}
    own: dict[str, int | None] = {}
    based: dict[str, str] = {}
    for style in styles.iterfind("w:style", _NS):
        if style.get(f"{_W}type") != "paragraph":
            continue
        style_id = style.get(f"{_W}styleId", "")
        name = style.find("w:name", _NS)
        level: int | None = None
        if name is not None and (m := _HEADING_NAME.match(name.get(f"{_W}val", "").strip())):
            level = int(m[1])
        outline = style.find("w:pPr/w:outlineLvl", _NS)
        if level is None and outline is not None:
            value = int(outline.get(f"{_W}val", "9"))
            level = value + 1 if value < 9 else None
        own[style_id] = level
        parent = style.find("w:basedOn", _NS)
        if parent is not None:
            based[style_id] = parent.get(f"{_W}val", "")
    result: dict[str, int] = {}
    for style_id in own:
        seen: set[str] = set()
        current: str | None = style_id
        while current is not None and current not in seen:
            seen.add(current)
            if own.get(current) is not None:
                result[style_id] = own[current]  # type: ignore[assignment]
                break
            current = based.get(current)
    return result


def _text(element: Any) -> str:
    return "".join(element.itertext()).strip()


def check_docx(path: Path) -> list[AccessibilityIssue]:
    """Check a DOCX for the accessibility properties listed in the module docstring.

    Args:
        path: the ``.docx`` file.

    Returns:
        Every issue found, in document order; empty when the file passes.
    """
    path = Path(path)
    issues: list[AccessibilityIssue] = []

    def add(code: IssueCode, location: str, message: str) -> None:
        issues.append(AccessibilityIssue(code, location, message))

    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        add(IssueCode.UNREADABLE, path.name, f"Datei kann nicht gelesen werden: {exc}")
        return issues
    with archive:
        document = _parse(archive, "word/document.xml")
        styles = _parse(archive, "word/styles.xml")
        core = _parse(archive, "docProps/core.xml")
        names = set(archive.namelist())
        footers = {name: _parse(archive, name) for name in names if name.startswith("word/footer")}
        rels = _parse(archive, "word/_rels/document.xml.rels")
    if "word/stylesWithEffects.xml" in names:
        add(
            IssueCode.LEFTOVER_STYLES,
            "word/stylesWithEffects.xml",
            "Die Datei enthält übrig gebliebene englische Formatvorlagen (stylesWithEffects.xml).",
        )
    if document is None:
        add(IssueCode.UNREADABLE, path.name, "word/document.xml fehlt")
        return issues

    lang = None if styles is None else styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", _NS)
    if lang is None or not lang.get(f"{_W}val"):
        add(
            IssueCode.NO_LANGUAGE,
            "Formatvorlagen",
            "Die Dokumentsprache ist nicht festgelegt "
            "(w:lang in den Standardformaten, z. B. de-DE).",
        )

    title = None if core is None else core.find("dc:title", _NS)
    if title is None or not (title.text or "").strip():
        add(
            IssueCode.NO_TITLE,
            "Dokumenteigenschaften",
            "Das Dokument hat keinen Titel in den Dokumenteigenschaften.",
        )

    for number, doc_pr in enumerate(document.iter(f"{{{_NS['wp']}}}docPr"), start=1):
        if not (doc_pr.get("descr") or "").strip():
            name = doc_pr.get("name") or f"Bild {number}"
            add(
                IssueCode.IMAGE_WITHOUT_ALT_TEXT,
                f"Bild {number} ({name})",
                "Das Bild hat keinen Alternativtext.",
            )

    for number, table in enumerate(document.iter(f"{_W}tbl"), start=1):
        location = f"Tabelle {number}"
        first_row = table.find("w:tr", _NS)
        caption = table.find("w:tblPr/w:tblCaption", _NS)
        description = table.find("w:tblPr/w:tblDescription", _NS)
        if caption is not None and caption.get(f"{_W}val"):
            location += f" ({caption.get(f'{_W}val')})"
        if first_row is None or first_row.find("w:trPr/w:tblHeader", _NS) is None:
            add(
                IssueCode.TABLE_WITHOUT_HEADER_ROW,
                location,
                "Die erste Zeile ist nicht als Überschriftenzeile markiert "
                "(Tabelleneigenschaften: „Gleiche Kopfzeile auf jeder Seite wiederholen“).",
            )
        if not any(
            e is not None and (e.get(f"{_W}val") or "").strip() for e in (caption, description)
        ):
            add(
                IssueCode.TABLE_WITHOUT_DESCRIPTION,
                location,
                "Die Tabelle hat weder Titel noch Beschreibung (Alternativtext).",
            )

    _check_tables(document, add)
    _check_widow_control(styles, add)
    _check_title_page(document, footers, rels, add)
    _check_pictures_kept(document, styles, add)

    levels = _heading_levels(styles)
    previous = 0
    found = False
    body = document.find("w:body", _NS)
    for paragraph in body.iter(f"{_W}p") if body is not None else ():
        style = paragraph.find("w:pPr/w:pStyle", _NS)
        level = levels.get(style.get(f"{_W}val", "")) if style is not None else None
        outline = paragraph.find("w:pPr/w:outlineLvl", _NS)
        if level is None and outline is not None and int(outline.get(f"{_W}val", "9")) < 9:
            level = int(outline.get(f"{_W}val", "9")) + 1
        if level is None:
            continue
        found = True
        if level > previous + 1:
            text = _text(paragraph)[:60]
            add(
                IssueCode.HEADING_LEVEL_SKIPPED,
                f"Überschrift „{text}“",
                f"Überschrift der Ebene {level} folgt auf Ebene {previous}: "
                f"Ebene {previous + 1} wird übersprungen.",
            )
        previous = level
    if not found:
        add(
            IssueCode.NO_HEADINGS,
            "Dokument",
            "Das Dokument hat keine Überschriften (Formatvorlagen „Überschrift 1“ usw.).",
        )
    return issues


def _check_tables(document: Any, add: Any) -> None:
    for number, table in enumerate(document.iter(f"{_W}tbl"), start=1):
        caption = table.find("w:tblPr/w:tblCaption", _NS)
        location = f"Tabelle {number}"
        if caption is not None and caption.get(f"{_W}val"):
            location += f" ({caption.get(f'{_W}val')})"
        if (
            table.find(".//w:gridSpan", _NS) is not None
            or table.find(".//w:vMerge", _NS) is not None
        ):
            add(
                IssueCode.MERGED_CELLS,
                location,
                "Die Tabelle hat verbundene Zellen; ein Screenreader ordnet die Werte dann "
                "falschen Spalten zu.",
            )
        for row_number, row in enumerate(table.findall("w:tr", _NS)[1:], start=2):
            if any(_text(tc) in _MARKS for tc in row.findall("w:tc", _NS)):
                add(
                    IssueCode.MARK_WITHOUT_WORDS,
                    f"{location}, Zeile {row_number}",
                    "Eine Zelle enthält nur ein Zeichen („x“); vorgelesen ergibt das keinen "
                    "Sinn. Den Status in Worten angeben.",
                )
                break


def _check_widow_control(styles: Any, add: Any) -> None:
    if styles is None:
        return
    places = [
        styles.find("w:docDefaults/w:pPrDefault/w:pPr/w:widowControl", _NS),
        styles.find("w:style[@w:styleId='Normal']/w:pPr/w:widowControl", _NS),
    ]
    enabled = [
        p for p in places if p is not None and p.get(f"{_W}val", "true") not in ("0", "false")
    ]
    if not enabled:
        add(
            IssueCode.NO_WIDOW_CONTROL,
            "Formatvorlage „Standard“",
            "Die Absatzkontrolle (Schusterjungen/Hurenkinder) ist aus.",
        )


_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _check_title_page(document: Any, footers: dict[str, Any], rels: Any, add: Any) -> None:
    body = document.find("w:body", _NS)
    sections = [] if body is None else list(body.iter(f"{_W}sectPr"))
    if not sections:
        return
    first = sections[0]
    targets = (
        {}
        if rels is None
        else {r.get("Id"): f"word/{r.get('Target')}" for r in rels.iter(f"{_REL_NS}Relationship")}
    )

    def has_page_field(kind: str) -> bool:
        for ref in first.findall("w:footerReference", _NS):
            if ref.get(f"{_W}type", "default") == kind:
                footer = footers.get(targets.get(ref.get(_R_ID), ""))
                if footer is None:
                    return False
                instr = " ".join(e.text or "" for e in footer.iter(f"{_W}instrText"))
                simple = " ".join(e.get(f"{_W}instr", "") for e in footer.iter(f"{_W}fldSimple"))
                return "PAGE" in f"{instr} {simple}"
        return False

    title_page = first.find("w:titlePg", _NS)
    own_first = title_page is not None and title_page.get(f"{_W}val", "true") not in ("0", "false")
    if has_page_field("first") if own_first else has_page_field("default"):
        add(
            IssueCode.PAGE_NUMBER_ON_TITLE_PAGE,
            "Titelseite",
            "Die Titelseite trägt eine Seitenzahl („Erste Seite anders“ einschalten).",
        )


def _on(element: Any) -> bool:
    return element is not None and element.get(f"{_W}val", "true") not in ("0", "false")


def _keep_next_styles(styles: Any) -> set[str]:
    """Paragraph style ids with "keep with next" (own or inherited through ``basedOn``)."""
    if styles is None:
        return set()
    own: dict[str, bool | None] = {}
    based: dict[str, str] = {}
    for style in styles.iterfind("w:style", _NS):
        style_id = style.get(f"{_W}styleId", "")
        keep = style.find("w:pPr/w:keepNext", _NS)
        own[style_id] = None if keep is None else _on(keep)
        parent = style.find("w:basedOn", _NS)
        if parent is not None:
            based[style_id] = parent.get(f"{_W}val", "")
    result = set()
    for style_id in own:
        current: str | None = style_id
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            if own.get(current) is not None:
                if own[current]:
                    result.add(style_id)
                break
            current = based.get(current)
    return result


def _check_pictures_kept(document: Any, styles: Any, add: Any) -> None:
    body = document.find("w:body", _NS)
    if body is None:
        return
    keeping = _keep_next_styles(styles)
    previous = None
    for number, paragraph in enumerate(body.findall("w:p", _NS)):
        if paragraph.find(".//w:drawing", _NS) is not None and number > 0 and previous is not None:
            direct = previous.find("w:pPr/w:keepNext", _NS)
            style = previous.find("w:pPr/w:pStyle", _NS)
            kept = (
                _on(direct)
                if direct is not None
                else (style is not None and style.get(f"{_W}val", "") in keeping)
            )
            if not kept:
                text = _text(previous)[:60] or "(leerer Absatz)"
                add(
                    IssueCode.PICTURE_NOT_KEPT,
                    f"Absatz vor einem Bild: „{text}“",
                    "Das Bild kann auf die nächste Seite rutschen und steht dann ohne seinen "
                    "Satz oder seine Überschrift („Nicht vom nächsten Absatz trennen“).",
                )
        previous = paragraph


def check_pdf(path: Path) -> list[AccessibilityIssue]:
    """Check an exported PDF: tagged, language, title, figures with alt text and content,
    table header cells with a scope (see :func:`kik_core.report._pdf_tags.check_pdf`).

    Args:
        path: the ``.pdf`` file.

    Returns:
        Every issue found; empty when the file passes.
    """
    try:
        found = check_structure(Path(path))
    except Exception as exc:  # pikepdf raises its own errors on broken files
        return [
            AccessibilityIssue(IssueCode.UNREADABLE, Path(path).name, f"PDF nicht lesbar: {exc}")
        ]
    return [AccessibilityIssue(IssueCode.PDF_STRUCTURE, where, message) for where, message in found]
