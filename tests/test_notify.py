"""E-mail notifications of scheduled runs (``kik_pipelines.notify``), on a real SMTP server."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from pathlib import Path

import pytest

pytest.importorskip("aiosmtpd")

from kik_pipelines.notify import MailConfig, notify_run, recipients, send_mail
from tests.pipeline_fixtures import free_port, make_municipality, smtp_sink


def _with_recipients(folder: Path, *addresses: str) -> Path:
    settings = folder / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    listed = ", ".join(f'"{a}"' for a in addresses)
    text = text.replace("[zeitplan]\n", f"[zeitplan]\nbenachrichtigung = [{listed}]\n")
    settings.write_text(text, encoding="utf-8")
    return folder


def test_mail_config_from_env() -> None:
    assert MailConfig.from_env({}) is None
    config = MailConfig.from_env({"KIK_SMTP_HOST": "mail.example", "KIK_SMTP_PASSWORD": "geheim-1"})
    assert config == MailConfig("mail.example", 587, True, "", "geheim-1", "kik@mail.example")
    assert "geheim-1" not in repr(config)
    plain = MailConfig.from_env({"KIK_SMTP_HOST": "m", "KIK_SMTP_STARTTLS": "0"})
    assert plain is not None
    assert (plain.port, plain.starttls) == (25, False)


def test_send_mail_reaches_the_server() -> None:
    with smtp_sink() as sink:
        config = MailConfig.from_env(sink.env())
        assert config is not None
        send_mail(config, ["amt@stadt.example"], "Betreff äöü", "Grüße\n")
    [message] = sink.messages
    assert message["Subject"] == "Betreff äöü"
    assert sink.recipients == [["amt@stadt.example"]]
    assert isinstance(message, EmailMessage)
    body = message.get_body()
    assert body is not None
    assert body.get_content().strip() == "Grüße"


def test_recipients_from_kik_toml_and_env(tmp_path: Path) -> None:
    folder = _with_recipients(make_municipality(tmp_path, "k"), "amt@stadt.example")
    env = {"KIK_BENACHRICHTIGUNG_AN": "it@land.example, amt@stadt.example"}
    assert recipients(folder, env) == ["it@land.example", "amt@stadt.example"]
    assert recipients(None, env) == ["it@land.example", "amt@stadt.example"]
    assert recipients(tmp_path / "fehlt", {}) == []


def test_recipients_found_in_an_otherwise_invalid_kik_toml(tmp_path: Path) -> None:
    folder = _with_recipients(make_municipality(tmp_path, "k"), "amt@stadt.example")
    settings = folder / "kik.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n[unbekannt]\n")
    assert recipients(folder, {}) == ["amt@stadt.example"]


def test_notify_run_sends_to_everyone(tmp_path: Path) -> None:
    folder = _with_recipients(make_municipality(tmp_path, "k"), "amt@stadt.example")
    with smtp_sink() as sink:
        env = sink.env() | {"KIK_BENACHRICHTIGUNG_AN": "it@land.example"}
        assert notify_run(folder=folder, subject="S", body="B", env=env) is True
    assert sink.recipients == [["it@land.example", "amt@stadt.example"]]


def test_notify_run_without_server_or_recipients_logs_and_returns_false(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _with_recipients(make_municipality(tmp_path, "k"), "amt@stadt.example")
    caplog.set_level(logging.DEBUG, logger="kik_pipelines.notify")
    assert notify_run(folder=tmp_path / "leer", subject="S", body="B", env={}) is False
    assert notify_run(folder=folder, subject="S", body="B", env={}) is False
    assert "KIK_SMTP_HOST ist nicht gesetzt" in caplog.text
    closed = {"KIK_SMTP_HOST": "127.0.0.1", "KIK_SMTP_PORT": str(free_port())}
    closed["KIK_SMTP_STARTTLS"] = "0"
    assert notify_run(folder=folder, subject="S", body="B", env=closed) is False
    record = caplog.records[-1]
    assert record.levelno == logging.ERROR
    assert "nicht gesendet: SMTP-Server 127.0.0.1" in record.getMessage()
    assert record.exc_info is None
