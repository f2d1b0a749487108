"""The jobs on a municipality folder, round by round: open, draft, issue, templates.

Most tests work on a copy of examples/musterstadt (its partner files are dated
30.09.2024) and drive the ``kik`` command in-process, as the office would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from kik_core import Status, workflow
from kik_core.cli import main as kik
from kik_core.errors import ReportError, RoundError
from kik_core.rounds import RoundState
from kik_core.settings import load_settings
from kik_core.store import Store
from tests.test_store import PG_URL, _fresh_pg_url

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "musterstadt"
Q3 = dt.date(2024, 9, 30)
TODAY = dt.date(2024, 10, 7)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "musterstadt"
    shutil.copytree(
        EXAMPLE,
        target,
        ignore=shutil.ignore_patterns("kik.sqlite*", "runden", "*.py", "__pycache__"),
    )
    return target


def _berichte(folder: Path) -> dict[str, str]:
    """Every file in berichte/ with its content hash and mode."""
    reports = folder / "berichte"
    if not reports.is_dir():
        return {}
    return {
        p.name: f"{hashlib.sha256(p.read_bytes()).hexdigest()} {p.stat().st_mode:o}"
        for p in sorted(reports.iterdir())
    }


def _rounds(folder: Path) -> list[object]:
    return list(workflow.rounds(folder))


def test_run_opens_the_configured_round_and_numbers_drafts(folder: Path) -> None:
    first = workflow.run(folder, today=TODAY)
    assert first.report.round is not None
    assert first.report.round.stichtag == Q3  # [bericht] stichtag of the example
    assert first.report.round.deadline == dt.date(2024, 10, 21)
    assert first.report.round.state is RoundState.ENTWURF
    assert first.report.docx.name == "Zwischenbericht_2024-09-30_Entwurf_1.docx"
    second = workflow.report(folder, today=TODAY)
    assert second.docx.name == "Zwischenbericht_2024-09-30_Entwurf_2.docx"
    # a file someone put there (or a draft made elsewhere) is never replaced: skip its number
    (folder / "berichte" / "Zwischenbericht_2024-09-30_Entwurf_3.docx").write_bytes(b"mine")
    third = workflow.report(folder, today=TODAY)
    assert third.docx.name == "Zwischenbericht_2024-09-30_Entwurf_4.docx"
    assert (folder / "berichte" / "Zwischenbericht_2024-09-30_Entwurf_3.docx").read_bytes() == (
        b"mine"
    )
    assert third.round is not None
    assert third.round.drafts == 4
    assert first.report.snapshot.overall.counts[Status.IMPLEMENTIERT] == 2


def test_default_stichtag_is_the_rounds_not_today(folder: Path) -> None:
    settings = folder / "kik.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("stichtag = 2024-09-30\n", ""),
        encoding="utf-8",
    )
    result = workflow.run(folder, today=dt.date(2024, 11, 12))
    assert result.report.snapshot.as_of == Q3  # the last quarter end, not 12.11.
    assert result.report.snapshot.overall.counts[Status.IMPLEMENTIERT] == 2


def test_output_path_is_never_overwritten(folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "eigener-name.docx"
    target.write_bytes(b"edited in Word")
    with pytest.raises(ReportError, match="überschreibt keine Berichte"):
        workflow.report(folder, output=target, today=TODAY)
    assert target.read_bytes() == b"edited in Word"


def test_issue_freezes_the_round(folder: Path) -> None:
    workflow.run(folder, today=TODAY)
    issued = workflow.issue(folder)
    assert issued.docx.name == "Zwischenbericht_2024-09-30_herausgegeben.docx"
    assert issued.docx.stat().st_mode & 0o777 == 0o444
    settings = load_settings(folder)
    with Store.open(settings.store_url, municipality=settings.municipality_key) as store:
        assert store.issued_snapshot(Q3) == issued.snapshot
        (stored,) = store.rounds()
        assert stored.is_issued
        assert stored.issued_file == issued.docx.name
    before = _berichte(folder)
    with pytest.raises(RoundError, match="schon herausgegeben"):
        workflow.issue(folder, stichtag=Q3)
    with pytest.raises(RoundError, match="ist herausgegeben"):
        workflow.report(folder, today=TODAY)
    # kik run refuses before it ingests anything: the new file stays in the inbox
    late = _conflicting_file(folder)
    with pytest.raises(RoundError, match="ist herausgegeben"):
        workflow.run(folder, today=TODAY)
    assert late.is_file()
    assert kik(["run", str(folder)]) == 1
    assert late.is_file()
    assert _berichte(folder) == before


def test_open_round_refusals_change_nothing(folder: Path) -> None:
    assert kik(["runde", "oeffnen", str(folder), "--stichtag", "2024-06-30"]) == 0
    state = _rounds(folder)
    # the same round again
    assert kik(["runde", "oeffnen", str(folder), "--stichtag", "2024-06-30"]) == 1
    # a deadline before the Stichtag
    code = kik(
        ["runde", "oeffnen", str(folder), "--stichtag", "2024-09-30", "--frist", "2024-09-01"]
    )
    assert code == 1
    # the next round while this one is not issued yet
    assert kik(["runde", "oeffnen", str(folder), "--stichtag", "2024-09-30"]) == 1
    # a Stichtag in the future
    assert kik(["runde", "oeffnen", str(folder), "--stichtag", "2999-12-31"]) == 1
    # not a date at all: a usage error
    with pytest.raises(SystemExit) as usage:
        kik(["runde", "oeffnen", str(folder), "--stichtag", "gestern"])
    assert usage.value.code == 2
    assert _rounds(folder) == state
    assert _berichte(folder) == {}


def test_round_messages_are_german(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kik(["runde", "oeffnen", str(folder), "--stichtag", "2024-06-30"])
    kik(["runde", "oeffnen", str(folder), "--stichtag", "2024-06-30"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Die Runde zum Stichtag 30.06.2024 gibt es schon" in out
    kik(["runde", "oeffnen", str(folder), "--stichtag", "2024-12-31", "--frist", "2024-12-01"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Die Frist 01.12.2024 liegt vor dem Stichtag 31.12.2024" in out


def _conflicting_file(folder: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Rückmeldung"
    sheet.append(["Maßnahme", "Status", "Stand am", "Institution", "Aktueller Stand", "Ausblick"])
    sheet.append(["SP-1.1", "wartend", dt.datetime(2024, 9, 30), "Integrationsbüro", "", ""])
    path = folder / "eingang" / "buero.xlsx"
    workbook.save(path)
    return path


def test_issuing_with_conflicts_needs_explicit_confirmation(folder: Path) -> None:
    _conflicting_file(folder)
    workflow.run(folder, today=TODAY)
    before = (_rounds(folder), _berichte(folder))
    with pytest.raises(RoundError, match="offene Widersprüche"):
        workflow.issue(folder)
    # non-interactive without --ja: refused, conflicts listed, nothing changes
    env_python = [sys.executable, "-m", "kik_core", "runde", "herausgeben", str(folder)]
    refused = subprocess.run(
        env_python, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "SP-1.1" in refused.stdout
    assert "--ja" in refused.stdout
    assert (_rounds(folder), _berichte(folder)) == before
    confirmed = subprocess.run(
        [*env_python, "--ja"], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert "Zwischenbericht_2024-09-30_herausgegeben.docx" in _berichte(folder)


def test_issuing_without_an_open_round_says_what_to_do(folder: Path) -> None:
    with pytest.raises(RoundError, match="kik runde oeffnen"):
        workflow.issue(folder)


def test_previous_must_be_an_issued_round(folder: Path) -> None:
    with pytest.raises(RoundError, match="keine herausgegebene Runde"):
        workflow.report(folder, previous=dt.date(2024, 6, 30), today=TODAY)


def test_a_template_sent_back_unchanged_ingests_without_errors(folder: Path) -> None:
    for inbox_file in (folder / "eingang").iterdir():
        inbox_file.unlink()
    workflow.open_round(folder, stichtag=Q3, today=TODAY)
    written = workflow.templates(folder, today=TODAY)
    assert written
    for template in written:
        shutil.copyfile(template, folder / "eingang" / template.name)
    summary = workflow.ingest(folder, today=TODAY)
    assert summary.rows_rejected == 0
    assert summary.files_quarantined == 0
    assert summary.rows_accepted > 0
    from openpyxl import load_workbook

    book = load_workbook(written[0])
    sheet = book["Rückmeldung"]
    assert sheet.cell(2, 3).value.date() == Q3  # "Stand am" is the round's Stichtag
    guide = "\n".join(str(c.value) for c in book["Anleitung"]["A"] if c.value)
    assert "30.09.2024" in guide
    assert "21.10.2024" in guide  # the deadline is printed


def test_templates_without_a_round_use_the_default_stichtag(folder: Path) -> None:
    settings = folder / "kik.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("stichtag = 2024-09-30\n", ""),
        encoding="utf-8",
    )
    target = workflow.template_round(folder, today=dt.date(2025, 2, 3))
    assert (target.stichtag, target.deadline) == (dt.date(2024, 12, 31), dt.date(2025, 1, 21))
    assert _rounds(folder) == []  # writing templates opens no round


def test_every_kik_command_twice_changes_no_file_in_berichte(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No kik command ever overwrites a file in berichte/ (new files may appear)."""
    commands = [
        ["init", str(folder)],
        ["validate", str(folder)],
        ["runde", "oeffnen", str(folder)],
        ["runde", "zeigen", str(folder)],
        ["templates", str(folder)],
        ["ingest", str(folder)],
        ["run", str(folder)],
        ["report", str(folder)],
        ["report", str(folder), "-o", str(folder / "berichte" / "Kopie.docx")],
        ["runde", "herausgeben", str(folder), "--ja"],
        ["run", str(folder)],
        ["report", str(folder)],
        ["runde", "oeffnen", str(folder), "--stichtag", "2024-12-31"],
        ["run", str(folder)],
        ["runde", "herausgeben", str(folder), "--ja"],
    ]
    seen: dict[str, str] = {}
    for command in commands:
        for _ in range(2):
            try:
                kik(command)
            except SystemExit as exc:  # pragma: no cover - a usage error would fail below
                pytest.fail(f"kik {' '.join(command)}: usage error {exc.code}")
            now = _berichte(folder)
            for name, fingerprint in seen.items():
                assert now.get(name) == fingerprint, (command, name)
            seen = now
    capsys.readouterr()
    assert "Zwischenbericht_2024-09-30_herausgegeben.docx" in seen
    assert "Zwischenbericht_2024-12-31_herausgegeben.docx" in seen
    assert "Kopie.docx" in seen


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(PG_URL is None, reason="KIK_TEST_POSTGRES_URL is not set"),
            ],
        ),
    ]
)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gemeinsam.sqlite'}"
    else:
        assert PG_URL is not None
        yield from _fresh_pg_url(PG_URL)


