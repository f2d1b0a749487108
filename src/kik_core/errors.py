"""Errors raised by kik_core, and the fixed reason codes of row problems.

The exception tree::

    KikError                      base of everything kik_core raises
    ├── ModelError (ValueError)   a value object was built with invalid data
    │   └── DuplicateIdError      two fields, goals or measures share an id
    ├── ConceptWorkbookError      the concept workbook cannot be used
    │                             (carries every Problem found, not only the first)
    ├── SettingsError             kik.toml is missing, malformed or incomplete
    ├── UnreadableFileError       a partner file cannot be read at all (quarantined)
    ├── StoreError                the status store cannot be opened or migrated
    ├── RoundError                a reporting round cannot be opened, drafted or issued
    ├── ReportError               the report cannot be built or written
    │   └── PublishError          the web edition cannot be written
    ├── MailError                 reminders cannot be sent (server, password, sender)
    └── DecisionError             an office decision is invalid (unknown measure, ...)

Row-level problems in partner files are *not* raised: they are collected as
:class:`Problem` values (a fixed :class:`Reason` code, the place and a German
message for the partner) so that every row ends accepted or rejected.
"""

from __future__ import annotations

import enum
import errno
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import attrs

__all__ = [
    "ConceptWorkbookError",
    "DecisionError",
    "DuplicateIdError",
    "FolderError",
    "KikError",
    "Location",
    "MailError",
    "ModelError",
    "Problem",
    "PublishError",
    "Reason",
    "ReportError",
    "RoundError",
    "SettingsError",
    "StoreError",
    "UnreadableFileError",
    "german_message",
]


class KikError(Exception):
    """Base class of every error raised by kik_core."""


class ModelError(KikError, ValueError):
    """A model value (id, number, text) is invalid."""


class DuplicateIdError(ModelError):
    """Two elements of a concept share one id; the message names both places."""


class SettingsError(KikError):
    """The municipality folder or its ``kik.toml`` is not usable."""


class UnreadableFileError(KikError):
    """A partner file cannot be read at all (corrupt, encrypted, wrong type, too big)."""

    def __init__(self, path: Path, reason: Reason, message: str) -> None:
        super().__init__(f"{path.name}: {message}")
        self.path = path
        self.reason = reason
        self.message = message


class StoreError(KikError):
    """The status store cannot be opened, migrated or written."""


class ReportError(KikError):
    """The report cannot be built or written."""


class MailError(KikError):
    """Reminder e-mails cannot be sent: no password, server unreachable, sender refused."""


class DecisionError(KikError):
    """An office decision cannot be recorded (unknown measure, date after the Stichtag, ...)."""


class PublishError(ReportError):
    """The web edition cannot be written (target not kik's, not writable, ...)."""


class RoundError(KikError):
    """A reporting round cannot be opened, drafted or issued (the message is German)."""


class Reason(enum.Enum):
    """Fixed reason codes for problems in input files.

    The value is the stable code (used in error workbooks, logs and tests);
    :meth:`message` renders the German text for partners and office staff.
    """

    # row problems in partner update files
    UNKNOWN_ID = "unknown_id"
    INVALID_ID = "invalid_id"
    INVALID_STATUS = "invalid_status"
    MISSING_DATE = "missing_date"
    INVALID_DATE = "invalid_date"
    FUTURE_DATE = "future_date"
    EMPTY_REQUIRED = "empty_required"
    STATUS_ON_GOAL = "status_on_goal"
    DUPLICATE_ROW = "duplicate_row"
    CELL_TOO_LONG = "cell_too_long"
    # file problems (the whole file is refused)
    MISSING_COLUMN = "missing_column"
    MISSING_SHEET = "missing_sheet"
    EMPTY_SHEET = "empty_sheet"
    EMPTY_FILE = "empty_file"
    TOO_LARGE = "too_large"
    TOO_MANY_ROWS = "too_many_rows"
    UNSUPPORTED_TYPE = "unsupported_type"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    ZIP_BOMB = "zip_bomb"
    ENCODING = "encoding"
    # concept workbook problems
    INVALID_VALUE = "invalid_value"
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_GOAL = "unknown_goal"
    DUPLICATE_ID = "duplicate_id"
    # partner contacts, reminders and office decisions (sheet Partner, kik erinnern/entscheiden)
    UNKNOWN_PARTNER = "unknown_partner"
    INVALID_EMAIL = "invalid_email"
    # ingest hardening (issue 11): dates that cannot be right, hostile sheets, strict CSV
    DATE_TOO_EARLY = "date_too_early"
    SHEET_TOO_LARGE = "sheet_too_large"
    UNBALANCED_QUOTE = "unbalanced_quote"
    FIELD_TOO_LONG = "field_too_long"
    NOT_READABLE = "not_readable"
    FEEDBACK_FAILED = "feedback_failed"
    # concept workbook numbers spoilt by the spreadsheet program (issue 14)
    NUMBER_AS_DATE = "number_as_date"
    NUMBER_AS_DECIMAL = "number_as_decimal"
    # a row names a measure of another edition of the concept (Fortschreibung, issue 17)
    OTHER_EDITION = "other_edition"

    def message(self, **details: object) -> str:
        """Return the German message for this reason, filled with ``details``."""
        template = _MESSAGES[self]
        return template.format_map(_Defaults(details))


