"""The Kempten and Musterstadt sites for the web tests.

Kempten: a copy of examples/kempten ingested into a temp store and its round issued,
as the end-to-end tests do. Musterstadt: the fictional town's three quarters played by
examples/musterstadt/quartale.py (three issued rounds), plus a Leichte-Sprache text,
the municipality's own CSS and logo and a data licence.

The played folders are built once per test session; tests that change a folder
work on a copy (:func:`copy_folder`).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import pytest

from kik_core import workflow

REPO = Path(__file__).resolve().parents[1]
KEMPTEN = REPO / "examples" / "kempten"
MUSTERSTADT = REPO / "examples" / "musterstadt"
#: The Stichtage of Musterstadt's issued rounds.
MUSTERSTADT_ROUNDS = (dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30))

EASY_LANGUAGE = """# Was ist das Integrations-Konzept?

Die Stadt Musterstadt hat einen Plan.
Der Plan heißt: **Integrations-Konzept**.

## Was steht im Plan?

- Alle sollen Deutsch lernen können.
- Alle sollen Arbeit finden können.
"""

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
    '<rect width="40" height="40" fill="#006400"/></svg>'
)


def _play(target: Path) -> None:
    spec = importlib.util.spec_from_file_location("quartale", MUSTERSTADT / "quartale.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.play(target) == 0


@pytest.fixture(scope="session")
def kempten_issued_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kempten with its 30.09.2023 round ingested and issued."""
    folder = tmp_path_factory.mktemp("web-kempten") / "kempten"
    shutil.copytree(KEMPTEN, folder, ignore=shutil.ignore_patterns("source", "*.sqlite*"))
    workflow.run(folder, today=dt.date(2023, 12, 1))
    workflow.issue(folder)
    return folder


@pytest.fixture(scope="session")
def musterstadt_played_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Musterstadt after three issued quarters, with Leichte Sprache, CSS, logo, licence."""
    folder = tmp_path_factory.mktemp("web-musterstadt") / "musterstadt"
    _play(folder)
    (folder / "texte" / "leichte-sprache.md").write_text(EASY_LANGUAGE, encoding="utf-8")
    web = folder / "web"
    web.mkdir()
    (web / "logo.svg").write_text(LOGO, encoding="utf-8")
    (web / "eigenes.css").write_text(":root { --brand: #004d00; }\n", encoding="utf-8")
    with (folder / "kik.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[web]\nlizenz = "dl-de/by-2-0"\nnamensnennung = "Stadt Musterstadt"\n')
    return folder


def copy_folder(folder: Path, base: Path) -> Path:
    """A copy of a municipality folder (store included) to change in one test."""
    target = base / folder.name
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("veroeffentlichung*"))
    return target
