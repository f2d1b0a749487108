"""The ``kik`` command line: parses arguments, calls :mod:`kik_core.workflow`, prints.

Exit codes (documented in ``kik --help``):

* ``0`` – everything was accepted and done;
* ``3`` – the run completed, but rows were rejected or files quarantined
  (error workbooks for the partners are in ``ausgang/``);
* ``1`` – the run failed (the message says why and what to do);
* ``2`` – the command line itself was wrong (argparse's usage error).

Extra sub-commands come from the entry-point group ``kik.commands`` (``kik serve``
from the optional ``kik_pipelines`` package), so this module never imports Prefect.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kik_core._argparse_de import ArgumentParser as GermanArgumentParser
from kik_core._locale import format_date, format_datetime, format_number, plural
from kik_core._version import __version__

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from kik_core.ingest import IngestSummary
    from kik_core.workflow import ReportResult, ValidationResult

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_REJECTED", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3

_EPILOG = """\
Exit-Codes:
  0  alles angenommen
  3  abgeschlossen, aber Zeilen abgelehnt oder Dateien in Quarantäne
     (Fehler-Arbeitsmappen liegen in ausgang/)
  1  fehlgeschlagen (die Meldung sagt, was zu tun ist)
  2  falscher Aufruf

Beispiel (ein Quartal):
  kik init meine-stadt                      # Ordner anlegen (einmal)
  kik runde oeffnen meine-stadt             # Runde zum letzten Quartalsende öffnen
  kik templates meine-stadt                 # Vorlagen für die Partner nach ausgang/
  kik run meine-stadt                       # Rückmeldungen einlesen, neuer Entwurf
  kik runde herausgeben meine-stadt         # Bericht herausgeben (danach unveränderlich)
  kik veroeffentlichen meine-stadt          # Website und offene Daten der Runde schreiben
