"""Low-level WordprocessingML helpers python-docx has no API for.

Fields built from ``fldChar`` runs, table header rows and descriptions, alt
text on pictures, the document language, ``w:updateFields``, and a fast table
writer that emits whole rows as XML (``Table.cell()`` rebuilds the grid on
every call, which is quadratic for the annex).

Element order matters in OOXML: every helper inserts children where the
schema puts them, never just at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import attrs
from docx.image.image import Image
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import OxmlElement
from docx.oxml.shape import CT_Inline
from docx.oxml.table import CT_Tbl
from docx.parts.image import ImagePart
from docx.shape import InlineShape
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

__all__ = [
    "BodyAppender",
    "Cell",
    "add_field",
    "append_rows",
    "insert_in_order",
    "set_alt_text",
    "set_document_language",
    "set_run_language",
    "set_table_description",
    "set_update_fields",
]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def insert_in_order(parent: Any, child: Any, successors: Sequence[str]) -> Any:
    """Insert ``child`` into ``parent`` before the first present successor tag (Clark names)."""
    for tag in successors:
        found = parent.find(tag)
        if found is not None:
            found.addprevious(child)
            return child
    parent.append(child)
    return child


_SETTINGS_AFTER_UPDATE_FIELDS = [
    qn(f"w:{t}")
    for t in (
        "hdrShapeDefaults",
        "footnotePr",
        "endnotePr",
        "compat",
        "docVars",
        "rsids",
        "mathPr",
        "attachedSchema",
        "themeFontLang",
        "clrSchemeMapping",
        "doNotIncludeSubdocsInStats",
        "doNotAutoCompressPictures",
        "forceUpgrade",
        "captions",
        "readModeInkLockDown",
        "smartTagType",
        "schemaLibrary",
        "shapeDefaults",
        "doNotEmbedSmartTags",
        "decimalSymbol",
        "listSeparator",
    )
]


def set_update_fields(settings_element: Any) -> None:
    """Ask Word to refresh fields (TOC, page numbers) on open: ``w:updateFields``.

    Inserted at its schema position (before ``w:compat`` and friends); appending
    it at the end of ``w:settings`` would be schema-invalid.
    """
    existing = settings_element.find(qn("w:updateFields"))
    if existing is None:
        existing = etree.SubElement(settings_element, qn("w:updateFields"))
        settings_element.remove(existing)
        insert_in_order(settings_element, existing, _SETTINGS_AFTER_UPDATE_FIELDS)
    existing.set(qn("w:val"), "true")


_RPR_AFTER_LANG = [qn(f"w:{t}") for t in ("eastAsianLayout", "specVanish", "oMath")]
_RPR_DEFAULT_XML = f"<w:rPrDefault {nsdecls('w')}><w:rPr/></w:rPrDefault>"


def set_document_language(styles_element: Any, lang: str = "de-DE") -> None:
    """Set ``w:lang`` in the styles' ``docDefaults`` run properties (the document language)."""
    defaults = styles_element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = parse_xml(f"<w:docDefaults {nsdecls('w')}/>")
        styles_element.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = parse_xml(_RPR_DEFAULT_XML)
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = etree.SubElement(rpr_default, qn("w:rPr"))
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is None:
        lang_el = etree.Element(qn("w:lang"))
        insert_in_order(rpr, lang_el, _RPR_AFTER_LANG)
    lang_el.set(qn("w:val"), lang)
    lang_el.set(qn("w:eastAsia"), lang)
    lang_el.set(qn("w:bidi"), "ar-SA")


def set_alt_text(inline_shape: Any, description: str, title: str = "") -> None:
    """Give a picture its alternative text (``descr`` on ``wp:docPr``)."""
    doc_pr = inline_shape._inline.docPr
    doc_pr.set("descr", description)
    if title:
        doc_pr.set("title", title)


def set_run_language(run: Any, lang: str) -> None:
    """Mark a run as written in another language (``w:lang``, e.g. ``en`` or ``en-GB``)."""
    rpr = run._r.get_or_add_rPr()
    lang_el = rpr.find(qn("w:lang"))
    if lang_el is None:
        lang_el = etree.Element(qn("w:lang"))
        insert_in_order(rpr, lang_el, _RPR_AFTER_LANG)
    lang_el.set(qn("w:val"), lang)


