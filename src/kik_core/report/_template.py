"""The Word template: the bundled default design and municipality templates.

:func:`build_default_template` generates ``default_template.docx`` (shipped in
this package) from python-docx's own blank document: Arial (Liberation Sans
in LibreOffice), dark-blue headings, a bordered table style with a shaded
header row, A4 portrait, and a footer "Seite X von Y". Regenerate it with
``python -m kik_core.report._template``; a test checks the shipped file is
exactly what the generator builds.

:func:`open_template` opens a municipality's reference ``.docx`` or ``.dotx``
(styles, headers and footers with logos are kept) and empties its body.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from kik_core.errors import ReportError
from kik_core.report._ooxml import add_field, set_document_language

__all__ = [
    "DEFAULT_TEMPLATE",
    "FONT",
    "HEADING_COLOR",
    "KIK_STYLES",
    "TABLE_STYLE",
    "build_default_template",
    "drop_leftover_parts",
    "ensure_styles",
    "open_template",
]

#: The bundled template.
DEFAULT_TEMPLATE = Path(__file__).with_name("default_template.docx")
#: Body and heading font (Liberation Sans is its metric twin in LibreOffice).
FONT = "Arial"
#: Heading colour (dark blue, contrast 9.4:1 on white).
HEADING_COLOR = RGBColor(0x1F, 0x4E, 0x79)
#: The table style every report table uses.
TABLE_STYLE = "KIK Tabelle"

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_TEMPLATE_CT = b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_DOCUMENT_CT = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

_TABLE_STYLE_XML = f"""
<w:style {nsdecls("w")} w:type="table" w:customStyle="1" w:styleId="KIKTabelle">
  <w:name w:val="{TABLE_STYLE}"/>
  <w:basedOn w:val="TableNormal"/>
  <w:uiPriority w:val="59"/>
  <w:pPr><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/></w:pPr>
  <w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>
  <w:tblPr>
    <w:tblBorders>
      <w:top w:val="single" w:sz="4" w:space="0" w:color="808080"/>
      <w:left w:val="single" w:sz="4" w:space="0" w:color="808080"/>
      <w:bottom w:val="single" w:sz="4" w:space="0" w:color="808080"/>
      <w:right w:val="single" w:sz="4" w:space="0" w:color="808080"/>
      <w:insideH w:val="single" w:sz="4" w:space="0" w:color="808080"/>
      <w:insideV w:val="single" w:sz="4" w:space="0" w:color="808080"/>
    </w:tblBorders>
    <w:tblCellMar>
      <w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>
    </w:tblCellMar>
  </w:tblPr>
  <w:tblStylePr w:type="firstRow">
    <w:rPr><w:b/><w:bCs/><w:color w:val="FFFFFF"/></w:rPr>
    <w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="1F4E79"/></w:tcPr>
  </w:tblStylePr>
