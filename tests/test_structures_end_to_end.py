"""End to end with concepts of another shape (issue 17), built here from scratch.

* Vierstadt: four levels (Handlungsfeld → Leitziel → Teilziel → Maßnahme), numbers
  like ``1.2.3`` and five statuses including "entfällt".
* Zweistadt: two levels (Handlungsfeld → Maßnahme), numbers like ``M17``,
  Kempten's three statuses.

Each goes concept workbook → partner template → filled in → ingest → report.
Both give some measures the attributes of issue 17 (priority, timeframe with one
measure overdue, lead partner, budget, work packages); the DOCX and the web
edition must show the same sentences for them, from :mod:`kik_core.presentation`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import attrs
import docx
import pytest
from openpyxl import load_workbook

from kik_core import (
    Concept,
    FieldOfAction,
    Goal,
    Measure,
    load_concept,
    workflow,
    write_concept_workbook,
)
from kik_core.model import WorkPackage
from kik_core.presentation import Presentation, concept_at, present

from .scheme_fixtures import FIVE, header_row

STICHTAG = dt.date(2024, 9, 30)
TODAY = dt.date(2024, 10, 2)
PARTNER = "Jobcenter"


def vierstadt() -> Concept:
    def m(number: str, text: str, **extra: object) -> Measure:
        partners = () if "lead" in extra else (PARTNER,)
        return Measure(
            number,
            text,
            parent=number.rsplit(".", 1)[0],
            partners=partners,
            **extra,  # the attributes of issue 17
        )

    return Concept(
        "Vierstadt",
        "Integrationskonzept Vierstadt",
        None,
        (FieldOfAction("1", "Sprache"), FieldOfAction("2", "Arbeit")),
        (
            Goal("1.1", "Deutsch für alle", parent="1"),
            Goal("1.1.1", "Kurse für Eltern", parent="1.1"),
            Goal("1.1.2", "Kurse für Berufstätige", parent="1.1"),
            Goal("2.1", "Arbeit finden", parent="2"),
            Goal("2.1.1", "Beratung", parent="2.1"),
        ),
        (
            m(
                "1.1.1.1",
                "Elternkurs am Vormittag",
                priority="hoch",
                priority_set_on=dt.date(2023, 3, 15),
                end=dt.date(2024, 6, 30),  # ended, but umgesetzt: not overdue
            ),
            m("1.1.1.2", "Kinderbetreuung im Kurs", end=dt.date(2024, 3, 31)),  # entfällt
            m(
                "1.1.2.1",
                "Abendkurs",
                priority="hoch",
                start=dt.date(2024, 1, 1),
                end=dt.date(2024, 8, 31),  # ended, in Umsetzung: overdue
                lead=PARTNER,
                budget=12500.0,
            ),
            m("1.1.2.10", "Onlinekurs"),
            m("1.1.2.2", "Kurs am Wochenende"),
            m("2.1.1.1", "Sprechstunde"),
            m("2.1.1.2", "Mentoring", end=dt.date(2025, 12, 31)),
        ),
        FIVE,
        ("Handlungsfeld", "Leitziel", "Teilziel", "Maßnahme"),
        work_packages=(
            WorkPackage("2.1.1.2/1", "2.1.1.2", "Mentorinnen gewinnen"),
            WorkPackage("2.1.1.2/2", "2.1.1.2", "Tandems bilden"),
            WorkPackage("2.1.1.2/3", "2.1.1.2", "Auswertung"),
        ),
    )


def zweistadt() -> Concept:
    return Concept(
        "Zweistadt",
        "Integrationskonzept Zweistadt",
        None,
        (FieldOfAction("BI", "Bildung"), FieldOfAction("WO", "Wohnen")),
        (),
        tuple(
            Measure(
                f"M{n}",
                f"Maßnahme {n}",
                parent="BI" if n < 10 else "WO",
                partners=() if n in ZWEI_LEAD else (PARTNER,),
                **ZWEI_ATTRIBUTES.get(n, {}),  # the attributes of issue 17
            )
            for n in (1, 2, 3, 10, 11, 17)
        ),
        levels=("Handlungsfeld", "Maßnahme"),
        work_packages=(
            WorkPackage("M11/1", "M11", "Träger suchen"),
            WorkPackage("M11/2", "M11", "Wohnungen vermitteln"),
        ),
    )


#: Zweistadt's measures with the attributes of issue 17 (M10 is overdue on the Stichtag).
ZWEI_ATTRIBUTES: dict[int, dict[str, object]] = {
    1: {"priority": "A", "end": dt.date(2024, 6, 30)},
    10: {
        "priority": "A",
        "priority_set_on": dt.date(2024, 2, 1),
        "start": dt.date(2024, 1, 1),
        "end": dt.date(2024, 9, 1),
        "lead": PARTNER,
        "budget": 8000.5,
    },
}
ZWEI_LEAD = {10}


def _fill(template: Path, target: Path, filled: dict[str, str]) -> None:
    workbook = load_workbook(template)
    sheet = workbook["Rückmeldung"]
    top = header_row(sheet)
    header = [c.value for c in sheet[top]]
    id_col, status_col = header.index("Maßnahme") + 1, header.index("Status") + 1
    text_col = header.index("Aktueller Stand") + 1
    for row in range(top + 1, sheet.max_row + 1):
        target_id = sheet.cell(row, id_col).value
        if target_id in filled:
            value = filled[target_id]
            if value.startswith("Text:"):
                sheet.cell(row, text_col).value = value.removeprefix("Text:")
            else:
                sheet.cell(row, status_col).value = value
    workbook.save(target)


def _run(root: Path, concept: Concept, filled: dict[str, str]) -> tuple[Path, workflow.RunResult]:
    folder = workflow.init_folder(root)
    (folder / "konzept.xlsx").unlink()
    write_concept_workbook(concept, folder / "konzept.xlsx")
    [template] = workflow.templates(folder, as_of=STICHTAG, today=TODAY)
    _fill(template, folder / "eingang" / "Rueckmeldung.xlsx", filled)
    return template, workflow.run(folder, as_of=STICHTAG, today=TODAY)


def _document_text(path: Path) -> tuple[str, list[list[str]], list[str]]:
    document = docx.Document(str(path))
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    return "\n".join(p.text for p in document.paragraphs), rows, headings


# --- four levels, "1.2.3" numbers, five statuses ------------------------------------

VIER_FILLED = {
    "2.1.1.2/1": "umgesetzt",
    "1.1.1.1": "umgesetzt",
    "1.1.1.2": "entfällt",
    "1.1.2.1": "In Umsetzung",
    "1.1.2.10": "zurückgestellt",
    "2.1.1.1": "umgesetzt",
    "1.1.1": "Text:Zwei Kurse laufen.",
}


@pytest.fixture(scope="module")
def vier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, workflow.RunResult]:
    return _run(tmp_path_factory.mktemp("vier") / "vierstadt", vierstadt(), VIER_FILLED)


def test_four_levels_survive_the_workbook(tmp_path: Path) -> None:
    concept = vierstadt()
    loaded = load_concept(write_concept_workbook(concept, tmp_path / "k.xlsx"))
    assert loaded == concept
    assert loaded.levels == ("Handlungsfeld", "Leitziel", "Teilziel", "Maßnahme")
    assert [m.id for m in loaded.measures_of("1.1.2")] == ["1.1.2.1", "1.1.2.2", "1.1.2.10"]
    assert loaded.level_name("1.1") == "Leitziel"
    assert loaded.level_name("1.1.2") == "Teilziel"
    assert loaded.field_of("2.1.1.2") == "2"


def test_four_level_template_lists_goals_and_measures_in_tree_order(
    vier: tuple[Path, workflow.RunResult],
) -> None:
    template, _run_result = vier
    sheet = load_workbook(template)["Rückmeldung"]
    ids = [r[0].value for r in sheet.iter_rows(min_row=header_row(sheet) + 1) if r[0].value]
    assert ids == [
        "1.1", "1.1.1", "1.1.1.1", "1.1.1.2", "1.1.2", "1.1.2.1", "1.1.2.2", "1.1.2.10",
        "2.1", "2.1.1", "2.1.1.1", "2.1.1.2", "2.1.1.2/1", "2.1.1.2/2", "2.1.1.2/3",
    ]  # fmt: skip


def test_four_level_ingest_and_snapshot(vier: tuple[Path, workflow.RunResult]) -> None:
    _template, result = vier
    assert result.ingest.rows_rejected == 0
    snapshot = result.report.snapshot
    assert snapshot.status_of("1.1.2.1").label == "in Umsetzung"
    assert snapshot.status_of("1.1.2.2").label == "offen"
    groups = snapshot.summary(snapshot.by_field["1"])
    assert {s.label: (n, groups.percentages.get(s)) for s, n in groups.counts.items()} == {
        "wartend": (2, 50),
        "in Bearbeitung": (1, 25),
        "implementiert": (1, 25),
        "entfallen": (1, None),
    }
    assert snapshot.by_goal["1.1"].total == 5
    assert snapshot.by_goal["1.1.1"].total == 2
    [text] = snapshot.goal_texts["1.1.1"]
    assert text.current_state == "Zwei Kurse laufen."


def test_four_level_report(vier: tuple[Path, workflow.RunResult]) -> None:
    _template, result = vier
    text, rows, headings = _document_text(result.report.docx)
    assert "gliedert sich in Handlungsfeld → Leitziel → Teilziel → Maßnahme." in text
    assert ["Leitziel 1.1", "Deutsch für alle", "1 von 5 implementiert"] in rows
    assert ["Teilziel 1.1.2", "Kurse für Berufstätige", "0 von 3 implementiert"] in rows
    assert ["1.1.2.10", "Onlinekurs", "zurückgestellt"] in rows
    assert "Teilziel 1.1.1: Kurse für Eltern" in headings
    assert "Teilziel 1.1.1 – Aktueller Stand" in headings
    assert "Zwei Kurse laufen." in text


# --- two levels, "M17" numbers -------------------------------------------------------

ZWEI_FILLED = {"M1": "implementiert", "M10": "in Bearbeitung", "M17": "implementiert"}


@pytest.fixture(scope="module")
def zwei(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, workflow.RunResult]:
    return _run(tmp_path_factory.mktemp("zwei") / "zweistadt", zweistadt(), ZWEI_FILLED)


def test_two_levels_survive_the_workbook(tmp_path: Path) -> None:
    concept = zweistadt()
    loaded = load_concept(write_concept_workbook(concept, tmp_path / "k.xlsx"))
    assert loaded == concept
    assert [m.id for m in loaded.measures] == ["M1", "M2", "M3", "M10", "M11", "M17"]
    assert loaded.goals == ()
    assert loaded.level_name("M17") == "Maßnahme"
    assert loaded.canonical_id(" m 17 ") == "M17"


def test_two_level_template_ingest_and_report(zwei: tuple[Path, workflow.RunResult]) -> None:
    template, result = zwei
    sheet = load_workbook(template)["Rückmeldung"]
    assert [r[0].value for r in sheet.iter_rows(min_row=header_row(sheet) + 1) if r[0].value] == [
        "M1", "M2", "M3", "M10", "M11", "M11/1", "M11/2", "M17",
    ]  # fmt: skip
    assert result.ingest.rows_rejected == 0
    snapshot = result.report.snapshot
    assert snapshot.by_field["BI"].total == 3
    assert snapshot.by_field["WO"].total == 3
    assert snapshot.status_of("M17").label == "implementiert"
    text, rows, headings = _document_text(result.report.docx)
    assert "gliedert sich in Handlungsfeld → Maßnahme." in text
    assert ["M10", "Maßnahme 10", "in Bearbeitung"] in rows
    assert not any(r[0].startswith("Ziel") for r in rows)
    assert "Stand der Ziele" not in headings
    overview = next(r for r in rows if r[0] == "Gesamt")
    assert overview == ["Gesamt", "6", "3 (50 %)", "1 (17 %)", "2 (33 %)"]


def test_two_level_ingest_accepts_a_tolerant_spelling(tmp_path: Path) -> None:
    from kik_core.ingest import read_update_file

    from .ingest_helpers import good_row, write_xlsx

    rows = [good_row("m 17", "implementiert"), good_row("M99", "wartend")]
    result = read_update_file(write_xlsx(tmp_path / "x.xlsx", rows), zweistadt(), today=TODAY)
    assert [r.target_id for r in result.accepted] == ["M17"]
    [rejected] = result.rejected
    assert "M99" in str(rejected.problems[0])


# --- work packages (issue 17, rule 8) ----------------------------------------------


def paketstadt() -> Concept:
    from kik_core.model import WorkPackage

    base = zweistadt()
    return Concept(
        "Paketstadt", base.title, None, base.fields, (), base.measures,
        levels=base.levels,
        work_packages=(
            WorkPackage("M1/1", "M1", "Räume finden"),
            WorkPackage("M1/2", "M1", "Paten gewinnen"),
            WorkPackage("M1/3", "M1", "Start"),
        ),
    )  # fmt: skip


def test_work_packages_from_template_to_report(tmp_path: Path) -> None:
    concept = paketstadt()
    assert load_concept(write_concept_workbook(concept, tmp_path / "k.xlsx")) == concept
    template, result = _run(
        tmp_path / "paketstadt", concept, {"M1/1": "implementiert", "M1/2": "implementiert"}
    )
    sheet = load_workbook(template)["Rückmeldung"]
    ids = [r[0].value for r in sheet.iter_rows(min_row=header_row(sheet) + 1) if r[0].value]
    assert ids[:4] == ["M1", "M1/1", "M1/2", "M1/3"]
    assert result.ingest.rows_rejected == 0
    snapshot = result.report.snapshot
    assert snapshot.status_of("M1").label == "in Bearbeitung"  # 2 of 3 packages done
    assert snapshot.packages["M1/3"].status.label == "wartend"
    _text, rows, _headings = _document_text(result.report.docx)
    assert [
        "M1",
        "Maßnahme 1",
        "in Bearbeitung (Arbeitspakete: 2 von 3 implementiert)",
    ] in rows


# --- measure attributes in the DOCX and the web edition (issue 17, point 5) ----------


@attrs.frozen
class Published:
    """A concept run end to end: its report, its issued round's site and its presentation."""

    concept: Concept
    run: workflow.RunResult
    site: Path
    presentation: Presentation


