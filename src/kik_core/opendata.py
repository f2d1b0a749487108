"""Open data: tidy pandas frames of a snapshot and its history, and the files beside the site.

For developers::

    from kik_core.opendata import snapshot_frame, history_frame
    frame = snapshot_frame(concept, snapshot)          # one row per measure
    history = history_frame(concept, [s2022, s2023])   # one row per measure and date

For citizens and the press, :func:`write_open_data` writes the measure list with
statuses and texts as CSV (UTF-8 with BOM and ``;``, as German Excel expects),
XLSX and JSON, the goal texts and the status history, plus the data dictionary
(``datenbeschreibung.json``) and the JSON Schema (``massnahmen.schema.json``)
shipped in this package (:data:`SCHEMA_FILE`, :data:`DICTIONARY_FILE`).

Importing this module loads pandas; ``kik_core`` itself does not import it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from kik_core._atomic import atomic_path, atomic_write_bytes, atomic_write_text
from kik_core._cells import FORMULA_PREFIXES, write_cell
from kik_core._licences import LICENCES, Licence
from kik_core._version import __version__
from kik_core.model import Concept
from kik_core.presentation import concept_at, package_views, status_key
from kik_core.rules import Snapshot, overdue_measures

__all__ = [
    "DICTIONARY_FILE",
    "LICENCES",
    "SCHEMA_FILE",
    "Licence",
    "goal_frame",
    "history_frame",
    "load_dictionary",
    "load_schema",
    "snapshot_frame",
    "write_open_data",
]

#: The shipped JSON Schema of ``massnahmen.json``.
SCHEMA_FILE = "massnahmen.schema.json"
#: The shipped data dictionary (every column of every file, in German).
DICTIONARY_FILE = "datenbeschreibung.json"


#: Columns of the measure list, in order (see the data dictionary).
MEASURE_COLUMNS = (
    "stichtag",
    "massnahme_id",
    "handlungsfeld_kuerzel",
    "handlungsfeld",
    "ziel_id",
    "ziel",
    "nummer",
    "massnahme",
    "gruppe",
    "verantwortlich",
    "status",
    "status_code",
    "gemeldet_am",
    "gemeldet_von",
    "konflikt",
    "aktueller_stand",
    "ausblick",
    # measure attributes (issue 17): empty where the concept sets none
    "prioritaet",
    "prioritaet_seit",
    "beginn",
    "ende",
    "ueberfaellig",
    "federfuehrend",
    "budget_euro",
    "arbeitspakete_erledigt",
    "arbeitspakete_gesamt",
)
#: Integer columns of the measure list that may be empty (nullable ``Int64``).
_NULLABLE_INTS = ("arbeitspakete_erledigt", "arbeitspakete_gesamt")
GOAL_COLUMNS = (
    "stichtag",
    "ziel_id",
    "handlungsfeld_kuerzel",
    "handlungsfeld",
    "ziel",
    "partner",
    "stand_am",
    "aktueller_stand",
    "ausblick",
)
HISTORY_COLUMNS = (
    "stichtag",
    "massnahme_id",
    "handlungsfeld_kuerzel",
    "ziel_id",
    "status",
    "status_code",
)


def _package_file(name: str) -> str:
    return resources.files("kik_core").joinpath("schemas", name).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``massnahmen.json`` (Draft 2020-12)."""
    data: dict[str, Any] = json.loads(_package_file(SCHEMA_FILE))
    return data


def load_dictionary() -> dict[str, Any]:
    """The data dictionary: per file, its columns with type and German description."""
    data: dict[str, Any] = json.loads(_package_file(DICTIONARY_FILE))
    return data


def _joined(values: Sequence[str]) -> str:
    return "; ".join(v for v in values if v)


