"""Property: every data row of any sheet ends accepted or rejected, never lost."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kik_core.ingest import read_update_file
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
