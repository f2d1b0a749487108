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

**How it is sent**: through :mod:`kik_core.mail` (the same code as the partner
reminders), with the folder's ``[email]`` table of ``kik.toml`` (server, sender,
the environment variable holding the password). Where the folder has no
``[email]`` (or its ``kik.toml`` cannot be read), the operator's server from the
environment of the process that runs the flow (``kik serve``, a worker) is used:

==========================  ===============================================
``KIK_SMTP_HOST``           the server; without it (and without ``[email]``)
                            no mail is sent
``KIK_SMTP_PORT``           default 587 with STARTTLS, else 25
``KIK_SMTP_STARTTLS``       ``1`` (default) or ``0``
``KIK_SMTP_USER``           login name (optional)
``KIK_SMTP_PASSWORD``       its password (only with a user)
``KIK_SMTP_ABSENDER``       the sender address (default ``kik@<host>``)
==========================  ===============================================

A mail that cannot be sent is logged (German, no traceback) and never changes
the run's state.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kik_core.errors import KikError
from kik_core.mail import Mailer, build_message, smtp_password
from kik_core.settings import SETTINGS_FILE, EmailSettings, load_settings

__all__ = [
    "PASSWORD_ENV",
    "RECIPIENTS_ENV",
    "env_email_settings",
    "mail_server",
    "notify_run",
    "recipients",
]

#: Extra recipients of every notification (comma-separated), for the operator.
RECIPIENTS_ENV = "KIK_BENACHRICHTIGUNG_AN"
#: The variable holding the password of the operator's server (``KIK_SMTP_USER``).
PASSWORD_ENV = "KIK_SMTP_PASSWORD"  # noqa: S105 - a variable name, not a password

_log = logging.getLogger("kik_pipelines.notify")


def env_email_settings(env: Mapping[str, str] | None = None) -> EmailSettings | None:
    """The operator's SMTP server from ``KIK_SMTP_*``; ``None`` when ``KIK_SMTP_HOST`` is unset."""
    env = os.environ if env is None else env
    host = env.get("KIK_SMTP_HOST", "").strip()
    if not host:
        return None
    starttls = env.get("KIK_SMTP_STARTTLS", "1").strip().lower() not in {"0", "false", "nein"}
    port_text = env.get("KIK_SMTP_PORT", "").strip()
    user = env.get("KIK_SMTP_USER", "").strip()
    return EmailSettings(
        host=host,
        sender=env.get("KIK_SMTP_ABSENDER", "").strip() or f"kik@{host}",
        port=int(port_text) if port_text else (587 if starttls else 25),
        starttls=starttls,
        user=user,
        password_variable=PASSWORD_ENV if user else "",
    )


def mail_server(
    folder: str | Path | None, env: Mapping[str, str] | None = None
) -> EmailSettings | None:
    """The server to send through: the folder's ``[email]``, else :func:`env_email_settings`."""
    if folder is not None:
        try:
            email = load_settings(folder).email
        except KikError:  # a broken kik.toml is what the mail is about: use the operator's
            email = None
        if email is not None:
            return email
    return env_email_settings(env)


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
    """Mail ``subject``/``body`` to the run's recipients; ``True`` if every mail went out.

    One message per recipient, through :class:`kik_core.mail.Mailer`. Never
    raises for a missing configuration, an unreachable server or a refused
    address: it logs why (German, no traceback) and returns ``False``.
    """
    log = logger or _log
    to = recipients(folder, env)
    if not to:
        log.debug("Keine Benachrichtigung: keine Empfänger ([zeitplan] benachrichtigung)")
        return False
    email = mail_server(folder, env)
    if email is None:
        log.warning(
            "Benachrichtigung an %s nicht gesendet: weder [email] in kik.toml noch "
            "KIK_SMTP_HOST ist gesetzt",
            ", ".join(to),
        )
        return False
    refused: list[str] = []
    try:
        password = smtp_password(email, env)
        with Mailer(email, password) as mailer:
            for address in to:
                message = build_message(sender=email.sender, to=address, subject=subject, body=body)
                refusal = mailer.send(message)
                if refusal is not None:
                    refused.append(f"{address}: {refusal}")
    except KikError as exc:  # MailError: server down, login or sender refused
        log.error("Benachrichtigung an %s nicht gesendet: %s", ", ".join(to), exc)  # noqa: TRY400
        return False
    if refused:
        log.error("Benachrichtigung nicht zugestellt an %s", "; ".join(refused))
        return False
    log.info("Benachrichtigung gesendet an %s: %s", ", ".join(to), subject)
    return True
