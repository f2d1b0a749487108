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
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from kik_core import Concept, FieldOfAction, Goal, Measure, write_concept_workbook
from kik_core.workflow import init_folder

__all__ = [
    "AS_OF",
    "HEADER",
    "SmtpSink",
    "break_folder",
    "free_port",
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
