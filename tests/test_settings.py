"""kik.toml and the municipality folder: defaults, validation, clear German errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kik_core import SettingsError
from kik_core.settings import DEFAULT_CRON, load_settings
from kik_core.workflow import FOLDERS, init_folder


def test_init_creates_a_working_folder(tmp_path: Path) -> None:
    folder = init_folder(tmp_path / "musterstadt")
    for name in FOLDERS:
        assert (folder / name).is_dir()
    settings = load_settings(folder)
    assert settings.municipality == "Musterstadt"
    assert settings.concept_file == folder / "konzept.xlsx"
    assert settings.store_url == f"sqlite:///{folder / 'kik.sqlite'}"
    assert settings.cron == DEFAULT_CRON
    assert settings.timezone == "Europe/Berlin"
    assert settings.max_bytes == 20 * 1024 * 1024
    assert settings.report_path(dt.date(2023, 9, 30)) == (
        folder / "berichte" / "Zwischenbericht_2023-09-30.docx"
    )


def test_init_never_overwrites(tmp_path: Path) -> None:
    folder = init_folder(tmp_path / "a", "Kempten (Allgäu)")
    (folder / "konzept.xlsx").write_bytes(b"mine")
    init_folder(folder, "Anders")
    assert (folder / "konzept.xlsx").read_bytes() == b"mine"
    assert 'name = "Kempten (Allgäu)"' in (folder / "kik.toml").read_text(encoding="utf-8")


def _write(folder: Path, text: str) -> Path:
    init_folder(folder)
    (folder / "kik.toml").write_text(text, encoding="utf-8")
    return folder


def test_missing_settings_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="kik init"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[kommune]\nname = "X"\n[bericht]\nstichtag = "30.09.2023"\n', "JJJJ-MM-TT"),
        ('[kommune]\nname = "X"\n[bericht]\ntitle = "x"\n', "unbekannte Einstellung"),
        ('[kommune]\nname = "X"\n[berich]\n', "unbekannte Tabelle"),
        ('[kommune]\nname = ""\n', "name fehlt"),
        ('[kommune]\nname = "X"\n[konzept]\ndatei = "fehlt.xlsx"\n', "nicht gefunden"),
        ('[kommune]\nname = "X"\n[zeitplan]\ncron = "0 6 1"\n', "fünf Felder"),
        ('[kommune]\nname = "X"\n[eingang]\nmax_mb = -1\n', "positive ganze Zahl"),
        ('[kommune]\nname = "X"\n[bericht]\ndateiname = "bericht.docx"\n', "{stichtag}"),
        (
            '[kommune]\nname = "X"\n[bericht]\nstichtag = 2022-09-30\nvergleich = 2023-09-30\n',
            "vor dem stichtag",
        ),
        ('[kommune\nname = "X"\n', "ungültiges TOML"),
        ('[kommune]\nname = "X"\n[bericht]\nvorwort = "texte/fehlt.md"\n', "vorwort"),
        ('[kommune]\nname = "X"\nschluessel = "Groß Stadt"\n', "kein gültiger Schlüssel"),
        ('[kommune]\nname = "X"\nschluessel = ""\n', "kein gültiger Schlüssel"),
        ('[kommune]\nname = "!!!"\n', "kein Schlüssel"),
        ('[kommune]\nname = "X"\n[runde]\nrhythmus = "monatlich"\n', "Berichtsrhythmus"),
        ('[kommune]\nname = "X"\n[runde]\nfrist_wochen = -1\n', "frist_wochen"),
        ('[kommune]\nname = "X"\n[bericht]\ndateiname = "{stichtag}_{x}.docx"\n', "Platzhalter"),
    ],
)
def test_invalid_settings_are_explained(tmp_path: Path, toml: str, message: str) -> None:
    folder = _write(tmp_path / "k", toml)
    with pytest.raises(SettingsError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_settings(folder)


def test_report_settings_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    init_folder(folder)
    (folder / "texte" / "vorwort.md").write_text("# Vorwort\n\nHallo", encoding="utf-8")
    _write(
        folder,
        '[kommune]\nname = "Kempten (Allgäu)"\n[speicher]\nurl = "postgresql+psycopg://u@h/db"\n'
        '[bericht]\nstichtag = 2023-09-30\nvergleich = 2022-09-30\nvorwort = "texte/vorwort.md"\n'
        "veroeffentlicht_am = 2023-12-01\n"
        'abschnitte_vorne = ["texte/vorwort.md"]\npdf = true\n',
    )
    settings = load_settings(folder)
    assert settings.store_url == "postgresql+psycopg://u@h/db"
    assert settings.report.as_of == dt.date(2023, 9, 30)
    assert settings.report.previous == dt.date(2022, 9, 30)
    assert settings.report.foreword == (folder / "texte" / "vorwort.md").resolve()
    assert settings.report.sections_front == ((folder / "texte" / "vorwort.md").resolve(),)
    assert settings.report.pdf is True
    assert settings.report.published_on == dt.date(2023, 12, 1)


@pytest.mark.parametrize(
    ("kommune", "key"),
    [
        ('name = "Kempten (Allgäu)"', "kempten-allgaeu"),
        ('name = "Groß-Gerau"\n[eingang]\nmax_zeilen = 5', "gross-gerau"),
        ('name = "Kempten (Allgäu)"\nschluessel = "kempten"', "kempten"),
    ],
)
def test_municipality_key(tmp_path: Path, kommune: str, key: str) -> None:
    folder = _write(tmp_path / "k", f"[kommune]\n{kommune}\n")
    assert load_settings(folder).municipality_key == key


def test_init_writes_the_key_and_the_round_settings(tmp_path: Path) -> None:
    folder = init_folder(tmp_path / "x", "Kempten (Allgäu)")
    text = (folder / "kik.toml").read_text(encoding="utf-8")
    assert 'schluessel = "kempten-allgaeu"' in text
    settings = load_settings(folder)
    assert settings.municipality_key == "kempten-allgaeu"
    assert settings.rounds.deadline_weeks == 3
    assert settings.report_path(dt.date(2024, 9, 30), "herausgegeben").name == (
        "Zwischenbericht_2024-09-30_herausgegeben.docx"
    )


# --- [web] (the web edition) ----------------------------------------------------------------


def test_web_settings_defaults_and_values(tmp_path: Path) -> None:
    folder = _write(tmp_path / "k", '[kommune]\nname = "X"\n')
    web = load_settings(folder).web
    assert (web.licence, web.attribution, web.target, web.easy_language) == ("", "", None, None)
    (folder / "texte" / "leichte-sprache.md").write_text("# Hallo\n", encoding="utf-8")
    assert load_settings(folder).web.easy_language == folder.resolve() / "texte/leichte-sprache.md"
    _write(
        folder,
        '[kommune]\nname = "X"\n[web]\nlizenz = "dl-de/zero-2-0"\nnamensnennung = "Stadt X"\n'
        'ziel = "site"\n',
    )
    web = load_settings(folder).web
    assert web.licence == "dl-de/zero-2-0"
    assert web.attribution == "Stadt X"
    assert web.target == folder.resolve() / "site"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[kommune]\nname = "X"\n[web]\nlizenz = "MIT"\n', "dl-de/by-2-0"),
        ('[kommune]\nname = "X"\n[web]\nlicense = "CC0-1.0"\n', "unbekannte Einstellung"),
        ('[kommune]\nname = "X"\n[web]\nleichte_sprache = "texte/fehlt.md"\n', "nicht gefunden"),
    ],
)
def test_invalid_web_settings_are_explained(tmp_path: Path, toml: str, message: str) -> None:
    folder = _write(tmp_path / "k", toml)
    with pytest.raises(SettingsError, match=message):
        load_settings(folder)
