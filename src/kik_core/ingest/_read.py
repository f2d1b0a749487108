"""Read one partner update file and sort its rows into accepted and rejected.

:func:`read_update_file` never moves or changes the file. A whole-file problem
(unreadable, wrong type, missing column ...) ends in ``FileResult.unreadable``;
otherwise every data row ends in exactly one of ``accepted`` or ``rejected``.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from charset_normalizer import from_bytes
from python_calamine import CalamineWorkbook, PasswordError

from kik_core._cells import clean_value
from kik_core.errors import Problem, Reason
from kik_core.ingest._format import (
    COL_DATE,
    COL_ID,
    COLUMNS,
    IGNORED_COLUMNS,
    REQUIRED_COLUMNS,
    SHEET,
    cell_text,
    column_letter,
    normalize_header,
    parse_date,
)
from kik_core.ingest._format import format_date as _de
from kik_core.ingest._guard import (
    FileKind,
    Limits,
    Refused,
    check_size,
    detect_kind,
    refuse,
)
from kik_core.ingest._rules import RowContext, normalize_id, row_key, validate_row
from kik_core.model import Concept, StatusReport, is_goal_id, is_measure_id

if TYPE_CHECKING:
    from kik_core.editions import Editions

__all__ = ["FileResult", "RejectedRow", "display_name", "local_today", "read_update_file"]

log = logging.getLogger("kik_core.ingest")

#: How many rows at the top of a sheet may come before the header row.
_HEADER_SEARCH_ROWS = 10


def display_name(name: str) -> str:
    """A file name safe to print, store and write into files.

    On Linux a name that is not valid UTF-8 arrives with surrogate escapes; those
    bytes are shown as ``�`` (U+FFFD), control characters are removed.

    >>> display_name("Bericht\udcfc.xlsx")
    'Bericht�.xlsx'
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(c for c in name if c.isprintable()) or "?"


def local_today() -> dt.date:
    """Today's date in Germany (Europe/Berlin), falling back to UTC without tz data."""
    try:
        zone: dt.tzinfo = ZoneInfo("Europe/Berlin")
    except ZoneInfoNotFoundError:  # pragma: no cover - systems without tz database
        zone = dt.UTC
    return dt.datetime.now(zone).date()


@attrs.frozen
class RejectedRow:
    """A data row that was not accepted, with its original cell texts and every problem.

    Attributes:
        row: the spreadsheet row number the partner sees (header is row 1).
        values: the original cell texts by column header, in column order.
        problems: every problem found in the row.
    """

    row: int
    values: dict[str, str]
    problems: tuple[Problem, ...]


