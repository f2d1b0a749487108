"""The municipality folder and its settings file ``kik.toml``.

A municipality's folder is the unit of work::

    DIR/
      kik.toml        settings (this module)
      konzept.xlsx    the concept workbook
      texte/          Markdown texts for the report (foreword, introduction, ...)
      eingang/        inbox: partners' update files land here
      ausgang/        outbox: error workbooks and partner templates
      berichte/       the generated reports
      archiv/         processed update files, by date of ingest
      quarantaene/    files that could not be read, each with a reason file
      kik.sqlite      the status store (embedded default)

``kik.toml`` uses German keys, since the integration office edits it::

    [kommune]
    name = "Musterstadt"
    schluessel = "musterstadt"        # the key of its rows in a shared database

    [runde]
    rhythmus = "quartal"              # quartal, halbjahr or jahr
    frist_wochen = 3                  # partners' deadline: Stichtag + 3 weeks
    erinnern_tage = 7                 # reminders: 7 days before the partners' deadline

    [konzept]
    datei = "konzept.xlsx"            # the edition in force now

    [[konzept.fortschreibung]]        # optional, one per earlier edition (Fortschreibung)
    vorgaenger = "konzept_2021.xlsx"  # the edition before
    zuordnung = "zuordnung_2024.xlsx" # mapping sheet: what became of each old measure
    gilt_ab = 2024-06-01              # the new edition counts from this date on

    [speicher]
    url = "sqlite:///kik.sqlite"      # relative paths are relative to DIR

    [bericht]
    titel = "Kommunales Integrationskonzept – Zwischenbericht"
    stichtag = 2023-09-30             # optional: default is today
    vergleich = 2022-09-30            # optional: default is the previous reporting date
    veroeffentlicht_am = 2023-12-01   # optional: the date on the title page (default: today)
    vorwort = "texte/vorwort.md"

    [zeitplan]
    cron = "0 6 1 1,4,7,10 *"
    zeitzone = "Europe/Berlin"

    [eingang]
    max_mb = 20
    max_zeilen = 10000

    [email]                           # optional: send reminders (kik erinnern --senden)
    host = "smtp.stadt.example"
    port = 587                        # default 587
    starttls = true                   # default true
    absender = "integration@stadt.example"
    benutzer = "integration"          # optional: default the absender
    passwort_variable = "KIK_SMTP_PASSWORT"  # the password comes from this environment variable
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from cronsim import CronSim, CronSimError

from kik_core._licences import LICENCES
from kik_core._names import slug
from kik_core.concept_workbook import parse_date
from kik_core.errors import RoundError, SettingsError
from kik_core.rounds import DEFAULT_DEADLINE_WEEKS, Cadence

__all__ = [
    "DEFAULT_CRON",
    "DEFAULT_REMIND_DAYS",
    "DEFAULT_TIMEZONE",
    "SETTINGS_FILE",
    "EditionSettings",
    "EmailSettings",
    "ReportSettings",
    "RoundSettings",
    "Settings",
    "WebSettings",
    "load_settings",
    "settings_template",
]

SETTINGS_FILE = "kik.toml"
DEFAULT_CRON = "0 6 1 1,4,7,10 *"
DEFAULT_TIMEZONE = "Europe/Berlin"
DEFAULT_TITLE = "Kommunales Integrationskonzept – Zwischenbericht"
#: ``[runde] erinnern_tage``: days before the partners' deadline when the reminders go out.
DEFAULT_REMIND_DAYS = 7
#: The longest ``[kommune] schluessel`` (the store's municipality column).
MUNICIPALITY_KEY_LENGTH = 100

_KNOWN: dict[str, set[str]] = {
    "kommune": {"name", "schluessel"},
    "runde": {"rhythmus", "frist_wochen", "erinnern_tage"},
    "konzept": {"datei", "fortschreibung"},
    "speicher": {"url"},
    "bericht": {
        "titel",
        "untertitel",
        "stichtag",
        "vergleich",
        "veroeffentlicht_am",
        "zeitraum",
        "herausgeber",
        "vorwort",
        "vorwort_autor",
        "abschnitte_vorne",
        "abschnitte_hinten",
        "dank",
        "vorlage",
        "dateiname",
        "pdf",
    },
    "zeitplan": {"cron", "zeitzone"},
    "eingang": {"max_mb", "max_zeilen"},
    "email": {"host", "port", "starttls", "absender", "benutzer", "passwort_variable"},
    "web": {"lizenz", "namensnennung", "ziel", "leichte_sprache"},
}
# Operations (kik serve, Prefect): where Prefect keeps its own data, and who is mailed
# when a scheduled run fails or has rejected rows (see _operations below).
_KNOWN["zeitplan"] |= {"prefect_home", "benachrichtigung"}


@attrs.frozen
class ReportSettings:
    """The ``[bericht]`` table: what the report says besides the data."""

    title: str = DEFAULT_TITLE
    subtitle: str = ""
    as_of: dt.date | None = None
    previous: dt.date | None = None
    published_on: dt.date | None = None
    period_label: str = ""
    publisher: str = ""
    foreword: Path | None = None
    foreword_author: str = ""
    sections_front: tuple[Path, ...] = ()
    sections_back: tuple[Path, ...] = ()
    thanks: str = ""
    template: Path | None = None
    filename: str = "Zwischenbericht_{stichtag}.docx"
    pdf: bool = False


@attrs.frozen
class EmailSettings:
    """The optional ``[email]`` table: the SMTP server reminders are sent through.

    The password is never kept in ``kik.toml``: ``password_variable`` names the
    environment variable that holds it (read only when sending).
    """

    host: str
    sender: str
    port: int = 587
    starttls: bool = True
    user: str = ""
    password_variable: str = ""

    @property
    def login(self) -> str:
        """The user name to log in with (default: the sender address)."""
        return self.user or self.sender


@attrs.frozen
class RoundSettings:
    """The ``[runde]`` table: how often the municipality reports, the partners' deadline.

    ``remind_days`` (``erinnern_tage``): how many days before the deadline the
    scheduled reminder run goes out.
    """

    cadence: Cadence = Cadence.QUARTAL
    deadline_weeks: int = DEFAULT_DEADLINE_WEEKS
    remind_days: int = DEFAULT_REMIND_DAYS


def municipality_key(name: str) -> str:
    """The default ``[kommune] schluessel``: a lower-case ASCII slug of the name.

    >>> municipality_key("Kempten (Allgäu)")
    'kempten-allgaeu'
    """
    return slug(name, lower=True, max_length=MUNICIPALITY_KEY_LENGTH)


@attrs.frozen
class Settings:
    """A municipality folder and its validated ``kik.toml``."""

    folder: Path
    municipality: str
    concept_file: Path
    store_url: str
    report: ReportSettings
    cron: str = DEFAULT_CRON
    timezone: str = DEFAULT_TIMEZONE
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 10_000
    email: EmailSettings | None = None
    key: str = ""
    rounds: RoundSettings = RoundSettings()
    #: ``[zeitplan] prefect_home``: Prefect's data directory for ``kik serve`` (``None``:
    #: ``PREFECT_HOME`` or the per-user data directory, never this folder).
    prefect_home: Path | None = None
    #: ``[zeitplan] benachrichtigung``: addresses mailed about failed runs and rejections.
    notify: tuple[str, ...] = ()
    web: WebSettings = attrs.field(factory=lambda: WebSettings())  # noqa: PLW0108 - defined below
    #: ``[[konzept.fortschreibung]]``: the earlier editions of the concept, oldest first.
    editions: tuple[EditionSettings, ...] = ()

    @property
    def municipality_key(self) -> str:
        """The key of this municipality's rows in the store (``[kommune] schluessel``)."""
        return self.key or municipality_key(self.municipality)

    @property
    def inbox(self) -> Path:
        """Where partners' files land (``eingang/``)."""
        return self.folder / "eingang"

    @property
    def outbox(self) -> Path:
        """Error workbooks and templates for partners (``ausgang/``)."""
        return self.folder / "ausgang"

    @property
    def reports_dir(self) -> Path:
        """Generated reports (``berichte/``)."""
        return self.folder / "berichte"

    @property
    def archive(self) -> Path:
        """Processed update files (``archiv/``)."""
        return self.folder / "archiv"

    @property
    def quarantine(self) -> Path:
        """Unreadable files with their reason (``quarantaene/``)."""
        return self.folder / "quarantaene"

    def report_path(self, as_of: dt.date, version: str | None = None) -> Path:
        """The report file for a Stichtag and a version (``Entwurf_2``, ``herausgegeben``).

        ``[bericht] dateiname`` may place the version with ``{fassung}``; otherwise
        it is appended to the name before ``.docx``:
        ``Zwischenbericht_{stichtag}.docx`` → ``Zwischenbericht_2024-09-30_Entwurf_2.docx``.
        The file always lies directly in ``berichte/``.

        Raises:
            SettingsError: the file name would leave ``berichte/`` (``load_settings``
                refuses such names; this guards settings built in code).
        """
        template = self.report.filename
        if version and "{fassung}" not in template:
            template = f"{template.removesuffix('.docx')}_{{fassung}}.docx"
        name = template.format(stichtag=as_of.isoformat(), fassung=version or "")
        return self._in_reports_dir(name)

    def _in_reports_dir(self, name: str) -> Path:
        """``berichte/NAME``, refusing a name that would lead anywhere else."""
        target = self.reports_dir / name
        if Path(name).name != name or name in {"", ".", ".."} or target.parent != self.reports_dir:
            raise SettingsError(
                f"[bericht] dateiname = „{self.report.filename}“ ist kein einfacher "
                'Dateiname im Ordner berichte/, z. B. "Zwischenbericht_{stichtag}.docx"'
            )
        return target


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise SettingsError(
            f"{path}: [{key}] muss ein Abschnitt sein: eine eigene Zeile [{key}] und darunter "
            f"seine Einstellungen (nicht {key} = …)"
        )
    unknown = set(value) - _KNOWN[key]
    if unknown:
        raise SettingsError(
            f"{path}: unbekannte Einstellung(en) in [{key}]: {', '.join(sorted(unknown))} "
            f"(erlaubt: {', '.join(sorted(_KNOWN[key]))})"
        )
    return value


