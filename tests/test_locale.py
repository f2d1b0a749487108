"""German formatting (kik_core._locale): Babel's patterns, one place for every renderer."""

from __future__ import annotations

import datetime as dt
import doctest
from zoneinfo import ZoneInfo

import pytest

from kik_core import _locale
from kik_core._locale import format_currency, format_datetime, format_time


def test_module_examples_run() -> None:
    assert doctest.testmod(_locale).failed == 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12500, "12.500,00\xa0€"),
        (0.5, "0,50\xa0€"),
        (1234567.891, "1.234.567,89\xa0€"),
        (0, "0,00\xa0€"),
    ],
)
def test_currency_is_german_euros(value: float, text: str) -> None:
    assert format_currency(value) == text


def test_times_keep_their_zone() -> None:
    berlin = dt.datetime(2024, 7, 1, 9, 0, tzinfo=dt.UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert format_time(berlin) == "11:00"
    assert format_datetime(berlin) == "01.07.2024, 11:00"
    assert format_time(dt.time(7, 3)) == "07:03"


def test_no_hand_written_date_formats_in_the_library() -> None:
    """Dates and times people read go through _locale (Babel), not strftime or f-string specs.

    Parsing formats (``strptime``) and machine formats (ISO, file names) are not
    affected: they use ``isoformat()`` or ``strptime``.
    """
    import re
    from pathlib import Path

    root = Path(_locale.__file__).parent
    spec = re.compile(r"\{[^{}]*:%[a-zA-Z]|\.strftime\(")
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if spec.search(line)
    ]
    assert found == []
