"""E-mail notifications of scheduled runs (``kik_pipelines.notify``), on a real SMTP server."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from pathlib import Path

import pytest

pytest.importorskip("aiosmtpd")

from kik_core.settings import EmailSettings
from kik_pipelines.notify import env_email_settings, mail_server, notify_run, recipients
from tests.pipeline_fixtures import SmtpSink, free_port, make_municipality, smtp_sink


def _with_recipients(folder: Path, *addresses: str) -> Path:
    settings = folder / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    listed = ", ".join(f'"{a}"' for a in addresses)
    text = text.replace("[zeitplan]\n", f"[zeitplan]\nbenachrichtigung = [{listed}]\n")
    settings.write_text(text, encoding="utf-8")
    return folder


def _with_email_table(folder: Path, sink: SmtpSink) -> Path:
    settings = folder / "kik.toml"
    table = (
        f'\n[email]\nhost = "{sink.host}"\nport = {sink.port}\nstarttls = false\n'
        'absender = "integration@stadt.example"\n'
    )
    settings.write_text(settings.read_text(encoding="utf-8") + table, encoding="utf-8")
    return folder


def _body(message: object) -> str:
    assert isinstance(message, EmailMessage)
    body = message.get_body()
    assert body is not None
    return str(body.get_content())


def test_env_email_settings() -> None:
    assert env_email_settings({}) is None
    assert env_email_settings({"KIK_SMTP_HOST": "mail.example", "KIK_SMTP_USER": "kik"}) == (
        EmailSettings("mail.example", "kik@mail.example", 587, True, "kik", "KIK_SMTP_PASSWORD")
    )
    plain = env_email_settings({"KIK_SMTP_HOST": "m", "KIK_SMTP_STARTTLS": "0"})
    assert plain is not None
    assert (plain.port, plain.starttls, plain.password_variable) == (25, False, "")


def test_mail_server_prefers_the_folders_email_table(tmp_path: Path) -> None:
    env = {"KIK_SMTP_HOST": "operator.example"}
    folder = make_municipality(tmp_path, "k")
    server = mail_server(folder, env)
    assert server is not None
    assert server.host == "operator.example"
    sink = SmtpSink()
    sink.port = 2525
    server = mail_server(_with_email_table(folder, sink), env)
    assert server is not None
    assert (server.host, server.sender) == ("127.0.0.1", "integration@stadt.example")
    assert mail_server(tmp_path / "fehlt", {}) is None


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


def test_notify_run_through_the_folders_server(tmp_path: Path) -> None:
    folder = _with_recipients(make_municipality(tmp_path, "k"), "amt@stadt.example")
    with smtp_sink() as sink:
        _with_email_table(folder, sink)
        env = {"KIK_BENACHRICHTIGUNG_AN": "it@land.example"}
        assert notify_run(folder=folder, subject="Betreff äöü", body="Grüße", env=env) is True
    assert sink.recipients == [["it@land.example"], ["amt@stadt.example"]]
    assert [m["From"] for m in sink.messages] == ["integration@stadt.example"] * 2
    assert sink.messages[0]["Subject"] == "Betreff äöü"
    assert _body(sink.messages[0]).strip() == "Grüße"


def test_notify_run_through_the_operators_server(tmp_path: Path) -> None:
    """A broken kik.toml: its addresses still count, the operator's server sends."""
    folder = _with_recipients(make_municipality(tmp_path, "k"), "amt@stadt.example")
    settings = folder / "kik.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n[unbekannt]\n")
    with smtp_sink() as sink:
        assert notify_run(folder=folder, subject="S", body="B", env=sink.env()) is True
    assert sink.recipients == [["amt@stadt.example"]]
    assert sink.messages[0]["From"] == "kik@test.example"


def test_notify_run_without_server_or_recipients_logs_and_returns_false(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _with_recipients(make_municipality(tmp_path, "k"), "amt@stadt.example")
    caplog.set_level(logging.DEBUG, logger="kik_pipelines.notify")
    assert notify_run(folder=tmp_path / "leer", subject="S", body="B", env={}) is False
    assert notify_run(folder=folder, subject="S", body="B", env={}) is False
    assert "weder [email] in kik.toml noch KIK_SMTP_HOST" in caplog.text
    closed = {"KIK_SMTP_HOST": "127.0.0.1", "KIK_SMTP_PORT": str(free_port())}
    closed["KIK_SMTP_STARTTLS"] = "0"
    assert notify_run(folder=folder, subject="S", body="B", env=closed) is False
    record = next(
        r for r in caplog.records if r.name == "kik_pipelines.notify" and r.levelno == logging.ERROR
    )
    assert "nicht gesendet: Der Mailserver 127.0.0.1:" in record.getMessage()
    assert "nicht erreichbar" in record.getMessage()
    assert record.exc_info is None
