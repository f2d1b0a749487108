"""kik.toml and the municipality folder: defaults, validation, clear German errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kik_core import SettingsError
from kik_core.settings import DEFAULT_CRON, DEFAULT_REMIND_DAYS, load_settings
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
        ('runde = 3\n[kommune]\nname = "X"\n', r"\[runde\] muss ein Abschnitt sein"),
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
        ('[kommune]\nname = "X"\n[runde]\nerinnern_tage = 0\n', "erinnern_tage muss"),
        ('[kommune]\nname = "X"\n[runde]\nerinnern_tage = "7"\n', "erinnern_tage muss"),
        ('[kommune]\nname = "X"\n[runde]\nerinnern_tage = 21\n', "von 1 bis 20"),
        (
            '[kommune]\nname = "X"\n[runde]\nfrist_wochen = 0\nerinnern_tage = 1\n',
            "braucht eine Frist",
        ),
        ('[kommune]\nname = "X"\n[bericht]\ndateiname = "{stichtag}_{x}.docx"\n', "Platzhalter"),
    ],
)
def test_invalid_settings_are_explained(tmp_path: Path, toml: str, message: str) -> None:
    folder = _write(tmp_path / "k", toml)
    with pytest.raises(SettingsError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_settings(folder)


def test_erinnern_tage_is_read_and_defaults_to_seven(tmp_path: Path) -> None:
    toml = '[kommune]\nname = "X"\n[runde]\nfrist_wochen = 2\nerinnern_tage = 13\n'
    assert load_settings(_write(tmp_path / "a", toml)).rounds.remind_days == 13
    plain = load_settings(_write(tmp_path / "b", '[kommune]\nname = "X"\n'))
    assert plain.rounds.remind_days == DEFAULT_REMIND_DAYS == 7
    # kik init writes the key with its default, and the file loads as it is
    init_folder(tmp_path / "c", "Y")
    assert "erinnern_tage = 7" in (tmp_path / "c" / "kik.toml").read_text(encoding="utf-8")
    assert load_settings(tmp_path / "c").rounds.remind_days == 7


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


# --- paths from kik.toml stay inside the municipality folder (issue 11, point 8) ---


def _settings_with(tmp_path: Path, table: str, line: str) -> Path:
    folder = tmp_path / "k"
    init_folder(folder)
    (folder / "texte" / "vorwort.md").write_text("# Vorwort", encoding="utf-8")
    (tmp_path / "draussen.md").write_text("# Fremd", encoding="utf-8")
    (tmp_path / "draussen.xlsx").write_bytes((folder / "konzept.xlsx").read_bytes())
    (folder / "kik.toml").write_text(
        f'[kommune]\nname = "X"\n[{table}]\n{line}\n', encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize(
    ("table", "line", "key"),
    [
        ("konzept", 'datei = "../draussen.xlsx"', "[konzept] datei"),
        ("konzept", 'datei = "{outside}/draussen.xlsx"', "[konzept] datei"),
        ("bericht", 'vorwort = "../draussen.md"', "[bericht] vorwort"),
        ("bericht", 'vorwort = "texte/../../draussen.md"', "[bericht] vorwort"),
        ("bericht", 'vorwort = "{outside}/draussen.md"', "[bericht] vorwort"),
        (
            "bericht",
            'abschnitte_vorne = ["texte/vorwort.md", "../draussen.md"]',
            "[bericht] abschnitte_vorne",
        ),
        ("bericht", 'abschnitte_hinten = ["../draussen.md"]', "[bericht] abschnitte_hinten"),
        ("bericht", 'vorlage = "../draussen.md"', "[bericht] vorlage"),
        ("speicher", 'url = "sqlite:///../kik.sqlite"', "[speicher] url"),
        ("speicher", 'url = "sqlite:///daten/../../kik.sqlite"', "[speicher] url"),
    ],
)
def test_paths_outside_the_folder_are_refused(
    tmp_path: Path, table: str, line: str, key: str
) -> None:
    folder = _settings_with(tmp_path, table, line.replace("{outside}", str(tmp_path)))
    with pytest.raises(SettingsError) as info:
        load_settings(folder)
    message = str(info.value)
    assert key in message
    assert "aus dem Ordner der Kommune hinaus" in message
    assert "relativ zu diesem Ordner" in message


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = _settings_with(tmp_path, "bericht", 'vorwort = "texte/link.md"')
    (folder / "texte" / "link.md").symlink_to(tmp_path / "draussen.md")
    with pytest.raises(SettingsError, match=r"\[bericht\] vorwort.*hinaus"):
        load_settings(folder)


def test_a_symlinked_store_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = _settings_with(tmp_path, "speicher", 'url = "sqlite:///daten/kik.sqlite"')
    (folder / "daten").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(SettingsError, match=r"\[speicher\] url.*hinaus"):
        load_settings(folder)


def test_an_absolute_store_path_outside_the_folder_is_the_operators_choice(
    tmp_path: Path,
) -> None:
    """A shared store or one on another disk: an absolute SQLite path may point anywhere."""
    outside = tmp_path / "gemeinsam" / "kik.sqlite"
    folder = _settings_with(tmp_path, "speicher", f'url = "sqlite:///{outside}?timeout=5"')
    assert load_settings(folder).store_url == f"sqlite:///{outside.resolve()}?timeout=5"


def test_paths_inside_the_folder_are_fine(tmp_path: Path) -> None:
    folder = _settings_with(tmp_path, "bericht", 'vorwort = "texte/../texte/vorwort.md"')
    (folder / "daten").mkdir()
    settings = load_settings(folder)
    assert settings.report.foreword == folder.resolve() / "texte" / "vorwort.md"
    absolute = folder.resolve() / "texte" / "vorwort.md"
    (folder / "kik.toml").write_text(
        f'[kommune]\nname = "X"\n[bericht]\nvorwort = "{absolute}"\n'
        '[speicher]\nurl = "sqlite:///daten/kik.sqlite?timeout=5"\n',
        encoding="utf-8",
    )
    settings = load_settings(folder)
    assert settings.report.foreword == absolute
    assert settings.store_url == f"sqlite:///{folder.resolve() / 'daten' / 'kik.sqlite'}?timeout=5"


@pytest.mark.parametrize(
    "name",
    [
        "../../../Z_{stichtag}.docx",
        "unter/Z_{stichtag}.docx",
        "a\\\\Z_{stichtag}.docx",
        ".{stichtag}.docx",
    ],
)
def test_report_file_name_is_a_plain_name(tmp_path: Path, name: str) -> None:
    folder = _settings_with(tmp_path, "bericht", f'dateiname = "{name}"')
    with pytest.raises(SettingsError, match=r"\[bericht\] dateiname .*kein einfacher Dateiname"):
        load_settings(folder)


def test_report_file_name_allows_no_other_placeholders(tmp_path: Path) -> None:
    folder = _settings_with(tmp_path, "bericht", 'dateiname = "Z_{stichtag}_{jahr}.docx"')
    with pytest.raises(SettingsError, match="geschweiften Klammern"):
        load_settings(folder)


def test_report_path_never_leaves_the_reports_folder(tmp_path: Path) -> None:
    import attrs

    settings = load_settings(init_folder(tmp_path / "k"))
    evil = attrs.evolve(
        settings, report=attrs.evolve(settings.report, filename="../../Z_{stichtag}.docx")
    )
    with pytest.raises(SettingsError, match="berichte/"):
        evil.report_path(dt.date(2023, 9, 30))


# --- schedule: cron with cronsim, time zone with zoneinfo (issue 14, point 5) ---


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 6 1 13 *", "das Feld „Monat“ (13)"),
        ("61 6 1 1 *", "das Feld „Minute“ (61)"),
        ("0 25 1 1 *", "das Feld „Stunde“ (25)"),
        ("0 6 32 1 *", "das Feld „Tag“ (32)"),
        ("0 6 * * Sonntag", "das Feld „Wochentag“ (Sonntag)"),
        ("0 6 31 2 *", "Tag und Monat passen nicht zusammen"),
        ("@daily", "fünf Felder"),
        ("0 6 1 1 * *", "fünf Felder"),
    ],
)
def test_bad_cron_is_explained_in_german(tmp_path: Path, cron: str, message: str) -> None:
    folder = _settings_with(tmp_path, "zeitplan", f'cron = "{cron}"')
    with pytest.raises(SettingsError) as info:
        load_settings(folder)
    assert message in str(info.value)
    assert "[zeitplan] cron" in str(info.value)
    assert "Bad " not in str(info.value)


@pytest.mark.parametrize("zone", ["Europe/Berln", "MEZ", "../etc/passwd", ""])
def test_unknown_time_zone_is_explained_in_german(tmp_path: Path, zone: str) -> None:
    folder = _settings_with(tmp_path, "zeitplan", f'zeitzone = "{zone}"')
    with pytest.raises(SettingsError, match=r"\[zeitplan\] zeitzone .* keine bekannte Zeitzone"):
        load_settings(folder)


def test_good_schedule_is_kept(tmp_path: Path) -> None:
    folder = _settings_with(
        tmp_path, "zeitplan", 'cron = "30 7 15 3,6,9,12 mon-fri"\nzeitzone = "Europe/Vienna"'
    )
    settings = load_settings(folder)
    assert (settings.cron, settings.timezone) == ("30 7 15 3,6,9,12 mon-fri", "Europe/Vienna")


def test_email_settings_are_read(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "k",
        '[kommune]\nname = "X"\n[email]\nhost = "smtp.x.example"\nport = 2525\nstarttls = false\n'
        'absender = "büro@x.example"\nbenutzer = "buero"\npasswort_variable = "KIK_PW"\n',
    )
    email = load_settings(folder).email
    assert email is not None
    assert (email.host, email.port, email.starttls) == ("smtp.x.example", 2525, False)
    assert (email.sender, email.login, email.password_variable) == (
        "büro@x.example",
        "buero",
        "KIK_PW",
    )


def test_email_is_optional_and_has_defaults(tmp_path: Path) -> None:
    assert load_settings(_write(tmp_path / "a", '[kommune]\nname = "X"\n')).email is None
    folder = _write(
        tmp_path / "b", '[kommune]\nname = "X"\n[email]\nhost = "h"\nabsender = "a@x.example"\n'
    )
    email = load_settings(folder).email
    assert email is not None
    assert (email.port, email.starttls, email.login, email.password_variable) == (
        587,
        True,
        "a@x.example",
        "",
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('host = "h"\nabsender = "a@x.example"\npasswort = "geheim"\n', "gehört nie in kik.toml"),
        ('absender = "a@x.example"\n', "host fehlt"),
        ('host = "h"\nabsender = "a@x.example"\nport = "587"\n', "port muss eine Zahl"),
        ('host = "h"\nabsender = "a@x.example"\nstarttls = "ja"\n', "starttls muss"),
        ('host = "h"\nabsender = "a@x.example"\nbenutzer = "u"\n', "passwort_variable fehlt"),
    ],
)
def test_invalid_email_settings_are_explained(tmp_path: Path, table: str, message: str) -> None:
    folder = _write(tmp_path / "k", f'[kommune]\nname = "X"\n[email]\n{table}')
    with pytest.raises(SettingsError, match=message):
        load_settings(folder)


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


# --- [zeitplan] prefect_home and benachrichtigung (kik serve, issue 18) --------------


def test_operations_settings(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "k",
        '[kommune]\nname = "X"\n[zeitplan]\nprefect_home = "/var/lib/kik/prefect"\n'
        'benachrichtigung = ["amt@stadt.example", "it@stadt.example"]\n',
    )
    settings = load_settings(folder)
    assert settings.prefect_home == Path("/var/lib/kik/prefect")
    assert settings.notify == ("amt@stadt.example", "it@stadt.example")


def test_operations_settings_default_to_none(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path / "k", '[kommune]\nname = "X"\n'))
    assert settings.prefect_home is None
    assert settings.notify == ()


def test_notification_addresses_must_be_addresses(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "k", '[kommune]\nname = "X"\n[zeitplan]\nbenachrichtigung = ["Amt"]\n'
    )
    with pytest.raises(SettingsError, match="E-Mail-Adressen"):
        load_settings(folder)


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