class _Defaults(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


#: The one table of German messages, one per reason code.
_MESSAGES: dict[Reason, str] = {
    Reason.UNKNOWN_ID: "„{value}“ ist keine bekannte Maßnahme und kein bekanntes Ziel{hint}",
    Reason.INVALID_ID: (
        "„{value}“ ist keine gültige Nummer (erwartet z. B. „BS-4.3“ für eine Maßnahme "
        "oder „BS-4“ für ein Ziel)"
    ),
    Reason.INVALID_STATUS: ("„{value}“ ist kein gültiger Status (erlaubt: {allowed})"),
    Reason.MISSING_DATE: "Das Datum fehlt (bitte als TT.MM.JJJJ eintragen, z. B. 30.09.2023)",
    Reason.INVALID_DATE: (
        "„{value}“ ist kein gültiges Datum (bitte als TT.MM.JJJJ eintragen, z. B. 30.09.2023)"
    ),
    Reason.FUTURE_DATE: "Das Datum {value} liegt in der Zukunft (heute ist der {today})",
    Reason.EMPTY_REQUIRED: "Die Zelle ist leer, muss aber ausgefüllt sein",
    Reason.STATUS_ON_GOAL: (
        "„{value}“ ist ein Ziel: für Ziele bitte keinen Status angeben, nur „Aktueller Stand“ "
        "und „Ausblick“ (der Status gehört zu den einzelnen Maßnahmen)"
    ),
    Reason.DUPLICATE_ROW: "Diese Zeile wiederholt Zeile {other} derselben Datei",
    Reason.CELL_TOO_LONG: "Der Text ist zu lang ({length} Zeichen, höchstens {limit})",
    Reason.MISSING_COLUMN: (
        "Die Spalte „{value}“ fehlt (erwartet: Maßnahme, Status, Stand am, Institution, "
        "Aktueller Stand, Ausblick)"
    ),
    Reason.MISSING_SHEET: "Das Tabellenblatt „{value}“ fehlt",
    Reason.EMPTY_SHEET: (
        "Das Tabellenblatt „{value}“ enthält noch keine Einträge: bitte ab Zeile 2 ausfüllen"
    ),
    Reason.EMPTY_FILE: "Die Datei enthält keine Daten",
    Reason.TOO_LARGE: "Die Datei ist zu groß ({size}, erlaubt sind höchstens {limit})",
    Reason.TOO_MANY_ROWS: "Die Datei hat zu viele Zeilen ({rows}, erlaubt sind höchstens {limit})",
    Reason.UNSUPPORTED_TYPE: (
        "Dieser Dateityp wird nicht unterstützt "
        "(erlaubt: .xlsx, .xlsm, .xlsb, .xls, .ods, .csv){detail}"
    ),
    Reason.CORRUPT: "Die Datei ist beschädigt und kann nicht gelesen werden ({detail})",
    Reason.ENCRYPTED: (
        "Die Datei ist mit einem Passwort geschützt: "
        "bitte ohne Passwort speichern und erneut senden"
    ),
    Reason.ZIP_BOMB: (
        "Die Datei entpackt sich auf ungewöhnlich viel Speicher ({detail}) und wird "
        "aus Sicherheitsgründen nicht gelesen"
    ),
    Reason.ENCODING: "Die Textkodierung der Datei ist unbekannt (bitte als UTF-8 speichern)",
    Reason.INVALID_VALUE: "„{value}“ ist kein gültiger Wert{detail}",
    Reason.UNKNOWN_FIELD: "Das Handlungsfeld „{value}“ gibt es im Blatt „Handlungsfelder“ nicht",
    Reason.UNKNOWN_GOAL: "Das Ziel „{value}“ gibt es im Blatt „Ziele“ nicht",
    Reason.DUPLICATE_ID: "„{value}“ ist doppelt (schon in {other})",
    Reason.UNKNOWN_PARTNER: (
        "Der Partner „{value}“ steht bei keiner Maßnahme unter „Zuständig“ (Blatt Maßnahmen); "
        "bitte den Namen genau so schreiben wie dort"
    ),
    Reason.INVALID_EMAIL: (
        "„{value}“ ist keine gültige E-Mail-Adresse (erwartet z. B. „name@stadt.de“)"
    ),
    # ingest hardening (issue 11)
    Reason.DATE_TOO_EARLY: (
        "Das Datum {value} liegt vor {since} ({why}) und kann nicht stimmen "
        "(bitte als TT.MM.JJJJ eintragen, z. B. 30.09.2023)"
    ),
    Reason.SHEET_TOO_LARGE: (
        "Das Tabellenblatt „{sheet}“ reicht bis Zeile {rows}, Spalte {columns} – so große "
        "Tabellen werden aus Sicherheitsgründen nicht gelesen (höchstens {max_columns} Spalten "
        "und einige tausend Zeilen). Bitte die Zellen außerhalb der Rückmeldung löschen oder "
        "nur die Rückmeldung in eine neue Datei kopieren und diese senden"
    ),
    Reason.UNBALANCED_QUOTE: (
        'In Zeile {row} beginnt ein Anführungszeichen ("), das nie geschlossen wird – '
        "dadurch wären alle folgenden Zeilen verschluckt worden. Bitte das Zeichen "
        "entfernen oder schließen und die Datei erneut senden"
    ),
    Reason.FIELD_TOO_LONG: (
        "Ein Feld dieser Zeile ist zu lang ({length} Zeichen, höchstens {limit}) "
        "oder ein Anführungszeichen ist nicht geschlossen"
    ),
    Reason.NOT_READABLE: "Die Datei kann nicht gelesen werden ({detail})",
    Reason.FEEDBACK_FAILED: (
        "Die Fehlerliste für diese Datei konnte nicht geschrieben werden; es wurde nichts "
        "gespeichert. Bitte die Datei prüfen und erneut senden"
    ),
    # issue 14
    Reason.NUMBER_AS_DATE: (
        "Excel hat die Nummer {value} in ein Datum umgewandelt ({date}). Bitte die Spalte "
        "„{spalte}“ als Text formatieren und „{value}“ neu eintragen (oder ein Apostroph "
        "davor setzen: '{value})"
    ),
    Reason.NUMBER_AS_DECIMAL: (
        "„{value}“ ist doppelt (schon in {other}) – vermutlich hat Excel eine Nummer wie "
        "„{value}0“ als Zahl {decimal} gespeichert und die Null am Ende entfernt. Bitte die "
        "Spalte „{spalte}“ als Text formatieren und die Nummern neu eintragen"
    ),
    Reason.OTHER_EDITION: "„{value}“ {detail}",
}


#: German forms of the model's messages (``ModelError``), by the start of the English text.
_MODEL_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^(?P<v>.+?) is not a status\b"),
        "„{v}“ ist kein gültiger Status (erlaubt: wartend, in Bearbeitung, implementiert)",
    ),
    (
        re.compile(r"^(?P<v>.+?) is not a field code\b"),
        "„{v}“ ist kein gültiges Kürzel eines Handlungsfelds: 1 bis 8 Großbuchstaben oder "
        "Ziffern, beginnend mit einem Buchstaben, z. B. „BS“",
    ),
    (
        re.compile(r"^(?P<v>.+?) is not a goal id\b"),
        "„{v}“ ist keine gültige Nummer eines Ziels (Kürzel-Nummer, z. B. „BS-4“)",
    ),
    (
        re.compile(r"^(?P<v>.+?) is not a measure id\b"),
        "„{v}“ ist keine gültige Nummer einer Maßnahme (Kürzel-Ziel.Nummer, z. B. „BS-4.3“)",
    ),
    (
        re.compile(r"^(?P<v>.+?) is neither a measure id"),
        "„{v}“ ist weder die Nummer einer Maßnahme („BS-4.3“) noch eines Ziels („BS-4“)",
    ),
    (
        re.compile(r"^(?P<v>.+?) is a goal: goals carry texts"),
        "„{v}“ ist ein Ziel: zu Zielen gibt es nur Texte, keinen Status",
    ),
    (
        re.compile(r"^a report on measure (?P<v>.+?) needs a status"),
        "Die Rückmeldung zur Maßnahme „{v}“ braucht einen Status",
    ),
    (re.compile(r"^(?P<v>\w+) must not be empty"), "Ein Pflichtwert ist leer"),
    (re.compile(r"^as_of must be a date"), "„Stand am“ muss ein Datum sein"),
)