def set_table_description(table: Any, caption: str, description: str) -> None:
    """Add ``w:tblCaption`` and ``w:tblDescription`` at the end of ``w:tblPr``."""
    tbl_pr = table._tbl.tblPr
    for tag, value in (("w:tblCaption", caption), ("w:tblDescription", description)):
        old = tbl_pr.find(qn(tag))
        if old is not None:
            tbl_pr.remove(old)
        element = etree.SubElement(tbl_pr, qn(tag))
        element.set(qn("w:val"), value)


def _run_xml(text: str, *, bold: bool = False, rpr_extra: str = "", strong: str = "") -> str:
    if bold and strong:
        props = f'<w:rStyle w:val="{strong}"/>' + rpr_extra
    else:
        props = ("<w:b/><w:bCs/>" if bold else "") + rpr_extra
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def field_runs_xml(instruction: str, placeholder: str, rpr: str = "") -> str:
    """The runs of a complex field: begin, instruction, separate, cached result, end."""
    rpr_el = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    return (
        f'<w:r>{rpr_el}<w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r>{rpr_el}<w:instrText xml:space="preserve"> {escape(instruction)} '
        "</w:instrText></w:r>"
        f'<w:r>{rpr_el}<w:fldChar w:fldCharType="separate"/></w:r>'
        f'<w:r>{rpr_el}<w:t xml:space="preserve">{escape(placeholder)}</w:t></w:r>'
        f'<w:r>{rpr_el}<w:fldChar w:fldCharType="end"/></w:r>'
    )


def add_field(paragraph: Any, instruction: str, placeholder: str = "1") -> None:
    """Append a field such as ``PAGE`` or ``NUMPAGES`` to a paragraph."""
    wrapper = parse_xml(f"<w:p {nsdecls('w')}>{field_runs_xml(instruction, placeholder)}</w:p>")
    for run in list(wrapper):
        paragraph._p.append(run)


@attrs.frozen
class Cell:
    """One table cell for :func:`append_rows`.

    Attributes:
        text: the cell text (lines split on ``\\n``).
        bold: bold text.
        span: number of grid columns the cell covers.
        vmerge: ``"restart"`` to start a vertical merge, ``"continue"`` to extend it.
        shade: fill colour (hex, no ``#``).
        center: centre the text.
        vertical: write the text bottom-to-top (narrow group columns).
        width: the width in twips (for ``w:tcW``).
        keep_with_next: keep the row on the page of the next row (a goal with its
            first measure).
    """

    text: str = ""
    bold: bool = False
    span: int = 1
    vmerge: str | None = None
    shade: str | None = None
    center: bool = False
    vertical: bool = False
    width: int = 0
    keep_with_next: bool = False


def _cell_xml(cell: Cell, strong: str = "") -> str:
    tc_pr = f'<w:tcW w:w="{cell.width}" w:type="dxa"/>' if cell.width else ""
    if cell.span > 1:
        tc_pr += f'<w:gridSpan w:val="{cell.span}"/>'
    if cell.vmerge == "restart":
        tc_pr += '<w:vMerge w:val="restart"/>'
    elif cell.vmerge == "continue":
        tc_pr += "<w:vMerge/>"
    if cell.shade:
        tc_pr += f'<w:shd w:val="clear" w:color="auto" w:fill="{cell.shade}"/>'
    if cell.vertical:
        tc_pr += '<w:textDirection w:val="btLr"/>'
    tc_pr += '<w:vAlign w:val="center"/>' if (cell.center or cell.vertical) else ""
    keep = "<w:keepNext/>" if cell.keep_with_next else ""
    jc = '<w:jc w:val="center"/>' if (cell.center or cell.vertical) else ""
    ppr = f"<w:pPr>{keep}{jc}</w:pPr>" if (keep or jc) else ""
    lines = cell.text.split("\n") if cell.text else [""]
    paragraphs = "".join(
        f"<w:p>{ppr}{_run_xml(line, bold=cell.bold, strong=strong) if line else ''}</w:p>"
        for line in lines
    )
    return f"<w:tc><w:tcPr>{tc_pr}</w:tcPr>{paragraphs}</w:tc>"


