"""A German command line throughout (issue 14, point 4).

``kik --help``, every sub-command's help, the usual usage errors and the ``-v``
output of ``kik run`` on the two examples are checked against English phrases of
argparse, logging and kik's own earlier messages. The German argparse catalog is
checked against the running interpreter's ``argparse.py``.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kik_core._argparse_de import CATALOG, PLURALS, ArgumentParser, german

REPO = Path(__file__).resolve().parent.parent

#: English phrases that must not appear anywhere the office reads (case-sensitive).
ENGLISH = (
    # argparse's frame and errors
    "usage:",
    "positional arguments",
    "optional arguments",
    "options:",
    "show this help",
    "show program's version",
    "invalid choice",
    "choose from",
    "the following arguments are required",
    "unrecognized arguments",
    "expected one argument",
    "expected at most",
    "ambiguous option",
    "error:",
    "argument ",
    "AS_OF",
    "PREVIOUS",
    "OUTPUT",
    # logging's level names and the English words of earlier kik log lines
    "INFO",
    "WARNING",
    "DEBUG",
    " accepted",
    " rejected",
    "partial",
    "duplicate",
    "quarantined",
    "refused",
    "written to",
    " rows",
    " files",
    "already stored",
    # library noise that belongs to -vv only
    "alembic",
    "Context impl",
    "Will assume",
    "sqlalchemy",
    "Traceback",
    # the bilingual help of earlier releases
    "exit codes",
    "example",
    "everything accepted",
    "municipality folder",
    # the bilingual lines of kik serve / kik deploy in earlier releases
    "/ error",
    "stop with",
    "next run",
    "work pool",
    "start a worker",
    "Register the",
)

SUBCOMMANDS = ("init", "validate", "ingest", "templates", "report", "run", "serve", "deploy")


def kik(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="100", DO_NOT_TRACK="1")
    return subprocess.run(
        [sys.executable, "-m", "kik_core.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=900,
    )


def assert_german(text: str) -> None:
    found = [phrase for phrase in ENGLISH if phrase in text]
    assert not found, f"English in the output: {found}\n{text}"


def test_main_help_is_german() -> None:
    result = kik("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Aufruf: kik ")
    for heading in ("Argumente:", "Optionen:", "Exit-Codes:", "diese Hilfe anzeigen und beenden"):
        assert heading in result.stdout
    assert_german(result.stdout + result.stderr)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_help_is_german(command: str) -> None:
    result = kik(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Aufruf: kik {command} ")
    assert "ORDNER" in result.stdout
    assert "Optionen:" in result.stdout
    assert_german(result.stdout + result.stderr)


@pytest.mark.parametrize(
    ("args", "german_text"),
    [
        ((), "diese Angaben fehlen: BEFEHL"),
        (("reprt", "x"), "ungültige Auswahl: 'reprt'"),
        (("report",), "kik report: Fehler: diese Angaben fehlen: ORDNER"),
        (("report", "a", "b"), "unbekannte Argumente: b"),
        (("report", "x", "--stichtag"), "Argument --stichtag: erwartet einen Wert"),
        (("report", "x", "--stichtag", "31.02.2023"), "„31.02.2023“ ist kein Datum"),
        (("ingest", "x", "--heute", "morgen"), "„morgen“ ist kein Datum"),
        (("init", "x", "--unbekannt"), "unbekannte Argumente: --unbekannt"),
        (("serve",), "kik serve: Fehler: diese Angaben fehlen: ORDNER"),
        (("serve", "x", "--port", "viele"), "ungültiger Wert 'viele' (erwartet: int)"),
        (("deploy",), "kik deploy: Fehler: diese Angaben fehlen: ORDNER"),
    ],
)
def test_usage_errors_are_german(args: tuple[str, ...], german_text: str) -> None:
    result = kik(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("Aufruf: kik")
    assert german_text in result.stderr
    assert_german(result.stdout + result.stderr)


def test_english_option_names_of_earlier_releases_still_work(tmp_path: Path) -> None:
    from kik_core.cli import _parser

    args = _parser([]).parse_args(
        ["report", str(tmp_path), "--as-of", "2023-09-30", "--previous", "2022-09-30"]
    )
    assert (str(args.as_of), str(args.previous)) == ("2023-09-30", "2022-09-30")
    args = _parser([]).parse_args(["run", str(tmp_path), "--output", "x.docx"])
    assert args.output == Path("x.docx")


@pytest.mark.parametrize(
    "example",
    [
        "musterstadt",
        "kempten",
    ],
)
def test_verbose_run_of_the_examples_is_german(tmp_path: Path, example: str) -> None:
    folder = tmp_path / example
    shutil.copytree(REPO / "examples" / example, folder)
    result = kik("-v", "run", folder)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Info: " in output  # -v shows what kik does ...
    assert "Bericht geschrieben" in output
    assert_german(output)
    again = kik("-v", "run", folder)  # ... also when nothing is new
    assert again.returncode == 0
    assert_german(again.stdout + again.stderr)


def test_double_verbose_adds_the_technical_detail(tmp_path: Path) -> None:
    folder = tmp_path / "musterstadt"
    shutil.copytree(REPO / "examples" / "musterstadt", folder)
    result = kik("-vv", "ingest", folder)
    assert result.returncode == 0, result.stderr
    assert "alembic" in result.stderr  # library detail only here
    assert "Technik kik_core.store:" in result.stderr


# --- the catalog itself -------------------------------------------------------------


def _argparse_messages() -> tuple[set[str], set[tuple[str, str]]]:
    """Every message the running interpreter's argparse passes to gettext/ngettext."""
    tree = ast.parse(inspect.getsource(argparse))
    singles: set[str] = set()
    plurals: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if node.func.id == "_" and texts and isinstance(texts[0], str):
            singles.add(texts[0])
        elif node.func.id == "ngettext" and len(texts) >= 2:
            plurals.add((str(texts[0]), str(texts[1])))
    return singles, plurals