def german_message(exc: ModelError) -> str:
    """The German text of a model error, for messages partners and the office read.

    The model (value objects) words its errors for developers; at the edges (the
    concept workbook, the command line) they are shown in German. An unknown text
    becomes a general German sentence; the original goes to the debug log.

    >>> german_message(ModelError("'fertig' is not a status (wartend, ...)"))
    '„fertig“ ist kein gültiger Status (erlaubt: wartend, in Bearbeitung, implementiert)'
    """
    text = str(exc)
    for pattern, german in _MODEL_MESSAGES:
        if match := pattern.match(text):
            value = match["v"]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return german.format(v=value)
    logging.getLogger("kik_core").debug("untranslated model error: %s", text)
    return "Ein Wert ist ungültig (Einzelheiten mit -vv im Protokoll)"


@attrs.frozen
class Location:
    """Where a value came from: file, sheet, row (1-based, as the user sees it) and column."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"Blatt {self.sheet}")
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.column:
            parts.append(f"Spalte {self.column}")
        return ", ".join(parts)


@attrs.frozen
class Problem:
    """One problem found in an input file: a reason code, a place, a German message."""

    reason: Reason
    location: Location
    message: str

    @classmethod
    def of(cls, reason: Reason, location: Location, **details: object) -> Problem:
        """Build a problem whose message comes from the reason's message table."""
        return cls(reason, location, reason.message(**details))

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ConceptWorkbookError(KikError):
    """The concept workbook has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"Das Konzept-Arbeitsbuch hat {len(self.problems)} Fehler:\n{lines}")


class FolderError(KikError):
    """A folder of the municipality cannot be written (read-only, full, missing rights).

    The message is German, names the folder and says what to do; nothing was lost
    (files stay in ``eingang/`` and are read again on the next run).
    """

    def __init__(self, folder: Path, cause: OSError | None = None, *, action: str = "") -> None:
        code = cause.errno if cause is not None else None
        if code in (errno.ENOSPC, errno.EDQUOT):
            why = "ist voll (kein Speicherplatz mehr)"
            todo = "Bitte Platz schaffen"
        elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
            why = "ist schreibgeschützt oder es fehlen Schreibrechte"
            todo = "Bitte Schreibrechte für diesen Ordner einrichten"
        else:
            why = "kann nicht beschrieben werden"
            todo = "Bitte den Ordner prüfen"
        what = f" ({action})" if action else ""
        super().__init__(
            f"Der Ordner {folder} {why}{what}. {todo} und „kik ingest“ erneut starten – "
            "es ist nichts verloren: nicht verarbeitete Dateien liegen weiter in eingang/."
        )
        self.folder = folder
        self.cause = cause
