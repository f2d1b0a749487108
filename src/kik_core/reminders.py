"""Reminders to partners whose reports for a round are missing (*Erinnerungen*).

Two ways out, both from the same :class:`~kik_core.board.PartnerBoard`:

* :func:`write_reminder_csv`: the list for a mail merge (*Serienbrief*), one row
  per partner with missing measures, with contact, deadline and the missing
  measures; UTF-8 with BOM and ``;`` so that Excel and Word read it directly.
* :func:`send_reminders`: a German e-mail to each such partner with an e-mail
  address (sheet ``Partner``), their pre-filled template attached.

Sending is safe to repeat: a partner is recorded as reminded (in the store,
through :class:`ReminderLog`) only after the server accepted that recipient,
and a partner recorded for the round is skipped next time. A refused recipient
is reported and stays un-reminded; a server that is down sends nothing and
records nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import attrs

from kik_core._atomic import atomic_path
from kik_core._locale import format_date
from kik_core.board import BoardPartner, PartnerBoard
from kik_core.errors import MailError
from kik_core.mail import Mailer, build_message
from kik_core.model import Concept, partner_key
from kik_core.settings import EmailSettings

__all__ = [
    "CSV_COLUMNS",
    "ReminderLog",
    "SendResult",
    "reminder_csv_path",
    "reminder_text",
    "send_reminders",
    "write_reminder_csv",
]

log = logging.getLogger("kik_core.reminders")

#: The columns of the mail-merge list (German, as the office's Word merge fields).
CSV_COLUMNS = (
    "Partner",
    "Ansprechperson",
    "E-Mail",
    "Telefon",
    "Stichtag",
    "Frist",
    "Anzahl fehlend",
    "fehlende Maßnahmen",
    "Maßnahmen (Text)",
)
#: Cells a spreadsheet would evaluate: ``=…``, ``@…``, and ``+``/``-`` not starting a number.
_FORMULA = re.compile(r"^(?:[=@]|[+-](?![\d\s(]))")


class ReminderLog(Protocol):
    """Where sent reminders are recorded (the store, scoped to the municipality)."""

    def reminder_sent(self, stichtag: dt.date, partner: str) -> bool:
        """Whether ``partner`` has been reminded for the round of ``stichtag``."""
        ...

    def record_reminder(
        self,
        stichtag: dt.date,
        partner: str,
        *,
        address: str,
        message_id: str,
        sent_at: dt.datetime,
    ) -> None:
        """Record that the server accepted the reminder to ``partner``."""
        ...


def _safe(value: str) -> str:
    """Keep a CSV cell from being evaluated as a formula when opened in Excel."""
    return f"'{value}" if _FORMULA.match(value) else value


def _measure_texts(concept: Concept, partner: BoardPartner) -> str:
    return "; ".join(f"{m} {concept.measure(m).text}" for m in partner.missing)


def reminder_csv_path(outbox: Path, stichtag: dt.date) -> Path:
    """The first free name ``Erinnerungen_<stichtag>[_n].csv`` in ``outbox``."""
    base = outbox / f"Erinnerungen_{stichtag.isoformat()}.csv"
    path, n = base, 2
    while path.exists():
        path, n = base.with_name(f"{base.stem}_{n}.csv"), n + 1
    return path


def write_reminder_csv(board: PartnerBoard, concept: Concept, outbox: Path) -> Path:
    """Write the mail-merge list of partners with missing measures; return its path.

    The file is new each time (``Erinnerungen_<stichtag>.csv``, then ``_2``, ...):
    a list the office may have edited is never overwritten.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for partner in board.waiting:
        contact = partner.contact
        row = (
            partner.partner,
            contact.contact if contact else "",
            partner.email,
            contact.phone if contact else "",
            format_date(board.stichtag),
            format_date(board.deadline),
            str(len(partner.missing)),
            ", ".join(partner.missing),
            _measure_texts(concept, partner),
        )
        writer.writerow([_safe(v) for v in row])
    data = buffer.getvalue().encode("utf-8-sig")
    outbox.mkdir(parents=True, exist_ok=True)
    while True:
        path = reminder_csv_path(outbox, board.stichtag)
        try:
            with atomic_path(path, overwrite=False) as temp:
                temp.write_bytes(data)
        except FileExistsError:  # another run took the name meanwhile
            continue
        return path


