"""The Kempten example (examples/kempten) encodes the public interim report of the city of
Kempten (Allgäu), "Kommunales Integrationskonzept – Zwischenbericht Dezember 2023".

These tests check the example against the seed's numbers and wording through the library's public
API (concept workbook → partner update files → snapshot), plus that build.py reproduces the
committed files.
"""

# ruff: noqa: E501  (German wording is copied verbatim from the report)
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kik_core as kik
from kik_core.ingest import read_update_file

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "kempten"
KONZEPT = EXAMPLE / "konzept.xlsx"
EINGANG = EXAMPLE / "eingang"
STICHTAG = dt.date(2023, 9, 30)

# implementiert / in Bearbeitung / wartend per field, as of 30.09.2023 (tables of the report)
EXPECTED_COUNTS = {
    "BS": (7, 13, 10),
    "AA": (13, 7, 7),
    "GP": (2, 13, 4),
    "BE": (9, 6, 3),
    "GT": (7, 14, 3),
    "IO": (7, 9, 10),
}

# Wording copied by hand from the seed (status tables / "Maßnahmen vor Ort"), de-hyphenated.
EXPECTED_TEXTS = {
    "BS-1.1": "Es werden im informellen Bildungsbereich Strukturen aufgebaut und die Angebote "
    "aufeinander abgestimmt.",
    "BS-2.3": "Die Ausleihmöglichkeiten von Literatur und Medien in unterschiedlichen Sprachen "
    "werden erweitert und bekannt gemacht.",
    "BS-3.2": "Die Zusammenarbeit zwischen einzelnen Kindertagesstätten, Schulen und angrenzenden "
    "Einrichtungen, z.B. Stadtteilbüros, religiöse Einrichtungen, Familienzentren werden auf- und "
    "ausgebaut.",
    "BS-4.2": "An Kindertagesstätten, Schulen und Hochschule werden Mentoring- und "
    "Unterstützungssysteme gefördert und durchgeführt.",
    "BS-4.3": "Externe Prüfungsvorbereitungen werden unterstützt.",
    "BS-5.3": "Personen aus dem ehrenamtlichen Dolmetscher-Pool Kempten (Allgäu) werden an den "
    "Übergängen gezielt eingesetzt.",
    "BS-6.4": "Es finden Angebote für Eltern zum Thema „Unterstützung der Kinder beim Lernen“ statt.",
    "BS-7.2": "Der Runde Tisch der Bildungsträger stimmt regelmäßig bedarfsorientierend die Angebote "
    "der formalen Sprachkurse ab.",
    "BS-8.6": "In oder in der Nähe von Kindertagesstätten und Schulen werden von Bildungsträgern "
    "Sprachkursangebote für Eltern etabliert.",
    "AA-1.1": "Es wird eine Perspektivberatung angeboten, um die persönlichen und beruflichen "
    "Möglichkeiten mit (Neu-) Zugewanderten zu erarbeiten und aufzuzeigen.",
    "AA-1.2": "Es wird eine Anerkennungsberatung angeboten, um die im Ausland erworbenen schulischen "
    "und beruflichen Qualifikationen in Deutschland nutzen zu können. Da die formale Anerkennung "
    "von Schulzeugnissen und Berufszertifikaten von unterschiedlichen Stellen in Bayern und dem "
    "Bundesgebiet durchgeführt werden, ist es wichtig, hier vor Ort Beratung zu den Prozessen "
    "anzubieten.",
    "AA-2.2": "Zugänge zur beruflichen Beratung werden auf Niederschwelligkeit geprüft. Ein besonderer "
    "Fokus liegt hier auf der Personengruppe, die nicht im Sozialleistungsbezug ist.",
    "AA-3.1": "Sprachförderangebote werden auf die speziellen Bedürfnisse von Auszubildenden "
    "zugeschnitten.",
    "AA-6.3": "Es wird über weitere Unterstützungsmöglichkeiten im Netzwerk gesprochen und die "
    "Realisierbarkeit eines offenen „Jobcafés“ ausgelotet.",
    "AA-7.3": "Die Unternehmen werden zu ihren Unterstützungsbedarfen bei interkulturellen "
    "Fragestellungen und Diversität im beruflichen Alltag befragt. Bei Bedarf werden entsprechende "
    "Angebote entwickelt.",
    "AA-8.4": "Informationen und Neuigkeiten werden systematisch im Netzwerk ausgetauscht.",
    "GP-1.2": "Die bestehenden Serviceangebote werden intensiv beworben, z.B. wird auf "
    "(mehrsprachige) Beratungshotlines verwiesen.",
    "GP-2.2": "Bereits bestehende Arbeitsgemeinschaften erarbeiten Handlungsempfehlungen und "
    "sensibilisieren das Netzwerk, z.B. das TAFF-Forum.",
    "GP-3.1": "Mehrsprachige Informationen werden über vielfältige Kanäle gestreut, z.B. über "
    "Multiplikator*innen, Social Media, in Wartebereichen von Praxen und Kliniken.",
    "GP-5.3": "Sport wird als Maßnahme der Gesundheitsprävention beworben und gefördert.",
    "GP-6.3": "Bei der Angebotsgestaltung für den Elterngutschein der Stadt Kempten (Allgäu) werden "
    "die Bedarfe von (Neu-) Zugewanderten berücksichtigt.",
    "BE-1.1": "Es werden Austauschrunden für Haupt- und Ehrenamtliche durchgeführt.",
    "BE-3.1": "Es wird Presse- und Öffentlichkeitsarbeit rund um das Thema „Integration und "
    "Ehrenamt“ durchgeführt und ehrenamtliches Engagement sichtbar gemacht.",
    "BE-4.2": "Förderung und Durchführung von Patenschaftsprojekten, da diese besonders geeignet "
    "sind, Menschen mit Migrationsgeschichte zu erreichen.",
    "BE-5.3": "Die Informationen zu den ehrenamtlichen Dolmetscher-Pools werden gebündelt, "
    "zugänglich gemacht und die Vermittlung wird niederschwellig gestaltet.",
    "GT-2.1": "Es werden Begegnungsstätten in allen Quartieren und im gesamten Stadtgebiet gefördert "
    "und die Arbeitskonzepte auf das Ziel 2 ausgerichtet.",
    "GT-4.2": "Der Kulturlieferdienst der Stadt Kempten (Allgäu) wird auf die Bedarfe der Menschen "
    "mit Migrationshintergrund erweitert.",
    "GT-6.2": "Die Rolle des Integrationsbeirates und seine „Sprachrohrfunktion“ sowie die einzelnen "
    "Mitglieder werden gestärkt.",
    "GT-7.3": "Die politische Bildung wird gefördert.",
    "GT-8.4": "Das Smart City Projekt beteiligt Bürger*innen mit Migrationsgeschichte an den "
    "Prozessen der Stadtentwicklung.",
    "IO-1.2": "Die Stadt Kempten setzt den Wandel der kommunalen Verwaltungskultur zu mehr Vielfalt "
    "entsprechend der Selbstverpflichtungserklärung der „Charta der Vielfalt“ um.",
    "IO-3.3": "In den Verwaltungen wird das Beschwerdemanagement („Lob und Kritik“) ausgebaut.",
    "IO-4.3": "Unternehmen werden motiviert, in Personalmanagement und -entwicklung interkulturelle "
    "Kompetenz, Mehrsprachigkeit und Migrationserfahrung unter den Mitarbeitenden als Bestandteil "
    "des Diversitätsmanagements zu fördern.",
    "IO-6.1": "Ein interkulturelles Begegnungs-, Bildungs-, Kultur- und Informationszentrum wird "
    "gefördert.",
    "IO-7.1": "Es werden Strategien und Handlungsansätze zur Bekämpfung von Diskriminierung und "
    "Rassismus entwickelt. Eine Anlaufstelle gegen Diskriminierung und Rassismus wird angestrebt.",
    "IO-8.2": "Es werden religionsübergreifender Austausch und Begegnungen gefördert.",
}

