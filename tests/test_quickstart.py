"""quickstart.py at the repository root: German usage text, German errors, exit codes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[1] / "quickstart.py"


def _quickstart() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quickstart", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_help_is_german() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("kik einrichten und ausprobieren")
    assert "Kempten-Beispielbericht erstellen" in done.stdout
    assert "set up" not in done.stdout


def test_unknown_job_is_refused_in_german() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "bericht"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Unbekannter Auftrag „bericht“: report oder test.")
    assert done.stdout == ""


def test_a_failed_set_up_step_ends_with_a_german_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quickstart = _quickstart()

    def broken_setup(job: str) -> None:
        raise subprocess.CalledProcessError(1, ["python", "-m", "pip", "install", "-e", "."])

    monkeypatch.setattr(quickstart, "setup", broken_setup)
    monkeypatch.setattr(sys, "argv", ["quickstart.py", "report"])
    assert quickstart.main() == 1
    err = capsys.readouterr().err
    assert "Fehler: „python -m pip install -e .“ ist mit Code 1 abgebrochen" in err
    assert "Traceback" not in err