def test_catalog_covers_this_pythons_argparse() -> None:
    singles, plurals = _argparse_messages()
    assert "usage: " in singles
    assert "the following arguments are required: %s" in singles
    assert sorted(singles - set(CATALOG)) == []
    assert sorted(plurals - set(PLURALS)) == []


def test_translations_keep_their_placeholders() -> None:
    import re

    placeholder = re.compile(r"%(?:\(\w+\))?[rsd]")
    for english, german_text in CATALOG.items():
        assert sorted(placeholder.findall(english)) == sorted(placeholder.findall(german_text))
    for (one, many), (eins, viele) in PLURALS.items():
        assert placeholder.findall(one) == placeholder.findall(eins)
        assert placeholder.findall(many) == placeholder.findall(viele)


def test_german_is_confined_to_kik_parsers() -> None:
    plain = argparse.ArgumentParser(prog="andere")
    ours = ArgumentParser(prog="kik")
    assert "show this help message and exit" in plain.format_help()
    assert "diese Hilfe anzeigen und beenden" in ours.format_help()
    with german():
        assert argparse._("usage: ") == "Aufruf: "  # type: ignore[attr-defined]
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]


def test_plural_messages_are_german(capsys: pytest.CaptureFixture[str]) -> None:
    parser = ArgumentParser(prog="kik")
    parser.add_argument("--paar", nargs=2)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--paar", "eins"])
    assert exit_info.value.code == 2
    assert "kik: Fehler: Argument --paar: erwartet 2 Werte" in capsys.readouterr().err


def test_a_model_error_reaches_the_office_in_german(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``StatusReport(status="fertig")``'s English ModelError never reaches the command line."""
    import datetime as dt

    from kik_core import cli
    from kik_core.model import StatusReport

    def dispatch(*_args: object) -> int:
        StatusReport("BS-4.1", "fertig", dt.date(2024, 3, 1), "vhs")  # raises ModelError
        return 0  # pragma: no cover

    monkeypatch.setattr(cli, "_dispatch", dispatch)
    monkeypatch.setenv("COLUMNS", "200")
    code = cli.main(["validate", str(tmp_path)])
    out = capsys.readouterr().out
    assert code != 0
    assert "„fertig“ ist kein gültiger Status" in out
    assert "is not a status" not in out
    assert_german(out)
