"""Generated municipality folders for the pipeline tests and the benchmark.

Each folder is made the way an integration office makes one: ``kik init``
(:func:`kik_core.workflow.init_folder`), a concept workbook, and partners'
update files (``Rückmeldung`` sheets) in ``eingang/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import shutil
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from kik_core import Concept, FieldOfAction, Goal, Measure, write_concept_workbook
from kik_core.model import Status
from kik_core.workflow import init_folder

__all__ = [
    "AS_OF",
    "HEADER",
    "KEMPTEN_SIZE_FILES",
    "SmtpSink",
    "break_folder",
    "free_port",
    "make_kempten_size_municipalities",
    "make_municipalities",
    "make_municipality",
    "pipeline_concept",
    "smtp_sink",
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


#: Partner files per Kempten-size municipality (issue 16: 20 partner files each).
KEMPTEN_SIZE_FILES = 20
#: Distinct sets of partner files; municipality ``n`` gets set ``n % _VARIANTS``.
_VARIANTS = 5


def _kempten_size_rows(variant: int) -> list[tuple[object, ...]]:
    """The update rows of the Kempten-shaped synthetic case (tests/report_fixtures.py).

    Variant 0 keeps the case's statuses; the others move every ``variant + 2``-th
    measure on by one status, so the municipalities' counts and charts differ.
    """
    from tests.report_fixtures import AS_OF as CASE_AS_OF
    from tests.report_fixtures import make_case

    case = make_case()
    statuses = [s.label for s in (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)]
    rows: list[tuple[object, ...]] = []
    for i, r in enumerate(r for r in case.reports if r.as_of == CASE_AS_OF):
        status = "" if r.status is None else r.status.label
        if status and variant and i % (variant + 2) == 0:
            status = statuses[(statuses.index(status) + 1) % len(statuses)]
        rows.append((r.target_id, status, r.as_of, "", r.current_state, r.outlook))
    return rows


def _kempten_size_templates(root: Path) -> tuple[Path, list[list[Path]]]:
    """The concept workbook and ``_VARIANTS`` sets of partner files, written once."""
    from tests.report_fixtures import make_case

    case = make_case()
    concept = write_concept_workbook(case.concept, root / "konzept.xlsx", case.content)
    variants: list[list[Path]] = []
    for v in range(_VARIANTS):
        rows = _kempten_size_rows(v)
        files: list[Path] = []
        for k in range(KEMPTEN_SIZE_FILES):
            partner = f"Partner {k + 1:02d}"
            mine = [(*row[:3], partner, *row[4:]) for row in rows[k::KEMPTEN_SIZE_FILES]]
            files.append(write_update_file(root / f"v{v}" / f"partner-{k + 1:02d}.xlsx", mine))
        variants.append(files)
    return concept, variants


def make_kempten_size_municipalities(root: Path, count: int) -> list[Path]:
    """``count`` Kempten-size folders ``kommune-000`` …: 144 measures, 20 partner files each.

    The concept is the synthetic Kempten-shaped one of ``tests/report_fixtures.py``
    (six fields, 43 goals, 144 measures, field intros, highlights, indicators,
    timeline); its measure and goal reports at 2023-09-30 are spread over
    :data:`KEMPTEN_SIZE_FILES` partner files in ``eingang/``. The workbooks are
    written once and copied, so making 1,000 folders takes seconds, not minutes.
    ``[bericht] stichtag`` is 2023-09-30, so every report is about that date.
    """
    templates = root / "_vorlagen"
    concept, variants = _kempten_size_templates(templates)
    folders = []
    for n in range(count):
        folder = init_folder(root / f"kommune-{n:03d}", f"Kommune {n:03d}")
        shutil.copyfile(concept, folder / "konzept.xlsx")
        for file in variants[n % _VARIANTS]:
            shutil.copyfile(file, folder / "eingang" / file.name)
        settings = folder / "kik.toml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(
            text.replace("# stichtag = 2023-09-30", "stichtag = 2023-09-30", 1), encoding="utf-8"
        )
        folders.append(folder)
    return folders


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An aiosmtpd handler keeping every received mail (a real SMTP server, no network)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []
        self.host = "127.0.0.1"
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        """Store the mail (aiosmtpd calls this for every message)."""
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def env(self) -> dict[str, str]:
        """The ``KIK_SMTP_*`` variables that send through this server."""
        return {
            "KIK_SMTP_HOST": self.host,
            "KIK_SMTP_PORT": str(self.port),
            "KIK_SMTP_STARTTLS": "0",
            "KIK_SMTP_ABSENDER": "kik@test.example",
        }


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server on 127.0.0.1 (aiosmtpd) for as long as the block runs."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