EXPECTED_GOALS = {
    "GP-3": "Es werden Informationen in einfacher Sprache und in Fremdsprachen zu Gesundheits- und "
    "Pflegethemen gebündelt zur Verfügung gestellt und vermittelt.",
    "IO-1": "Verwaltungen und Institutionen sind sich der Bedeutung des Themas Integration bewusst "
    "und richten ihre Arbeit daran aus.",
    "BE-5": "In der Stadt Kempten (Allgäu) gibt es organisierte Pools an ehrenamtlichen "
    "Dolmetscher*innen.",
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _partner_files() -> list[Path]:
    return sorted(p for p in EINGANG.iterdir() if p.suffix in {".xlsx", ".csv"})


@pytest.fixture(scope="module")
def concept() -> kik.Concept:
    return kik.load_concept(KONZEPT)


@pytest.fixture(scope="module")
def file_results(concept):
    return {
        path.name: read_update_file(path, concept, today=dt.date(2023, 10, 15))
        for path in _partner_files()
    }


@pytest.fixture(scope="module")
def reports(file_results):
    """Every accepted report, read through the library's ingest."""
    return [report for result in file_results.values() for report in result.accepted]


def test_concept_size(concept):
    assert len(concept.fields) == 6
    assert [f.code for f in concept.fields] == ["BS", "AA", "GP", "BE", "GT", "IO"]
    assert len(concept.goals) == 43
    assert len(concept.measures) == 144


def test_field_names_and_intros(concept):
    names = {f.code: f.name for f in concept.fields}
    assert names["BE"] == "Bürgerschaftliches Engagement"
    assert names["BS"] == "Bildung und Sprache"
    for field in concept.fields:
        assert field.intro, field.code
        assert len(field.intro) > 300, field.code


def test_groups(concept):
    groups = {m.id: m.group for m in concept.measures}
    assert groups["BS-1.1"] == groups["BS-2.4"] == "Informelle Bildung"
    assert groups["BS-3.1"] == groups["BS-4.6"] == "Vernetzung"
    assert not groups["BS-5.1"]


def test_measure_wording_matches_seed(concept):
    assert len(EXPECTED_TEXTS) >= 30
    assert {k.split("-")[0] for k in EXPECTED_TEXTS} == set(EXPECTED_COUNTS)
    texts = {m.id: m.text for m in concept.measures}
    for measure_id, expected in EXPECTED_TEXTS.items():
        assert _norm(texts[measure_id]) == _norm(expected), measure_id


def test_goal_wording_matches_seed(concept):
    texts = {g.id: g.text for g in concept.goals}
    for goal_id, expected in EXPECTED_GOALS.items():
        assert _norm(texts[goal_id]) == _norm(expected), goal_id


def test_every_measure_has_a_partner(concept):
    assert all(m.partners for m in concept.measures)


def test_partner_files_present():
    names = [p.name for p in _partner_files()]
    assert any(n.endswith(".csv") for n in names)
    # the report's own state only: nothing invented, no earlier (made-up) reporting date
    assert names
    assert all(n.startswith("2023-09-30_") for n in names), names


def test_csv_is_excel_style():
    for path in EINGANG.glob("*.csv"):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name
        header = raw.decode("utf-8-sig").splitlines()[0]
        assert header.startswith("Maßnahme;Status;Stand am;Institution"), path.name
        assert re.search(r";\d\d\.\d\d\.\d{4};", raw.decode("utf-8-sig")), path.name


def test_no_rejected_rows(file_results):
    for name, result in file_results.items():
        assert not result.rejected, (name, result.rejected)
        assert result.accepted, name


def test_counts_per_field(concept, reports):
    snapshot = kik.build_snapshot(concept, reports, as_of=STICHTAG)
    for code, (imp, bea, wart) in EXPECTED_COUNTS.items():
        counts = snapshot.by_field[code].counts
        got = (
            counts[kik.Status.IMPLEMENTIERT],
            counts[kik.Status.IN_BEARBEITUNG],
            counts[kik.Status.WARTEND],
        )
        assert got == (imp, bea, wart), code
        assert snapshot.by_field[code].total == imp + bea + wart


def test_percentages(concept, reports):
    snapshot = kik.build_snapshot(concept, reports, as_of=STICHTAG)
    gp = snapshot.by_field["GP"].percentages
    assert (
        gp[kik.Status.IMPLEMENTIERT],
        gp[kik.Status.IN_BEARBEITUNG],
        gp[kik.Status.WARTEND],
    ) == (
        11,
        68,
        21,
    )
    bs = snapshot.by_field["BS"].percentages
    assert (
        bs[kik.Status.IMPLEMENTIERT],
        bs[kik.Status.IN_BEARBEITUNG],
        bs[kik.Status.WARTEND],
    ) == (
        23,
        44,
        33,
    )


def test_every_partner_row_is_dated_on_the_stichtag(reports):
    """One reporting state, the seed's: no history to show trends or regressions from."""
    assert {r.as_of for r in reports} == {STICHTAG}


def test_example_says_nothing_is_invented():
    for path in EXAMPLE.rglob("*"):
        if path.is_file() and path.suffix in {".md", ".toml", ".yaml", ".py", ".csv"}:
            assert "illustrativ" not in path.read_text(encoding="utf-8-sig").casefold(), path
    assert not (EXAMPLE / "source" / "status_2022.yaml").exists()


def _cell_values(path: Path) -> list[list[tuple]]:
    if path.suffix == ".csv":
        return [
            [tuple(line.split(";")) for line in path.read_text(encoding="utf-8-sig").splitlines()]
        ]
    from openpyxl import load_workbook

    wb = load_workbook(path)
    try:
        return [[(ws.title,)] + [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb]
    finally:
        wb.close()


def test_build_reproduces_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, str(EXAMPLE / "source" / "build.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    committed = [KONZEPT, *_partner_files()]
    rebuilt = [tmp_path / "konzept.xlsx", *sorted((tmp_path / "eingang").iterdir())]
    assert [p.name for p in rebuilt] == [p.name for p in committed]
    for old, new in zip(committed, rebuilt, strict=True):
        assert _cell_values(new) == _cell_values(old), old.name