"""


def _date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(
        f"„{text}“ ist kein Datum: bitte JJJJ-MM-TT oder TT.MM.JJJJ, z. B. 2023-09-30"
    )


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _e(value: object) -> str:
    """Escape user data (file names, messages) for rich markup."""
    from rich.markup import escape

    return escape(str(value))


def _plugins() -> dict[str, Callable[[list[str]], int]]:
    from importlib.metadata import entry_points  # scanning installed packages costs ~40 ms

    found: dict[str, Callable[[list[str]], int]] = {}
    for ep in entry_points(group="kik.commands"):
        found[ep.name] = _lazy(ep.name, ep.value)
    return found


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    """The built-in sub-commands of ``parser``."""
    return {
        name
        for action in parser._subparsers._group_actions  # type: ignore[union-attr]
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def _lazy(name: str, target: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        from importlib.metadata import entry_points

        ep = next(e for e in entry_points(group="kik.commands") if e.name == name)
        try:
            command: Callable[[list[str]], int] = ep.load()
        except ImportError as exc:
            print(
                f"kik {name}: benötigt Zusatzpakete, die fehlen ({exc.name or exc}).\n"
                f"Installieren Sie sie mit: pip install 'kik-core[pipelines]'",
                file=sys.stderr,
            )
            return EXIT_FAILED
        return command(argv)

    run.__doc__ = f"run {target}"
    return run


def _parser(plugins: Sequence[str]) -> argparse.ArgumentParser:
    parser = GermanArgumentParser(
        prog="kik",
        description=(
            "kik – Umsetzungsstand eines Kommunalen Integrationskonzepts verfolgen und "
            "den Zwischenbericht (Word) erzeugen. Jede Kommune ist ein Ordner (kik init)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"kik {__version__}",
        help="die Versionsnummer anzeigen und beenden",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="ausführlicher: -v zeigt, was kik tut; -vv auch technische Einzelheiten",
    )
    sub = parser.add_subparsers(dest="command", metavar="BEFEHL", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("folder", metavar="ORDNER", type=Path, help="der Ordner der Kommune")
        return p

    init = add("init", "einen neuen Kommunen-Ordner anlegen (kik.toml, konzept.xlsx, Unterordner)")
    init.add_argument("--kommune", metavar="NAME", help="Name der Kommune (Standard: Ordnername)")
    add("validate", "Konzept und Dateien in eingang/ prüfen, ohne etwas zu speichern")
    ingest = add("ingest", "Rückmeldungen aus eingang/ einlesen und speichern")
    ingest.add_argument(
        "--heute",
        type=_date,
        metavar="DATUM",
        help="Bezugsdatum für „Datum in der Zukunft“ (Standard: heute)",
    )
    tpl = add("templates", "vorausgefüllte Rückmelde-Vorlagen je Partner nach ausgang/ schreiben")
    tpl.add_argument(
        "--stand",
        type=_date,
        metavar="DATUM",
        help="Stichtag der Runde, vorausgefüllt als „Stand am“ (Standard: die offene Runde)",
    )
    for name, text in (
        ("report", "einen neuen Entwurf des Berichts der offenen Runde nach berichte/ schreiben"),
        ("run", "einlesen und danach einen neuen Entwurf schreiben (der Quartalslauf)"),
    ):
        p = add(name, text)
        p.add_argument(
            "--stichtag",
            dest="as_of",
            type=_date,
            metavar="DATUM",
            help="Stichtag der Runde (Standard: die offene Runde, sonst kik.toml, "
            "sonst das letzte Quartalsende)",
        )
        p.add_argument(
            "--vergleich",
            dest="previous",
            type=_date,
            metavar="DATUM",
            help="Vergleich mit der herausgegebenen Runde zu diesem Stichtag "
            "(Standard: die zuletzt herausgegebene)",
        )
        # the English names of earlier releases still work, without cluttering the help
        for english, dest, kind in (
            ("--as-of", "as_of", _date),
            ("--previous", "previous", _date),
            ("--output", "output", Path),
        ):
            p.add_argument(english, dest=dest, type=kind, help=argparse.SUPPRESS)
        p.add_argument("--pdf", action="store_true", help="zusätzlich PDF über LibreOffice")
        p.add_argument(
            "-o",
            "--ausgabe",
            dest="output",
            type=Path,
            metavar="DATEI",
            help="Pfad der DOCX-Datei (wird nie überschrieben)",
        )
    _round_parser(sub)
    _partner_parser(add)
    _add_publish(add)
    _add_mapping(sub)
    for name in plugins:
        sub.add_parser(name, help=f"{name} (Zusatzbefehl; kik {name} --help)", add_help=False)
    return parser


def _round_parser(sub: argparse._SubParsersAction[GermanArgumentParser]) -> None:
    text = "Berichtsrunden: öffnen, zeigen, herausgeben"
    runde = sub.add_parser(
        "runde",
        help=text,
        description=text,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = runde.add_subparsers(dest="action", metavar="AKTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help_text, description=help_text)
        p.add_argument("folder", metavar="ORDNER", type=Path, help="der Ordner der Kommune")
        return p

    opening = action("oeffnen", "eine neue Berichtsrunde öffnen (Stichtag und Frist)")
    opening.add_argument(
        "--stichtag",
        type=_date,
        help="Stichtag (Standard: [bericht] stichtag, sonst das letzte Quartalsende vor heute)",
    )
    opening.add_argument(
        "--frist", type=_date, help="Frist für die Partner (Standard: Stichtag + 3 Wochen)"
    )
    action("zeigen", "alle Runden mit Stichtag, Frist, Stand und Berichtsdateien zeigen")
    issuing = action(
        "herausgeben",
        "die offene Runde herausgeben: endgültiger Bericht, danach unveränderlich",
    )
    issuing.add_argument("--stichtag", type=_date, help="Stichtag (Standard: die offene Runde)")
    issuing.add_argument(
        "--ja",
        action="store_true",
        help="ohne Rückfrage herausgeben, auch wenn Partner sich widersprechen",
    )
    issuing.add_argument("--pdf", action="store_true", help="zusätzlich PDF über LibreOffice")


def _print_rounds(console: Console, folder: Path) -> None:
    from rich.table import Table

    from kik_core import workflow

    found = workflow.rounds(folder)
    if not found:
        console.print(
            f"Noch keine Berichtsrunde. Öffnen Sie die erste mit: kik runde oeffnen {_e(folder)}"
        )
        return
    table = Table(title="Berichtsrunden")
    for column in ("Stichtag", "Frist", "Stand", "Entwürfe", "herausgegeben am", "Bericht"):
        table.add_column(column)
    for item in found:
        issued = format_datetime(item.issued_at.astimezone()) if item.issued_at else ""
        table.add_row(
            f"{format_date(item.stichtag)}",
            f"{format_date(item.deadline)}",
            item.state.label,
            str(item.drafts),
            issued,
            _e(item.issued_file or ""),
        )
    console.print(table)


def _issue(console: Console, args: argparse.Namespace) -> int:
    from kik_core import workflow

    preview = workflow.round_preview(args.folder, stichtag=args.stichtag)
    conflicts = preview.snapshot.conflicts
    if conflicts:
        console.print(
            f"[yellow]{len(conflicts)} offene Widersprüche zwischen Partnern[/] "
            f"in der Runde {format_date(preview.snapshot.as_of)}:"
        )
        for conflict in conflicts:
            statuses = ", ".join(f"{p}: {s.label}" for p, s in conflict.statuses.items())
            console.print(f"  {conflict.measure_id}: {_e(statuses)}")
        console.print(
            "Gezählt wird jeweils der am wenigsten fortgeschrittene Status; der Bericht "
            "listet die Widersprüche."
        )
        if not args.ja:
            if not sys.stdin.isatty():
                console.print(
                    "[bold red]Nicht herausgegeben:[/] bitte die Widersprüche klären oder "
                    "ausdrücklich bestätigen mit --ja."
                )
                return EXIT_FAILED
            answer = console.input("Trotzdem herausgeben? Das ist endgültig. [j/N] ")
            if answer.strip().casefold() not in ("j", "ja", "y", "yes"):
                console.print("Nicht herausgegeben; nichts wurde geändert.")
                return EXIT_FAILED
    result = workflow.issue(
        args.folder, stichtag=args.stichtag, accept_conflicts=True, pdf=args.pdf or None
    )
    console.print(
        f"[bold green]Runde {format_date(result.snapshot.as_of)} herausgegeben:[/] "
        f"{_e(result.docx)}"
    )
    if result.pdf is not None:
        console.print(f"[bold green]PDF:[/] {_e(result.pdf)}")
    console.print(
        "Der Bericht ist schreibgeschützt, sein Datenstand im Speicher eingefroren. "
        "Später eingehende Meldungen erscheinen in der nächsten Runde."
    )
    return EXIT_OK


def _dispatch_round(args: argparse.Namespace, console: Console) -> int:
    from kik_core import workflow

    if args.action == "oeffnen":
        opened = workflow.open_round(args.folder, stichtag=args.stichtag, deadline=args.frist)
        console.print(
            f"[bold green]Runde geöffnet:[/] Stichtag {format_date(opened.stichtag)}, "
            f"Frist für die Partner {format_date(opened.deadline)}."
        )
        console.print(f"Nächster Schritt: kik templates {_e(args.folder)}")
        return EXIT_OK
    if args.action == "zeigen":
        _print_rounds(console, args.folder)
        return EXIT_OK
    if args.action == "herausgeben":
        return _issue(console, args)
    raise AssertionError(args.action)  # pragma: no cover - argparse restricts the choices


#: The widest file name in the console table (longer ones lose their middle).
NAME_WIDTH = 26


def shorten_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells, its middle replaced by ``…``.

    The start and the end (with the extension) stay, so the name stays recognisable.

    >>> shorten_middle("Rueckmeldung_Volkshochschule_2024-09.xlsx", 24)
    'Rueckmeldung…024-09.xlsx'
    """
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    tail_room = (width - 1) // 2
    head_room = width - 1 - tail_room
    head, tail = "", ""
    for char in text:
        if cell_len(head + char) > head_room:
            break
        head += char
    for char in reversed(text):
        if cell_len(char + tail) > tail_room:
            break
        tail = char + tail
    return f"{head}…{tail}"


