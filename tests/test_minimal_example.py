"""The Musterstadt minimal example: a copy ingests cleanly and yields its report.

``examples/musterstadt`` is the folder a new municipality copies, so it must work
as shipped: through the library (``kik_core.workflow.run``) and through the
``kik`` command line. The tracked folder is never touched; each test works on a copy.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kik_core import Status
from kik_core.workflow import run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "musterstadt"
AS_OF = dt.date(2024, 9, 30)
TODAY = dt.date(2024, 10, 1)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A fresh copy of the example, without any leftovers of a local run."""
    target = tmp_path / "musterstadt"
    shutil.copytree(
        EXAMPLE,
        target,
        ignore=shutil.ignore_patterns(
            "kik.sqlite*",
            "archiv",
            "ausgang",
            "berichte",
            "quarantaene",
            "__pycache__",
            "runden",
        ),
    )
    return target


def test_run_accepts_every_row_and_writes_the_report(folder: Path) -> None:
    result = run(folder, as_of=AS_OF, today=TODAY)

    assert result.ingest.rows_rejected == 0
    assert result.ingest.files_quarantined == 0
    assert result.ingest.rows_accepted == 8
    assert len(result.ingest.files) == 2
    assert not [p for p in (folder / "eingang").iterdir() if not p.name.startswith(".")]
    assert not list((folder / "ausgang").glob("*_Fehler.xlsx"))

    report = result.report
    assert report.docx == folder / "berichte" / "Zwischenbericht_2024-09-30_Entwurf_1.docx"
    assert report.docx.stat().st_size > 10_000
    snapshot = report.snapshot
    assert snapshot.as_of == AS_OF
    assert not snapshot.conflicts
    assert snapshot.overall.total == 8
    assert snapshot.overall.counts == {
        Status.WARTEND: 3,
        Status.IN_BEARBEITUNG: 3,
        Status.IMPLEMENTIERT: 2,
    }
    assert sum(snapshot.overall.percentages.values()) == 100
    assert {code: counts.total for code, counts in snapshot.by_field.items()} == {
        "SP": 4,
        "AR": 4,
    }
    assert set(report.concept.partners()) >= {"vhs Musterstadt", "Jobcenter Musterstadt"}


def test_goal_texts_reach_the_snapshot(folder: Path) -> None:
    snapshot = run(folder, as_of=AS_OF, today=TODAY).report.snapshot
    assert {goal for goal, texts in snapshot.goal_texts.items() if texts} == {"SP-1", "AR-1"}
    (jobcenter,) = snapshot.goal_texts["AR-1"]
    assert jobcenter.partner == "Jobcenter Musterstadt"
    assert jobcenter.outlook.startswith("Mit der IHK")


def test_cli_run_exits_zero(folder: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "kik_core.cli", "run", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (folder / "berichte" / "Zwischenbericht_2024-09-30_Entwurf_1.docx").is_file()
    assert "8 Zeilen angenommen" in completed.stdout


def test_generator_reproduces_the_tracked_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(EXAMPLE / "make_example.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    names = [
        "konzept.xlsx",
        "texte/vorwort.md",
        "eingang/2024-09-30_vhs-musterstadt.xlsx",
        "eingang/2024-09-30_jobcenter-musterstadt.csv",
        "runden/2024-03-31/2024-03-31_vhs-musterstadt.xlsx",
        "runden/2024-03-31/2024-03-31_jobcenter-musterstadt.csv",
        "runden/2024-06-30/2024-06-30_vhs-musterstadt.xlsx",
        "runden/2024-06-30/2024-07-05_jobcenter-musterstadt.csv",
        "runden/2024-06-30_nachtrag/2024-06-25_stadtbibliothek.xlsx",
        # the second edition (Fortschreibung) and the round after it
        "konzept_2025.xlsx",
        "zuordnung_2025.xlsx",
        "runden/2024-12-31/2024-12-31_vhs-musterstadt.xlsx",
        "runden/2024-12-31/2024-12-31_jobcenter-musterstadt.csv",
        "runden/2024-12-31/2024-09-27_kita-verbund.xlsx",
    ]
    tracked = sorted(str(p.relative_to(EXAMPLE)) for p in (EXAMPLE / "runden").rglob("*.*"))
    assert tracked == sorted(n for n in names if n.startswith("runden/"))
    for name in names:
        assert filecmp.cmp(EXAMPLE / name, tmp_path / name, shallow=False), name