@attrs.frozen
class FileResult:
    """What reading one update file gave: accepted reports, rejected rows, or a file problem.

    Attributes:
        path: the file read.
        content_hash: sha256 of the file's bytes (hex).
        sheet: the sheet read (None for CSV).
        accepted: the valid rows as reports, with provenance.
        rejected: the invalid rows with their problems.
        unreadable: a whole-file problem; then there are no rows at all.
        columns: the file's column headers in order (empty when unreadable).
    """

    path: Path
    content_hash: str
    sheet: str | None
    accepted: tuple[StatusReport, ...] = ()
    rejected: tuple[RejectedRow, ...] = ()
    unreadable: Problem | None = None
    columns: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The file's name, safe to print (see :func:`display_name`)."""
        return display_name(self.path.name)

    @property
    def rows_total(self) -> int:
        """The number of data rows: accepted plus rejected, always."""
        return len(self.accepted) + len(self.rejected)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem of the file: the whole-file one or those of its rows."""
        if self.unreadable is not None:
            return (self.unreadable,)
        return tuple(p for r in self.rejected for p in r.problems)


@attrs.frozen
class _Table:
    sheet: str | None
    rows: list[tuple[int, list[object]]]  # (spreadsheet row number, cells)
    #: rows the reader could not split into cells, by row number: (reason, details)
    broken: dict[int, tuple[Reason, dict[str, object]]] = attrs.field(factory=dict)


def read_update_file(
    path: Path,
    concept: Concept,
    *,
    today: dt.date | None = None,
    limits: Limits = Limits(),  # noqa: B008 - Limits is frozen, a shared default is safe
    editions: Editions | None = None,
) -> FileResult:
    """Read and validate one partner update file (xlsx, xlsm, ods, xls or csv).

    The file is judged by its content, not its name; xlsm files are read as
    values (macros are never run). Nothing is moved or written.

    Args:
        path: the file.
        concept: the concept whose ids are valid.
        today: dates after this are refused (default: today in Germany).
        limits: size, row and zip limits.
        editions: after a *Fortschreibung*, the concept's editions: each row is
            checked against the edition in force at its "Stand am" (a file for
            the old edition, dated before the change, is still accepted); a
            number of another edition is refused with a German explanation.

    Returns:
        The accepted reports and rejected rows, or ``unreadable`` with the reason.

    Example:
        >>> result = read_update_file(Path("rueckmeldung.xlsx"), concept)  # doctest: +SKIP
        >>> result.rows_total == len(result.accepted) + len(result.rejected)  # doctest: +SKIP
        True
    """
    today = today or local_today()
    data = b""
    sheet: str | None = None
    name = display_name(path.name)
    try:
        check_size(path, limits, name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.debug("%s: %r", name, exc)
            raise refuse(name, Reason.NOT_READABLE, detail=_os_reason(exc)) from exc
        content_hash = hashlib.sha256(data).hexdigest()
        kind = detect_kind(path, data, limits, name)
        table = _read_table(path, name, data, kind, limits)
        sheet = table.sheet
        return _validate(
            path,
            name,
            content_hash,
            table,
            concept=concept,
            today=today,
            limits=limits,
            editions=editions,
        )
    except Refused as refused:
        log.info("%s nicht lesbar: %s", name, refused.problem.message)
        return FileResult(path, hashlib.sha256(data).hexdigest(), sheet, unreadable=refused.problem)


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "keine Leserechte"
    if exc.errno == errno.EISDIR:
        return "ein Ordner, keine Datei"
    return "Lesefehler des Datenträgers"


def _read_table(path: Path, name: str, data: bytes, kind: FileKind, limits: Limits) -> _Table:
    if kind is FileKind.CSV:
        return _read_csv(name, data, limits)
    return _read_spreadsheet(path, name, data)


def _open_workbook(path: Path, data: bytes) -> CalamineWorkbook:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        # a non-UTF-8 name (surrogate escapes) cannot cross into calamine: read the bytes
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    return CalamineWorkbook.from_path(str(path))


def _read_spreadsheet(path: Path, file: str, data: bytes) -> _Table:
    try:
        with _open_workbook(path, data) as workbook:
            names: list[str] = list(workbook.sheet_names)
            name = _pick_sheet(file, names)
            values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Refused:
        raise
    except PasswordError as exc:
        raise refuse(file, Reason.ENCRYPTED) from exc
    except BaseException as exc:  # calamine raises its own errors and pyo3 panics
        if isinstance(exc, KeyboardInterrupt | SystemExit | MemoryError):
            raise
        # the library's (English) text goes to the log; the partner gets a German reason
        log.debug("%s: spreadsheet reader failed: %r", file, exc)
        raise refuse(file, Reason.CORRUPT, detail=_CORRUPT_DETAIL) from exc
    rows = [(i + 1, [clean_value(c) for c in row]) for i, row in enumerate(values)]
    return _Table(name, rows)


_CORRUPT_DETAIL = (
    "der Tabelleninhalt ist unvollständig oder fehlerhaft; bitte die Datei neu speichern "
    "und erneut senden"
)


def _pick_sheet(file: str, names: list[str]) -> str:
    wanted = normalize_header(SHEET)
    matches = [n for n in names if normalize_header(n) == wanted]
    if matches:
        return matches[0]
    if len(names) == 1:
        return names[0]
    raise refuse(file, Reason.MISSING_SHEET, value=SHEET)


#: Encodings a partner's CSV can come in: Excel's "CSV UTF-8", "Unicode-Text"
#: (UTF-16) and plain "CSV" (Windows-1252 in Germany).
_ENCODINGS = ["utf_8", "utf_16", "utf_16_le", "utf_16_be", "cp1252"]  # for charset-normalizer
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: The byte a row shows where the file had bytes that are not UTF-8.
BAD_BYTE = "\ufffd"


def decode_text(file: str, data: bytes) -> str:
    """Decode a text file: BOM, then UTF-8, then what charset-normalizer finds.

    A UTF-8 file with a few stray bytes (an umlaut pasted from elsewhere) is
    read as UTF-8 with ``�`` in their place; the rows holding them are rejected
    with the reason (:attr:`Reason.ENCODING`), the others are read normally.

    Raises:
        Refused: no encoding fits (:attr:`Reason.ENCODING`).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise refuse(file, Reason.ENCODING) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" not in data:
        lenient = data.decode("utf-8", "replace")
        # UTF-8 intent: real multi-byte characters decode, only a few bytes do not
        valid = sum(1 for c in lenient if ord(c) > 127 and c != BAD_BYTE)
        bad = lenient.count(BAD_BYTE)
        if valid and bad <= max(3, valid // 10):
            return lenient
    # without NUL bytes it is no UTF-16; with them it is nothing but UTF-16
    candidates = _ENCODINGS[1:4] if b"\x00" in data else ["cp1252"]
    best = from_bytes(data, cp_isolation=candidates).best()
    if best is None:
        raise refuse(file, Reason.ENCODING)
    log.debug("%s: encoding %s", file, best.encoding)
    return str(best)


def _read_csv(file: str, data: bytes, limits: Limits) -> _Table:
    text = decode_text(file, data).removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _sniff_delimiter(first)
    width = first.count(delimiter) + 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[object]]] = []
    broken: dict[int, tuple[Reason, dict[str, object]]] = {}
    number = 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            log.debug("%s: csv row %d: %s", file, number, exc)
            if "unexpected end of data" in str(exc) or "EOF" in str(exc):
                raise refuse(file, Reason.UNBALANCED_QUOTE, row=number) from exc
            broken[number] = (
                Reason.FIELD_TOO_LONG,
                {"length": f"über {csv.field_size_limit()}", "limit": limits.max_cell_chars},
            )
            rows.append((number, []))
            continue
        _check_swallowed(file, record, number, delimiter, width)
        rows.append((number, [clean_value(c) for c in record]))
    return _Table(None, rows, broken)


