"""Musterstadt's three quarters (examples/musterstadt/quartale.py): history from issued rounds.

Done-when of issue 12: three rounds issued from partner files; the third round's report
shows a trend of exactly the three issued Stichtage and the changes against the second;
a late file for round 2, arriving after round 2 was issued, changes nothing in round 2's
stored snapshot or file and appears in round 3's report as a late correction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import docx
import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

from kik_core import Status
from kik_core.rules import Snapshot
from kik_core.settings import load_settings
from kik_core.store import Store

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "musterstadt" / "quartale.py"
Q1, Q2, Q3 = dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quartale", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _store(folder: Path) -> Store:
    settings = load_settings(folder)
    return Store.open(settings.store_url, municipality=settings.municipality_key)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class History:
    """What the test saw right after each round was issued."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.snapshots: dict[str, Snapshot | None] = {}
        self.files: dict[str, str] = {}

    def issued(self, stichtag: str) -> None:
        day = dt.date.fromisoformat(stichtag)
        with _store(self.folder) as store:
            for earlier in store.rounds():
                key = earlier.stichtag.isoformat()
                self.snapshots.setdefault(key, store.issued_snapshot(earlier.stichtag))
                assert earlier.issued_file is not None
                path = self.folder / "berichte" / earlier.issued_file
                self.files.setdefault(key, _sha(path))
                # nothing issued earlier changed since it was issued
                assert store.issued_snapshot(earlier.stichtag) == self.snapshots[key]
                assert _sha(path) == self.files[key]
        assert stichtag in self.snapshots, day


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    folder = tmp_path_factory.mktemp("historie") / "musterstadt"
    seen = History(folder)
    assert _script().play(folder, on_issued=seen.issued) == 0
    return seen


def _blocks(path: Path) -> list[tuple[str, object]]:
    document = docx.Document(str(path))
    found: list[tuple[str, object]] = []
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p"):
            paragraph = Paragraph(element, document)
            found.append((paragraph.style.name if paragraph.style else "", paragraph.text))
        elif element.tag.endswith("}tbl"):
            rows = [[c.text for c in r.cells] for r in Table(element, document).rows]
            found.append(("table", rows))
    return found


def _section(blocks: list[tuple[str, object]], heading: str) -> list[tuple[str, object]]:
    start = next(
        i
        for i, (style, text) in enumerate(blocks)
        if style.startswith("Heading") and text == heading
    )
    end = next(
        (i for i in range(start + 1, len(blocks)) if blocks[i][0].startswith("Heading")),
        len(blocks),
    )
    return blocks[start + 1 : end]


def test_three_rounds_are_issued_from_partner_files(history: History) -> None:
    with _store(history.folder) as store:
        rounds = store.rounds()
        assert [r.stichtag for r in rounds] == [Q1, Q2, Q3]
        assert all(r.is_issued for r in rounds)
        files = {f.name for f in store.files()}
    assert files == {
        "2024-03-31_vhs-musterstadt.xlsx",
        "2024-03-31_jobcenter-musterstadt.csv",
        "2024-06-30_vhs-musterstadt.xlsx",
        "2024-07-05_jobcenter-musterstadt.csv",
        "2024-06-25_stadtbibliothek.xlsx",
        "2024-09-30_vhs-musterstadt.xlsx",
        "2024-09-30_jobcenter-musterstadt.csv",
    }
    for day in (Q1, Q2, Q3):
        path = history.folder / "berichte" / f"Zwischenbericht_{day}_herausgegeben.docx"
        assert path.stat().st_mode & 0o777 == 0o444


def test_the_row_after_the_stichtag_belongs_to_its_round(history: History) -> None:
    q2 = history.snapshots[Q2.isoformat()]
    assert q2 is not None
    # the Jobcenter reported on 05.07.2024, after the Stichtag, before the deadline 21.07.
    assert q2.status_of("AR-2.2") is Status.IN_BEARBEITUNG
    assert q2.statuses["AR-2.2"].as_of == dt.date(2024, 7, 5)


def test_third_report_shows_trend_of_exactly_the_issued_rounds(history: History) -> None:
    blocks = _blocks(history.folder / "berichte" / f"Zwischenbericht_{Q3}_herausgegeben.docx")
    trend = _section(blocks, "Entwicklung über die Berichtszeitpunkte")
    (table,) = [rows for kind, rows in trend if kind == "table"]
    assert [row[0] for row in table[1:]] == ["31.03.2024", "30.06.2024", "30.09.2024"]
    assert table[1][1:] == ["6 (75 %)", "2 (25 %)", "0 (0 %)", "8"]
    assert table[3][1:] == ["2 (25 %)", "4 (50 %)", "2 (25 %)", "8"]


def test_third_report_shows_changes_against_the_second(history: History) -> None:
    q3 = history.snapshots[Q3.isoformat()]
    assert q3 is not None
    assert q3.previous == Q2
    assert {(c.measure_id, c.before.label, c.after.label) for c in q3.changes} == {
        ("AR-1.1", "in Bearbeitung", "implementiert"),
        ("AR-2.1", "wartend", "in Bearbeitung"),
        ("AR-2.2", "in Bearbeitung", "wartend"),
        ("SP-2.2", "wartend", "in Bearbeitung"),
    }
    blocks = _blocks(history.folder / "berichte" / f"Zwischenbericht_{Q3}_herausgegeben.docx")
    changes = _section(blocks, "Veränderungen seit dem letzten Bericht")
    assert any("Seit dem 30.06.2024" in str(text) for _, text in changes)


def test_late_file_leaves_round_2_unchanged_and_shows_in_round_3(history: History) -> None:
    q2 = history.snapshots[Q2.isoformat()]
    assert q2 is not None
    assert q2.status_of("SP-2.2") is Status.WARTEND  # as issued: the late file came after
    with _store(history.folder) as store:
        assert store.issued_snapshot(Q2) == q2
    path = history.folder / "berichte" / f"Zwischenbericht_{Q2}_herausgegeben.docx"
    assert _sha(path) == history.files[Q2.isoformat()]
    q3 = history.snapshots[Q3.isoformat()]
    assert q3 is not None
    assert q3.status_of("SP-2.2") is Status.IN_BEARBEITUNG  # counts from the next round on
    blocks = _blocks(history.folder / "berichte" / f"Zwischenbericht_{Q3}_herausgegeben.docx")
    late = _section(blocks, "Nachträgliche Korrekturen")
    (table,) = [rows for kind, rows in late if kind == "table"]
    assert table[1] == [
        "SP-2.2",
        "Die Stadtbibliothek richtet mehrsprachige Vorlesestunden ein.",
        "in Bearbeitung",
        "25.06.2024",
        "Stadtbibliothek",
        "30.06.2024",
    ]
    # the first report has no history: no trend, no changes, no late corrections
    first = _blocks(history.folder / "berichte" / f"Zwischenbericht_{Q1}_herausgegeben.docx")
    headings = [text for style, text in first if style.startswith("Heading")]
    for absent in (
        "Entwicklung über die Berichtszeitpunkte",
        "Veränderungen seit dem letzten Bericht",
        "Nachträgliche Korrekturen",
    ):
        assert absent not in headings