def _relative(path: Path, folder: Path | None) -> str:
    if folder is not None:
        try:
            return str(path.resolve().relative_to(folder.resolve()))
        except ValueError:
            pass
    return str(path)


#: Beyond this many files ``kik ingest`` lists only the files that need attention (issue 16).
TABLE_FILES = 50


def _print_ingest(console: Console, summary: IngestSummary, folder: Path | None = None) -> None:
    """The files of an ingest, then the error workbooks, inbox notes and totals.

    Up to :data:`TABLE_FILES` files: a table that fits 80 columns. More files:
    plain lines (a rich table of 1,000 rows took half a second) for the files
    that need attention only (rejected rows, quarantine), one line per outcome,
    and where the full list is (``kik -v ingest``, the archive).
    """
    if len(summary.files) > TABLE_FILES:
        _print_ingest_many(console, summary, folder)
    else:
        _print_ingest_table(console, summary, folder)
    _print_ingest_notes(console, summary)


def _print_ingest_table(console: Console, summary: IngestSummary, folder: Path | None) -> None:
    """The files of an ingest as a table that fits 80 columns, then the error workbooks."""
    from rich.table import Table

    names = [shorten_middle(outcome.name, NAME_WIDTH) for outcome in summary.files]
    table = Table(title="Eingelesene Dateien", show_lines=False)
    table.add_column("Datei", no_wrap=True, min_width=max((len(n) for n in names), default=5))
    table.add_column("Ergebnis")
    table.add_column("angen.", justify="right")
    table.add_column("abgel.", justify="right")
    table.add_column("Hinweis", overflow="fold", ratio=1)
    workbooks: list[str] = []
    for name, outcome in zip(names, summary.files, strict=True):
        hint = ""
        if outcome.error_workbook is not None:
            workbooks.append(_relative(outcome.error_workbook, folder))
            hint = "Fehlerliste (s. u.)"
        elif outcome.problems:
            hint = outcome.problems[0].message
        table.add_row(
            _e(name),
            _OUTCOME_LABELS.get(outcome.outcome.value, outcome.outcome.value),
            str(outcome.rows_accepted),
            str(outcome.rows_rejected),
            _e(hint),
        )
    if summary.files:
        console.print(table)
    if workbooks:
        console.print("Fehlerlisten für die Partner (korrigiert zurücksenden lassen):")
        for path in workbooks:
            # in full (to copy it), never broken by rich; a narrow terminal wraps it itself
            console.print(f"  {_e(path)}", soft_wrap=True)