def append_rows(
    table: Any,
    rows: Sequence[Sequence[Cell]],
    *,
    header: bool = False,
    height: int = 0,
    strong: str = "",
) -> None:
    """Append rows to a python-docx table in one XML parse (fast for thousands of rows).

    Args:
        table: a ``docx.table.Table``.
        rows: the rows, each a sequence of :class:`Cell`.
        header: mark the rows as header rows (``w:tblHeader``, repeated on every page).
        height: minimum row height in twips (for rotated header texts).
        strong: style id of the character style for bold text ("Strong"); direct
            bold formatting when empty.
    """
    tr_height = f'<w:trHeight w:val="{height}" w:hRule="atLeast"/>' if height else ""
    tr_pr = f"<w:trPr><w:cantSplit/>{tr_height}{'<w:tblHeader/>' if header else ''}</w:trPr>"
    body = "".join(
        f"<w:tr>{tr_pr}{''.join(_cell_xml(c, strong) for c in row)}</w:tr>" for row in rows
    )
    wrapper = parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>")
    tbl = table._tbl
    for tr in list(wrapper):
        tbl.append(tr)


class BodyAppender:
    """Appends paragraphs, tables and pictures to a document's body in constant time.

    python-docx's ``Document.add_paragraph``/``add_table`` search the whole body
    for the final ``w:sectPr`` on every call, ``add_table`` also looks up the last
    section's page size, and ``Run.add_picture`` collects every ``id`` of the
    document and re-hashes every earlier image: all linear per call, quadratic
    for a report with thousands of paragraphs and hundreds of charts (issue 16).
    This class does the same steps with what it has already found cached: the
    ``w:sectPr`` element, the block width, the image parts by SHA-1 and the
    highest shape id. The XML it writes is the same as python-docx's.

    Only this document's objects are touched; python-docx itself is not patched.
    """

    def __init__(self, doc: Any) -> None:
        self._doc = doc
        self._body = doc.element.body
        self._sect_pr = self._body.find(qn("w:sectPr"))
        self._block_width: Any = None
        self._images: dict[str, Any] | None = None
        self._last_id: int | None = None

    def _insert(self, element: Any) -> Any:
        if self._sect_pr is not None:
            self._sect_pr.addprevious(element)
        else:
            self._body.append(element)
        return element

    def paragraph(self) -> Any:
        """A new empty ``Paragraph`` at the end of the body (``Document.add_paragraph()``)."""
        return Paragraph(self._insert(OxmlElement("w:p")), self._doc._body)

    def table(self, rows: int, cols: int) -> Any:
        """A new ``Table`` at the end of the body (``Document.add_table(rows, cols)``)."""
        if self._block_width is None:
            self._block_width = self._doc._block_width
        tbl = CT_Tbl.new_tbl(rows, cols, self._block_width)
        table = Table(self._insert(tbl), self._doc._body)
        table.style = None
        return table

    def _next_id(self) -> int:
        if self._last_id is None:  # once: what ``StoryPart.next_id`` would find
            found = [
                int(v) for v in self._body.getroottree().getroot().xpath("//@id") if v.isdigit()
            ]
            self._last_id = max(found, default=0)
        self._last_id += 1
        return self._last_id

    def picture(self, run: Any, png: bytes, width: Any) -> Any:
        """Add ``png`` to ``run`` scaled to ``width`` (``Run.add_picture``); returns the shape.

        An image already in the package is reused (one part per distinct image,
        found by SHA-1 as python-docx does), a new one is stored under the next
        free ``word/media/imageN`` name.
        """
        parts = self._doc.part.package.image_parts
        if self._images is None:
            self._images = {}
            for part in parts:
                self._images.setdefault(part.sha1, part)
        image = Image.from_blob(png)
        part = self._images.get(image.sha1)
        if part is None:
            part = ImagePart.from_image(image, parts._next_image_partname(image.ext))
            parts.append(part)
            self._images[image.sha1] = part
        story = self._doc.part
        r_id = story.relate_to(part, RT.IMAGE)
        image = part.image
        cx, cy = image.scaled_dimensions(width, None)
        inline = CT_Inline.new_pic_inline(self._next_id(), r_id, image.filename, cx, cy)
        run._r.add_drawing(inline)
        return InlineShape(inline)
