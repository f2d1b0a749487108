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
    sheet = load_workbook(error_book)["Rückmeldung"]
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


# --- partner board, reminders, office decisions ------------------------------------


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_in_process_main_leaves_the_hosts_signal_handlers_alone(folder: Path, command: str) -> None:
    """A script or test calling main() must not keep kik's handlers, let alone SIG_IGN:
    ignored signals are inherited by every process the host starts afterwards."""
    import signal

    from kik_core.cli import main

    partner_file(folder / "eingang" / "vhs.xlsx", [["BS-1.1", "implementiert", "2023-09-30"]])
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    assert main([command, str(folder)]) in (0, 3)  # 3: the file has rejected rows
    assert {sig: signal.getsignal(sig) for sig in before} == before
    child = subprocess.run(
        [sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGTERM))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip() == "0"  # SIG_DFL, not SIG_IGN (1)


def _round_with_one_report(folder: Path) -> None:
    opened = kik("runde", "oeffnen", folder, "--stichtag", "2024-03-31", "--frist", "2024-04-21")
    assert opened.returncode == 0, opened.stdout + opened.stderr
    partner_file(
        folder / "eingang" / "vhs.xlsx",
        [["BS-2.1", "implementiert", "31.03.2024", "vhs Kempten", "läuft", ""]],
    )
    ingested = kik("ingest", folder, "--heute", "2024-04-10")
    assert ingested.returncode == 0, ingested.stdout


def test_board_reminder_list_and_decision(folder: Path) -> None:
    _round_with_one_report(folder)
    board = kik("rueckmeldungen", folder, "--xlsx", "--massnahmen")
    assert board.returncode == 0, board.stdout
    assert "Maßnahmen in der Runde zum Stichtag 31.03.2024" in board.stdout
    assert "Rückmeldungen zum Stichtag 31.03.2024 (Frist 21.04.2024)" in board.stdout
    assert "Von 2 Partnern hat noch keiner vollständig gemeldet, 1 teilweise." in board.stdout
    workbook = load_workbook(folder / "ausgang" / "Rueckmeldungen_2024-03-31.xlsx")
    rows = list(workbook["Partner"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[6]) for r in rows] == [
        ("Agentur für Arbeit", "ausstehend", "AA-1.1, AA-1.2"),
        ("vhs Kempten", "teilweise", "AA-1.2"),
    ]

    reminders = kik("erinnern", folder)
    assert reminders.returncode == 0, reminders.stdout
    csv_file = folder / "ausgang" / "Erinnerungen_2024-03-31.csv"
    assert csv_file.read_text(encoding="utf-8-sig").count("\n") == 3  # header + 2 partners

    decided = kik(
        "entscheiden",
        folder,
        "AA-1.2",
        "in_bearbeitung",
        "--grund",
        "Laut Lenkungskreis begonnen",
        "--von",
        "Frau Amt",
        "--stand",
        "2024-03-31",
    )
    assert decided.returncode == 0, decided.stdout
    assert "AA-1.2 ist „in Bearbeitung“ ab 31.03.2024 (entschieden von Frau Amt)" in decided.stdout
    built = kik("report", folder)
    assert built.returncode == 0, built.stdout
    (report,) = (folder / "berichte").glob("*.docx")
    import docx

    text = "\n".join(p.text for p in docx.Document(str(report)).paragraphs)
    assert "Anhang: Entscheidungen des Integrationsbüros" in text
    assert "Anhang: Rückmeldungen der Partner" in text


def test_bad_partner_command_input_changes_nothing(folder: Path) -> None:
    _round_with_one_report(folder)
    unknown = kik("entscheiden", folder, "BS-9.9", "implementiert", "--grund", "x")
    assert unknown.returncode == 1
    assert "Die Maßnahme „BS-9.9“ gibt es im Konzept nicht" in unknown.stdout
    assert kik("entscheiden", folder, "BS-1.1", "implementiert").returncode == 2  # no --grund
    future = kik(
        "entscheiden", folder, "BS-1.1", "implementiert", "--grund", "x", "--stand", "2999-01-01"
    )
    assert future.returncode == 1
    assert "liegt in der Zukunft" in future.stdout

    toml = folder / "kik.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[email]\nhost = "127.0.0.1"\nabsender = "integration@musterstadt.example"\n'
        'passwort_variable = "KIK_TEST_UNSET_PASSWORD"\n',
        encoding="utf-8",
    )
    no_password = kik("erinnern", folder, "--senden")
    assert no_password.returncode == 1
    assert "KIK_TEST_UNSET_PASSWORD" in no_password.stdout
    assert "nichts versendet" in no_password.stdout

    concept = folder / "konzept.xlsx"
    workbook = load_workbook(concept)
    workbook["Partner"].append(["Sportverein", "Herr Lauf", "sport@musterstadt.example", ""])
    workbook.save(concept)
    checked = kik("validate", folder)
    assert checked.returncode == 1
    assert "Blatt Partner, Zeile 2, Spalte Partner" in checked.stdout
    stranger = kik("erinnern", folder)
    assert stranger.returncode == 1
    assert "Blatt Partner, Zeile 2, Spalte Partner" in stranger.stdout
    assert "„Sportverein“ steht bei keiner Maßnahme unter „Zuständig“" in stranger.stdout
    assert not list((folder / "ausgang").glob("Erinnerungen_*"))  # nothing written

    from kik_core.settings import load_settings
    from kik_core.workflow import open_store

    with open_store(load_settings(folder)) as store:
        assert store.decisions() == []