</w:style>
"""


def _normalised_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so equal contents give equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _style(doc: Any, name: str, kind: Any = WD_STYLE_TYPE.PARAGRAPH) -> Any:
    try:
        return doc.styles[name]
    except KeyError:
        return doc.styles.add_style(name, kind)


def _outline_level(style: Any, level: int) -> None:
    ppr = style.element.get_or_add_pPr()
    old = ppr.find(qn("w:outlineLvl"))
    if old is None:
        ppr.append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{level - 1}"/>'))


def ensure_styles(doc: Any) -> None:
    """Make sure every style the report uses exists (templates may lack some).

    Missing headings get an outline level so they count as headings; existing
    styles of a municipality template are left as they are.
    """
    for level in range(1, 5):
        name = f"Heading {level}"
        try:
            doc.styles[name]
        except KeyError:
            style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = doc.styles["Normal"]
            style.font.bold = True
            style.font.size = Pt({1: 18, 2: 14, 3: 12, 4: 11}[level])
            _outline_level(style, level)
    for name in (
        "Title",
        "Subtitle",
        "TOC Heading",
        "toc 1",
        "toc 2",
        "List Bullet",
        "List Number",
        "Caption",
    ):
        try:
            doc.styles[name]
        except KeyError:
            style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = doc.styles["Normal"]
    try:
        doc.styles[TABLE_STYLE]
    except KeyError:
        doc.styles.element.append(parse_xml(_TABLE_STYLE_XML))
    for name, spec in KIK_STYLES.items():
        try:
            doc.styles[name]
        except KeyError:
            _add_kik_style(doc, name, spec)


#: kik's own paragraph styles (name → properties), added where a template lacks them.
#: Staff restyle the report by changing these in Word (docs/kommunen/bericht-bearbeiten.md).
KIK_STYLES: dict[str, dict[str, Any]] = {
    "KIK Kommune": {"bold": True, "size": 16, "space_before": 120},
    "KIK Angabe": {"space_after": 2, "keep_with_next": True},
    "KIK Unterschrift": {"bold": True, "space_before": 12},
    "KIK Quelle": {"italic": True, "keep_with_next": True},
    "KIK Hinweis": {"italic": True},
    "KIK Fußnote": {"size": 9, "space_before": 2},
    "KIK Abbildung": {"center": True, "keep_together": True},
    "KIK Tabellenabstand": {"size": 4, "space_after": 2},
}


def _add_kik_style(doc: Any, name: str, spec: dict[str, Any]) -> None:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    font, paragraph = style.font, style.paragraph_format
    if spec.get("bold"):
        font.bold = True
    if spec.get("italic"):
        font.italic = True
    if "size" in spec:
        font.size = Pt(spec["size"])
    if "space_before" in spec:
        paragraph.space_before = Pt(spec["space_before"])
    if "space_after" in spec:
        paragraph.space_after = Pt(spec["space_after"])
    if spec.get("keep_with_next"):
        paragraph.keep_with_next = True
    if spec.get("keep_together"):
        paragraph.keep_together = True
    if spec.get("center"):
        paragraph.alignment = 1  # centre


def _page_footer(section: Any) -> None:
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = 2  # right
    paragraph.add_run("Seite ")
    add_field(paragraph, "PAGE", "1")
    paragraph.add_run(" von ")
    add_field(paragraph, "NUMPAGES", "1")
    for run in paragraph.runs:
        run.font.size = Pt(8)


_LEFTOVER_RELATIONSHIPS = ("/stylesWithEffects", "/metadata/thumbnail")


def drop_leftover_parts(doc: Any) -> None:
    """Remove python-docx's leftovers: the en-US ``stylesWithEffects.xml`` and the thumbnail."""
    for rels in (doc.part.rels, doc.part.package.rels):
        for r_id, rel in list(rels.items()):
            if rel.reltype.endswith(_LEFTOVER_RELATIONSHIPS):
                del rels[r_id]


