"""Play three quarters of Musterstadt (fictional): three issued rounds and a late file.

Usage (from the repository root, with kik installed, e.g. after ``python3 quickstart.py report``)::

    .venv/bin/python examples/musterstadt/quartale.py /tmp/ms-historie

The script copies the example into the target folder (which must not exist yet) with an
empty ``eingang/`` and then runs, exactly as an integration office would, the commands it
prints (``kik runde oeffnen``, partner files into ``eingang/``, ``kik run``,
``kik runde herausgeben --ja``) for the rounds 31.03.2024, 30.06.2024 and 30.09.2024.
The Stadtbibliothek's file for round 2 (dated 25.06.2024) arrives only after round 2
was issued: it leaves round 2 unchanged and appears in round 3's report under
"Nachträgliche Korrekturen". Round 3's report shows the trend over the three issued
Stichtage and the changes since round 2.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from kik_core.cli import main as kik

HERE = Path(__file__).resolve().parent
RUNDEN = HERE / "runden"

#: (Stichtag, folders whose partner files arrive during that round, in this order)
QUARTERS: tuple[tuple[str, tuple[Path, ...]], ...] = (
    ("2024-03-31", (RUNDEN / "2024-03-31",)),
    ("2024-06-30", (RUNDEN / "2024-06-30",)),
    ("2024-09-30", (RUNDEN / "2024-06-30_nachtrag", HERE / "eingang")),
)


def _kik(*args: str | Path) -> int:
    command = [str(a) for a in args]
    print("\n$ kik " + " ".join(command), flush=True)
    return kik(command)


def copy_example(target: Path) -> Path:
    """Copy the example's concept, settings and texts into ``target`` (empty inbox)."""
    if target.exists():
        sys.exit(f"{target} gibt es schon: bitte einen neuen Ordner angeben")
    shutil.copytree(
        HERE,
        target,
        ignore=shutil.ignore_patterns(
            "eingang",
            "runden",
            "*.py",
            "__pycache__",
            "kik.sqlite*",
            "archiv",
            "ausgang",
            "berichte",
            "quarantaene",
        ),
    )
    (target / "eingang").mkdir()
    return target


def deliver(source: Path, target: Path) -> list[Path]:
    """Put a round's partner files into the inbox, as the partners' e-mails would."""
    delivered = []
    for path in sorted(source.iterdir()):
        if path.suffix in {".xlsx", ".csv"}:
            copy = target / "eingang" / path.name
            shutil.copyfile(path, copy)
            print(f"  → {path.name} liegt in eingang/", flush=True)
            delivered.append(copy)
    return delivered


def play(target: Path, on_issued: Callable[[str], None] | None = None) -> int:
    """Copy the example and play the three quarters; returns the first failing exit code.

    ``on_issued`` (for tests) is called with each Stichtag right after its round was issued.
    """
    copy_example(target)
    for stichtag, sources in QUARTERS:
        steps: list[tuple[str | Path, ...]] = [("runde", "oeffnen", target, "--stichtag", stichtag)]
        for step in steps:
            if (code := _kik(*step)) != 0:
                return code
        for source in sources:
            print(f"\n# Rückmeldungen aus {source.relative_to(HERE)}", flush=True)
            deliver(source, target)
        for step in (("run", target), ("runde", "herausgeben", target, "--ja")):
            if (code := _kik(*step)) != 0:
                return code
        if on_issued is not None:
            on_issued(stichtag)
    _kik("runde", "zeigen", target)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(play(Path(sys.argv[1]).resolve()))
