"""Play Musterstadt's Fortschreibung (fictional): three quarters, a new edition, one more round.

Usage (from the repository root, with kik installed, e.g. after ``python3 quickstart.py report``)::

    .venv/bin/python examples/musterstadt/fortschreibung.py /tmp/ms-fortschreibung

First the three quarters of ``quartale.py`` (rounds 31.03., 30.06. and 30.09.2024 issued
with the first edition, 8 measures). Then the office does what
docs/kommunen/fortschreibung.md describes: the second edition ``konzept_2025.xlsx``
(adopted September 2024, in force from 01.10.2024) is put beside the first,
``kik vorlage zuordnung`` writes the mapping template, the office's filled-in mapping
``zuordnung_2025.xlsx`` is declared in ``kik.toml`` and ``kik validate`` checks it. The
round 31.12.2024 then runs in the new edition: templates with the new numbers and the
carried statuses, the partners' files (one of them a late file of the old edition, dated
27.09.2024), ``kik run``, ``kik runde herausgeben --ja`` and ``kik veroeffentlichen``.
Its report lists the mapping in the annex "Fortschreibung des Konzepts"; the reports of
the first edition stay as they were issued.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
STICHTAG = "2024-12-31"

EDITION = """
[[konzept.fortschreibung]]
vorgaenger = "konzept.xlsx"
zuordnung = "zuordnung_2025.xlsx"
gilt_ab = 2024-10-01
"""


def _quartale() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quartale", HERE / "quartale.py")
    if spec is None or spec.loader is None:  # pragma: no cover - the file lies beside this one
        raise ImportError("quartale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def declare_edition(target: Path) -> None:
    """Put the new edition beside the old one and declare it in kik.toml."""
    settings = target / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace('datei = "konzept.xlsx"', 'datei = "konzept_2025.xlsx"\n' + EDITION)
    text = text.replace("stichtag = 2024-09-30", f"stichtag = {STICHTAG}")
    text = text.replace('untertitel = "Oktober 2024"', 'untertitel = "Januar 2025"')
    text = text.replace(
        'zeitraum = "März bis September 2024"', 'zeitraum = "März bis Dezember 2024"'
    )
    settings.write_text(text, encoding="utf-8")
    print("\n# kik.toml: datei = konzept_2025.xlsx, [[konzept.fortschreibung]] ab 01.10.2024")


def play(target: Path, on_issued: Callable[[str], None] | None = None) -> int:
    """Play the three quarters, the Fortschreibung and the round after it.

    Returns the first failing exit code (0: all done). ``on_issued`` (for tests) is
    called with each Stichtag right after its round was issued.
    """
    quartale = _quartale()
    if (code := quartale.play(target, on_issued)) != 0:
        return code
    kik = quartale._kik
    print("\n# Fortschreibung: die neue Fassung kommt neben die bisherige", flush=True)
    shutil.copyfile(HERE / "konzept_2025.xlsx", target / "konzept_2025.xlsx")
    steps: list[tuple[str | Path, ...]] = [
        ("vorlage", "zuordnung", target, "--alt", "konzept.xlsx", "--neu", "konzept_2025.xlsx"),
    ]
    for step in steps:
        if (code := kik(*step)) != 0:
            return code
    print("\n# Das Büro füllt die Zuordnung aus (hier: zuordnung_2025.xlsx aus dem Beispiel)")
    shutil.copyfile(HERE / "zuordnung_2025.xlsx", target / "zuordnung_2025.xlsx")
    declare_edition(target)
    for step in (
        ("validate", target),
        ("runde", "oeffnen", target, "--stichtag", STICHTAG),
        ("templates", target),
    ):
        if (code := kik(*step)) != 0:
            return code
    print(f"\n# Rückmeldungen aus runden/{STICHTAG}", flush=True)
    quartale.deliver(HERE / "runden" / STICHTAG, target)
    for step in (("run", target), ("runde", "herausgeben", target, "--ja")):
        if (code := kik(*step)) != 0:
            return code
    if on_issued is not None:
        on_issued(STICHTAG)
    for step in (("veroeffentlichen", target), ("runde", "zeigen", target)):
        if (code := kik(*step)) != 0:
            return code
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(play(Path(sys.argv[1]).resolve()))