def _print_ingest_many(console: Console, summary: IngestSummary, folder: Path | None) -> None:
    """Many files: plain lines for the files that need attention, then counts per outcome."""
    attention = [
        outcome
        for outcome in summary.files
        if outcome.rows_rejected or outcome.problems or outcome.error_workbook is not None
    ]
    lines = [f"Eingelesene Dateien: {format_number(len(summary.files))}"]
    if attention:
        lines[0] += (
            f"; einzeln aufgeführt sind die {plural(len(attention), 'Datei', 'Dateien')} mit "
            "abgelehnten Zeilen oder in Quarantäne (hinter → die Fehlerliste für den Partner, "
            "korrigiert zurücksenden lassen):"
        )
    for outcome in attention:
        label = _OUTCOME_LABELS.get(outcome.outcome.value, outcome.outcome.value)
        line = (
            f"  {outcome.name}: {label} ({format_number(outcome.rows_accepted)} angen., "
            f"{format_number(outcome.rows_rejected)} abgel.)"
        )
        if outcome.error_workbook is not None:
            line += f" → {_relative(outcome.error_workbook, folder)}"
        elif outcome.problems:
            line += f" – {outcome.problems[0].message}"
        lines.append(line)
    counts: dict[str, int] = {}
    for outcome in summary.files:
        counts[outcome.outcome.value] = counts.get(outcome.outcome.value, 0) + 1
    lines.append("Dateien nach Ergebnis:")
    for code, label in _OUTCOME_LABELS.items():
        if counts.get(code):
            lines.append(f"  {label}: {plural(counts[code], 'Datei', 'Dateien')}")
    archived = sorted(
        {
            _relative(o.moved_to.parent, folder)
            for o in summary.files
            if o.outcome.value != "quarantined"
        }
    )
    where = f"; die Dateien liegen in {', '.join(archived)}" if archived else ""
    lines.append(f"Jede Datei einzeln: „kik -v ingest“ schreibt sie ins Protokoll{where}.")
    # one print of plain text: no markup, no highlighting, the terminal wraps long lines
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def _print_ingest_notes(console: Console, summary: IngestSummary) -> None:
    """Inbox notes, recovered files, totals and the interruption note of an ingest."""
    _print_inbox_notes(console, summary.skipped, ())
    for name in summary.recovered:
        console.print(f"[yellow]Aus einem abgebrochenen Lauf übernommen:[/] {_e(name)}")
    console.print(
        f"[bold]{plural(len(summary.files), 'Datei', 'Dateien')}[/], "
        f"[green]{plural(summary.rows_accepted, 'Zeile', 'Zeilen')}[/] angenommen, "
        f"[red]{format_number(summary.rows_rejected)}[/] abgelehnt, "
        f"{format_number(summary.files_quarantined)} in Quarantäne."
    )
    if summary.interrupted:
        console.print(
            "[bold red]Lauf abgebrochen (Signal):[/] die bisherigen Dateien sind vollständig "
            "verarbeitet, die übrigen liegen weiter in eingang/ und werden beim nächsten "
            "Einlesen gelesen."
        )


def _print_inbox_notes(
    console: Console, skipped: Sequence[object], abandoned: Sequence[object]
) -> None:
    """Inbox entries that are not read, and files of runs that died (German)."""
    for entry in skipped:
        console.print(
            f"[yellow]Nicht gelesen:[/] {_e(getattr(entry, 'name', entry))} – "
            f"{_e(getattr(entry, 'reason', ''))}"
        )
    for item in abandoned:
        console.print(f"[yellow]Abgebrochener Lauf:[/] {_e(getattr(item, 'message', item))}")


#: German labels for the outcome of one inbox file (by the outcome's code).
_OUTCOME_LABELS = {
    "accepted": "angenommen",
    "partial": "teilweise angenommen",
    "rejected": "abgelehnt",
    "quarantined": "Quarantäne",
    "duplicate": "schon eingelesen",
}


def _ingest_exit(summary: IngestSummary) -> int:
    if summary.interrupted:
        return EXIT_FAILED
    return EXIT_REJECTED if summary.rows_rejected or summary.files_quarantined else EXIT_OK


def _print_report(console: Console, result: ReportResult) -> None:
    counts = result.snapshot.overall
    console.print(
        f"Bericht zum Stichtag {format_date(result.snapshot.as_of)}: "
        f"{plural(counts.total, 'Maßnahme', 'Maßnahmen')}, "
        + ", ".join(f"{format_number(counts.counts[s])} {s.label}" for s in sorted(counts.counts))
    )
    if result.round is not None:
        console.print(
            f"Runde {format_date(result.round.stichtag)} "
            f"(Frist {format_date(result.round.deadline)}), "
            f"Entwurf {result.round.drafts}"
        )
    console.print(f"[bold green]Bericht geschrieben:[/] {_e(result.docx)}")
    if result.pdf is not None:
        console.print(f"[bold green]PDF geschrieben:[/] {_e(result.pdf)}")
    if result.snapshot.conflicts:
        console.print(
            f"[yellow]{len(result.snapshot.conflicts)} offene Widersprüche zwischen Partnern[/] "
            "(siehe Bericht, Abschnitt „Offene Konflikte zwischen Partnern“)"
        )


