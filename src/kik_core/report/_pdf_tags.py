"""Repair and check the tags of LibreOffice's PDF/UA export (pikepdf).

LibreOffice 7.4 writes a ``/Figure`` structure element for every picture, with
its alt text, but paints the picture itself as an ``/Artifact``: a screen reader
finds an empty figure, and PDF/UA checkers report a figure without content.
:func:`repair_tags` re-marks each chart image as the figure's marked content
(``/Figure <</MCID n>> BDC … EMC``), links it from the structure element and
the parent tree, and gives every table its caption (``/T``) and summary
(``/A << /O /Table /Summary … >>``) from the DOCX.

:func:`check_pdf` is the structure check the tests run (veraPDF is not
available): tagged, ``/Lang``, a title shown in the window, every figure with
alt text and content, every table with header cells that have a scope.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pikepdf
from lxml import etree

__all__ = ["check_pdf", "docx_table_texts", "repair_tags"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_table_texts(docx: Path) -> list[tuple[str, str]]:
    """(caption, description) of every top-level table of a DOCX, in document order."""
    with zipfile.ZipFile(docx) as archive:
        root = etree.fromstring(
            archive.read("word/document.xml"),
            parser=etree.XMLParser(resolve_entities=False, huge_tree=True),
        )
    result = []
    for table in root.iter(f"{_W}tbl"):
        values = []
        for tag in ("tblCaption", "tblDescription"):
            element = table.find(f"{_W}tblPr/{_W}{tag}")
            values.append("" if element is None else element.get(f"{_W}val", ""))
        result.append((values[0], values[1]))
    return result


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    if isinstance(kids, pikepdf.Array):
        return list(kids)
    return [kids]


def _elements(root: Any) -> list[Any]:
    """Every structure element, depth first in document order."""
    found: list[Any] = []
    stack = list(reversed(_kids(root)))
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            found.append(element)
            stack.extend(reversed(_kids(element)))
    return found


def _parent_tree_nums(struct_root: Any) -> Any:
    tree = struct_root.get("/ParentTree")
    if tree is None:
        tree = pikepdf.Dictionary(Nums=pikepdf.Array())
        struct_root.ParentTree = tree
    if "/Nums" not in tree:  # LibreOffice writes a flat tree; anything else is left alone
        return None
    return tree.Nums


def _parents_array(nums: Any, key: int) -> Any:
    for index in range(0, len(nums), 2):
        if int(nums[index]) == key:
            return nums[index + 1]
    return None


def _max_mcid(operations: Sequence[Any]) -> int:
    highest = -1
    for operands, operator in operations:
        if str(operator) == "BDC" and len(operands) > 1:
            props = operands[1]
            if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
                highest = max(highest, int(props.MCID))
    return highest


def _retag_page(pdf: pikepdf.Pdf, page: Any, figures: list[Any], nums: Any) -> int:
    """Turn the page's artifact-painted images into the content of ``figures`` (in order)."""
    xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
    operations: list[Any] = list(pikepdf.parse_content_stream(page))
    open_marks: list[int] = []  # indices of BMC/BDC operators
    artifact_images: list[int] = []  # indices of the BMC/BDC that wrap an image
    for index, (operands, operator) in enumerate(operations):
        name = str(operator)
        if name in ("BMC", "BDC"):
            open_marks.append(index)
        elif name == "EMC" and open_marks:
            open_marks.pop()
        elif name == "Do" and open_marks:
            xobject = xobjects.get(operands[0])
            start = open_marks[-1]
            if (
                xobject is not None
                and xobject.get("/Subtype") == "/Image"
                and str(operations[start][0][0]) == "/Artifact"
                and start not in artifact_images
            ):
                artifact_images.append(start)
    if not artifact_images:
        return 0
    key = page.obj.get("/StructParents")
    parents = None if key is None else _parents_array(nums, int(key))
    if parents is None:
        return 0
    mcid = _max_mcid(operations) + 1
    done = 0
    for figure, start in zip(figures, artifact_images, strict=False):
        properties = pikepdf.Dictionary(MCID=mcid)
        operations[start] = pikepdf.ContentStreamInstruction(
            [pikepdf.Name.Figure, properties], pikepdf.Operator("BDC")
        )
        figure.K = mcid
        figure.Pg = page.obj
        while len(parents) < mcid:
            parents.append(pikepdf.Object.parse(b"null"))
        parents.append(figure)
        mcid += 1
        done += 1
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))
    return done


