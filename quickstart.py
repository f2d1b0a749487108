#!/usr/bin/env python3
"""Set up kik and run its two main jobs, with nothing but Python >= 3.11.

    python3 quickstart.py report   # set up, then build the Kempten example report
    python3 quickstart.py test     # set up, then run the whole test suite

Everything it prints is German (:data:`USAGE` is the ``--help`` text).

Setting up means: a virtual environment in ``.venv`` with kik installed from
``pyproject.toml`` in editable mode (plus the test tools and the optional
pipelines for ``test``). Re-running skips what is already installed.

The report job works on a fresh copy of ``examples/kempten`` in ``out/kempten``
(the tracked example stays unchanged) and runs ``kik run`` on it: the same
ingest-then-report the quarterly Prefect flow performs, on the embedded SQLite
store, with no server to start. ``kik run`` opens the round 30.09.2023 and writes
a draft; ``kik runde herausgeben --ja`` then issues the round, as the city did:
``out/kempten/berichte/Zwischenbericht_2023-09-30_herausgegeben.docx``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
EXAMPLE = ROOT / "examples" / "kempten"
OUT = ROOT / "out" / "kempten"

#: The text of ``python3 quickstart.py --help`` (German, like everything kik prints).
USAGE = """\
kik einrichten und ausprobieren – nur Python 3.11 oder neuer ist nötig.

    python3 quickstart.py report   # einrichten, dann den Kempten-Beispielbericht erstellen
    python3 quickstart.py test     # einrichten, dann alle Tests ausführen
                                   # (weitere Angaben gehen an pytest, z. B. -m "not slow")

Einrichten heißt: eine virtuelle Umgebung im Ordner .venv anlegen und kik darin
installieren (für „test“ zusätzlich die Testwerkzeuge und die Prefect-Pipelines).
Was schon installiert ist, wird beim nächsten Aufruf übersprungen.

„report“ arbeitet auf einer frischen Kopie von examples/kempten in out/kempten (das
Beispiel selbst bleibt unverändert): kik run öffnet die Runde zum Stichtag 30.09.2023
und schreibt einen Entwurf, kik runde herausgeben gibt die Runde heraus, wie es die
Stadt getan hat. Der fertige Bericht:
out/kempten/berichte/Zwischenbericht_2023-09-30_herausgegeben.docx
"""

#: What each job installs into the virtual environment.
EXTRAS = {"report": "", "test": "[pipelines,dask,postgres,docs]"}
GROUPS = {"report": (), "test": ("dev",)}


def _run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], check=check).returncode


def setup(job: str) -> None:
    """Create ``.venv`` and install kik for ``job`` unless that is already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on old Pythons
        sys.exit(f"kik braucht Python 3.11 oder neuer, dies ist {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"Die virtuelle Umgebung {VENV} wird angelegt …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp_text = (ROOT / "pyproject.toml").read_bytes() + job.encode()
    stamp = VENV / f".kik-installed-{job}"
    digest = hashlib.sha256(stamp_text).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip>=25.1")
    groups = [arg for group in GROUPS[job] for arg in ("--group", group)]
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".{EXTRAS[job]}", *groups)
    stamp.write_text(digest)


def report() -> int:
    """Build and issue the Kempten example report on a fresh copy of the example folder."""
    setup("report")
    if OUT.exists():
        for path in OUT.rglob("*"):  # an issued report is read-only (Windows cannot delete it)
            if path.is_file():
                path.chmod(0o644)
        shutil.rmtree(OUT)
    shutil.copytree(EXAMPLE, OUT, ignore=shutil.ignore_patterns("source", "*.sqlite*"))
    code = _run(BIN / "kik", "run", OUT, check=False)
    if code not in (0, 3):
        return code
    issued = _run(BIN / "kik", "runde", "herausgeben", OUT, "--ja", check=False)
    if issued != 0:
        return issued
    reports = sorted((OUT / "berichte").glob("*_herausgegeben.docx"))
    if reports:
        print(f"\nDer Kempten-Bericht ist fertig: {reports[-1]}")
    return code


def test(extra: list[str]) -> int:
    """Run the whole test suite (pytest's exit code 5, no tests collected, is a failure)."""
    setup("test")
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    print("+ pytest", " ".join(extra), flush=True)
    command = [str(PYTHON), "-m", "pytest", *extra]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    """Dispatch ``report`` or ``test``; a failed set-up step ends with a German line."""
    job, *rest = sys.argv[1:] or ["--help"]
    try:
        if job == "report":
            return report()
        if job == "test":
            return test(rest)
    except subprocess.CalledProcessError as exc:
        command = " ".join(str(a) for a in exc.cmd)
        print(
            f"\nFehler: „{command}“ ist mit Code {exc.returncode} abgebrochen "
            "(die Meldung steht darüber). Nach der Behebung einfach noch einmal aufrufen.",
            file=sys.stderr,
        )
        return 1
    if job in ("-h", "--help"):
        print(USAGE)
        return 0
    print(f"Unbekannter Auftrag „{job}“: report oder test.\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
