"""Error workbooks without openpyxl's object model: a skeleton once, the rows spliced in.

An error workbook of a file with one rejected row took openpyxl about 10 ms,
nearly all of it fixed cost (the workbook's styles, theme, instruction sheet,
data validations; issue 16). The layout stays :func:`kik_core.ingest._sheet.update_workbook`'s:
openpyxl writes a *skeleton* once per status scheme and set of extra columns –
a workbook with a placeholder file name, one probe row with a comment, and one
probe cell per cell style – and this module keeps its parts. Each error workbook
then reuses the static parts (styles, theme, workbook, relationships) as they
are and writes only what differs per file: the file name (two cells, one row
height), the data rows (cells with the skeleton's style indices, row heights,
outline level), the comments and their VML shapes, the range of the two
dropdowns, and the document properties (the content hash as identifier).

:func:`kik_core.ingest._errorbook.reference_error_workbook` is the same workbook
built by openpyxl cell by cell; tests compare the two.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

import attrs

from kik_core._cells import FORMULA_PREFIXES
from kik_core.ingest._format import COL_DATE, COL_STATUS, column_letter
from kik_core.ingest._sheet import (
    CELL_KINDS,
    SheetRow,
    cell_kind,
    cell_value,
    comment_text,
    instruction_height,
    row_height,
    sheet_columns,
    style_name,
    text_lines,
)
from kik_core.model import StatusScheme

__all__ = ["PLACEHOLDER", "lean_workbook_bytes"]

#: Stands for the file name in the skeleton (ASCII: openpyxl writes it as it is).
PLACEHOLDER = "KIKDATEINAMEPLATZHALTER"
#: Stands for the content hash in the skeleton's document identifier.
_MARKER = "KIKKENNUNGPLATZHALTER"
#: The first data row (two lines at the top, an empty row, the header row).
_FIRST = 5

_SHEET1 = "xl/worksheets/sheet1.xml"
_SHEET2 = "xl/worksheets/sheet2.xml"
_COMMENTS = "xl/comments/comment1.xml"
_VML = "xl/drawings/commentsDrawing1.vml"
_RELS2 = "xl/worksheets/_rels/sheet2.xml.rels"
_TYPES = "[Content_Types].xml"
_CORE = "docProps/core.xml"

#: Adds the style probe cells to the ``Rückmeldung`` sheet of an openpyxl workbook.
Prober = Callable[[object], None]
#: Writes an error workbook with openpyxl (the reference layout): (file name, rows,
#: extra columns, scheme, identifier, prober called on the sheet before saving) → xlsx.
Builder = Callable[
    [str, Sequence[SheetRow], tuple[str, ...], StatusScheme, str, Prober | None], bytes
]


@attrs.frozen
class _Skeleton:
    """The parts of an error workbook that do not depend on the file, and the templates."""

    order: tuple[str, ...]
    static: dict[str, bytes]
    sheet1: str  # with PLACEHOLDER and {height}
    sheet2_head: str  # up to the dimension ref
    sheet2_top: str  # from the dimension ref's end to the first data row, with PLACEHOLDER
    sheet2_tail: str  # from </sheetData>, with {status} and {date} ranges
    styles: dict[tuple[str, bool], int]
    comments_head: str
    vml_head: str
    vml_shape: str  # with {id}, {row}, {column}
    types: str
    types_without_comments: str
    core: str


def _split(text: str, pattern: str) -> tuple[str, str]:
    match = re.search(pattern, text, flags=re.DOTALL)
    if match is None:  # pragma: no cover - openpyxl changed its output
        raise ValueError(f"skeleton: {pattern!r} not found")
    return text[: match.start()], text[match.end() :]


def _probe_cells() -> list[tuple[str, bool, bool]]:
    """(style name, editable, quote prefix) of every probe cell, in row order."""
    return [
        (kind, editable, quote)
        for kind in CELL_KINDS
        for editable in (False, True)
        for quote in (False, True)
    ]


def _prober(ws: object) -> None:
    from openpyxl.worksheet.worksheet import Worksheet  # noqa: PLC0415 - skeleton only

    from kik_core._cells import write_cell  # noqa: PLC0415
    from kik_core.ingest._sheet import _style  # noqa: PLC0415 - the same named styles

    assert isinstance(ws, Worksheet)  # noqa: S101
    for row, (kind, editable, quote) in enumerate(_probe_cells(), start=_FIRST + 1):
        ws.cell(row=row, column=1).style = _style(ws, kind, editable=editable)
        write_cell(ws, row, 1, "=x" if quote else "x")


@functools.lru_cache(maxsize=16)
def _skeleton(builder: Builder, scheme: StatusScheme, extra: tuple[str, ...]) -> _Skeleton:
    probe = SheetRow({}, problems={COL_STATUS: ["x"]}, hint="x")
    data = builder(PLACEHOLDER, [probe], extra, scheme, _MARKER, _prober)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        order = tuple(archive.namelist())
        parts = {name: archive.read(name) for name in order}
    text = {name: parts[name].decode("utf-8") for name in (_SHEET1, _SHEET2, _VML, _COMMENTS)}
    # sheet 1: the title row's height follows the file name's length
    head, rest = _split(text[_SHEET1], r'(?<=<row r="2" ht=")[^"]*')
    sheet1 = (
        head.replace("{", "{{").replace("}", "}}")
        + "{height}"
        + rest.replace("{", "{{").replace("}", "}}")
    )
    # sheet 2: the top rows, the data rows (replaced), the tail
    sheet2_head, rest = _split(text[_SHEET2], r'(?<=<dimension ref=")[^"]*')
    sheet2_top, rest = _split(rest, rf'<row r="{_FIRST}".*</sheetData>')
    styles: dict[tuple[str, bool], int] = {}
    cells = dict(re.findall(r'<c r="A(\d+)" s="(\d+)"', rest_of_rows(text[_SHEET2])))
    for row, (kind, editable, quote) in enumerate(_probe_cells(), start=_FIRST + 1):
        styles[(style_name(kind, editable=editable), quote)] = int(cells[str(row)])
    tail = "</sheetData>" + rest
    tail = tail.replace("{", "{{").replace("}", "}}")
    names = [n for n, _w in sheet_columns(extra, hints=True)]
    letter = column_letter(names.index(COL_STATUS))
    date_letter = column_letter(names.index(COL_DATE))
    tail = tail.replace(f'sqref="{letter}{_FIRST}"', 'sqref="{status}"')
    tail = tail.replace(f'sqref="{date_letter}{_FIRST}"', 'sqref="{date}"')
    if "{status}" not in tail or "{date}" not in tail:  # pragma: no cover
        raise ValueError("skeleton: data validations not found")
    comments_head, _rest = _split(text[_COMMENTS], r"<comment ref=.*")
    vml = text[_VML]
    shape = re.search(r"<(\w+):shape xmlns.*</\1:shape>", vml, flags=re.DOTALL)
    if shape is None:  # pragma: no cover
        raise ValueError("skeleton: comment shape not found")
    template = shape[0].replace("{", "{{").replace("}", "}}")
    template = template.replace('id="_x0000_s1026"', 'id="_x0000_s{id}"')
    template = re.sub(r"(<(\w+):Row>)\d+(</\2:Row>)", r"\g<1>{row}\g<3>", template)
    template = re.sub(r"(<(\w+):Column>)\d+(</\2:Column>)", r"\g<1>{column}\g<3>", template)
    types = parts[_TYPES].decode("utf-8")
    without = re.sub(r'<Override PartName="/xl/comments/comment1.xml"[^>]*/>', "", types)
    without = re.sub(r'<Default Extension="vml"[^>]*/>', "", without)
    static = {
        name: value
        for name, value in parts.items()
        if name not in (_SHEET1, _SHEET2, _COMMENTS, _VML, _TYPES, _CORE)
    }
    return _Skeleton(
        order=order,
        static=static,
        sheet1=sheet1,
        sheet2_head=sheet2_head,
        sheet2_top=sheet2_top,
        sheet2_tail=tail,
        styles=styles,
        comments_head=comments_head,
        vml_head=vml[: shape.start()],
        vml_shape=template,
        types=types,
        types_without_comments=without,
        core=parts[_CORE].decode("utf-8"),
    )


def rest_of_rows(sheet: str) -> str:
    """The rows of ``sheet`` from the first data row on (the probe cells)."""
    start = sheet.index(f'<row r="{_FIRST}"')
    return sheet[start : sheet.index("</sheetData>")]


def _number(value: float) -> str:
    return "%.16g" % value  # noqa: UP031 - as openpyxl writes numbers


_EPOCH = dt.date(1899, 12, 30)


def _serial(value: dt.date) -> int:
    days = (value - _EPOCH).days
    return days - 1 if 0 < days <= 60 else days  # Excel's 1900 leap year, as openpyxl


def _text(value: str) -> str:
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f"<t{space}>{escape(value)}</t>"


def lean_workbook_bytes(
    builder: Builder,
    rows: Sequence[SheetRow],
    *,
    name: str,
    title: str,
    extra: Sequence[str],
    scheme: StatusScheme,
    identifier: str,
    now: dt.datetime | None = None,
) -> bytes:
    """The error workbook of ``rows`` (xlsx), laid out as ``builder``'s skeleton.

    Args:
        builder: writes the reference workbook with openpyxl (for the skeleton).
        rows: the data rows.
        name: the file name shown at the top (cleaned text).
        title: the first line at the top, containing ``name`` (for its row height).
        extra: the partner's own columns.
        scheme: the concept's status scheme (the dropdown).
        identifier: the document identifier (``kik-fehlerliste:<hash>``).
        now: the document's creation time (default: now, UTC).
    """
    skeleton = _skeleton(builder, scheme, tuple(extra))
    columns = sheet_columns(extra, hints=True)
    letters = [column_letter(i) for i in range(len(columns))]
    out: list[str] = []
    comments: list[tuple[str, int, int, str]] = []
    styles = skeleton.styles
    number = _FIRST - 1
    for number, line in enumerate(rows, start=_FIRST):
        lines = 1
        cells: list[str] = []
        for index, (column, width) in enumerate(columns):
            value = cell_value(line, column)
            kind, editable = cell_kind(line, column, value)
            quote = isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            style = styles[(style_name(kind, editable=editable), quote)]
            ref = f"{letters[index]}{number}"
            if value is None:
                cells.append(f'<c r="{ref}" s="{style}" t="n"></c>')
            elif isinstance(value, str):
                cells.append(f'<c r="{ref}" s="{style}" t="inlineStr"><is>{_text(value)}</is></c>')
                lines = max(lines, text_lines(column, value, width))
            else:
                cells.append(f'<c r="{ref}" s="{style}" t="n"><v>{_serial(value)}</v></c>')
            messages = line.problems.get(column, ())
            if messages:
                comments.append((ref, number - 1, index, comment_text(messages)))
        outline = "" if line.is_goal else ' outlineLevel="1"'
        height = _number(row_height(lines))
        out.append(f'<row r="{number}"{outline} ht="{height}" customHeight="1">')
        out.extend(cells)
        out.append("</row>")
    last = max(number, _FIRST)
    shown = escape(name)
    status = letters[[c for c, _w in columns].index(COL_STATUS)]
    date = letters[[c for c, _w in columns].index(COL_DATE)]

    def span(letter: str) -> str:
        return f"{letter}{_FIRST}" if last == _FIRST else f"{letter}{_FIRST}:{letter}{last}"

    tail = skeleton.sheet2_tail.format(status=span(status), date=span(date))
    if not comments:
        tail = re.sub(r"<legacyDrawing [^>]*/>", "", tail)
    sheet2 = (
        skeleton.sheet2_head
        + f"A1:{letters[-1]}{last}"
        + skeleton.sheet2_top.replace(PLACEHOLDER, shown)
        + "".join(out)
        + tail
    )
    sheet1 = skeleton.sheet1.format(height=_number(instruction_height(2, title))).replace(
        PLACEHOLDER, shown
    )
    moment = now or dt.datetime.now(dt.UTC)  # W3CDTF, a machine format
    stamp = moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    core = re.sub(
        r"(<dcterms:(created|modified)[^>]*>)[^<]*", rf"\g<1>{stamp}", skeleton.core
    ).replace(_MARKER, escape(identifier))
    parts: dict[str, str | bytes] = {
        **skeleton.static,
        _SHEET1: sheet1,
        _SHEET2: sheet2,
        _CORE: core,
        _TYPES: skeleton.types if comments else skeleton.types_without_comments,
    }
    if comments:
        parts[_COMMENTS] = (
            skeleton.comments_head
            + "".join(
                f'<comment ref="{ref}" authorId="0" shapeId="0">'
                f"<text>{_text(text)}</text></comment>"
                for ref, _row, _column, text in comments
            )
            + "</commentList></comments>"
        )
        parts[_VML] = (
            skeleton.vml_head
            + "".join(
                skeleton.vml_shape.format(id=f"{1026 + i:04d}", row=row, column=column)
                for i, (_ref, row, column, _text) in enumerate(comments)
            )
            + "</xml>"
        )
    else:
        del parts[_RELS2]
    buffer = io.BytesIO()
    # the fastest deflate: a few KB more than the default level, a third of the time
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for part in skeleton.order:
            if part in parts:
                content = parts[part]
                archive.writestr(part, content)
    return buffer.getvalue()
