"""Reminders: the mail-merge list, and e-mails through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import io
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from kik_core import PartnerContact, workflow, write_concept_workbook
from kik_core.errors import MailError
from kik_core.rounds import Round
from kik_core.settings import load_settings

from .ingest_helpers import concept as small_concept
from .ingest_helpers import good_row, write_csv
from .pipeline_fixtures import free_port

STICHTAG, DEADLINE = dt.date(2024, 3, 31), dt.date(2024, 4, 21)
TODAY = dt.date(2024, 4, 10)
CONTACTS = (
    PartnerContact("Volkshochschule", "Frau Berg", "vhs@musterstadt.example", "+49 831 1"),
    PartnerContact("Stadtbibliothek", "", "bib@musterstadt.example", ""),
    PartnerContact("Jobcenter", "Herr Yilmaz", "", "=HYPERLINK(1)"),
)
#: What each partner is asked for (their measures and those measures' goals).
ASKED = {
    "vhs@musterstadt.example": {"BS-4", "BS-4.1", "BS-4.2", "BS-4.3"},
    "bib@musterstadt.example": {"BS-4", "BS-4.2", "BS-5", "BS-5.1"},
}


class Recorder:
    """An aiosmtpd handler that keeps every accepted message and refuses chosen addresses."""

    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.hang_up: set[str] = set()  # answer 421: the server closes the connection
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if address in self.hang_up:
            return "421 4.3.2 Service shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def _folder(tmp_path: Path, port: int, *, extra: str = "") -> Path:
    folder = workflow.init_folder(tmp_path / "musterstadt", "Musterstadt")
    write_concept_workbook(small_concept(), folder / "konzept.xlsx", partners=CONTACTS)
    toml = folder / "kik.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + f'\n[email]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n'
        f'absender = "integration@musterstadt.example"\n{extra}',
        encoding="utf-8",
    )
    settings = load_settings(folder)
    with workflow.open_store(settings) as store:
        store.open_round(Round(STICHTAG, DEADLINE, dt.datetime(2024, 4, 1, tzinfo=dt.UTC)))
    rows = [good_row("BS-4.1", "implementiert", Stand_am="31.03.2024")]
    write_csv(folder / "eingang" / "vhs.csv", rows)
    workflow.ingest(folder, today=TODAY)
    return folder


def _sent(folder: Path) -> list[str]:
    with workflow.open_store(load_settings(folder)) as store:
        return [r.partner for r in store.reminders(STICHTAG)]


def _attachment_ids(message: EmailMessage) -> set[str]:
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(attachment.get_content()))
    sheet = workbook["Rückmeldung"]
    rows = list(sheet.iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if row[0] == "Maßnahme")
    return {str(row[0]) for row in rows[head + 1 :] if row[0]}


def test_each_partner_gets_their_own_template(tmp_path: Path, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    folder = _folder(tmp_path, port)
    result = workflow.remind(folder, send=True)
    assert result.sent is not None
    assert result.sent.sent == (
        ("Stadtbibliothek", "bib@musterstadt.example"),
        ("Volkshochschule", "vhs@musterstadt.example"),
    )
    assert result.sent.without_address == ("Jobcenter",)
    assert len(recorder.messages) == 2
    for recipients, message in recorder.messages:
        (address,) = recipients
        assert message["To"] == address
        assert _attachment_ids(message) == ASKED[address]
    vhs = next(m for r, m in recorder.messages if r == ["vhs@musterstadt.example"])
    assert "Stichtag 31.03.2024, bitte bis 21.04.2024" in vhs["Subject"]
    body = vhs.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("Guten Tag Frau Berg,")
    assert "- BS-4.2 Sprachcafé." in text
    assert "BS-4.1" not in text  # reported this round
    assert _sent(folder) == ["Stadtbibliothek", "Volkshochschule"]


def test_refused_recipient_is_not_marked_as_sent(
    tmp_path: Path, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    folder = _folder(tmp_path, port)
    recorder.refuse = {"bib@musterstadt.example"}
    result = workflow.remind(folder, send=True)
    assert result.sent is not None
    assert result.sent.sent == (("Volkshochschule", "vhs@musterstadt.example"),)
    assert result.sent.refused == (("Stadtbibliothek", "vom Mailserver abgelehnt (Code 550)"),)
    assert _sent(folder) == ["Volkshochschule"]
    # once the address works, the next run sends only what is missing
    recorder.refuse = set()
    again = workflow.remind(folder, send=True)
    assert again.sent is not None
    assert again.sent.sent == (("Stadtbibliothek", "bib@musterstadt.example"),)
    assert again.sent.already == ("Volkshochschule",)
    assert [r for r, _ in recorder.messages] == [
        ["vhs@musterstadt.example"],
        ["bib@musterstadt.example"],
    ]


def test_running_twice_sends_nothing_new(tmp_path: Path, smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    folder = _folder(tmp_path, port)
    workflow.remind(folder, send=True)
    second = workflow.remind(folder, send=True)
    assert second.sent is not None
    assert second.sent.sent == ()
    assert second.sent.already == ("Stadtbibliothek", "Volkshochschule")
    assert len(recorder.messages) == 2
    assert _sent(folder) == ["Stadtbibliothek", "Volkshochschule"]


def test_server_down_sends_and_marks_nothing(tmp_path: Path) -> None:
    folder = _folder(tmp_path, free_port())  # nothing listens there
    with pytest.raises(MailError, match=r"nicht erreichbar.*Es wurde nichts versendet"):
        workflow.remind(folder, send=True)
    assert _sent(folder) == []


def test_missing_password_variable_changes_nothing(
    tmp_path: Path, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    folder = _folder(tmp_path, port, extra='passwort_variable = "KIK_TEST_SMTP_PW"\n')
    before = sorted(p.name for p in (folder / "ausgang").iterdir())
    with pytest.raises(MailError, match=r"KIK_TEST_SMTP_PW.*nicht gesetzt"):
        workflow.remind(folder, send=True, environ={})
    assert sorted(p.name for p in (folder / "ausgang").iterdir()) == before
    assert recorder.messages == []
    assert _sent(folder) == []


def test_login_with_the_password_from_the_environment(tmp_path: Path) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    seen: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((data.login, data.password))
        return AuthResult(success=data.password == b"geheim", handled=False)

    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        folder = _folder(
            tmp_path, port, extra='benutzer = "buero"\npasswort_variable = "KIK_TEST_SMTP_PW"\n'
        )
        with pytest.raises(MailError, match="Anmeldung als „buero“ abgelehnt"):
            workflow.remind(folder, send=True, environ={"KIK_TEST_SMTP_PW": "falsch"})
        assert _sent(folder) == []
        workflow.remind(folder, send=True, environ={"KIK_TEST_SMTP_PW": "geheim"})
    finally:
        controller.stop()
    assert seen[-1] == (b"buero", b"geheim")
    assert len(recorder.messages) == 2


def test_send_without_email_settings_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 25)
    toml = folder / "kik.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[: text.index("\n[email]")], encoding="utf-8")
    with pytest.raises(MailError, match=r"fehlt in kik.toml die Tabelle \[email\]"):
        workflow.remind(folder, send=True)
    assert not list((folder / "ausgang").glob("Erinnerungen_*"))


def test_mail_merge_list(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 25)
    result = workflow.remind(folder)
    assert result.sent is None
    assert result.csv.name == "Erinnerungen_2024-03-31.csv"
    data = result.csv.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == (
        "Partner;Ansprechperson;E-Mail;Telefon;Stichtag;Frist;Anzahl fehlend;"
        "fehlende Maßnahmen;Maßnahmen (Text)"
    )
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1:] == [
        [
            "Jobcenter",
            "Herr Yilmaz",
            "",
            "'=HYPERLINK(1)",  # never evaluated as a formula
            "31.03.2024",
            "21.04.2024",
            "2",
            "AA-1.1, AA-1.2",
            "AA-1.1 Perspektivberatung.; AA-1.2 Anerkennungsberatung.",
        ],
        [
            "Stadtbibliothek",
            "",
            "bib@musterstadt.example",
            "",
            "31.03.2024",
            "21.04.2024",
            "2",
            "BS-4.2, BS-5.1",
            "BS-4.2 Sprachcafé.; BS-5.1 Elternabende.",
        ],
        [
            "Volkshochschule",
            "Frau Berg",
            "vhs@musterstadt.example",
            "+49 831 1",  # a phone number stays as it is
            "31.03.2024",
            "21.04.2024",
            "2",
            "BS-4.2, BS-4.3",
            "BS-4.2 Sprachcafé.; BS-4.3 Kinderbetreuung während der Kurse.",
        ],
    ]
    # a second list never overwrites the first (the office may have edited it)
    assert workflow.remind(folder).csv.name == "Erinnerungen_2024-03-31_2.csv"
    assert result.csv.read_bytes() == data


def test_no_reminders_for_an_issued_round(tmp_path: Path) -> None:
    from kik_core.errors import RoundError

    folder = _folder(tmp_path, 25)
    workflow.issue(folder, accept_conflicts=True, pdf=False)
    with pytest.raises(RoundError, match="ist herausgegeben"):
        workflow.remind(folder)
    assert not list((folder / "ausgang").glob("Erinnerungen_*"))


def test_connection_lost_midway_marks_only_what_was_accepted(
    tmp_path: Path, smtp: tuple[Recorder, int]
) -> None:
    recorder, port = smtp
    folder = _folder(tmp_path, port)
    recorder.hang_up = {"bib@musterstadt.example"}  # the first of the two
    with pytest.raises(MailError, match=r"Verbindung zum Mailserver .* ist abgebrochen"):
        workflow.remind(folder, send=True)
    assert recorder.messages == []
    assert _sent(folder) == []
    recorder.hang_up = {"vhs@musterstadt.example"}  # now the second one
    result = workflow.remind(folder, send=True)
    assert result.sent is not None
    assert result.sent.sent == (("Stadtbibliothek", "bib@musterstadt.example"),)
    assert result.sent.refused == (("Volkshochschule", "vom Mailserver abgelehnt (Code 421)"),)
    assert _sent(folder) == ["Stadtbibliothek"]