def test_ingest_table_fits_80_columns() -> None:
    """Issue 14: file names stay unbroken (middle shortened), error workbooks relative."""
    import io

    from rich.console import Console

    from kik_core.cli import _print_ingest, shorten_middle
    from kik_core.errors import Location, Problem, Reason
    from kik_core.ingest import FileOutcome, IngestSummary, Outcome

    folder = Path("/kommunen/musterstadt")
    long_name = "Rueckmeldung_Jugendmigrationsdienst_Musterstadt_Sued_2024-09-30_final.xlsx"
    problem = Problem.of(Reason.ENCRYPTED, Location("x.xlsx"))
    summary = IngestSummary(
        (
            FileOutcome(
                long_name,
                Outcome.PARTIAL,
                12,
                3,
                (),
                folder / "ausgang" / "Rueckmeldung_Jugendmigrationsdienst_Fehler.xlsx",
                folder / "archiv" / long_name,
            ),
            FileOutcome("geheim.xlsx", Outcome.QUARANTINED, 0, 0, (problem,), None, folder),
        )
    )
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None, highlight=False)
    _print_ingest(console, summary, folder)
    text = out.getvalue()
    assert all(len(line) <= 80 for line in text.splitlines())
    short = shorten_middle(long_name, 26)
    assert short.startswith("Rueckmeldung_")
    assert short.endswith("final.xlsx")
    assert "…" in short
    assert short in text  # on one line, not folded
    assert "  ausgang/Rueckmeldung_Jugendmigrationsdienst_Fehler.xlsx" in text.splitlines()
    assert "/kommunen" not in text
    assert "teilweise" in text


def test_ingest_output_for_many_files_lists_files_that_need_attention() -> None:
    """Issue 16: beyond TABLE_FILES files only rejected/quarantined files are listed one by one."""
    import io

    from rich.console import Console

    from kik_core.cli import TABLE_FILES, _print_ingest
    from kik_core.errors import Location, Problem, Reason
    from kik_core.ingest import FileOutcome, IngestSummary, Outcome

    folder = Path("/kommunen/musterstadt")
    day = folder / "archiv" / "2024-03-01"
    clean = [
        FileOutcome(f"sauber_{i:03d}.xlsx", Outcome.ACCEPTED, 10, 0, (), None, day / "x")
        for i in range(TABLE_FILES)
    ]
    row_problem = Problem.of(Reason.ENCRYPTED, Location("teil.xlsx", row=3))
    partial = FileOutcome(
        "teil.xlsx",
        Outcome.PARTIAL,
        9,
        1,
        (row_problem,),
        folder / "ausgang" / "teil_Fehler.xlsx",
        day / "teil.xlsx",
    )
    locked = Problem.of(Reason.ENCRYPTED, Location("geheim.xlsx"))
    quarantined = FileOutcome(
        "geheim.xlsx", Outcome.QUARANTINED, 0, 0, (locked,), None, folder / "quarantaene" / "g"
    )
    twice = FileOutcome("doppelt.xlsx", Outcome.DUPLICATE, 0, 0, (), None, day / "doppelt.xlsx")
    summary = IngestSummary((*clean[:20], partial, *clean[20:], quarantined, twice))
    out = io.StringIO()
    _print_ingest(Console(file=out, width=200, color_system=None), summary, folder)
    text = out.getvalue()
    lines = text.splitlines()
    assert "Eingelesene Dateien: 53; einzeln aufgeführt sind die 2 Dateien" in lines[0]
    assert "  teil.xlsx: teilweise angenommen (9 angen., 1 abgel.) → ausgang/teil_Fehler.xlsx" in (
        lines
    )
    assert f"  geheim.xlsx: Quarantäne (0 angen., 0 abgel.) – {locked.message}" in lines
    assert "sauber_" not in text  # clean files only counted
    assert "doppelt.xlsx" not in text
    assert "  angenommen: 50 Dateien" in lines
    assert "  teilweise angenommen: 1 Datei" in lines
    assert "  Quarantäne: 1 Datei" in lines
    assert "  schon eingelesen: 1 Datei" in lines
    assert "„kik -v ingest“" in text
    assert "archiv/2024-03-01" in text
    assert "53 Dateien, 509 Zeilen angenommen, 1 abgelehnt, 1 in Quarantäne." in lines
    # the table is kept for few files
    out = io.StringIO()
    _print_ingest(
        Console(file=out, width=80, color_system=None), IngestSummary(tuple(clean)), folder
    )
    assert "Eingelesene Dateien" in out.getvalue()
    assert "sauber_049.xlsx" in out.getvalue()
