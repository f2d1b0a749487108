"""Musterstadt's Fortschreibung (examples/musterstadt/fortschreibung.py), all fictional.

Three rounds issued with the first edition, then the second edition (from 01.10.2024:
SP-1.2 renamed SP-3.1, SP-2.1 and SP-2.2 merged into SP-2.1, AR-1.2 split into AR-1.2
and AR-1.3, AR-2.2 dropped, AR-3.1 new) and the round 31.12.2024 in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import docx
import pytest

from kik_core.settings import load_settings
from kik_core.store import Store

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "musterstadt" / "fortschreibung.py"
Q3, Q4 = dt.date(2024, 9, 30), dt.date(2024, 12, 31)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fortschreibung", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Played:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.issued: dict[str, str] = {}

    def on_issued(self, stichtag: str) -> None:
        path = self.folder / "berichte" / f"Zwischenbericht_{stichtag}_herausgegeben.docx"
        self.issued[stichtag] = _sha(path)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    folder = tmp_path_factory.mktemp("fortschreibung") / "musterstadt"
    seen = Played(folder)
    assert _script().play(folder, on_issued=seen.on_issued) == 0
    return seen


def _report(folder: Path, day: dt.date) -> tuple[list[list[str]], str]:
    document = docx.Document(str(folder / "berichte" / f"Zwischenbericht_{day}_herausgegeben.docx"))
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    return rows, "\n".join(p.text for p in document.paragraphs)


def test_the_round_after_the_change_counts_the_new_edition(played: Played) -> None:
    settings = load_settings(played.folder)
    assert settings.concept_file.name == "konzept_2025.xlsx"
    assert [e.valid_from for e in settings.editions] == [dt.date(2024, 10, 1)]
    with Store.open(settings.store_url, municipality=settings.municipality_key) as store:
        q3, q4 = store.issued_snapshot(Q3), store.issued_snapshot(Q4)
    assert q3 is not None
    assert q4 is not None
    assert set(q3.statuses) == {
        f"{c}-{n}" for c in ("SP", "AR") for n in ("1.1", "1.2", "2.1", "2.2")
    }
    assert set(q4.statuses) == {
        "SP-1.1", "SP-2.1", "SP-3.1", "AR-1.1", "AR-1.2", "AR-1.3", "AR-2.1", "AR-3.1",
    }  # fmt: skip
    labels = {i: e.status.label for i, e in q4.statuses.items()}
    assert labels["SP-2.1"] == "in Bearbeitung"  # merged; the Kita-Verbund's old-edition file
    assert labels["AR-1.3"] == "in Bearbeitung"  # split from AR-1.2, confirmed by the partner
    assert labels["AR-3.1"] == "in Bearbeitung"  # new
    assert {(c.measure_id, c.before.label, c.after.label) for c in q4.changes} == {
        ("SP-2.1", "wartend", "in Bearbeitung"),  # least advanced of SP-2.1 and SP-2.2 before
        ("SP-3.1", "in Bearbeitung", "implementiert"),  # renamed from SP-1.2
        ("AR-1.2", "in Bearbeitung", "implementiert"),
        ("AR-2.1", "in Bearbeitung", "implementiert"),
        ("AR-3.1", "wartend", "in Bearbeitung"),
    }


def test_the_report_lists_the_mapping_and_the_trend_per_edition(played: Played) -> None:
    rows, text = _report(played.folder, Q4)
    assert ["30.09.2024", "2 (25 %)", "4 (50 %)", "2 (25 %)", "8"] in rows
    assert ["31.12.2024", "0 (0 %)", "3 (37 %)", "5 (63 %)", "8"] in rows
    assert "Ab dem 01.10.2024 gilt die neue Fassung des Konzepts (8 Maßnahmen; bisher 8)" in text
    assert "3 gleich, 1 umbenannt, 2 geteilt, 2 zusammengelegt, 1 entfallen, 1 neu" in text
    assert [
        "SP-1.2",
        "Eine zentrale Kursberatung vermittelt in passende Kurse.",
        "umbenannt → SP-3.1",
        "Die Kursberatung im Bürgerbüro vermittelt in passende Kurse.",
    ] in rows


def test_earlier_reports_stay_as_issued(played: Played) -> None:
    for day, digest in played.issued.items():
        path = played.folder / "berichte" / f"Zwischenbericht_{day}_herausgegeben.docx"
        assert _sha(path) == digest, day
    _rows, text = _report(played.folder, Q3)
    assert "Fortschreibung" not in text


def test_the_web_edition_shows_where_a_measure_came_from(played: Played) -> None:
    page = played.folder / "veroeffentlichung" / "massnahmen" / "sp-3-1.html"
    html = page.read_text(encoding="utf-8")
    assert "Hervorgegangen aus SP-1.2 (umbenannt; neue Fassung des Konzepts ab 01.10.2024)." in html
    for day in ("31.03.2024", "30.06.2024", "30.09.2024", "31.12.2024"):
        assert day in html[html.index("Verlauf der Maßnahme SP-3.1") :]
