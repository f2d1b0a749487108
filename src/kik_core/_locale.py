"""German formatting in one place: dates, numbers and plural-correct phrases (Babel).

Every renderer (DOCX, web, CLI, workbooks) formats through these functions, so a
date or a number looks the same everywhere.

>>> import datetime as dt
>>> format_date(dt.date(2023, 9, 30)), format_date(dt.date(2023, 9, 30), long=True)
('30.09.2023', '30. September 2023')
>>> format_number(70787), format_number(16.5)
('70.787', '16,5')
>>> format_datetime(dt.datetime(2024, 10, 1, 14, 5))
'01.10.2024, 14:05'
>>> plural(1, "Rückschritt", "Rückschritte"), plural(3, "Partner", "Partnern")
('1 Rückschritt', '3 Partnern')
>>> format_percent(23), format_signed(-1.5, "Prozentpunkte")
('23 %', '−1,5 Prozentpunkte')
>>> format_currency(12500), format_time(dt.time(9, 5))
('12.500,00\xa0€', '09:05')
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal

__all__ = [
    "CURRENCY",
    "LOCALE",
    "format_currency",
    "format_date",
    "format_datetime",
    "format_month",
    "format_number",
    "format_percent",
    "format_signed",
    "format_time",
    "plural",
]

#: The locale of everything kik shows to people.
LOCALE = "de_DE"
_LOCALE = Locale.parse(LOCALE)
#: The currency of budgets (issue 17).
CURRENCY = "EUR"


def format_date(value: dt.date, *, long: bool = False) -> str:
    """``30.09.2023``, or with ``long`` ``30. September 2023``."""
    return _babel_date(value, "d. MMMM y" if long else "dd.MM.y", locale=LOCALE)


def format_datetime(value: dt.datetime) -> str:
    """``01.10.2024, 14:05`` (the time as given, no zone shown)."""
    return _babel_datetime(value, "dd.MM.y, HH:mm", locale=LOCALE)


def format_month(value: dt.date) -> str:
    """``Dezember 2023``."""
    return _babel_date(value, "MMMM y", locale=LOCALE)


def format_number(value: float, decimals: int | None = None) -> str:
    """German number format: ``70.787``, ``16,5``; ``decimals`` fixes the digits."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def plural(count: int, one: str, other: str, *, number: bool = True) -> str:
    """``count`` with the singular or plural noun by the locale's plural rule (``1 Maßnahme``).

    With ``number=False`` only the noun is returned.
    """
    noun = one if _LOCALE.plural_form(count) == "one" else other
    return f"{format_number(count)} {noun}" if number else noun


def format_percent(value: float) -> str:
    """A rounded share as shown next to counts: ``23 %``."""
    return f"{format_number(value)} %"


def format_signed(delta: float, unit: str = "", decimals: int | None = None) -> str:
    """A change with its sign (``+``, typographic ``−``, ``±`` for none): ``+2.340 Personen``."""
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    text = f"{sign}{format_number(abs(delta), decimals)}"
    return f"{text} {unit}" if unit else text


def format_currency(value: float, currency: str = CURRENCY) -> str:
    """A sum of money as the locale writes it: ``12.500,00 €``.

    The space before the symbol is a no-break space (U+00A0), so the amount and
    its currency never land on two lines.
    """
    return _babel_currency(value, currency, locale=LOCALE)


def format_time(value: dt.time | dt.datetime) -> str:
    """A time of day: ``09:05`` (a datetime's time as given, no zone shown)."""
    return _babel_time(value, "HH:mm", locale=LOCALE)
