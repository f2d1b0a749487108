"""One slug function for every name kik turns into a file name, key or identifier.

Partner names, municipality names and folder names become ASCII with
python-slugify (Unidecode transliteration), German umlauts written out
(``ä`` → ``ae``), so Cyrillic, Greek and Arabic names stay readable:

>>> slug("Кемптен Центр"), slug("Ελληνική Κοινότητα")
('Kempten-Tsentr', 'Ellenike-Koinoteta')
>>> slug("Jugendmigrationsdienst Süd/Ost"), slug("Kempten (Allgäu)", lower=True)
('Jugendmigrationsdienst-Sued-Ost', 'kempten-allgaeu')
"""

from __future__ import annotations

from slugify import slugify

__all__ = ["slug"]

#: German spelling of umlauts in ASCII (Unidecode would drop the "e").
_UMLAUTS = [
    ["Ä", "Ae"],
    ["Ö", "Oe"],
    ["Ü", "Ue"],
    ["ä", "ae"],
    ["ö", "oe"],
    ["ü", "ue"],
    ["ß", "ss"],
]


def slug(name: str, *, lower: bool = False, max_length: int = 80, fallback: str = "") -> str:
    """``name`` as letters, digits and dashes (ASCII), readable for any script.

    Args:
        name: the name (a partner, a municipality, a folder).
        lower: lower-case the result (keys, Prefect names); file names keep the case.
        max_length: the longest result.
        fallback: returned when nothing of the name is left (``"///"``).
    """
    text = slugify(
        name,
        lowercase=lower,
        replacements=_UMLAUTS,
        max_length=max_length,
    )
    return str(text) or fallback
