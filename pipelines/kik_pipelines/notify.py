"""E-mail to the office when a quarterly run fails or has rejected rows.

The flows :func:`~kik_pipelines.flows.quarterly_report` and
:func:`~kik_pipelines.flows.state_report` call :func:`notify_run` from their
Prefect state hooks (``on_failure``, ``on_crashed``, ``on_completion``). A mail
goes out when the run ended

* failed or crashed (subject ``… fehlgeschlagen``), or
* completed with rejected rows or quarantined files (the state
  :data:`~kik_pipelines.flows.WITH_REJECTIONS`) or with failed municipalities.

A plain success sends nothing.

**Who gets it**: the addresses in ``[zeitplan] benachrichtigung`` of the folder's
``kik.toml`` (read even when the rest of the file is invalid, so a broken
``kik.toml`` is reported too), plus ``KIK_BENACHRICHTIGUNG_AN`` (comma-separated)
from the environment, for the operator.

**How it is sent**: through the SMTP server in the environment of the process
that runs the flow (``kik serve``, a worker), so that the password never sits in
a municipality folder:

==========================  ===============================================
``KIK_SMTP_HOST``           the server; without it no mail is sent
``KIK_SMTP_PORT``           default 587 with STARTTLS, else 25
``KIK_SMTP_STARTTLS``       ``1`` (default) or ``0``
``KIK_SMTP_USER``           login name (optional)
``KIK_SMTP_PASSWORD``       password (optional, only with a user)
``KIK_SMTP_ABSENDER``       the sender address (default ``kik@<host>``)
==========================  ===============================================

A mail that cannot be sent is logged (German, no traceback) and never changes
the run's state.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tomllib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import attrs

from kik_core.settings import SETTINGS_FILE

__all__ = [
    "RECIPIENTS_ENV",
    "MailConfig",
    "notify_run",
    "recipients",
    "send_mail",
]

#: Extra recipients of every notification (comma-separated), for the operator.
RECIPIENTS_ENV = "KIK_BENACHRICHTIGUNG_AN"

_log = logging.getLogger("kik_pipelines.notify")


@attrs.frozen
class MailConfig:
    """An SMTP server to send through (see the module docstring for the variables)."""

    host: str
    port: int
    starttls: bool = True
    user: str = ""
    password: str = attrs.field(default="", repr=False)
    sender: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailConfig | None:
        """The server from ``KIK_SMTP_*``; ``None`` when ``KIK_SMTP_HOST`` is unset."""
        env = os.environ if env is None else env
        host = env.get("KIK_SMTP_HOST", "").strip()
        if not host:
            return None
        starttls = env.get("KIK_SMTP_STARTTLS", "1").strip().lower() not in {"0", "false", "nein"}
        port_text = env.get("KIK_SMTP_PORT", "").strip()
        port = int(port_text) if port_text else (587 if starttls else 25)
        return cls(
            host=host,
            port=port,
            starttls=starttls,
            user=env.get("KIK_SMTP_USER", "").strip(),
            password=env.get("KIK_SMTP_PASSWORD", ""),
            sender=env.get("KIK_SMTP_ABSENDER", "").strip() or f"kik@{host}",
        )


def send_mail(config: MailConfig, to: Sequence[str], subject: str, body: str) -> None:
    """Send one plain-text mail (UTF-8) to ``to``.

    Raises:
        OSError: the server cannot be reached (``smtplib.SMTPException`` is one).
    """
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config.host, config.port, timeout=30) as smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(message)


def recipients(folder: str | Path | None, env: Mapping[str, str] | None = None) -> list[str]:
    """Who is told about a run of ``folder``: ``[zeitplan] benachrichtigung`` + the environment.

    ``kik.toml`` is read on its own here (not through ``load_settings``), so the
    addresses are found even when another setting makes the file invalid.
    """
    env = os.environ if env is None else env
    found: list[str] = [a.strip() for a in env.get(RECIPIENTS_ENV, "").split(",") if a.strip()]
    if folder is not None:
        try:
            data = tomllib.loads((Path(folder) / SETTINGS_FILE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        schedule = data.get("zeitplan", {})
        listed = schedule.get("benachrichtigung", []) if isinstance(schedule, dict) else []
        if isinstance(listed, str):
            listed = [listed]
        if isinstance(listed, list):
            found += [a.strip() for a in listed if isinstance(a, str) and a.strip()]
    return list(dict.fromkeys(found))


def notify_run(
    *,
    folder: str | Path | None,
    subject: str,
    body: str,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Mail ``subject``/``body`` to the run's recipients; ``True`` if a mail was sent.

    Never raises for a missing configuration or an unreachable server: it logs
    why no mail went out (German) and returns ``False``.
    """
    log = logger or _log
    to = recipients(folder, env)
    if not to:
        log.debug("Keine Benachrichtigung: keine Empfänger ([zeitplan] benachrichtigung)")
        return False
    config = MailConfig.from_env(env)
    if config is None:
        log.warning(
            "Benachrichtigung an %s nicht gesendet: KIK_SMTP_HOST ist nicht gesetzt",
            ", ".join(to),
        )
        return False
    try:
        send_mail(config, to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        log.error(  # noqa: TRY400 - a mail server problem is no bug: no traceback
            "Benachrichtigung an %s nicht gesendet: SMTP-Server %s:%d: %s",
            ", ".join(to),
            config.host,
            config.port,
            exc,
        )
        return False
    log.info("Benachrichtigung gesendet an %s: %s", ", ".join(to), subject)
    return True
