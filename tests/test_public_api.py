"""The public API is curated, documented, and kik_core never imports Prefect."""

from __future__ import annotations

import subprocess
import sys

import kik_core


def test_all_names_exist_and_are_documented() -> None:
    for name in kik_core.__all__:
        obj = getattr(kik_core, name)
        if name != "__version__":
            assert obj.__doc__, f"{name} has no docstring"
    assert sorted(dir(kik_core)) == sorted(kik_core.__all__)


def test_model_rules_and_loader_are_public() -> None:
    for name in ("Concept", "Measure", "Status", "build_snapshot", "load_concept"):
        assert name in kik_core.__all__


def test_importing_kik_core_is_light_and_never_imports_prefect() -> None:
    code = (
        "import sys, kik_core, kik_core.cli, kik_core.workflow, kik_core.ingest, "
        "kik_core.store, kik_core.report\n"
        "heavy = [m for m in ('prefect', 'kik_pipelines') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_plain_import_does_not_load_pandas_matplotlib_or_docx() -> None:
    code = (
        "import sys, kik_core\n"
        "print(','.join(m for m in ('pandas', 'matplotlib', 'docx', 'sqlalchemy') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
