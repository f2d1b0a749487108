"""End to end on the flagship example: workbook and partner files → store → DOCX.

The same `kik_core.workflow.run` that `kik run`, the README's main job and the quarterly
flow call, followed by issuing the round (`kik runde herausgeben --ja`) as the main job
does; the reports are read back and checked against the seed's figures, and against
anything the seed does not contain (no trend, no changes, no regressions).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from kik_core import Status, workflow
from kik_core.report.accessibility import check_docx

REPO = Path(__file__).resolve().parents[1]
KEMPTEN = REPO / "examples" / "kempten"

#: Per field: implementiert, in Bearbeitung, wartend (counts and rounded percentages).
EXPECTED = {
    "Bildung und Sprache": ((7, 13, 10), (23, 44, 33)),
    "Arbeit und Ausbildung": ((13, 7, 7), (48, 26, 26)),
    "Gesundheit und Pflege": ((2, 13, 4), (11, 68, 21)),
    "Bürgerschaftliches Engagement": ((9, 6, 3), (50, 33, 17)),
    "Gesellschaftliche Teilhabe": ((7, 14, 3), (29, 58, 13)),
    "Interkulturelle Öffnung": ((7, 9, 10), (27, 35, 38)),
}


@pytest.fixture(scope="module")
def kempten_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("e2e") / "kempten"
    shutil.copytree(KEMPTEN, folder, ignore=shutil.ignore_patterns("source", "*.sqlite*"))
    return folder


@pytest.fixture(scope="module")
def kempten_run(kempten_folder: Path) -> workflow.RunResult:
    return workflow.run(kempten_folder, today=dt.date(2023, 12, 1))


@pytest.fixture(scope="module")
def kempten_issued(kempten_folder: Path, kempten_run: workflow.RunResult) -> workflow.ReportResult:
    return workflow.issue(kempten_folder)


def _headings(path: Path) -> list[str]:
    document = docx.Document(str(path))
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]


def test_every_partner_row_is_accepted(kempten_run: workflow.RunResult) -> None:
    summary = kempten_run.ingest
    assert len(summary.files) == 10
    assert summary.rows_rejected == 0
    assert summary.files_quarantined == 0
    assert summary.rows_accepted == sum(f.rows_accepted for f in summary.files) == 187


def test_main_job_issues_the_round_without_invented_history(
    kempten_run: workflow.RunResult, kempten_issued: workflow.ReportResult
) -> None:
    assert kempten_run.report.docx.name == "Zwischenbericht_2023-09-30_Entwurf_1.docx"
    assert kempten_issued.docx.name == "Zwischenbericht_2023-09-30_herausgegeben.docx"
    assert kempten_issued.round is not None
    assert kempten_issued.round.is_issued
    assert kempten_issued.docx.stat().st_mode & 0o777 == 0o444
    assert kempten_issued.snapshot == kempten_run.report.snapshot
    for report in (kempten_run.report, kempten_issued):
        assert report.snapshot.previous is None
        assert report.snapshot.changes == ()
        assert report.late == ()
        headings = _headings(report.docx)
        assert "Umsetzungsstand im Überblick" in headings
        for absent in (
            "Entwicklung über die Berichtszeitpunkte",
            "Veränderungen seit dem letzten Bericht",
            "Anhang: Alle Veränderungen seit dem letzten Bericht",
            "Nachträgliche Korrekturen",
        ):
            assert absent not in headings, absent
        text = "\n".join(p.text for p in docx.Document(str(report.docx)).paragraphs)
        assert "Rückschritt" not in text
        assert "30.09.2022" not in text  # the invented earlier state is gone


def test_snapshot_matches_the_seed(kempten_run: workflow.RunResult) -> None:
    result = kempten_run.report
    snapshot, concept = result.snapshot, result.concept
    assert snapshot.as_of == dt.date(2023, 9, 30)
    assert snapshot.previous is None
    for field in concept.fields:
        counts, percentages = EXPECTED[field.name]
        got = snapshot.by_field[field.code]
        order = (Status.IMPLEMENTIERT, Status.IN_BEARBEITUNG, Status.WARTEND)
        assert tuple(got.counts[s] for s in order) == counts, field.name
        assert tuple(got.percentages[s] for s in order) == percentages, field.name
    assert snapshot.overall.total == 144
    assert snapshot.changes == ()
    assert snapshot.conflicts == ()


def test_report_alt_texts_carry_the_same_numbers(kempten_run: workflow.RunResult) -> None:
    document = docx.Document(str(kempten_run.report.docx))
    alt_texts = [el.get("descr") for el in document.element.body.iter(qn("wp:docPr"))]
    for name, ((impl, bearb, wart), (pi, pb, pw)) in EXPECTED.items():
        expected = (
            f"Umsetzungsstand {name}: {impl} implementiert ({pi} %), "
            f"{bearb} in Bearbeitung ({pb} %), {wart} wartend ({pw} %)"
        )
        assert any(expected in text for text in alt_texts), expected
    totals = sum(c for (counts, _) in EXPECTED.values() for c in counts)
    assert totals == 144


def test_report_is_accessible_and_the_example_untouched(kempten_run: workflow.RunResult) -> None:
    assert check_docx(kempten_run.report.docx) == []
    assert not (KEMPTEN / "kik.sqlite").exists()
    assert sorted(p.name for p in (KEMPTEN / "eingang").iterdir())  # still in the inbox
    assert not (KEMPTEN / "berichte").exists() or not list((KEMPTEN / "berichte").iterdir())


def test_gender_star_is_text_not_emphasis(kempten_run: workflow.RunResult) -> None:
    document = docx.Document(str(kempten_run.report.docx))
    [paragraph] = [p for p in document.paragraphs if "geflüchteten Ukrainer*innen, die" in p.text]
    assert "ukrainische Schüler*innen" in paragraph.text
    assert not any(run.italic for run in paragraph.runs)


def test_title_page_uses_the_configured_dates(kempten_run: workflow.RunResult) -> None:
    document = docx.Document(str(kempten_run.report.docx))
    text = "\n".join(p.text for p in document.paragraphs[:20])
    assert "Veröffentlicht am: 1. Dezember 2023" in text
    assert "November 2021 bis September 2023" in text
    assert document.core_properties.created.date() == dt.date(2023, 12, 1)
