"""The `kik` command as a user runs it: subprocesses, exit codes, printed summaries."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from kik_core import write_concept_workbook

from .conftest import small_concept

HEADER = ["Maßnahme", "Status", "Stand am", "Institution", "Aktueller Stand", "Ausblick"]


def kik(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200", DO_NOT_TRACK="1")
    return subprocess.run(
        [sys.executable, "-m", "kik_core.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )


def partner_file(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Rückmeldung"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    result = kik("init", tmp_path / "musterstadt", "--kommune", "Musterstadt")
    assert result.returncode == 0, result.stderr
    write_concept_workbook(small_concept(), tmp_path / "musterstadt" / "konzept.xlsx")
    return tmp_path / "musterstadt"


def test_help_and_version() -> None:
    result = kik("--help")
    assert result.returncode == 0
    for command in ("init", "validate", "ingest", "templates", "report", "run", "serve"):
        assert command in result.stdout
    assert "Exit-Codes" in result.stdout
    for command in ("init", "validate", "ingest", "templates", "report", "run"):
        sub = kik(command, "--help")
        assert sub.returncode == 0, command
        assert "ORDNER" in sub.stdout
    assert kik("--version").stdout.startswith("kik ")


def test_usage_error_exits_2() -> None:
    result = kik("report")
    assert result.returncode == 2
    assert "ORDNER" in result.stderr


def test_init_explains_next_steps(tmp_path: Path) -> None:
    result = kik("init", tmp_path / "neu")
    assert result.returncode == 0
    assert "Nächste Schritte" in result.stdout
    assert (tmp_path / "neu" / "kik.toml").is_file()


def test_not_a_kik_folder_says_what_to_do(tmp_path: Path) -> None:
    result = kik("report", tmp_path)
    assert result.returncode == 1
    assert "kik init" in result.stdout


def test_blank_concept_is_explained(tmp_path: Path) -> None:
    kik("init", tmp_path / "leer")
    result = kik("validate", tmp_path / "leer")
    assert result.returncode == 1
    assert "„Handlungsfelder“ enthält noch keine Einträge" in result.stdout


def test_user_journey(folder: Path) -> None:
    day = dt.datetime(2023, 9, 30)
    partner_file(
        folder / "eingang" / "vhs.xlsx",
        [
            ["BS-1.1", "implementiert", day, "vhs Kempten", "fertig", ""],
            ["BS-1.2", "in Bearbeitung", day, "vhs Kempten", "", ""],
            ["BS-1", None, day, "vhs Kempten", "Es läuft.", "Weiter so."],
        ],
    )
    partner_file(
        folder / "eingang" / "afa.xlsx",
        [
            ["AA-1.1", "implementiert", day, "Agentur für Arbeit", "", ""],
            ["AA-1.2", "fertig", day, "Agentur für Arbeit", "", ""],
        ],
    )
    (folder / "eingang" / "kaputt.xlsx").write_bytes(b"PK\x03\x04 kaputt")

    checked = kik("validate", folder)
    assert checked.returncode == 3
    assert "„fertig“ ist kein gültiger Status" in checked.stdout
    assert list((folder / "eingang").iterdir())  # validate moves nothing

    ingested = kik("ingest", folder, "--heute", "2023-10-15")
    assert ingested.returncode == 3, ingested.stdout + ingested.stderr
    assert "3 Dateien, 4 Zeilen angenommen, 1 abgelehnt, 1 in Quarantäne" in ingested.stdout
    error_book = folder / "ausgang" / "afa_Fehler.xlsx"
    assert error_book.is_file()
    sheet = load_workbook(error_book).active
    assert sheet is not None
    assert any("kein gültiger Status" in str(c.value) for row in sheet.iter_rows() for c in row)
    assert (folder / "quarantaene" / "kaputt.xlsx").is_file()
    assert not [p for p in (folder / "eingang").iterdir() if p.is_file()]

    again = kik("ingest", folder)
    assert again.returncode == 0
    assert "0 Dateien" in again.stdout

    reported = kik("report", folder, "--as-of", "30.09.2023")
    assert reported.returncode == 0, reported.stdout + reported.stderr
    docx = folder / "berichte" / "Zwischenbericht_2023-09-30_Entwurf_1.docx"
    assert docx.is_file()
    assert str(docx) in reported.stdout.replace("\n", "")
    assert "2 implementiert" in reported.stdout

    templates = kik("templates", folder, "--stand", "2023-12-31")
    assert templates.returncode == 0
    assert "Vorlagen geschrieben" in templates.stdout


def test_bad_date_argument(folder: Path) -> None:
    result = kik("report", folder, "--as-of", "gestern")
    assert result.returncode == 2
    assert "kein Datum" in result.stderr


def test_two_ingest_processes_at_once_lose_nothing(folder: Path) -> None:
    """Two `kik ingest` processes on one inbox and one SQLite store: every file once."""
    day = dt.datetime(2023, 9, 30)
    ids = ["BS-1.1", "BS-1.2", "BS-2.1", "AA-1.1", "AA-1.2", "AA-1.3"]
    for n in range(24):
        partner_file(
            folder / "eingang" / f"partner-{n:02d}.xlsx",
            [[ids[n % 6], "in Bearbeitung", day, f"Partner {n}", f"Datei {n}", ""]],
        )
    env = dict(os.environ, COLUMNS="200")
    command = [sys.executable, "-m", "kik_core.cli", "ingest", str(folder)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    archived = sorted(p.name for p in (folder / "archiv").rglob("*.xlsx"))
    assert archived == [f"partner-{n:02d}.xlsx" for n in range(24)]
    assert not list((folder / "eingang").rglob("*.xlsx"))

    from kik_core.settings import load_settings
    from kik_core.store import Store

    settings = load_settings(folder)
    with Store.open(settings.store_url, municipality=settings.municipality_key) as store:
        assert len(store.files()) == 24
        assert len(store.reports()) == 24