def snapshot_frame(concept: Concept, snapshot: Snapshot) -> pd.DataFrame:
    """One row per measure: ids, texts, partners, effective status and its report.

    ``stichtag`` and ``gemeldet_am`` are dates (``gemeldet_am`` is missing where no
    partner has reported); ``verantwortlich`` and ``gemeldet_von`` join several
    partners with ``"; "``; ``aktueller_stand``/``ausblick`` are the partners'
    texts on the measure itself (Markdown), one paragraph per partner.

    The attributes of issue 17 (``prioritaet`` … ``arbeitspakete_gesamt``) are
    missing where the concept sets none; ``ueberfaellig`` is only ``True``/``False``
    for a measure with a timeframe end; the work-package counts are nullable
    integers (``Int64``), ``budget_euro`` a nullable float (``Float64``).
    """
    rows = []
    late = {m.id for m in overdue_measures(concept, snapshot)}
    for measure in concept.measures:
        packages = package_views(concept, snapshot, measure.id)
        effective = snapshot.statuses[measure.id]
        texts = [r for r in effective.reports if r.current_state.strip() or r.outlook.strip()]
        several = len(texts) > 1
        rows.append(
            {
                "stichtag": snapshot.as_of,
                "massnahme_id": measure.id,
                "handlungsfeld_kuerzel": concept.field_of(measure.id),
                "handlungsfeld": concept.field(concept.field_of(measure.id)).name,
                # a two-level concept (issue 17) has no goals: its measures' parent is the field
                "ziel_id": measure.goal_id if concept.is_goal(measure.goal_id) else "",
                "ziel": concept.goal(measure.goal_id).text
                if concept.is_goal(measure.goal_id)
                else "",
                "nummer": measure.number,
                "massnahme": measure.text,
                "gruppe": measure.group or "",
                "verantwortlich": _joined(measure.partners),
                "status": effective.status.label,
                "status_code": status_key(effective.status),
                "gemeldet_am": effective.as_of,
                "gemeldet_von": _joined(list(dict.fromkeys(r.partner for r in effective.reports))),
                "konflikt": effective.conflict is not None,
                "aktueller_stand": "\n\n".join(
                    (f"{r.partner}: " if several else "") + r.current_state.strip()
                    for r in texts
                    if r.current_state.strip()
                ),
                "ausblick": "\n\n".join(
                    (f"{r.partner}: " if several else "") + r.outlook.strip()
                    for r in texts
                    if r.outlook.strip()
                ),
                "prioritaet": measure.priority or "",
                "prioritaet_seit": measure.priority_set_on,
                "beginn": measure.start,
                "ende": measure.end,
                "ueberfaellig": (measure.id in late) if measure.end is not None else None,
                "federfuehrend": measure.lead or "",
                "budget_euro": measure.budget,
                "arbeitspakete_erledigt": sum(p.done for p in packages) if packages else None,
                "arbeitspakete_gesamt": len(packages) if packages else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(MEASURE_COLUMNS))
    for column in _NULLABLE_INTS:
        frame[column] = frame[column].astype("Int64")
    frame["budget_euro"] = frame["budget_euro"].astype("Float64")
    return frame


def goal_frame(concept: Concept, snapshot: Snapshot) -> pd.DataFrame:
    """One row per goal and partner text (a goal without texts: one row, no partner)."""
    rows = []
    for goal in concept.goals:
        base = {
            "stichtag": snapshot.as_of,
            "ziel_id": goal.id,
            "handlungsfeld_kuerzel": concept.field_of(goal.id),
            "handlungsfeld": concept.field(concept.field_of(goal.id)).name,
            "ziel": goal.text,
        }
        texts = snapshot.goal_texts.get(goal.id, ())
        if not texts:
            rows.append(
                {**base, "partner": "", "stand_am": None, "aktueller_stand": "", "ausblick": ""}
            )
        for text in texts:
            rows.append(
                {
                    **base,
                    "partner": text.partner,
                    "stand_am": text.as_of,
                    "aktueller_stand": text.current_state.strip(),
                    "ausblick": text.outlook.strip(),
                }
            )
    return pd.DataFrame(rows, columns=list(GOAL_COLUMNS))


def history_frame(concept: Concept, snapshots: Sequence[Snapshot]) -> pd.DataFrame:
    """The effective status of every measure at every snapshot's date (long format).

    Rows are ordered by date, then by the concept's measure order; duplicate
    dates are counted once.
    """
    by_date = {s.as_of: s for s in snapshots}
    rows = [
        {
            "stichtag": day,
            "massnahme_id": m.id,
            "handlungsfeld_kuerzel": concept.field_of(m.id),
            "ziel_id": m.goal_id if concept.is_goal(m.goal_id) else "",
            "status": by_date[day].status_of(m.id).label,
            "status_code": status_key(by_date[day].status_of(m.id)),
        }
        for day in sorted(by_date)
        for m in concept.measures
        if m.id in by_date[day].statuses
    ]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


# --------------------------------------------------------------------------- files


def _missing(value: object) -> bool:
    """None, pandas' missing date (``NaT``) or missing integer (``NA``)."""
    return value is None or value is pd.NaT or value is pd.NA


def _csv_value(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.

    A float (the budget) is written with two decimals and a decimal comma, as
    German Excel reads numbers.
    """
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    safe = frame.astype(object).map(lambda v: "" if _missing(v) else v)
    safe = safe.map(_csv_value)
    text: str = safe.to_csv(sep=";", index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]  # a fresh workbook has one sheet
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(name)
        for column, header in enumerate(frame.columns, start=1):
            write_cell(sheet, 1, column, str(header)).font = Font(bold=True)
        for row, values in enumerate(frame.itertuples(index=False), start=2):
            for column, value in enumerate(values, start=1):
                if _missing(value):
                    continue
                if hasattr(value, "item"):  # a numpy scalar of a nullable column
                    value = value.item()  # noqa: PLW2901 - a plain Python value
                if isinstance(value, bool):
                    value = "ja" if value else "nein"  # noqa: PLW2901 - display value
                cell = write_cell(sheet, row, column, value)
                if isinstance(value, dt.date):
                    cell.number_format = "DD.MM.YYYY"
                elif isinstance(value, float):  # the budget (issue 17)
                    cell.number_format = '#,##0.00 "€"'
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    workbook.save(path)


def _json_records(frame: pd.DataFrame, lists: Sequence[str] = ()) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for row in frame.to_dict(orient="records"):
        record: dict[str, Any] = {}
        for key, value in row.items():
            if _missing(value):
                record[str(key)] = None
            elif isinstance(value, dt.date):
                record[str(key)] = value.isoformat()
            elif key in lists:
                record[str(key)] = [v for v in str(value).split("; ") if v]
            else:
                record[str(key)] = value
        records.append(record)
    return records


def write_open_data(
    folder: Path,
    concept: Concept,
    snapshot: Snapshot,
    *,
    history: Sequence[Snapshot] = (),
    title: str = "",
    licence: Licence | None = None,
    attribution: str = "",
    draft: bool = False,
) -> list[Path]:
    """Write the open-data files of one snapshot into ``folder`` (each file atomically).

    Files: ``massnahmen.csv``/``.xlsx``/``.json``, ``ziele.csv``, ``verlauf.csv``
    (the history over ``history`` plus ``snapshot``), ``massnahmen.schema.json`` and
    ``datenbeschreibung.json``.

    With ``draft`` the JSON says ``"entwurf": true``, so a draft's data is never
    mistaken for published data.

    Returns:
        The written paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    concept = concept_at(concept, snapshot)
    measures = snapshot_frame(concept, snapshot)
    goals = goal_frame(concept, snapshot)
    points = [s for s in history if s.as_of < snapshot.as_of] + [snapshot]
    changes = history_frame(concept, points)
    written = [
        atomic_write_bytes(folder / "massnahmen.csv", _csv_bytes(measures)),
        atomic_write_bytes(folder / "ziele.csv", _csv_bytes(goals)),
        atomic_write_bytes(folder / "verlauf.csv", _csv_bytes(changes)),
    ]
    target = folder / "massnahmen.xlsx"
    with atomic_path(target) as temp:
        _xlsx(temp, {"Maßnahmen": measures, "Ziele": goals, "Verlauf": changes})
    written.append(target)
    document = {
        "kommune": concept.municipality,
        "titel": title or concept.title,
        "stichtag": snapshot.as_of.isoformat(),
        "entwurf": draft,
        "lizenz": attrs.asdict(licence) if licence is not None else None,
        "namensnennung": attribution or None,
        "erzeugt_mit": f"kik {__version__}",
        "massnahmen": _json_records(measures, lists=("verantwortlich", "gemeldet_von")),
        "ziele": _json_records(goals),
    }
    written.append(
        atomic_write_text(
            folder / "massnahmen.json", json.dumps(document, ensure_ascii=False, indent=1) + "\n"
        )
    )
    for name in (SCHEMA_FILE, DICTIONARY_FILE):
        written.append(atomic_write_text(folder / name, _package_file(name)))
    return written
