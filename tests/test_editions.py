"""Editions (Fortschreibung, issue 17): 20 measures, of which 3 renamed, 1 split, 1 merged
and 2 dropped, plus 3 new; history and the report before and after the change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import docx
import pytest
from openpyxl import Workbook

from kik_core import Concept, FieldOfAction, Goal, Measure, ModelError, Status, StatusReport
from kik_core.editions import (
    CARRIED,
    EditionChange,
    EditionLink,
    Editions,
    LinkKind,
    carry_history,
    edition_snapshot,
    load_edition_change,
)
from kik_core.errors import ConceptWorkbookError
from kik_core.report import ReportOptions, build_report
from kik_core.rules import Snapshot, build_snapshot

W, B, I = Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT  # noqa: E741 - like the table
D1, D2, D3 = dt.date(2023, 9, 30), dt.date(2024, 3, 31), dt.date(2024, 9, 30)
VALID_FROM = dt.date(2024, 6, 1)

RENAMED = {"BS-1.1": "BS-2.1", "BS-1.2": "BS-2.2", "BS-1.3": "BS-2.3"}
SPLIT = ("BS-1.4", ("BS-3.1", "BS-3.2"))
MERGED = (("AA-1.1", "AA-1.2"), "AA-1.11")
DROPPED = ("AA-1.3", "AA-1.4")
NEW = ("AA-2.1", "AA-2.2", "AA-2.3")
SAME = tuple(f"{c}-1.{n}" for c in ("BS", "AA") for n in range(5, 11))


def old_edition() -> Concept:
    return Concept(
        "Musterstadt", "KIK 2021", dt.date(2021, 11, 18),
        (FieldOfAction("BS", "Bildung"), FieldOfAction("AA", "Arbeit")),
        (Goal("BS-1", "Bildung für alle"), Goal("AA-1", "Arbeit für alle")),
        tuple(Measure(f"{c}-1.{n}", f"alt {c} {n}") for c in ("BS", "AA") for n in range(1, 11)),
    )  # fmt: skip


def new_edition() -> Concept:
    ids = [*RENAMED.values(), *SPLIT[1], MERGED[1], *NEW, *SAME]
    goals = sorted({i.rsplit(".", 1)[0] for i in ids})
    return Concept(
        "Musterstadt", "KIK 2024", dt.date(2024, 5, 15),
        (FieldOfAction("BS", "Bildung"), FieldOfAction("AA", "Arbeit")),
        tuple(Goal(g, f"Ziel {g}") for g in goals),
        tuple(Measure(i, f"neu {i}") for i in ids),
    )  # fmt: skip


def links() -> list[EditionLink]:
    found = [EditionLink(LinkKind.RENAMED, o, n) for o, n in RENAMED.items()]
    found += [EditionLink(LinkKind.SPLIT, SPLIT[0], n) for n in SPLIT[1]]
    found += [EditionLink(LinkKind.MERGED, o, MERGED[1]) for o in MERGED[0]]
    found += [EditionLink(LinkKind.DROPPED, o, None) for o in DROPPED]
    found += [EditionLink(LinkKind.NEW, None, n) for n in NEW]
    found += [EditionLink(LinkKind.SAME, i, i) for i in SAME]
    return found


def change() -> EditionChange:
    return EditionChange(old_edition(), new_edition(), VALID_FROM, tuple(links()))


def r(target: str, status: Status, day: dt.date, partner: str = "vhs") -> StatusReport:
    return StatusReport(target, status, day, partner)


REPORTS = [
    r("BS-1.1", I, D1),
    r("BS-1.2", B, D1),
    r("BS-1.2", I, D2),
    r("BS-1.4", B, D2),
    r("AA-1.1", I, D1),
    r("AA-1.2", B, D1, "Jobcenter"),
    r("AA-1.3", I, D1),
    r("BS-1.5", I, D1),
    r("BS-1.6", B, D2),
    r("AA-1.5", I, D2),
    # the new edition applies from VALID_FROM
    r("BS-3.1", I, D3),
    r("AA-1.11", I, D3),
    r("AA-1.5", B, D3),  # a step back, across the edition change
    r("AA-2.1", B, D3),
]


def _counts(snapshot: Snapshot) -> tuple[int, int, int, int]:
    overall = snapshot.overall
    return overall[W], overall[B], overall[I], overall.total


def test_the_mapping_has_the_shape_of_the_example() -> None:
    c = change()
    assert len(c.old.measures) == 20
    assert len(c.new.measures) == 21
    kinds = {k: len(c.of_kind(k)) for k in LinkKind}
    assert kinds == {
        LinkKind.SAME: 12, LinkKind.RENAMED: 3, LinkKind.SPLIT: 2, LinkKind.MERGED: 2,
        LinkKind.DROPPED: 2, LinkKind.NEW: 3,
    }  # fmt: skip
    assert c.predecessors("AA-1.11") == MERGED[0]
    assert c.successors("BS-1.4") == SPLIT[1]
    assert c.successors("AA-1.3") == ()


def test_history_before_the_change_counts_the_old_edition() -> None:
    before = edition_snapshot(change(), REPORTS, D2)
    assert before.overall.total == 20
    assert _counts(before) == (11, 3, 6, 20)
    assert before.status_of("AA-1.3") is I  # dropped later, but counted while it existed


def test_history_carries_across_the_mapping() -> None:
    carried = carry_history(change(), REPORTS)
    assert {r.partner for r in carried} == {CARRIED}
    by_id = {}
    for report in carried:
        by_id.setdefault(report.target_id, []).append((report.as_of, report.status))
    assert by_id["BS-2.1"] == [(D1, I)]  # renamed
    assert by_id["BS-2.2"] == [(D1, B), (D2, I)]  # renamed, history kept
    assert "BS-2.3" not in by_id  # renamed, never reported: stays wartend
    assert by_id["BS-3.1"] == by_id["BS-3.2"] == [(D2, B)]  # split: both inherit
    assert by_id["AA-1.11"] == [(D1, B)]  # merged: the least advanced of AA-1.1 and AA-1.2
    assert not {"AA-1.3", "AA-1.4", *NEW} & set(by_id)  # dropped and new carry nothing
    at_change = edition_snapshot(change(), REPORTS, VALID_FROM)
    assert _counts(at_change) == (13, 4, 4, 21)


def test_after_the_change_counts_the_new_edition_and_its_changes() -> None:
    after = edition_snapshot(change(), REPORTS, D3, previous=D2)
    assert _counts(after) == (12, 4, 5, 21)
    moved = {(c.measure_id, c.before, c.after) for c in after.changes}
    assert moved == {
        ("BS-3.1", B, I),
        ("AA-1.11", B, I),
        ("AA-1.5", I, B),
        ("AA-2.1", W, B),
    }
    assert [c.measure_id for c in after.changes if c.is_regression] == ["AA-1.5"]
    assert "AA-1.3" not in after.statuses
    assert not after.conflicts


def test_report_spanning_the_change(tmp_path: Path) -> None:
    c = change()
    before = edition_snapshot(c, REPORTS, D2)
    after = edition_snapshot(c, REPORTS, D3, previous=D2)
    path = build_report(
        c.new,
        after,
        tmp_path / "bericht.docx",
        options=ReportOptions("KIK – Zwischenbericht", "Musterstadt"),
        history=[before, after],
        edition=c,
    )
    document = docx.Document(str(path))
    rows = [[cell.text for cell in row.cells] for t in document.tables for row in t.rows]
    text = "\n".join(p.text for p in document.paragraphs)
    # the trend: each date counted in the edition in force then
    assert ["31.03.2024", "11 (55 %)", "3 (15 %)", "6 (30 %)", "20"] in rows
    assert ["30.09.2024", "12 (57 %)", "4 (19 %)", "5 (24 %)", "21"] in rows
    assert "Ab dem 01.06.2024 gilt die neue Fassung des Konzepts (21 Maßnahmen; bisher 20)" in text
    assert "12 gleich, 3 umbenannt, 2 geteilt, 2 zusammengelegt, 2 entfallen, 3 neu" in text
    assert ["BS-1.1", "alt BS 1", "umbenannt → BS-2.1", "neu BS-2.1"] in rows
    assert ["AA-1.3", "alt AA 3", "entfallen → –", ""] in rows
    assert ["–", "", "neu → AA-2.1", "neu AA-2.1"] in rows
    assert any(r[0] == "AA-1.5" and "implementiert" in r and "in Bearbeitung" in r for r in rows)


def _mapping_workbook(path: Path, rows: list[list[str | None]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Fortschreibung"
    sheet.append(["alt", "neu", "Art"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_mapping_sheet_is_read(tmp_path: Path) -> None:
    rows = [[link.old_id, link.new_id, link.kind.value] for link in links()]
    rows[0][0] = " bs – 1.1 "  # a tolerant spelling
    loaded = load_edition_change(
        _mapping_workbook(tmp_path / "f.xlsx", rows), old_edition(), new_edition(), VALID_FROM
    )
    assert loaded == change()


def test_mapping_problems_are_listed_in_german(tmp_path: Path) -> None:
    rows = [[link.old_id, link.new_id, link.kind.value] for link in links()]
    rows = [row for row in rows if row[0] != "AA-1.4"]  # forgotten
    rows.append(["BS-1.5", "BS-1.6", "gleich"])
    rows.append(["AA-1.7", None, "weg"])
    with pytest.raises(ConceptWorkbookError) as info:
        load_edition_change(
            _mapping_workbook(tmp_path / "f.xlsx", rows), old_edition(), new_edition(), VALID_FROM
        )
    text = str(info.value)
    assert "Blatt Fortschreibung, Zeile 26, Spalte Art: „weg“ ist kein gültiger Wert" in text
    assert "Die alte Maßnahme „AA-1.4“ fehlt in der Zuordnung" in text
    assert "„gleich“ verbindet gleiche Nummern, nicht BS-1.5 und BS-1.6" in text
    assert "Die alte Maßnahme „BS-1.5“ steht 2-mal in der Zuordnung" in text


def test_a_single_merge_row_is_refused() -> None:
    bad = [link for link in links() if link.old_id != "AA-1.2"]
    bad.append(EditionLink(LinkKind.DROPPED, "AA-1.2", None))
    with pytest.raises(ModelError, match="mindestens zwei Zeilen"):
        EditionChange(old_edition(), new_edition(), VALID_FROM, tuple(bad))


# --- a line of editions (kik.toml may declare several Fortschreibungen) ----------------

D4 = dt.date(2025, 3, 31)
SECOND_FROM = dt.date(2025, 1, 1)


def third_edition() -> Concept:
    """KIK 2024 with BS-2.1 renamed BS-4.1 (a second Fortschreibung)."""
    second = new_edition()
    measures = tuple(
        Measure("BS-4.1", "neu BS-4.1") if m.id == "BS-2.1" else m for m in second.measures
    )
    return Concept(
        "Musterstadt", "KIK 2025", dt.date(2024, 12, 1), second.fields,
        (*second.goals, Goal("BS-4", "Ziel BS-4")), measures,
    )  # fmt: skip


def editions() -> Editions:
    second = new_edition()
    third = third_edition()
    links = [
        EditionLink(LinkKind.RENAMED, "BS-2.1", "BS-4.1") if m.id == "BS-2.1"
        else EditionLink(LinkKind.SAME, m.id, m.id)
        for m in second.measures
    ]  # fmt: skip
    return Editions(third, (change(), EditionChange(second, third, SECOND_FROM, tuple(links))))


def test_a_line_of_editions_carries_history_through_both_changes() -> None:
    line = editions()
    assert [c.title for c in line.concepts] == ["KIK 2021", "KIK 2024", "KIK 2025"]
    assert [line.index_at(d) for d in (D2, VALID_FROM, D3, SECOND_FROM, D4)] == [0, 1, 1, 2, 2]
    later = [*REPORTS, r("BS-4.1", B, D4)]  # a step back on the twice renamed measure
    first = line.snapshot(later, D2)
    second = line.snapshot(later, D3)
    third = line.snapshot(later, D4)
    assert (first.overall.total, second.overall.total, third.overall.total) == (20, 21, 21)
    assert _counts(second) == (12, 4, 5, 21)  # as edition_snapshot with one change
    assert line.statuses_in(first, 2)["BS-4.1"] is I  # BS-1.1 → BS-2.1 → BS-4.1
    assert line.index_of(first) == 0
    assert line.index_of(third) == 2
    moved = {(c.measure_id, c.before, c.after) for c in line.changes_since(first, third)}
    assert ("BS-4.1", I, B) in moved  # compared with BS-1.1 two editions back
    assert ("AA-2.1", W, B) in moved  # new in the first change
    assert line.origin("BS-4.1") == (
        "Hervorgegangen aus BS-2.1 (umbenannt; neue Fassung des Konzepts ab 01.01.2025)."
    )
    assert line.origin("BS-2.1", 1).startswith("Hervorgegangen aus BS-1.1 (umbenannt")
    assert line.origin("BS-1.5") == ""
    assert line.find(" bs – 2.1 ") == (1, "BS-2.1")
    assert line.find("XX-9.9") is None


def test_a_line_of_editions_must_connect() -> None:
    with pytest.raises(ModelError, match="last change must lead to the current edition"):
        Editions(old_edition(), (change(),))
    later = editions().changes[1]
    with pytest.raises(ModelError, match="valid_from must increase"):
        Editions(later.new, (change(), attrs.evolve(later, valid_from=VALID_FROM)))
    with pytest.raises(ModelError, match="start from the previous one's new"):
        Editions(later.new, (later, later))


def test_one_edition_is_the_plain_rule() -> None:
    single = Editions(old_edition())
    assert single.concept_at(D3) is single.current
    assert single.snapshot(REPORTS, D2) == build_snapshot(old_edition(), REPORTS, D2)
    assert single.origin("BS-1.1") == ""


def test_a_late_correction_on_a_dropped_number_names_its_measure() -> None:
    """A late report on a number the new edition dropped is named from the old edition."""
    from kik_core.presentation import present
    from kik_core.rounds import LateCorrection

    c = change()
    after = edition_snapshot(c, REPORTS, D3, previous=D2)
    late = [LateCorrection(r("AA-1.3", B, D2), D2, dt.datetime(2024, 4, 20, 9, 30))]
    table = present(c.new, after, late=late, edition=c).overview.late_table
    assert table is not None
    assert table.rows[0][:3] == ("AA-1.3", "alt AA 3", "in Bearbeitung")
    # without the old edition the number is unknown to the concept
    table = present(c.new, after, late=late).overview.late_table
    assert table is not None
    assert table.rows[0][1] == "–"
