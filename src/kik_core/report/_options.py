"""The options of a report: titles, texts and the corporate-design template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import attrs

__all__ = ["ReportOptions"]


def _optional_path(value: Path | str | None) -> Path | None:
    return None if value is None else Path(value)


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class ReportOptions:
    """What the report says around the numbers, and how it looks.

    Attributes:
        title: e.g. "Kommunales Integrationskonzept – Zwischenbericht".
        municipality: e.g. "Kempten (Allgäu)".
        subtitle: e.g. "Dezember 2023".
        period_label: e.g. "November 2021 bis September 2023".
        publisher: e.g. "Stadt Kempten (Allgäu), Amt für Integration".
        foreword: the foreword (Markdown).
        foreword_author: name and role under the foreword.
        sections_front: Markdown texts after the foreword (introduction etc.),
            each starting with a ``# Title``.
        sections_back: Markdown texts after the fields (cross-cutting topics etc.).
        thanks: closing words (Markdown).
        template: a reference ``.docx`` or ``.dotx`` with the corporate design;
            ``None`` uses the bundled default.
        published_on: the date on the title page (default: today).
        version_label: printed on the title page as "Fassung", e.g. "Entwurf 2 – nicht
            herausgegeben" (empty for an issued report).

    Example:
        >>> ReportOptions("KIK – Zwischenbericht", "Musterstadt", subtitle="Dezember 2023").subtitle
        'Dezember 2023'
    """

    title: str
    municipality: str
    subtitle: str = ""
    period_label: str = ""
    publisher: str = ""
    foreword: str = ""
    foreword_author: str = ""
    sections_front: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    sections_back: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    thanks: str = ""
    template: Path | None = attrs.field(default=None, converter=_optional_path)
    published_on: dt.date | None = None
    version_label: str = ""