def build_default_template() -> bytes:
    """Build the bundled default template (deterministic bytes)."""
    doc = docx.Document()
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.0)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.0)

    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    normal.paragraph_format.widow_control = True  # no single lines at a page's top or foot

    sizes = {1: 18, 2: 14, 3: 12, 4: 10.5}
    for level, size in sizes.items():
        style = doc.styles[f"Heading {level}"]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = HEADING_COLOR
        style.paragraph_format.space_before = Pt({1: 18, 2: 14, 3: 10, 4: 8}[level])
        style.paragraph_format.space_after = Pt(4 if level > 1 else 8)
        style.paragraph_format.keep_with_next = True
        rpr = style.element.get_or_add_rPr()
        rf = rpr.get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            rf.set(qn(attr), FONT)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rf.attrib.pop(qn(attr), None)
    doc.styles["Heading 1"].paragraph_format.page_break_before = True

    title = doc.styles["Title"]
    title.font.name = FONT
    title.font.size = Pt(30)
    title.font.color.rgb = HEADING_COLOR
    title.font.bold = True
    title.paragraph_format.space_after = Pt(18)
    trf = title.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        trf.attrib.pop(qn(attr), None)
    ppr = title.element.get_or_add_pPr()
    border = ppr.find(qn("w:pBdr"))
    if border is not None:
        ppr.remove(border)

    subtitle = doc.styles["Subtitle"]
    subtitle.font.name = FONT
    subtitle.font.size = Pt(16)
    subtitle.font.italic = False
    subtitle.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    srf = subtitle.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        srf.attrib.pop(qn(attr), None)

    toc_heading = _style(doc, "TOC Heading")
    toc_heading.base_style = doc.styles["Normal"]
    toc_heading.font.size = Pt(18)
    toc_heading.font.bold = True
    toc_heading.font.color.rgb = HEADING_COLOR
    toc_heading.paragraph_format.space_after = Pt(12)
    toc_heading.paragraph_format.page_break_before = True
    for level in (1, 2):
        toc = _style(doc, f"toc {level}")
        toc.base_style = doc.styles["Normal"]
        toc.paragraph_format.space_after = Pt(3 if level == 2 else 4)
        toc.paragraph_format.left_indent = Cm(0.6 * (level - 1))
        toc.font.bold = level == 1

    caption = doc.styles["Caption"]
    caption.font.size = Pt(9)
    caption.font.italic = True
    caption.font.bold = False
    caption.font.color.rgb = RGBColor(0x40, 0x40, 0x40)

    for name in ("List Bullet", "List Number"):
        doc.styles[name].paragraph_format.widow_control = True
    ensure_styles(doc)
    set_document_language(doc.styles.element)
    section.different_first_page_header_footer = True  # no page number on the title page
    _page_footer(section)
    drop_leftover_parts(doc)

    props = doc.core_properties
    fixed = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    props.created = props.modified = fixed
    props.last_printed = fixed
    props.author = props.last_modified_by = "kik"
    props.title = "Kommunales Integrationskonzept – Zwischenbericht"
    props.language = "de-DE"
    props.revision = 1
    props.comments = "Standardvorlage von kik"
    buffer = io.BytesIO()
    doc.save(buffer)
    return _normalised_zip(buffer.getvalue())


def _as_document_bytes(path: Path) -> bytes:
    """The template's bytes, with a ``.dotx`` main part retyped as a document."""
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            types = src.read("[Content_Types].xml")
            if _TEMPLATE_CT not in types:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in src.infolist():
                    blob = src.read(info.filename)
                    if info.filename == "[Content_Types].xml":
                        blob = blob.replace(_TEMPLATE_CT, _DOCUMENT_CT)
                    dst.writestr(info, blob)
            return out.getvalue()
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ReportError(
            f"Die Vorlage {path} ist keine Word-Datei (.docx/.dotx) / "
            f"the template {path} is not a Word file: {exc}"
        ) from exc


def open_template(path: Path | None) -> Any:
    """Open the template (default: the bundled one) with an empty body.

    Styles, numbering, headers and footers (with their logos) are kept;
    paragraphs and tables of the body are removed, the last section's page
    setup stays.

    Raises:
        ReportError: the file is missing or not a Word document.
    """
    source = DEFAULT_TEMPLATE if path is None else Path(path)
    if not source.is_file():
        raise ReportError(f"Vorlage nicht gefunden / template not found: {source}")
    try:
        doc = docx.Document(io.BytesIO(_as_document_bytes(source)))
    except ReportError:
        raise
    except Exception as exc:  # python-docx raises assorted errors on broken files
        raise ReportError(
            f"Die Vorlage {source} kann nicht geöffnet werden / cannot open template: {exc}"
        ) from exc
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    ensure_styles(doc)
    return doc


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    DEFAULT_TEMPLATE.write_bytes(build_default_template())
    print(f"wrote {DEFAULT_TEMPLATE}")
