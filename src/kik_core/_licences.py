"""Data licences kik knows by id (``[web] lizenz`` in kik.toml); light, no pandas."""

from __future__ import annotations

import attrs

__all__ = ["LICENCES", "Licence"]


@attrs.frozen
class Licence:
    """A data licence: its short id, German name and address."""

    id: str
    name: str
    url: str


#: Licences by id.
LICENCES: dict[str, Licence] = {
    lic.id: lic
    for lic in (
        Licence(
            "dl-de/by-2-0",
            "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "https://www.govdata.de/dl-de/by-2-0",
        ),
        Licence(
            "dl-de/zero-2-0",
            "Datenlizenz Deutschland – Zero – Version 2.0",
            "https://www.govdata.de/dl-de/zero-2-0",
        ),
        Licence(
            "CC-BY-4.0",
            "Creative Commons Namensnennung 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/deed.de",
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons Zero 1.0 Universell",
            "https://creativecommons.org/publicdomain/zero/1.0/deed.de",
        ),
    )
}