def _check_swallowed(file: str, record: list[str], number: int, delimiter: str, width: int) -> None:
    """Refuse a quoted field that ran over whole following rows (an unclosed quote)."""
    if width < 3:
        return
    for field in record:
        if "\n" not in field:
            continue
        for line in field.split("\n")[1:]:
            # a swallowed row: as many cells as the header, the first one an id
            first = normalize_id(line.split(delimiter, 1)[0].strip('" '))
            looks_like_id = is_measure_id(first) or is_goal_id(first)
            if looks_like_id and line.count(delimiter) >= width - 2:
                raise refuse(file, Reason.UNBALANCED_QUOTE, row=number)


def _sniff_delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=";,\t").delimiter
    except csv.Error:
        counts = {d: header_line.count(d) for d in ";,\t"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"


def _blank(cells: Sequence[object]) -> bool:
    return all(not cell_text(c).strip() for c in cells)


def _find_header(file: str, table: _Table) -> tuple[int, list[str]]:
    """Return the index (in table.rows) of the header row and its original texts."""
    wanted = normalize_header(COL_ID)
    for index, (_number, cells) in enumerate(table.rows[:_HEADER_SEARCH_ROWS]):
        if any(normalize_header(c) == wanted for c in cells):
            return index, [cell_text(c).strip() for c in cells]
    if all(_blank(cells) for _n, cells in table.rows):
        raise refuse(file, Reason.EMPTY_FILE)
    raise refuse(file, Reason.MISSING_COLUMN, value=COL_ID)


def _column_names(headers: list[str], width: int) -> list[str]:
    """Unique display names: the header text, ``Spalte X`` for blank ones, ``(2)`` for repeats."""
    names: list[str] = []
    for index in range(width):
        name = headers[index] if index < len(headers) and headers[index] else ""
        name = " ".join(name.split()) or f"Spalte {column_letter(index)}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    return names


def _validate(
    path: Path,
    file: str,
    content_hash: str,
    table: _Table,
    *,
    concept: Concept,
    today: dt.date,
    limits: Limits,
    editions: Editions | None = None,
) -> FileResult:
    header_index, headers = _find_header(file, table)
    data_rows = [
        (n, c) for n, c in table.rows[header_index + 1 :] if n in table.broken or not _blank(c)
    ]
    if not data_rows:
        raise refuse(file, Reason.EMPTY_FILE)
    if len(data_rows) > limits.max_rows:
        raise refuse(file, Reason.TOO_MANY_ROWS, rows=len(data_rows), limit=limits.max_rows)
    width = max(len(headers), *(len(c) for _n, c in data_rows))
    names = _column_names(headers, width)
    canonical: dict[int, str] = {}
    ignored: set[int] = set()
    by_key = {normalize_header(c): c for c in COLUMNS}
    ignored_keys = {normalize_header(c) for c in IGNORED_COLUMNS}
    for index, header in enumerate(headers):
        header_key = normalize_header(header)
        if header_key in by_key and by_key[header_key] not in canonical.values():
            canonical[index] = by_key[header_key]
        elif header_key in ignored_keys:
            ignored.add(index)
    missing = [c for c in REQUIRED_COLUMNS if c not in canonical.values()]

    ctx = RowContext(concept, file, table.sheet, today, limits, content_hash)
    accepted: list[StatusReport] = []
    rejected: list[RejectedRow] = []
    contexts: dict[int, RowContext] = {}
    first_seen: dict[tuple[str, ...], int] = {}
    for number, cells in data_rows:
        padded = [*cells, *([""] * (width - len(cells)))]
        if number in table.broken:
            reason, details = table.broken[number]
            rejected.append(
                RejectedRow(number, {}, (Problem.of(reason, ctx.at(number), **details),))
            )
            continue
        if any(BAD_BYTE in cell_text(c) for c in cells):
            values = {names[i]: cell_text(padded[i]) for i in range(width)}
            problem = Problem(
                Reason.ENCODING,
                ctx.at(number),
                "Die Zeile enthält Zeichen, die nicht lesbar sind (als „�“ gezeigt): die Datei "
                "ist nicht einheitlich als UTF-8 gespeichert. Bitte die Zeichen korrigieren",
            )
            rejected.append(RejectedRow(number, values, (problem,)))
            continue
        if missing:
            # the table is readable, so its rows go back to the partner, each with the reason
            values = {names[i]: cell_text(padded[i]) for i in range(width)}
            problems = tuple(
                Problem.of(Reason.MISSING_COLUMN, ctx.at(number, column), value=column)
                for column in missing
            )
            rejected.append(RejectedRow(number, values, problems))
            continue
        row = {canonical[i]: padded[i] for i in canonical}
        notes = tuple(
            (names[i], text)
            for i in range(width)
            if i not in canonical and i not in ignored and (text := cell_text(padded[i]).strip())
        )
        if editions is not None and editions.changes:
            report, problems = _validate_in_edition(
                row, number, ctx, notes, editions=editions, contexts=contexts
            )
        else:
            report, problems = validate_row(row, number, ctx, notes)
        key = row_key(row)
        if key in first_seen:
            duplicate = Problem.of(Reason.DUPLICATE_ROW, ctx.at(number), other=first_seen[key])
            report, problems = None, (*problems, duplicate)
        else:
            first_seen[key] = number
        if report is not None:
            accepted.append(report)
        else:
            values = {names[i]: cell_text(padded[i]) for i in range(width)}
            rejected.append(RejectedRow(number, values, problems))
    log.info("%s: %d Zeilen angenommen, %d abgelehnt", file, len(accepted), len(rejected))
    return FileResult(
        path,
        content_hash,
        table.sheet,
        tuple(accepted),
        tuple(rejected),
        None,
        tuple(names),
    )


def _validate_in_edition(
    row: dict[str, object],
    number: int,
    ctx: RowContext,
    notes: tuple[tuple[str, str], ...],
    *,
    editions: Editions,
    contexts: dict[int, RowContext],
) -> tuple[StatusReport | None, tuple[Problem, ...]]:
    """Validate a row against the edition in force at its "Stand am" (Fortschreibung).

    A row without a readable date is checked against the current edition (its
    date problem is reported anyway). A number that only another edition knows
    gets a German explanation instead of "unknown".
    """
    day = parse_date(row.get(COL_DATE))
    index = editions.index_at(day) if day is not None else len(editions.changes)
    if index not in contexts:  # one per edition and file: its known ids are built once
        contexts[index] = attrs.evolve(ctx, concept=editions.concepts[index])
    row_ctx = contexts[index]
    report, problems = validate_row(row, number, row_ctx, notes)
    if report is not None or day is None:
        return report, problems
    text = cell_text(row.get(COL_ID)).strip()
    found = editions.find(text) or editions.find(normalize_id(text))
    if found is None or found[0] == index:
        return report, problems
    other, canonical = found
    explained = tuple(
        Problem.of(
            Reason.OTHER_EDITION,
            p.location,
            value=canonical,
            detail=_other_edition(editions, canonical, other, index),
        )
        if p.reason in (Reason.UNKNOWN_ID, Reason.INVALID_ID)
        else p
        for p in problems
    )
    return report, explained


def _other_edition(editions: Editions, item_id: str, other: int, index: int) -> str:
    """Why a number of edition ``other`` does not fit a row in edition ``index``."""
    if other < index:  # an old number after the change
        change = editions.changes[index - 1]
        successors = ", ".join(change.successors(item_id))
        now = f" (jetzt: {successors})" if successors else " (entfallen)"
        return (
            f"gilt seit der Fortschreibung des Konzepts am {_de(change.valid_from)} nicht "
            f"mehr{now}. Bitte die neue Nummer verwenden (neue Vorlage: kik templates)"
        )
    change = editions.changes[other - 1]
    return (
        f"gilt erst ab der Fortschreibung des Konzepts am {_de(change.valid_from)}; für "
        "einen „Stand am“ davor gilt die bisherige Fassung mit ihren Nummern"
    )