def repair_tags(path: Path, tables: Sequence[tuple[str, str]] = (), *, title: str = "") -> int:
    """Fix the structure tree of a LibreOffice PDF in place.

    Args:
        path: the PDF (rewritten in place; write it to a temporary file first).
        tables: (caption, description) of the document's tables in order
            (see :func:`docx_table_texts`); applied only when the count matches.
        title: the document title, also written to the document information.

    Returns:
        The number of figures that received their image as content.
    """
    repaired = 0
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        struct_root = pdf.Root.get("/StructTreeRoot")
        if struct_root is None:
            return 0
        elements = _elements(struct_root)
        nums = _parent_tree_nums(struct_root)
        empty_figures = [
            e for e in elements if e.get("/S") == "/Figure" and not _kids(e) and "/Pg" in e
        ]
        if nums is not None:
            by_page: dict[Any, list[Any]] = {}
            for figure in empty_figures:
                by_page.setdefault(figure.Pg.objgen, []).append(figure)
            for page in pdf.pages:
                figures = by_page.get(page.obj.objgen)
                if figures:
                    repaired += _retag_page(pdf, page, figures, nums)
        table_elements = [e for e in elements if e.get("/S") == "/Table"]
        if tables and len(tables) == len(table_elements):
            for element, (caption, description) in zip(table_elements, tables, strict=True):
                if caption:
                    element.T = pikepdf.String(caption)
                if description:
                    attribute = pikepdf.Dictionary(
                        O=pikepdf.Name.Table, Summary=pikepdf.String(description)
                    )
                    existing = element.get("/A")
                    if existing is None:
                        element.A = attribute
                    elif isinstance(existing, pikepdf.Array):
                        existing.append(attribute)
                    else:
                        element.A = pikepdf.Array([existing, attribute])
        if title:
            pdf.docinfo["/Title"] = title
            with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
                meta["dc:title"] = title
        pdf.save(path)
    return repaired


def _has_scope(element: Any) -> bool:
    attributes = element.get("/A")
    items = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes]
    return any(isinstance(a, pikepdf.Dictionary) and "/Scope" in a for a in items)


def check_pdf(path: Path) -> list[tuple[str, str]]:
    """Check the PDF/UA structure points kik cares about.

    Returns:
        (location, German message) per problem; empty when the file passes.
    """
    problems: list[tuple[str, str]] = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        mark_info = root.get("/MarkInfo")
        struct_root = root.get("/StructTreeRoot")
        if struct_root is None or mark_info is None or not bool(mark_info.get("/Marked")):
            problems.append(("PDF", "Das PDF ist nicht getaggt (keine Strukturinformationen)."))
            return problems
        if not str(root.get("/Lang", "")).strip():
            problems.append(("PDF", "Die Dokumentsprache (/Lang) fehlt."))
        title = str(pdf.docinfo.get("/Title", "")).strip()
        prefs = root.get("/ViewerPreferences")
        if not title:
            problems.append(("PDF", "Das PDF hat keinen Titel."))
        if prefs is None or not bool(prefs.get("/DisplayDocTitle")):
            problems.append(("PDF", "Das Fenster zeigt nicht den Titel (DisplayDocTitle)."))
        elements = _elements(struct_root)
        for number, figure in enumerate((e for e in elements if e.get("/S") == "/Figure"), 1):
            if not str(figure.get("/Alt", "")).strip():
                problems.append((f"Abbildung {number}", "Die Abbildung hat keinen Alternativtext."))
            if not _kids(figure):
                problems.append((f"Abbildung {number}", "Die Abbildung hat keinen Inhalt."))
        for number, table in enumerate((e for e in elements if e.get("/S") == "/Table"), 1):
            cells = [e for e in _elements(table) if e.get("/S") == "/TH"]
            if not cells:
                problems.append((f"Tabelle {number}", "Die Tabelle hat keine Kopfzellen (TH)."))
            elif not all(_has_scope(c) for c in cells):
                problems.append((f"Tabelle {number}", "Eine Kopfzelle hat keinen Bezug (/Scope)."))
    return problems