def _publish(root: Path, concept: Concept, filled: dict[str, str]) -> Published:
    _template, run = _run(root / "kommune", concept, filled)
    workflow.issue(root / "kommune", stichtag=STICHTAG, pdf=False)
    site = workflow.publish(root / "kommune", target=root / "site").folder
    snapshot = run.report.snapshot
    return Published(concept, run, site, present(concept_at(concept, snapshot), snapshot))


@pytest.fixture(scope="module")
def vier_site(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return _publish(tmp_path_factory.mktemp("vier-web"), vierstadt(), VIER_FILLED)


@pytest.fixture(scope="module")
def zwei_site(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return _publish(tmp_path_factory.mktemp("zwei-web"), zweistadt(), ZWEI_FILLED)


def _html_text(path: Path) -> str:
    """A page's text as a reader sees it: tags dropped, entities resolved, spaces collapsed."""
    raw = path.read_text(encoding="utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _assert_same_sentences(published: Published) -> None:
    """Every sentence of the attributes is in the DOCX and on the web pages, word for word."""
    p = published.presentation
    text, rows, headings = _document_text(published.run.report.docx)
    index = _html_text(published.site / "index.html")
    priorities, overdue = p.overview.priorities, p.overview.overdue
    assert priorities is not None
    assert overdue is not None
    assert overdue.table is not None
    for sentence in (priorities.sentence, overdue.sentence):
        assert sentence in text.split("\n")
        assert sentence in index
    assert overdue.heading in headings
    for row, page in zip(overdue.table.rows, overdue.slugs, strict=True):
        assert list(row) in rows
        assert f'href="massnahmen/{page}.html">{row[0]}</a>' in (
            published.site / "index.html"
        ).read_text(encoding="utf-8")
    for field in p.fields:
        assert field.priorities is not None
        page = _html_text(published.site / "handlungsfelder" / f"{field.slug}.html")
        assert field.priorities.sentence in page
    for measure in p.measures:
        attributes = measure.attributes
        assert attributes is not None
        page = published.site / "massnahmen" / f"{measure.slug}.html"
        raw = page.read_text(encoding="utf-8")
        for label, value in attributes.facts:
            assert f"<dt>{label}</dt><dd>{html.escape(value, quote=False)}</dd>" in raw
        for _key, tag in attributes.tags:
            assert f">{tag}</span>" in raw
        if attributes.package_progress:
            assert f"{attributes.package_progress}." in _html_text(page)
            assert any(
                r[:2] == [measure.id, measure.text]
                and r[-1].endswith(f"({attributes.package_progress})")
                for r in rows
            )
            for package in attributes.packages:
                assert f"{package.id} {package.text} {package.status_label}" in _html_text(page)
    # the open data beside the site carries the attributes and validates against the schema
    jsonschema = pytest.importorskip("jsonschema")
    from kik_core.opendata import load_schema

    document = json.loads((published.site / "daten" / "massnahmen.json").read_text("utf-8"))
    jsonschema.validate(document, load_schema(), format_checker=jsonschema.FormatChecker())
    for record in document["massnahmen"]:
        attributes = p.measure(record["massnahme_id"]).attributes
        assert attributes is not None
        assert record["ueberfaellig"] is (attributes.overdue if record["ende"] else None)
        assert bool(record["prioritaet"]) is attributes.prioritised
        assert (record["arbeitspakete_gesamt"] or 0) == len(attributes.packages)


def test_four_level_attributes_in_docx_and_web(vier_site: Published) -> None:
    p = vier_site.presentation
    assert p.overview.priorities is not None
    assert p.overview.priorities.sentence == "Prioritäre Maßnahmen: 2 von 7, davon 1 implementiert."
    assert p.overview.overdue is not None
    assert p.overview.overdue.ids == ("1.1.2.1",)  # 1.1.1.1 is umgesetzt, 1.1.1.2 entfällt
    assert p.overview.overdue.sentence == (
        "Bei 1 Maßnahme ist der Zeitraum vor dem 30.09.2024 abgelaufen, "
        "ohne dass sie implementiert ist."
    )
    assert p.overview.overdue.table is not None
    assert p.overview.overdue.table.rows == (
        ("1.1.2.1", "Abendkurs", "31.08.2024", "in Umsetzung", "Jobcenter"),
    )
    evening = p.measure("1.1.2.1").attributes
    assert evening is not None
    assert dict(evening.facts) == {
        "Priorität": "hoch",
        "Zeitraum": "01.01.2024 – 31.08.2024",
        "Federführend": "Jobcenter",
        "Beteiligt": "–",
        "Budget": "12.500,00\xa0€",
    }
    mentoring = p.measure("2.1.1.2").attributes
    assert mentoring is not None
    assert mentoring.package_progress == "Arbeitspakete: 1 von 3 implementiert"
    assert [(w.id, w.status_label) for w in mentoring.packages] == [
        ("2.1.1.2/1", "umgesetzt"),
        ("2.1.1.2/2", "offen"),
        ("2.1.1.2/3", "offen"),
    ]
    assert p.measure("1.1.1.1").attributes.priority == "hoch (festgelegt am 15.03.2023)"
    _assert_same_sentences(vier_site)
    listing = (vier_site.site / "massnahmen.html").read_text(encoding="utf-8")
    assert 'data-prioritaer="ja" data-ueberfaellig="ja"' in listing  # 1.1.2.1
    assert listing.count('data-ueberfaellig="ja"') == 1
    assert listing.count('data-prioritaer="ja"') == 2


def test_two_level_attributes_in_docx_and_web(zwei_site: Published) -> None:
    p = zwei_site.presentation
    assert p.overview.priorities is not None
    assert p.overview.priorities.sentence == "Prioritäre Maßnahmen: 2 von 6, davon 1 implementiert."
    assert p.overview.overdue is not None
    assert p.overview.overdue.table is not None
    assert p.overview.overdue.table.rows == (
        ("M10", "Maßnahme 10", "01.09.2024", "in Bearbeitung", "Jobcenter"),
    )
    m10 = p.measure("M10").attributes
    assert m10 is not None
    assert dict(m10.facts) == {
        "Priorität": "A (festgelegt am 01.02.2024)",
        "Zeitraum": "01.01.2024 – 01.09.2024",
        "Federführend": "Jobcenter",
        "Beteiligt": "–",
        "Budget": "8.000,50\xa0€",
    }
    assert p.measure("M11").attributes.package_progress == "Arbeitspakete: 0 von 2 implementiert"
    assert p.measure("M1").attributes.timeframe == "bis 30.06.2024"
    _assert_same_sentences(zwei_site)
    field = (zwei_site.site / "handlungsfelder" / "wo.html").read_text(encoding="utf-8")
    assert '<span class="tag tag-ueberfaellig">überfällig</span>' in field  # M10


def test_a_concept_without_attributes_shows_none_of_them(tmp_path: Path) -> None:
    plain = Concept(
        "Schlichtstadt",
        "Integrationskonzept",
        None,
        (FieldOfAction("BI", "Bildung"),),
        (),
        (Measure("M1", "Kurs", parent="BI", partners=(PARTNER,)),),
        levels=("Handlungsfeld", "Maßnahme"),
    )
    published = _publish(tmp_path, plain, {"M1": "implementiert"})
    text, _rows, headings = _document_text(published.run.report.docx)
    assert "Prioritäre Maßnahmen" not in text
    assert "Überfällige Maßnahmen" not in headings
    pages = " ".join(
        p.read_text(encoding="utf-8")
        for p in published.site.rglob("*.html")
        if p.name != "daten.html"  # the data dictionary describes every column
    )
    for word in ("prioritär", "überfällig", "Arbeitspakete", "Federführend", "data-prioritaer"):
        assert word not in pages
