"""Sending e-mail through the municipality's SMTP server (stdlib ``smtplib``).

The ``[email]`` table of ``kik.toml`` (:class:`kik_core.settings.EmailSettings`)
names the server, the sender and the environment variable with the password;
the password itself is never in ``kik.toml``. :func:`smtp_password` reads it and
fails with a German :class:`~kik_core.errors.MailError` when the variable is
named but not set, before anything is sent.

:class:`Mailer` keeps one connection open for a batch of messages.
:meth:`Mailer.send` tells whether the server *accepted* the one recipient of a
message; only then may a caller record it as sent. Server problems (down,
login refused, sender refused, connection lost) raise :class:`MailError` with a
German message; the server's own English text goes to the debug log.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from types import TracebackType
from typing import Self

from kik_core.errors import MailError
from kik_core.settings import EmailSettings

__all__ = ["XLSX_TYPE", "Mailer", "build_message", "smtp_password"]

log = logging.getLogger("kik_core.mail")

#: The MIME type of an xlsx attachment.
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def smtp_password(email: EmailSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The SMTP password from the environment variable ``[email] passwort_variable``.

    Returns ``None`` when no variable is configured (a server without login).

    Raises:
        MailError: the variable is configured but not set (or empty).
    """
    if not email.password_variable:
        return None
    value = (os.environ if environ is None else environ).get(email.password_variable, "")
    if not value:
        raise MailError(
            f"Das Passwort für den Mailserver fehlt: kik.toml nennt in [email] die "
            f"Umgebungsvariable {email.password_variable}, sie ist aber nicht gesetzt. "
            f"Setzen Sie sie vor dem Aufruf (z. B. export {email.password_variable}=…) "
            "oder entfernen Sie passwort_variable, wenn der Server keine Anmeldung braucht. "
            "Es wurde nichts versendet."
        )
    return value


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[Path] = (),
) -> EmailMessage:
    """A plain-text German e-mail with xlsx attachments and its own Message-ID."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    for path in attachments:
        maintype, subtype = XLSX_TYPE
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


class Mailer:
    """One SMTP session for a batch of messages (a context manager).

    Example:
        >>> with Mailer(settings.email, password) as mailer:  # doctest: +SKIP
        ...     refusal = mailer.send(message)
    """

    def __init__(self, email: EmailSettings, password: str | None, *, timeout: float = 30) -> None:
        self.email = email
        self.password = password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    @property
    def _where(self) -> str:
        return f"{self.email.host}:{self.email.port}"

    def __enter__(self) -> Self:
        try:
            smtp = smtplib.SMTP(self.email.host, self.email.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            log.debug("connect %s failed: %r", self._where, exc)
            raise MailError(
                f"Der Mailserver {self._where} ist nicht erreichbar. Prüfen Sie host und port "
                "in [email] von kik.toml und die Netzverbindung. Es wurde nichts versendet."
            ) from exc
        self._smtp = smtp
        try:
            if self.email.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.password is not None:
                smtp.login(self.email.login, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            self._close()
            log.debug("login at %s refused: %r", self._where, exc)
            raise MailError(
                f"Der Mailserver {self._where} hat die Anmeldung als „{self.email.login}“ "
                f"abgelehnt (Code {exc.smtp_code}). Prüfen Sie benutzer in kik.toml und das "
                "Passwort in der Umgebungsvariablen. Es wurde nichts versendet."
            ) from exc
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            self._close()
            log.debug("starttls/login at %s failed: %r", self._where, exc)
            raise MailError(
                f"Die Verbindung zum Mailserver {self._where} ließ sich nicht sicher aufbauen "
                "(STARTTLS oder Anmeldung fehlgeschlagen). Prüfen Sie starttls in [email] von "
                "kik.toml. Es wurde nichts versendet."
            ) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None

    def send(self, message: EmailMessage) -> str | None:
        """Send one message; ``None`` when the server accepted it, else a German refusal.

        A refusal concerns this recipient only (the server answered 4xx/5xx to
        the address or to the message); the session stays usable.

        Raises:
            MailError: the connection is lost or the server refuses the sender.
        """
        if self._smtp is None:
            raise MailError("Keine Verbindung zum Mailserver")  # programming error guard
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(str(code) for code, _text in exc.recipients.values())
            log.debug("recipient refused by %s: %r", self._where, exc.recipients)
            return f"vom Mailserver abgelehnt (Code {codes})"
        except smtplib.SMTPDataError as exc:
            log.debug("message refused by %s: %r", self._where, exc)
            return f"vom Mailserver abgelehnt (Code {exc.smtp_code})"
        except smtplib.SMTPSenderRefused as exc:
            log.debug("sender refused by %s: %r", self._where, exc)
            raise MailError(
                f"Der Mailserver {self._where} lehnt den Absender „{exc.sender}“ ab "
                f"(Code {exc.smtp_code}). Prüfen Sie absender in [email] von kik.toml."
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            log.debug("sending via %s failed: %r", self._where, exc)
            raise MailError(
                f"Die Verbindung zum Mailserver {self._where} ist abgebrochen."
            ) from exc
        if refused:  # several recipients, some refused (kik sends one per message)
            log.debug("partly refused by %s: %r", self._where, refused)
            return "vom Mailserver teilweise abgelehnt"
        return None