def _print_validation(console: Console, result: ValidationResult) -> None:
    for problem in result.concept_problems:
        console.print(f"[red]Konzept:[/] {_e(problem)}")
    if result.editions is not None and result.editions.changes:  # a Fortschreibung
        changes = result.editions.changes
        for index, concept in enumerate(result.editions.concepts):
            when = []
            if index:
                when.append(f"ab {format_date(changes[index - 1].valid_from)}")
            if index < len(changes):
                when.append(f"bis {format_date(changes[index].valid_from - dt.timedelta(days=1))}")
            console.print(
                f"Fassung {_e(concept.title)}: {' '.join(when)} "
                f"({plural(len(concept.measures), 'Maßnahme', 'Maßnahmen')})"
            )
    _print_inbox_notes(console, result.skipped, result.abandoned)
    for file in result.files:
        if file.unreadable is not None:
            console.print(f"[red]{_e(file.name)}:[/] {_e(file.unreadable.message)}")
            continue
        state = "[green]ok[/]" if not file.rejected else f"[red]{len(file.rejected)} Fehler[/]"
        rows = plural(len(file.accepted), "Zeile", "Zeilen")
        console.print(f"{_e(file.name)}: {rows} in Ordnung, {state}")
        for row in file.rejected:
            for problem in row.problems:
                console.print(f"  {_e(problem)}")
    if result.concept is not None and result.editions is not None and not result.files:
        console.print("Keine Dateien in eingang/.")  # (not read while a mapping has errors)
    console.print(
        "[bold green]Alles in Ordnung.[/]" if result.ok else "[bold red]Fehler gefunden.[/]"
    )


def _progress(console: Console, total: int) -> tuple[Progress, Callable[[object], None]]:
    from rich.progress import Progress

    # no refresh thread: ingest may fork its reader processes (issue 16), and a fork
    # while another thread runs is unsafe; the bar is redrawn at most ten times a second
    progress = Progress(console=console, transient=True, auto_refresh=False)
    task = progress.add_task("Dateien einlesen", total=total)
    drawn = [0.0]

    def advance(_outcome: object) -> None:
        progress.advance(task)
        now = time.monotonic()
        if now - drawn[0] >= 0.1:
            drawn[0] = now
            progress.refresh()

    return progress, advance


def _run_ingest(console: Console, folder: Path, today: dt.date | None) -> IngestSummary:
    from kik_core import workflow
    from kik_core.ingest import inbox_files
    from kik_core.settings import load_settings

    settings = load_settings(folder)
    progress, advance = _progress(console, len(inbox_files(settings.inbox)))
    with progress:
        return workflow.ingest(settings, today=today, on_file=advance)


# --- partner board, reminders, office decisions (one block) ------------------------

_PARTNER_COMMANDS = ("rueckmeldungen", "erinnern", "entscheiden")


