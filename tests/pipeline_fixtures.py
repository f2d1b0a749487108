"""Generated municipality folders for the pipeline tests and the benchmark.

Each folder is made the way an integration office makes one: ``kik init``
(:func:`kik_core.workflow.init_folder`), a concept workbook, and partners'
update files (``Rückmeldung`` sheets) in ``eingang/``.
"""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

from openpyxl import Workbook

from kik_core import Concept, FieldOfAction, Goal, Measure, write_concept_workbook
from kik_core.workflow import init_folder

__all__ = [
    "AS_OF",
    "HEADER",
    "break_folder",
    "free_port",
    "make_municipalities",
    "make_municipality",
    "pipeline_concept",
    "write_update_file",
]

HEADER = ("Maßnahme", "Status", "Stand am", "Institution", "Aktueller Stand", "Ausblick")
#: The "Stand am" of the generated updates (in the past, so never a future date).
AS_OF = dt.date(2024, 3, 31)
_STATUSES = ("wartend", "in Bearbeitung", "implementiert")


def pipeline_concept(municipality: str) -> Concept:
    """Two fields, three goals, six measures."""
    return Concept(
        municipality=municipality,
        title=f"Integrationskonzept {municipality}",
        adopted_on=dt.date(2021, 11, 18),
        fields=(
            FieldOfAction("BS", "Bildung und Sprache"),
            FieldOfAction("AA", "Arbeit und Ausbildung"),
        ),
        goals=(
            Goal("BS-1", "Wichtige Themen werden transportiert."),
            Goal("BS-2", "Angebote sind bekannt."),
            Goal("AA-1", "Beratung vor Ort."),
        ),
        measures=(
            Measure("BS-1.1", "Strukturen werden aufgebaut."),
            Measure("BS-1.2", "Eine Plattform wird geschaffen."),
            Measure("BS-2.1", "Angebote werden gebündelt."),
            Measure("AA-1.1", "Perspektivberatung."),
            Measure("AA-1.2", "Anerkennungsberatung."),
            Measure("AA-1.3", "Jobcafé."),
        ),
    )


def write_update_file(
    path: Path, rows: list[tuple[object, ...]], *, sheet: str = "Rückmeldung"
) -> Path:
    """A partner's update workbook: the header and ``rows`` on sheet ``sheet``."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet
    ws.append(HEADER)
    for row in rows:
        ws.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def make_municipality(
    root: Path, name: str, *, seed: int = 0, bad_rows: int = 0, as_of: dt.date = AS_OF
) -> Path:
    """A municipality folder with a concept and one partner's update in ``eingang/``.

    Args:
        root: where to create the folder.
        name: the folder's name; the municipality is its title-cased form.
        seed: varies the statuses between municipalities.
        bad_rows: rows with an unknown measure id, to be rejected.
        as_of: the "Stand am" of every row.
    """
    municipality = name.replace("-", " ").title()
    folder = init_folder(root / name, municipality)
    write_concept_workbook(pipeline_concept(municipality), folder / "konzept.xlsx")
    concept = pipeline_concept(municipality)
    rows: list[tuple[object, ...]] = [
        (
            m.id,
            _STATUSES[(i + seed) % len(_STATUSES)],
            as_of,
            "vhs",
            f"Stand {m.id}",
            "weiter so",
        )
        for i, m in enumerate(concept.measures)
    ]
    rows += [(f"XX-{n}.1", "implementiert", as_of, "vhs", "", "") for n in range(bad_rows)]
    write_update_file(folder / "eingang" / "vhs.xlsx", rows)
    return folder


def break_folder(folder: Path) -> Path:
    """Point ``kik.toml`` at a concept file that does not exist (a SettingsError)."""
    settings = folder / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace('datei = "konzept.xlsx"', 'datei = "fehlt.xlsx"'), encoding="utf-8"
    )
    return folder


def make_municipalities(root: Path, count: int, *, broken: int | None = None) -> list[Path]:
    """``count`` folders ``kommune-000`` …; the one at index ``broken`` is broken on purpose."""
    folders = [make_municipality(root, f"kommune-{n:03d}", seed=n) for n in range(count)]
    if broken is not None:
        break_folder(folders[broken])
    return folders


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
