"""Property: every data row of any sheet ends accepted or rejected, never lost."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from kik_core._cells import clean_text
from kik_core.ingest import Outcome, ingest_inbox, read_update_file
from kik_core.store import Store, sqlite_url
from tests.ingest_helpers import HEADER, TODAY, concept, write_csv

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_CELL = st.one_of(
    st.sampled_from(
        [
            "BS-4.3",
            "BS-4",
            "bs-4.1",
            "XX-1.1",
            "AA-1.2",
            "BS-4.4",
            "",
            " ",
            "=1+1",
            "wartend",
            "In Bearbeitung",
            "fertig",
            "01.03.2024",
            "2024-02-30",
            "31.12.2099",
            "Volkshochschule",
            "@x",
            "-",
        ]
    ),
    _TEXT,
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    st.integers(-5, 50_000),
    st.none(),
)
_ROWS = st.lists(st.lists(_CELL, min_size=0, max_size=8), max_size=8)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _data_rows(rows: list[list[object]]) -> int:
    return sum(1 for row in rows if any(_text(c).strip() for c in row))


@settings(max_examples=50, deadline=None)
@given(rows=_ROWS, as_csv=st.booleans(), delimiter=st.sampled_from([";", ","]))
def test_accepted_plus_rejected_is_data_rows(
    rows: list[list[object]], as_csv: bool, delimiter: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        if as_csv:
            path = write_csv(
                Path(folder) / "x.csv", [[_text(c) for c in r] for r in rows], delimiter=delimiter
            )
        else:
            path = Path(folder) / "x.xlsx"
            workbook = Workbook()
            ws = workbook.active
            assert ws is not None
            ws.title = "Rückmeldung"
            ws.append(list(HEADER))
            for r, row in enumerate(rows, start=2):
                for c, value in enumerate(row, start=1):
                    cell = ws.cell(row=r, column=c)
                    cell.value = value
                    if isinstance(value, str):
                        cell.data_type = "s"
            workbook.save(path)
        result = read_update_file(path, concept(), today=TODAY)
        expected = _data_rows(rows)
        if expected == 0:
            assert result.unreadable is not None
            assert result.rows_total == 0
        else:
            assert result.unreadable is None, result.unreadable
            assert len(result.accepted) + len(result.rejected) == expected
            assert result.rows_total == expected
            rejected_rows = {r.row for r in result.rejected}
            accepted_rows = {r.source.row for r in result.accepted if r.source}
            assert not rejected_rows & accepted_rows


# -- issue 11: the whole inbox path, hostile text included -----------------------------

_HOSTILE_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=20,
)
_HOSTILE_CELL = st.one_of(
    _CELL,
    _HOSTILE_TEXT,
    st.sampled_from(
        ['"', 'Läuft "gut"', "a;b", "a\nb", "x\x0by", "_x000B_", "01.01.1900", "0030-01-01"]
    ),
)
_HOSTILE_ROWS = st.lists(st.lists(_HOSTILE_CELL, min_size=0, max_size=7), max_size=8)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value: object) -> object:
    # openpyxl refuses control characters; Excel writes them as _x000B_
    if isinstance(value, str):
        return _ILLEGAL.sub(lambda m: f"_x{ord(m[0]):04X}_", value)
    return value


def _write_rows(path: Path, rows: list[list[object]], encoding: str) -> Path:
    if path.suffix == ".csv":
        texts = [[_text(c) for c in r] for r in rows]
        try:
            return write_csv(
                path, texts, encoding=encoding, delimiter="\t" if "16" in encoding else ";"
            )
        except UnicodeEncodeError:
            return write_csv(path, texts)
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "Rückmeldung"
    ws.append(list(HEADER))
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = _xlsx_value(value)
            if isinstance(value, str):
                cell.data_type = "s"
    workbook.save(path)
    return path


def _visible_rows(rows: list[list[object]]) -> int:
    return sum(1 for row in rows if any(clean_text(_text(c)).strip() for c in row))


@settings(max_examples=40, deadline=None)
@given(
    rows=_HOSTILE_ROWS,
    suffix=st.sampled_from([".csv", ".xlsx"]),
    encoding=st.sampled_from(["utf-8-sig", "utf-8", "utf-16", "cp1252"]),
)
def test_ingest_accounts_for_every_row_in_a_readable_error_workbook(
    rows: list[list[object]], suffix: str, encoding: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        inbox = base / "eingang"
        inbox.mkdir()
        _write_rows(inbox / f"datei{suffix}", rows, encoding)
        with Store.open(sqlite_url(base / "kik.sqlite")) as store:
            summary = ingest_inbox(
                inbox,
                concept=concept(),
                store=store,
                archive=base / "archiv",
                quarantine=base / "quarantaene",
                outbox=base / "ausgang",
                today=TODAY,
            )
            stored = store.count_reports()
        [outcome] = summary.files
        expected = _visible_rows(rows)
        if expected == 0:
            assert outcome.outcome is Outcome.QUARANTINED
            return
        assert outcome.outcome is not Outcome.QUARANTINED, outcome.problems
        assert outcome.rows_accepted + outcome.rows_rejected == expected
        assert stored == outcome.rows_accepted
        if not outcome.rows_rejected:
            assert outcome.error_workbook is None
            return
        assert outcome.error_workbook is not None
        workbook = load_workbook(outcome.error_workbook)
        sheet = workbook["Rückmeldung"]
        table = list(sheet.iter_rows(values_only=True))
        head = next(i for i, r in enumerate(table) if r[0] == "Maßnahme")
        hint = table[head].index("Hinweis")
        listed = table[head + 1 :]
        assert len(listed) == outcome.rows_rejected
        rejected_numbers = sorted({p.location.row for p in outcome.problems})
        # each hint ends with the row of the partner's file
        assert [str(r[hint]).splitlines()[-1] for r in listed] == [
            f"(Zeile {n} Ihrer Datei)" for n in rejected_numbers
        ]