def _partner_parser(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    board = add("rueckmeldungen", "zeigen, welche Partner in der Runde gemeldet haben")
    board.add_argument("--stichtag", type=_date, help="Runde (Standard: die offene Runde)")
    board.add_argument(
        "--xlsx", action="store_true", help="zusätzlich als Excel-Datei nach ausgang/ schreiben"
    )
    board.add_argument(
        "--massnahmen", action="store_true", help="auch je Maßnahme: gemeldet, von wem"
    )
    remind = add(
        "erinnern",
        "Erinnerungsliste (CSV für den Serienbrief) nach ausgang/ schreiben; mit --senden "
        "zusätzlich E-Mails mit der Vorlage an die Partner",
    )
    remind.add_argument("--stichtag", type=_date, help="Runde (Standard: die offene Runde)")
    remind.add_argument(
        "--senden",
        action="store_true",
        help="E-Mails über den Mailserver aus [email] in kik.toml senden (je Partner und "
        "Runde höchstens einmal)",
    )
    decide = add("entscheiden", "den Status einer Maßnahme als Integrationsbüro festlegen")
    decide.add_argument("measure", metavar="MASSNAHME", help="die Nummer, z. B. BS-1.1")
    decide.add_argument(
        "status",
        metavar="STATUS",
        help="ein Status des Konzepts (Vorgabe: wartend, „in Bearbeitung“ in "
        "Anführungszeichen oder implementiert; eigene Status im Blatt „Status“)",
    )
    decide.add_argument("--grund", required=True, help="die Begründung (steht im Bericht)")
    decide.add_argument("--von", help="wer entscheidet (Standard: der angemeldete Benutzer)")
    decide.add_argument(
        "--stand",
        type=_date,
        help="ab wann die Entscheidung gilt (Standard: heute, höchstens die Frist der "
        "offenen Runde)",
    )


def _dispatch_partners(args: argparse.Namespace, console: Console) -> int:
    from kik_core import workflow

    if args.command == "rueckmeldungen":
        from zoneinfo import ZoneInfo

        from kik_core._board_views import board_table, measures_table

        result = workflow.partner_board(args.folder, stichtag=args.stichtag, xlsx=args.xlsx)
        console.print(board_table(result.board))
        if result.round.issued_at is not None:
            issued = result.round.issued_at.astimezone(ZoneInfo("Europe/Berlin"))
            console.print(
                f"Die Runde ist herausgegeben: gezählt sind die Dateien, die bis zur "
                f"Herausgabe am {format_datetime(issued)} Uhr eingelesen waren."
            )
        if args.massnahmen:
            console.print(measures_table(result.board))
        if result.xlsx is not None:
            console.print(f"[bold green]Übersicht geschrieben:[/] {_e(result.xlsx)}")
        return EXIT_OK
    if args.command == "erinnern":
        sent = workflow.remind(args.folder, stichtag=args.stichtag, send=args.senden)
        waiting = sent.board.waiting
        if not waiting:
            console.print(
                "[bold green]Alle Partner haben gemeldet[/] – niemand muss erinnert werden."
            )
        console.print(
            f"Liste für den Serienbrief ({len(waiting)} Partner, Frist "
            f"{format_date(sent.round.deadline)}): {_e(sent.csv)}"
        )
        if sent.sent is None:
            if waiting:
                console.print("E-Mails an die Partner verschicken: kik erinnern ORDNER --senden")
            return EXIT_OK
        for partner, address in sent.sent.sent:
            console.print(f"[green]gesendet:[/] {_e(partner)} <{_e(address)}>")
        for partner in sent.sent.already:
            console.print(f"schon erinnert, übersprungen: {_e(partner)}")
        for partner in sent.sent.without_address:
            console.print(f"[yellow]keine E-Mail-Adresse (Blatt Partner):[/] {_e(partner)}")
        for partner, reason in sent.sent.refused:
            console.print(f"[red]nicht gesendet:[/] {_e(partner)} – {_e(reason)}")
        return EXIT_REJECTED if sent.sent.refused else EXIT_OK
    decision = workflow.decide(
        args.folder, args.measure, args.status, reason=args.grund, by=args.von, as_of=args.stand
    )
    console.print(
        f"[bold green]Entscheidung gespeichert:[/] {_e(decision.measure_id)} ist "
        f"„{decision.status.label}“ ab {format_date(decision.as_of)} "
        f"(entschieden von {_e(decision.decided_by)}). Begründung: {_e(decision.reason)}"
    )
    return EXIT_OK


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    from kik_core import workflow

    if args.command == "init":
        folder = workflow.init_folder(args.folder, args.kommune)
        console.print(f"[bold green]Ordner angelegt:[/] {_e(folder)}")
        console.print(
            "Nächste Schritte:\n"
            f"  1. Konzept eintragen: {folder / 'konzept.xlsx'}\n"
            f"  2. Einstellungen prüfen: {folder / 'kik.toml'}\n"
            f"  3. Vorlagen für Partner erzeugen: kik templates {args.folder}\n"
            f"  4. Rückmeldungen nach {folder / 'eingang'} legen, dann: kik run {args.folder}"
        )
        return EXIT_OK
    if args.command == "validate":
        result = workflow.validate(args.folder)
        _print_validation(console, result)
        if result.concept_problems:
            return EXIT_FAILED
        return EXIT_OK if result.ok else EXIT_REJECTED
    if args.command == "ingest":
        summary = _run_ingest(console, args.folder, args.heute)
        _print_ingest(console, summary, Path(args.folder))
        return _ingest_exit(summary)
    if args.command == "templates":
        target = workflow.template_round(args.folder, as_of=args.stand)
        if target.is_issued:
            console.print(
                f"[yellow]Hinweis:[/] Die Runde {format_date(target.stichtag)} ist schon "
                "herausgegeben; Rückmeldungen dazu erscheinen in der nächsten Runde als "
                "nachträgliche Korrekturen. Für die nächste Runde zuerst: "
                f"kik runde oeffnen {_e(args.folder)}"
            )
        paths = workflow.templates(args.folder, as_of=args.stand)
        for path in paths:
            console.print(f"Vorlage: {_e(path)}")
        console.print(
            f"[bold green]{plural(len(paths), 'Vorlage', 'Vorlagen')} geschrieben[/] für den "
            "Stichtag "
            f"{format_date(target.stichtag)}, Frist {format_date(target.deadline)}."
        )
        return EXIT_OK
    if args.command == "runde":
        return _dispatch_round(args, console)
    if args.command in _PARTNER_COMMANDS:
        return _dispatch_partners(args, console)
    if args.command in ("report", "run"):
        code = EXIT_OK
        if args.command == "run":
            workflow.draft_round(args.folder, as_of=args.as_of)  # refuse before ingesting
            summary = _run_ingest(console, args.folder, None)
            _print_ingest(console, summary, Path(args.folder))
            code = _ingest_exit(summary)
            if summary.interrupted:
                return code
        built = workflow.report(
            args.folder,
            as_of=args.as_of,
            previous=args.previous,
            pdf=args.pdf or None,
            output=args.output,
        )
        _print_report(console, built)
        return code
    if args.command == "veroeffentlichen":
        return _run_publish(args, console)
    if args.command == "vorlage":
        return _run_mapping(args, console)
    raise AssertionError(args.command)  # pragma: no cover - argparse restricts the choices


#: German names of the log levels, for the office.
_LEVELS_DE = {
    "DEBUG": "Technik",
    "INFO": "Info",
    "WARNING": "Warnung",
    "ERROR": "Fehler",
    "CRITICAL": "Schwerer Fehler",
}


class _GermanLevels(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.levelname_de = _LEVELS_DE.get(record.levelname, record.levelname)
        return super().format(record)


def _configure_logging(verbosity: int) -> None:
    """Warnings only; ``-v``: kik's own (German) messages; ``-vv``: every library too.

    Libraries (SQLAlchemy, Alembic, openpyxl ...) speak English; their INFO lines
    and technical detail appear only with ``-vv``.
    """
    technical = verbosity >= 2
    handler = logging.StreamHandler()
    handler.setFormatter(
        _GermanLevels(
            "%(levelname_de)s %(name)s: %(message)s"
            if technical
            else "%(levelname_de)s: %(message)s"
        )
    )
    handler.set_name("kik-cli")
    root = logging.getLogger()
    # replace only our own handler: main() may run inside a host (tests, a notebook)
    for old in [h for h in root.handlers if h.get_name() == "kik-cli"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if technical else logging.WARNING)
    for name in ("kik_core", "kik_pipelines", "pipelines"):
        logging.getLogger(name).setLevel(
            logging.DEBUG if technical else logging.INFO if verbosity else logging.NOTSET
        )


# --------------------------------------------------------------------------- kik veroeffentlichen


def _add_publish(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = add(
        "veroeffentlichen",
        "die barrierefreie Website mit offenen Daten (CSV, Excel, JSON) schreiben",
    )
    p.add_argument(
        "--ziel",
        type=Path,
        help="Zielordner (Standard: [web] ziel, sonst ORDNER/veroeffentlichung)",
    )
    p.add_argument(
        "--entwurf",
        action="store_true",
        help="Entwurf der offenen Runde für das Büro: jede Seite trägt „Entwurf – nicht "
        "veröffentlichen“ (Standard-Ziel: ORDNER/veroeffentlichung-entwurf)",
    )
    p.add_argument(
        "--stichtag",
        type=_date,
        help="die herausgegebene Runde zu diesem Stichtag (Standard: die zuletzt "
        "herausgegebene; mit --entwurf: die offene Runde)",
    )


def _run_publish(args: argparse.Namespace, console: Console) -> int:
    from kik_core import workflow

    result = workflow.publish(
        args.folder,
        target=args.ziel,
        draft=args.entwurf,
        as_of=args.stichtag,
    )
    kind = "Entwurf der Website" if result.draft else "Website"
    console.print(
        f"[bold green]{kind} geschrieben:[/] {_e(result.folder)} "
        f"({len(result.pages)} Seiten, {len(result.data_files)} Dateien mit offenen Daten, "
        f"Stichtag {format_date(result.snapshot.as_of)})"
    )
    console.print(f"Startseite: {_e(result.index)}")
    return EXIT_OK


#: Modules a command needs, imported before the garbage collector is frozen (issue 16).
_WARM_IMPORTS: dict[str, tuple[str, ...]] = {
    "validate": ("kik_core.workflow", "kik_core.ingest"),
    "ingest": ("kik_core.workflow", "kik_core.ingest", "kik_core.store"),
    "report": ("kik_core.workflow", "kik_core.store", "kik_core.report"),
    "run": ("kik_core.workflow", "kik_core.ingest", "kik_core.store", "kik_core.report"),
}


def _freeze_gc(command: str | None) -> None:
    """Import what ``command`` needs, then move every object so far out of the collector's way.

    SQLAlchemy, matplotlib and python-docx create some 170,000 long-lived objects;
    each full collection would walk them all again (about 100 ms), and so would
    the collection at interpreter exit (about 500 ms). Frozen objects are never
    examined. At exit, everything alive is frozen too (an ``atexit`` handler, so
    files are still flushed and closed as usual). Only for the ``kik`` process itself:
    a caller that runs :func:`main` in-process keeps its collector as it was.
    """
    import atexit
    import gc
    import importlib

    for name in _WARM_IMPORTS.get(command or "", ()):
        importlib.import_module(name)
    gc.freeze()
    atexit.register(gc.freeze)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kik`` command line; returns the exit code.

    ``ingest`` and ``run`` end at a file boundary on SIGTERM/SIGINT. Called without
    ``argv`` (the ``kik`` script, ``python -m kik_core``) the command owns the process:
    the handlers stay, and a late signal while Python exits is ignored. Called with
    ``argv`` (tests, scripts, a notebook) the host's handlers are restored afterwards,
    so nothing of the command's signal handling is left in the host process or
    inherited by the processes it starts later.
    """
    owns_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(())
    if not (argv and argv[0] in _command_names(parser)):
        # a plugin command, or the overview (--help) that lists them: scan entry points
        plugins = _plugins()
        if argv and argv[0] in plugins:
            return plugins[argv[0]](argv[1:])
        parser = _parser(sorted(plugins))
    args = parser.parse_args(argv)
    from kik_core.errors import (  # after --help has exited
        ConceptWorkbookError,
        KikError,
        ModelError,
        german_message,
    )

    if owns_process:
        _freeze_gc(args.command)
    _configure_logging(args.verbose)
    console = _console()
    stops_on_signals = args.command in ("ingest", "run")
    try:
        if not stops_on_signals:
            return _dispatch(args, console)
        from kik_core.ingest import stop_for_process, stop_on_signals

        if owns_process:
            # SIGTERM/SIGINT from here on end the run at a file boundary
            stop_for_process()
            return _dispatch(args, console)
        with stop_on_signals():
            return _dispatch(args, console)
    except ConceptWorkbookError as exc:
        console.print(f"[bold red]Das Konzept-Arbeitsbuch hat {len(exc.problems)} Fehler:[/]")
        for problem in exc.problems:
            console.print(f"  - {_e(problem)}")
        console.print("Bitte korrigieren Sie die genannten Zellen und starten Sie erneut.")
        return EXIT_FAILED
    except ModelError as exc:  # the model's text is for developers: German here
        logging.getLogger("kik_core.cli").debug("model error: %s", exc)
        console.print(f"[bold red]Fehler:[/] {_e(german_message(exc))}")
        return EXIT_FAILED
    except KikError as exc:
        console.print(f"[bold red]Fehler:[/] {_e(exc)}")
        return EXIT_FAILED
    except FileNotFoundError as exc:
        console.print(f"[bold red]Datei nicht gefunden:[/] {_e(exc)}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        console.print(
            "[bold red]Abgebrochen.[/] Nicht fertig verarbeitete Dateien liegen weiter in "
            "eingang/ (oder werden beim nächsten Einlesen übernommen)."
        )
        return EXIT_FAILED
    finally:
        if stops_on_signals and owns_process:
            _ignore_late_signals()


def _ignore_late_signals() -> None:
    """The run is over: a SIGTERM/SIGINT while Python exits must not turn it into a kill.

    (Python restores the default handlers while it shuts down, ignored ones stay.)
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)


# --------------------------------------------------------------------------- kik vorlage zuordnung


def _add_mapping(sub: argparse._SubParsersAction[GermanArgumentParser]) -> None:
    text = "Vorlagen für das Integrationsbüro (zuordnung: Fortschreibung des Konzepts)"
    vorlage = sub.add_parser("vorlage", help=text, description=text)
    kinds = vorlage.add_subparsers(dest="kind", metavar="ART", required=True)
    help_text = (
        "die Zuordnungstabelle für eine neue Fassung des Konzepts schreiben: was aus jeder "
        "bisherigen Maßnahme wird (gleich, umbenannt, geteilt, zusammengelegt, entfallen, neu)"
    )
    mapping = kinds.add_parser("zuordnung", help=help_text, description=help_text)
    mapping.add_argument("folder", metavar="ORDNER", type=Path, help="der Ordner der Kommune")
    mapping.add_argument(
        "--alt",
        type=Path,
        metavar="DATEI",
        help="die bisherige Fassung (Standard: vorgaenger der letzten Fortschreibung in kik.toml)",
    )
    mapping.add_argument(
        "--neu", type=Path, metavar="DATEI", help="die neue Fassung (Standard: [konzept] datei)"
    )
    mapping.add_argument(
        "-o",
        "--ausgabe",
        type=Path,
        metavar="DATEI",
        help="die Datei (Standard: ORDNER/zuordnung.xlsx; wird nie überschrieben)",
    )


def _run_mapping(args: argparse.Namespace, console: Console) -> int:
    from kik_core import workflow

    path = workflow.mapping_template(
        args.folder, previous=args.alt, new=args.neu, output=args.ausgabe
    )
    console.print(f"[bold green]Zuordnung geschrieben:[/] {_e(path)}")
    console.print(
        "Bitte in Excel ausfüllen (Blatt „Fortschreibung“), in kik.toml unter "
        f"{_e('[[konzept.fortschreibung]]')} als zuordnung eintragen und prüfen mit: "
        f"kik validate {_e(args.folder)}"
    )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