def test_two_municipalities_share_one_database(shared_url: str, tmp_path: Path) -> None:
    """Issue 11 point 11: B's file is not "schon eingelesen", B's report shows B's figures."""
    folders = []
    for name in ("Stadt A", "Stadt B"):
        target = tmp_path / name.replace(" ", "-")
        shutil.copytree(
            EXAMPLE, target, ignore=shutil.ignore_patterns("kik.sqlite*", "runden", "*.py")
        )
        settings = target / "kik.toml"
        text = settings.read_text(encoding="utf-8")
        text = text.replace('name = "Musterstadt"', f'name = "{name}"')
        text = text.replace('schluessel = "musterstadt"\n', "")  # the key follows the name
        text = text.replace('url = "sqlite:///kik.sqlite"', f'url = "{shared_url}"')
        settings.write_text(text, encoding="utf-8")
        folders.append(target)
    a, b = folders
    # A has an extra, third file; B gets the same two files as A
    _conflicting_file(a)
    first = workflow.run(a, today=TODAY)
    second = workflow.run(b, today=TODAY)
    assert [f.outcome.value for f in second.ingest.files] == ["accepted", "accepted"]
    assert second.ingest.rows_accepted == 8
    assert first.report.snapshot.conflicts
    assert not second.report.snapshot.conflicts
    workflow.issue(b)
    assert [r.is_issued for r in workflow.rounds(b)] == [True]
    assert [r.is_issued for r in workflow.rounds(a)] == [False]
    keys = {load_settings(f).municipality_key for f in folders}
    assert keys == {"stadt-a", "stadt-b"}


@pytest.mark.parametrize(("answer", "code"), [("n\n", 1), ("j\n", 0)])
def test_issuing_with_conflicts_asks_at_a_terminal(folder: Path, answer: str, code: int) -> None:
    import os
    import pty

    _conflicting_file(folder)
    workflow.run(folder, today=TODAY)
    primary, secondary = pty.openpty()
    try:
        os.write(primary, answer.encode())
        done = subprocess.run(
            [sys.executable, "-m", "kik_core", "runde", "herausgeben", str(folder)],
            stdin=secondary,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == code, done.stdout + done.stderr
    assert "Trotzdem herausgeben?" in done.stdout
    issued = "Zwischenbericht_2024-09-30_herausgegeben.docx" in _berichte(folder)
    assert issued is (code == 0)
    assert [r.is_issued for r in workflow.rounds(folder)] == [code == 0]
