"""The SMTP helpers: the password only from the environment, German-labelled messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from kik_core.errors import MailError
from kik_core.mail import XLSX_TYPE, build_message, smtp_password
from kik_core.settings import EmailSettings

SERVER = EmailSettings("smtp.stadt.example", "integration@stadt.example")
#: The server with a login; the password is in the environment variable KIK_PW.
WITH_LOGIN = EmailSettings("h", "a@stadt.example", 587, True, "", "KIK_PW")


def test_password_comes_from_the_named_variable() -> None:
    assert smtp_password(WITH_LOGIN, {"KIK_PW": "geheim"}) == "geheim"
    assert smtp_password(SERVER, {}) is None  # no login configured


@pytest.mark.parametrize("environ", [{}, {"KIK_PW": ""}])
def test_named_but_unset_variable_is_a_german_error(environ: dict[str, str]) -> None:
    with pytest.raises(MailError, match="Umgebungsvariable KIK_PW, sie ist aber nicht gesetzt"):
        smtp_password(WITH_LOGIN, environ)


def test_message_has_id_text_and_attachment(tmp_path: Path) -> None:
    attachment = tmp_path / "Vorlage_vhs.xlsx"
    attachment.write_bytes(b"PK\x03\x04 not really a workbook")
    message = build_message(
        sender="integration@stadt.example",
        to="vhs@stadt.example",
        subject="Erinnerung: Rückmeldung",
        body="Guten Tag,\n\nbitte bis zum 21.10.2024.\n",
        attachments=[attachment],
    )
    assert str(message["Message-ID"]).endswith("@stadt.example>")
    assert message["Subject"] == "Erinnerung: Rückmeldung"
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == "Vorlage_vhs.xlsx"
    assert (part.get_content_maintype(), part.get_content_subtype()) == XLSX_TYPE
    assert part.get_content() == attachment.read_bytes()