def reminder_text(
    board: PartnerBoard, concept: Concept, partner: BoardPartner, municipality: str
) -> tuple[str, str]:
    """The German subject and body of one partner's reminder."""
    stichtag, deadline = format_date(board.stichtag), format_date(board.deadline)
    subject = (
        f"Erinnerung: Rückmeldung zum Integrationskonzept {municipality} "
        f"(Stichtag {stichtag}, bitte bis {deadline})"
    )
    name = partner.contact.contact if partner.contact else ""
    greeting = f"Guten Tag {name}," if name else "Guten Tag,"
    lines = "\n".join(f"- {m} {concept.measure(m).text}" for m in partner.missing)
    body = (
        f"{greeting}\n\n"
        f"für den Zwischenbericht zum Integrationskonzept {municipality} (Stichtag {stichtag}) "
        f"fehlt uns noch die Rückmeldung von {partner.partner} zu diesen Maßnahmen:\n\n"
        f"{lines}\n\n"
        f"Bitte tragen Sie den Stand in die angehängte Vorlage ein und senden Sie sie bis zum "
        f"{deadline} zurück. Die Vorlage ist mit dem bisherigen Stand vorausgefüllt; "
        "Hinweise stehen im Blatt „Anleitung“. Wenn Sie schon geantwortet haben, "
        "betrachten Sie diese Nachricht bitte als gegenstandslos.\n\n"
        "Vielen Dank!\n\n"
        "Mit freundlichen Grüßen\n"
        f"Ihr Integrationsbüro {municipality}\n"
    )
    return subject, body


@attrs.frozen
class SendResult:
    """What :func:`send_reminders` did, partner by partner.

    Attributes:
        sent: (partner, address) accepted by the server and recorded.
        already: partners reminded before for this round (skipped).
        without_address: partners with missing measures but no e-mail address.
        refused: (partner, German reason) the server refused; not recorded.
    """

    sent: tuple[tuple[str, str], ...] = ()
    already: tuple[str, ...] = ()
    without_address: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def send_reminders(
    board: PartnerBoard,
    concept: Concept,
    *,
    email: EmailSettings,
    password: str | None,
    log_book: ReminderLog,
    templates: Mapping[str, Path],
    municipality: str,
    now: Callable[[], dt.datetime] = _now,
) -> SendResult:
    """E-mail every partner with missing measures and an address, once per round.

    Args:
        board: the round's board (its ``waiting`` partners are reminded).
        concept: for the measure texts.
        email: the ``[email]`` settings.
        password: from :func:`kik_core.mail.smtp_password` (``None``: no login).
        log_book: records and answers who was reminded (the store).
        templates: partner key (:func:`~kik_core.model.partner_key`) → that
            partner's pre-filled template for the round, attached to the mail.
        municipality: named in the text.
        now: the clock for ``sent_at``.

    Raises:
        MailError: the server is down, refuses the login or the sender, or the
            connection breaks; the message names the partners already sent to
            (and recorded) before it happened.
    """
    already: list[str] = []
    without: list[str] = []
    due: list[BoardPartner] = []
    for partner in board.waiting:
        if not partner.email:
            without.append(partner.partner)
        elif log_book.reminder_sent(board.stichtag, partner.partner):
            already.append(partner.partner)
        else:
            due.append(partner)
    sent: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    if due:
        try:
            with Mailer(email, password) as mailer:
                for partner in due:
                    subject, body = reminder_text(board, concept, partner, municipality)
                    template = templates.get(partner_key(partner.partner))
                    message = build_message(
                        sender=email.sender,
                        to=partner.email,
                        subject=subject,
                        body=body,
                        attachments=[template] if template is not None else [],
                    )
                    refusal = mailer.send(message)
                    if refusal is not None:
                        refused.append((partner.partner, refusal))
                        continue
                    log_book.record_reminder(
                        board.stichtag,
                        partner.partner,
                        address=partner.email,
                        message_id=str(message["Message-ID"]),
                        sent_at=now(),
                    )
                    sent.append((partner.partner, partner.email))
                    log.info("reminder to %s <%s> sent", partner.partner, partner.email)
        except MailError as exc:
            if not sent:
                raise
            names = ", ".join(p for p, _ in sent)
            raise MailError(f"{exc} Vorher versendet und vermerkt: {names}.") from exc
    return SendResult(tuple(sent), tuple(already), tuple(without), tuple(refused))