def _str(table: dict[str, Any], key: str, section: str, path: Path, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise SettingsError(f"{path}: [{section}] {key} muss ein Text in Anführungszeichen sein")
    return value.strip()


def _date(table: dict[str, Any], key: str, path: Path) -> dt.date | None:
    value = table.get(key)
    if not isinstance(value, str):  # TOML dates arrive as date objects
        with contextlib.suppress(ValueError):
            return parse_date(value)
    raise SettingsError(
        f"{path}: [bericht] {key} = {value!r} ist kein Datum; schreiben Sie es als "
        f"JJJJ-MM-TT ohne Anführungszeichen, z. B. {key} = 2023-09-30"
    )


def _inside(folder: Path, value: str, key: str, path: Path, example: str) -> Path:
    """Resolve a path from kik.toml and make sure it stays inside the municipality folder.

    Symbolic links are followed, so a link pointing out of the folder is refused too.
    """
    if "\x00" in value:
        raise SettingsError(f"{path}: {key} = „{value}“ enthält ein ungültiges Zeichen")
    candidate = Path(value)
    resolved = (candidate if candidate.is_absolute() else folder / candidate).resolve()
    if not resolved.is_relative_to(folder):
        raise SettingsError(
            f"{path}: {key} = „{value}“ zeigt aus dem Ordner der Kommune hinaus "
            f"(nach {resolved}). kik liest und schreibt nur innerhalb von {folder}: "
            f"schreiben Sie einen Pfad relativ zu diesem Ordner, ohne „..“, z. B. {example}"
        )
    return resolved


def _file(folder: Path, value: str, key: str, path: Path, example: str) -> Path:
    resolved = _inside(folder, value, key, path, example)
    if not resolved.is_file():
        raise SettingsError(f"{path}: {key}: „{value}“ nicht gefunden (gesucht: {resolved})")
    return resolved


def _files(folder: Path, table: dict[str, Any], key: str, path: Path) -> tuple[Path, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f'{path}: [bericht] {key} muss eine Liste sein, z. B. ["texte/a.md"]')
    example = f'{key} = ["texte/kapitel.md"]'
    return tuple(_file(folder, v, f"[bericht] {key}", path, example) for v in value)


def _store_url(folder: Path, url: str, path: Path) -> str:
    """Make an SQLite URL absolute; pass other URLs through.

    A relative SQLite path (the default ``sqlite:///kik.sqlite``) must stay inside the
    municipality folder, like every other path in kik.toml (no ``..``, no symbolic link
    out of it). An absolute path (``sqlite:////srv/kik/gemeinsam.sqlite``) is the
    operator's deliberate choice, e.g. one store shared by several municipalities or a
    file on another disk, and is allowed wherever it points.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    database, sep, query = url[len(prefix) :].partition("?")
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    key = "[speicher] url"
    if "\x00" in database:
        raise SettingsError(f"{path}: {key} = „{database}“ enthält ein ungültiges Zeichen")
    if Path(database).is_absolute():
        return prefix + str(Path(database).resolve()) + sep + query
    resolved = _inside(folder, database, key, path, 'url = "sqlite:///kik.sqlite"')
    return prefix + str(resolved) + sep + query


def _report_filename(value: str, path: Path) -> str:
    """Check ``[bericht] dateiname``: a plain file name with ``{stichtag}``, ending in .docx."""
    example = 'dateiname = "Zwischenbericht_{stichtag}.docx"'
    if "{stichtag}" not in value or not value.endswith(".docx"):
        raise SettingsError(
            f"{path}: [bericht] dateiname muss {{stichtag}} enthalten und auf .docx enden, "
            f"z. B. {example}"
        )
    try:  # {fassung}: the report's version, filled in by report rounds
        name = value.format(stichtag="2023-09-30", fassung="Entwurf_1")
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise SettingsError(
            f"{path}: [bericht] dateiname = „{value}“: außer den Platzhaltern {{stichtag}} "
            f"und {{fassung}} sind keine geschweiften Klammern erlaubt, z. B. {example}"
        ) from exc
    if "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise SettingsError(
            f"{path}: [bericht] dateiname = „{value}“ ist kein einfacher Dateiname: "
            "der Bericht liegt immer im Ordner berichte/, deshalb sind „/“, „\\“ und ein "
            f"Punkt am Anfang nicht erlaubt. Schreiben Sie z. B. {example}"
        )
    return value


#: The German names of the five cron fields, in order.
_CRON_FIELDS = ("Minute", "Stunde", "Tag", "Monat", "Wochentag")


def _cron(value: str, path: Path) -> str:
    """Check ``[zeitplan] cron`` with cronsim (as strict as Prefect's scheduler)."""
    fields = value.split()
    example = f'cron = "{DEFAULT_CRON}" (06:00 Uhr am 1. Januar, April, Juli und Oktober)'
    if len(fields) != len(_CRON_FIELDS):
        raise SettingsError(
            f'{path}: [zeitplan] cron = "{value}" braucht fünf Felder '
            f"({' '.join(_CRON_FIELDS)}), z. B. {example}"
        )
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    try:
        CronSim(value, start)
    except CronSimError:
        pass
    else:
        return value
    for index, name in enumerate(_CRON_FIELDS):
        alone = ["*"] * len(_CRON_FIELDS)
        alone[index] = fields[index]
        try:
            CronSim(" ".join(alone), start)
        except CronSimError:
            raise SettingsError(
                f'{path}: [zeitplan] cron = "{value}": das Feld „{name}“ ({fields[index]}) '
                f"ist ungültig. Die fünf Felder sind {' '.join(_CRON_FIELDS)}, z. B. {example}"
            ) from None
    raise SettingsError(
        f'{path}: [zeitplan] cron = "{value}": Tag und Monat passen nicht zusammen '
        f"(diesen Tag gibt es in keinem der Monate), z. B. {example}"
    )


def _timezone(value: str, path: Path) -> str:
    """Check ``[zeitplan] zeitzone`` against the IANA time-zone database (zoneinfo)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f'{path}: [zeitplan] zeitzone = "{value}" ist keine bekannte Zeitzone; '
            f"schreiben Sie sie wie in der IANA-Zeitzonendatenbank, z. B. zeitzone = "
            f'"{DEFAULT_TIMEZONE}"'
        ) from None
    return value


def _email(table: dict[str, Any], path: Path) -> EmailSettings | None:
    if not table:
        return None
    host = _str(table, "host", "email", path)
    sender = _str(table, "absender", "email", path)
    for key, value in (("host", host), ("absender", sender)):
        if not value:
            raise SettingsError(
                f'{path}: [email] {key} fehlt, z. B. host = "smtp.stadt.example" und '
                'absender = "integration@stadt.example"'
            )
    port = table.get("port", 587)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise SettingsError(f"{path}: [email] port muss eine Zahl zwischen 1 und 65535 sein")
    starttls = table.get("starttls", True)
    if not isinstance(starttls, bool):
        raise SettingsError(f"{path}: [email] starttls muss true oder false sein")
    user = _str(table, "benutzer", "email", path)
    variable = _str(table, "passwort_variable", "email", path)
    if user and not variable:
        raise SettingsError(
            f"{path}: [email] benutzer ist gesetzt, aber passwort_variable fehlt. Das Passwort "
            "steht nie in kik.toml: nennen Sie die Umgebungsvariable, die es enthält, z. B. "
            'passwort_variable = "KIK_SMTP_PASSWORT"'
        )
    return EmailSettings(host, sender, port, starttls, user, variable)


def _operations(folder: Path, zeitplan: dict[str, Any], path: Path) -> dict[str, Any]:
    """``prefect_home`` and ``notify`` from ``[zeitplan]`` (used by ``kik serve``)."""
    home = _str(zeitplan, "prefect_home", "zeitplan", path)
    notify = zeitplan.get("benachrichtigung", [])
    if isinstance(notify, str):
        notify = [notify]
    if not isinstance(notify, list) or not all(isinstance(a, str) and "@" in a for a in notify):
        raise SettingsError(
            f"{path}: [zeitplan] benachrichtigung muss eine Liste von E-Mail-Adressen sein, "
            'z. B. benachrichtigung = ["integration@stadt.example"]'
        )
    return {
        "prefect_home": (folder / Path(home).expanduser()).resolve() if home else None,
        "notify": tuple(a.strip() for a in notify),
    }


def load_settings(folder: Path | str) -> Settings:
    """Load and validate ``DIR/kik.toml``.

    Raises:
        SettingsError: the folder or file is missing, the TOML is malformed, a key is
            unknown, a value has the wrong type or a referenced file does not exist.
            The message names the file and says what to write instead.
    """
    folder = Path(folder).resolve()
    path = folder / SETTINGS_FILE
    if not path.is_file():
        raise SettingsError(
            f"{folder} ist kein kik-Ordner: {SETTINGS_FILE} fehlt. "
            f"Legen Sie einen an mit: kik init {folder}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: ungültiges TOML: {exc}") from exc
    unknown = set(data) - set(_KNOWN)
    if unknown:
        raise SettingsError(
            f"{path}: unbekannte Tabelle(n) {', '.join(sorted(unknown))} "
            f"(erlaubt: {', '.join(sorted(_KNOWN))})"
        )
    kommune = _table(data, "kommune", path)
    konzept = _table(data, "konzept", path)
    speicher = _table(data, "speicher", path)
    bericht = _table(data, "bericht", path)
    zeitplan = _table(data, "zeitplan", path)
    eingang = _table(data, "eingang", path)
    raw_email = data.get("email")
    if isinstance(raw_email, dict) and {"passwort", "password"} & set(raw_email):
        raise SettingsError(
            f"{path}: [email] enthält ein Passwort. Das Passwort gehört nie in kik.toml: "
            "löschen Sie die Zeile und legen Sie es in eine Umgebungsvariable, deren Namen "
            'Sie angeben, z. B. passwort_variable = "KIK_SMTP_PASSWORT"'
        )
    email = _email(_table(data, "email", path), path)
    runde = _table(data, "runde", path)

    municipality = _str(kommune, "name", "kommune", path)
    if not municipality:
        raise SettingsError(f'{path}: [kommune] name fehlt, z. B. name = "Musterstadt"')
    slug = _str(kommune, "schluessel", "kommune", path)
    if "schluessel" in kommune and not (
        slug and len(slug) <= MUNICIPALITY_KEY_LENGTH and slug == municipality_key(slug)
    ):
        raise SettingsError(
            f"{path}: [kommune] schluessel = „{slug}“ ist kein gültiger Schlüssel: nur "
            "Kleinbuchstaben a–z, Ziffern und Bindestriche, höchstens "
            f"{MUNICIPALITY_KEY_LENGTH} Zeichen, "
            f'z. B. schluessel = "{municipality_key(municipality)}"'
        )
    if not municipality_key(municipality) and not slug:
        raise SettingsError(
            f"{path}: aus dem Namen „{municipality}“ lässt sich kein Schlüssel bilden; "
            'setzen Sie [kommune] schluessel, z. B. schluessel = "meine-stadt"'
        )
    try:
        cadence = Cadence.parse(_str(runde, "rhythmus", "runde", path, "quartal"))
    except RoundError as exc:
        raise SettingsError(f"{path}: [runde] rhythmus: {exc}") from exc
    weeks = runde.get("frist_wochen", DEFAULT_DEADLINE_WEEKS)
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 0 <= weeks <= 52:
        raise SettingsError(
            f"{path}: [runde] frist_wochen muss eine ganze Zahl von 0 bis 52 sein, "
            f"z. B. frist_wochen = {DEFAULT_DEADLINE_WEEKS}"
        )
    remind_days = _remind_days(runde, weeks, path)
    concept_file = _file(
        folder,
        _str(konzept, "datei", "konzept", path, "konzept.xlsx"),
        "[konzept] datei",
        path,
        'datei = "konzept.xlsx"',
    )
    editions = _editions(folder, konzept, concept_file, path)
    store_url = _store_url(
        folder, _str(speicher, "url", "speicher", path, "sqlite:///kik.sqlite"), path
    )
    foreword = _str(bericht, "vorwort", "bericht", path)
    template = _str(bericht, "vorlage", "bericht", path)
    as_of = _date(bericht, "stichtag", path)
    previous = _date(bericht, "vergleich", path)
    if as_of and previous and previous >= as_of:
        raise SettingsError(
            f"{path}: [bericht] vergleich ({previous}) muss vor dem stichtag ({as_of}) liegen"
        )
    pdf = bericht.get("pdf", False)
    if not isinstance(pdf, bool):
        raise SettingsError(f"{path}: [bericht] pdf muss true oder false sein")
    report = ReportSettings(
        title=_str(bericht, "titel", "bericht", path, DEFAULT_TITLE),
        subtitle=_str(bericht, "untertitel", "bericht", path),
        as_of=as_of,
        previous=previous,
        published_on=_date(bericht, "veroeffentlicht_am", path),
        period_label=_str(bericht, "zeitraum", "bericht", path),
        publisher=_str(bericht, "herausgeber", "bericht", path),
        foreword=(
            _file(folder, foreword, "[bericht] vorwort", path, 'vorwort = "texte/vorwort.md"')
            if foreword
            else None
        ),
        foreword_author=_str(bericht, "vorwort_autor", "bericht", path),
        sections_front=_files(folder, bericht, "abschnitte_vorne", path),
        sections_back=_files(folder, bericht, "abschnitte_hinten", path),
        thanks=_str(bericht, "dank", "bericht", path),
        template=(
            _file(folder, template, "[bericht] vorlage", path, 'vorlage = "vorlage.dotx"')
            if template
            else None
        ),
        filename=_report_filename(
            _str(bericht, "dateiname", "bericht", path, "Zwischenbericht_{stichtag}.docx"), path
        ),
        pdf=pdf,
    )
    cron = _cron(_str(zeitplan, "cron", "zeitplan", path, DEFAULT_CRON), path)
    timezone = _timezone(_str(zeitplan, "zeitzone", "zeitplan", path, DEFAULT_TIMEZONE), path)
    max_mb = eingang.get("max_mb", 20)
    max_rows = eingang.get("max_zeilen", 10_000)
    for key, value in (("max_mb", max_mb), ("max_zeilen", max_rows)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise SettingsError(f"{path}: [eingang] {key} muss eine positive ganze Zahl sein")
    return Settings(
        folder=folder,
        municipality=municipality,
        concept_file=concept_file,
        store_url=store_url,
        report=report,
        cron=cron,
        timezone=timezone,
        max_bytes=max_mb * 1024 * 1024,
        max_rows=max_rows,
        email=email,
        key=slug,
        rounds=RoundSettings(cadence, weeks, remind_days),
        **_operations(folder, zeitplan, path),
        web=_web_settings(data, folder, path),
        editions=editions,
    )


def _remind_days(runde: dict[str, Any], weeks: int, path: Path) -> int:
    """``[runde] erinnern_tage``: 1 or more days, and fewer than the deadline's days.

    The reminder must fall after the Stichtag (the quarter run that schedules it
    runs after it), so it needs fewer days than ``frist_wochen * 7``. Left out,
    the default applies as before (a reminder already past is not scheduled).
    """
    if "erinnern_tage" not in runde:
        return DEFAULT_REMIND_DAYS
    days = runde["erinnern_tage"]
    longest = weeks * 7 - 1
    if longest < 1:
        raise SettingsError(
            f"{path}: [runde] erinnern_tage braucht eine Frist: mit frist_wochen = {weeks} "
            "bleibt kein Tag für eine Erinnerung vor der Frist; setzen Sie frist_wochen "
            "auf mindestens 1 oder löschen Sie die Zeile erinnern_tage"
        )
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= longest:
        raise SettingsError(
            f"{path}: [runde] erinnern_tage muss eine ganze Zahl von 1 bis {longest} sein "
            f"(weniger Tage als die Frist von frist_wochen = {weeks} Wochen), "
            f"z. B. erinnern_tage = {min(DEFAULT_REMIND_DAYS, longest)}"
        )
    return days


def settings_template(municipality: str) -> str:
    """The ``kik.toml`` that ``kik init`` writes, with every setting explained in German."""
    name = municipality.replace('"', "'")
    return f'''# Einstellungen für kik – eine Datei pro Kommune.
# Relative Pfade beziehen sich auf diesen Ordner.

[kommune]
name = "{name}"
# Der Schlüssel der Kommune in der Datenbank (bleibt gleich, auch wenn sich der Name ändert).
schluessel = "{municipality_key(municipality) or "meine-stadt"}"

[runde]
# Berichtsrhythmus: "quartal", "halbjahr" oder "jahr". Der Stichtag einer Runde ist
# das letzte Quartals-, Halbjahres- bzw. Jahresende vor heute.
rhythmus = "quartal"
# Frist für die Partner: Stichtag plus so viele Wochen
frist_wochen = {DEFAULT_DEADLINE_WEEKS}
# Die Erinnerung an die Partner geht so viele Tage vor der Frist hinaus (kik serve)
erinnern_tage = {DEFAULT_REMIND_DAYS}

[konzept]
# Das Konzept-Arbeitsbuch (Handlungsfelder, Ziele, Maßnahmen)
datei = "konzept.xlsx"
# Fortschreibung: eine neue Fassung des Konzepts. datei ist dann die neue Fassung; je
# frühere Fassung ein Block (siehe docs/kommunen/fortschreibung.md):
# [[konzept.fortschreibung]]
# vorgaenger = "konzept_2021.xlsx"    # die bisherige Fassung
# zuordnung = "zuordnung_2024.xlsx"   # was aus jeder Maßnahme wurde (kik vorlage zuordnung)
# gilt_ab = 2024-06-01                # ab diesem Tag zählt die neue Fassung

[speicher]
# Die Statushistorie. Standard: eine SQLite-Datei in diesem Ordner.
# Für PostgreSQL z. B.: url = "postgresql+psycopg://kik:geheim@db.example/kik"
url = "sqlite:///kik.sqlite"

[bericht]
titel = "{DEFAULT_TITLE}"
# untertitel = "Dezember 2023"
# stichtag = 2023-09-30        # Stichtag einer neuen Runde (ohne Angabe: letztes Quartalsende)
# vergleich = 2022-09-30       # ohne Angabe: die zuletzt herausgegebene Runde
# veroeffentlicht_am = 2023-12-01  # Datum auf dem Titelblatt (ohne Angabe: heute)
# zeitraum = "November 2021 bis September 2023"
# herausgeber = "Stadt {name}, Amt für Integration"
# vorwort = "texte/vorwort.md"
# vorwort_autor = "Name, Funktion"
# abschnitte_vorne = ["texte/einfuehrung.md"]
# abschnitte_hinten = ["texte/querschnittsthemen.md"]
# dank = "Herzlichen Dank an alle Beteiligten."
# vorlage = "vorlage.dotx"     # eigenes Word-Design (Formatvorlagen, Kopf-/Fußzeile, Logo)
# pdf = false                  # true: zusätzlich PDF über LibreOffice erzeugen

[zeitplan]
# Quartalsweise: 06:00 Uhr am 1. Januar, April, Juli und Oktober
cron = "{DEFAULT_CRON}"
zeitzone = "{DEFAULT_TIMEZONE}"
# Wer eine E-Mail bekommt, wenn ein geplanter Lauf fehlschlägt oder Zeilen ablehnt:
# benachrichtigung = ["integration@stadt.example"]

[eingang]
max_mb = 20
max_zeilen = 10000

# [email]
# Erinnerungen per E-Mail versenden (kik erinnern --senden). Das Passwort steht NIE
# in dieser Datei, sondern in der Umgebungsvariablen, die passwort_variable nennt.
# host = "smtp.stadt.example"
# port = 587
# starttls = true
# absender = "integration@stadt.example"
# benutzer = "integration"
# passwort_variable = "KIK_SMTP_PASSWORT"
[web]
# Die Website und die offenen Daten (kik veroeffentlichen)
# lizenz = "dl-de/by-2-0"      # Datenlizenz der offenen Daten (auch: "dl-de/zero-2-0", "CC-BY-4.0")
# namensnennung = "Stadt {name}"
# ziel = "veroeffentlichung"   # Zielordner der Website
# leichte_sprache = "texte/leichte-sprache.md"
'''


# --------------------------------------------------------------------------- [web]


@attrs.frozen
class WebSettings:
    """The ``[web]`` table: the web edition and its open data (``kik veroeffentlichen``).

    Attributes:
        licence: the data licence's id (``dl-de/by-2-0``, ``dl-de/zero-2-0``,
            ``CC-BY-4.0``, ``CC0-1.0``); empty: no licence stated.
        attribution: whom to credit (default: the municipality).
        target: where the site goes (default ``DIR/veroeffentlichung``).
        easy_language: the Markdown of the "Leichte Sprache" page (default
            ``texte/leichte-sprache.md`` if it exists).
    """

    licence: str = ""
    attribution: str = ""
    target: Path | None = None
    easy_language: Path | None = None


def _web_target(folder: Path, value: str, path: Path) -> Path:
    """``[web] ziel``: relative paths stay inside the folder; an absolute path is the
    operator's deliberate publishing target (e.g. the city's web server folder)."""
    if Path(value).is_absolute():
        return Path(value)
    return _inside(folder, value, "[web] ziel", path, 'ziel = "veroeffentlichung"')


def _web_settings(data: dict[str, Any], folder: Path, path: Path) -> WebSettings:
    web = _table(data, "web", path)
    licence = _str(web, "lizenz", "web", path)
    if licence and licence not in LICENCES:
        raise SettingsError(
            f"{path}: [web] lizenz = „{licence}“ ist unbekannt; erlaubt: "
            + ", ".join(f'"{k}"' for k in LICENCES)
        )
    target = _str(web, "ziel", "web", path)
    easy = _str(web, "leichte_sprache", "web", path)
    default_easy = folder / "texte" / "leichte-sprache.md"
    return WebSettings(
        licence=licence,
        attribution=_str(web, "namensnennung", "web", path),
        target=_web_target(folder, target, path) if target else None,
        easy_language=(
            _file(folder, easy, "[web] leichte_sprache", path, 'leichte_sprache = "texte/ls.md"')
            if easy
            else (default_easy if default_easy.is_file() else None)
        ),
    )


# --------------------------------------------------------------------------- Fortschreibung


@attrs.frozen
class EditionSettings:
    """One ``[[konzept.fortschreibung]]`` entry: an earlier edition and the way out of it.

    Attributes:
        previous: the concept workbook of the edition before (``vorgaenger``).
        mapping: the workbook with the mapping sheet ``Fortschreibung`` (``zuordnung``).
        valid_from: from this date on the next edition counts (``gilt_ab``).
    """

    previous: Path
    mapping: Path
    valid_from: dt.date


_EDITION_KEYS = ("vorgaenger", "zuordnung", "gilt_ab")
_EDITION_EXAMPLE = (
    '[[konzept.fortschreibung]] mit vorgaenger = "konzept_2021.xlsx", '
    'zuordnung = "zuordnung_2024.xlsx" und gilt_ab = 2024-06-01'
)


def _editions(
    folder: Path, konzept: dict[str, Any], concept_file: Path, path: Path
) -> tuple[EditionSettings, ...]:
    """Check ``[[konzept.fortschreibung]]``: files inside the folder, dates increasing."""
    raw = konzept.get("fortschreibung", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise SettingsError(
            f"{path}: [konzept] fortschreibung muss eine Tabelle je früherer Fassung sein, "
            f"z. B. {_EDITION_EXAMPLE}"
        )
    found: list[EditionSettings] = []
    for number, entry in enumerate(raw, start=1):
        where = f"[[konzept.fortschreibung]] Nr. {number}"
        unknown = set(entry) - set(_EDITION_KEYS)
        if unknown:
            raise SettingsError(
                f"{path}: unbekannte Einstellung(en) in {where}: {', '.join(sorted(unknown))} "
                f"(erlaubt: {', '.join(_EDITION_KEYS)})"
            )
        missing = [key for key in _EDITION_KEYS if key not in entry]
        if missing:
            raise SettingsError(
                f"{path}: in {where} fehlt {', '.join(missing)}; jede Fortschreibung braucht "
                f"vorgaenger, zuordnung und gilt_ab, z. B. {_EDITION_EXAMPLE}"
            )
        files = []
        for key, example in (
            ("vorgaenger", 'vorgaenger = "konzept_2021.xlsx"'),
            ("zuordnung", 'zuordnung = "zuordnung_2024.xlsx"'),
        ):
            value = entry[key]
            if not isinstance(value, str) or not value.strip():
                raise SettingsError(
                    f"{path}: {where}: {key} muss ein Dateiname in Anführungszeichen sein, "
                    f"z. B. {example}"
                )
            files.append(_file(folder, value.strip(), f"{where} {key}", path, example))
        day = entry["gilt_ab"]
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise SettingsError(
                f"{path}: {where}: gilt_ab = {day!r} ist kein Datum; schreiben Sie es als "
                "JJJJ-MM-TT ohne Anführungszeichen, z. B. gilt_ab = 2024-06-01"
            )
        if files[0] == concept_file:
            raise SettingsError(
                f"{path}: {where}: vorgaenger ist dieselbe Datei wie [konzept] datei; der "
                "Vorgänger ist die bisherige Fassung, datei die neue"
            )
        found.append(EditionSettings(files[0], files[1], day))
    for before, after in itertools.pairwise(found):
        if after.valid_from <= before.valid_from:
            raise SettingsError(
                f"{path}: die Fortschreibungen stehen in zeitlicher Reihenfolge, die älteste "
                f"zuerst: gilt_ab {after.valid_from.isoformat()} muss nach "
                f"{before.valid_from.isoformat()} liegen"
            )
    return tuple(found)
