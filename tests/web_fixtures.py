"""The Kempten and Musterstadt sites for the web tests (built once per session).

Kempten: a copy of examples/kempten ingested into a temp store, as the end-to-end
tests do. Musterstadt: a copy of the fictional example with an earlier (invented,
fictional town) round of reports for history and a regression, a Leichte-Sprache
text and the municipality's own CSS and logo.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from kik_core import workflow

REPO = Path(__file__).resolve().parents[1]
KEMPTEN = REPO / "examples" / "kempten"
MUSTERSTADT = REPO / "examples" / "musterstadt"

EARLIER_MUSTERSTADT = """\ufeffMaßnahme;Status;Stand am;Institution;Aktueller Stand;Ausblick
AR-1.1;in Bearbeitung;31.03.2024;Jobcenter Musterstadt;;
AR-1.2;implementiert;31.03.2024;Jobcenter Musterstadt;;
AR-2.2;wartend;31.03.2024;Jobcenter Musterstadt;;
"""

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


def kempten_folder(base: Path) -> Path:
    folder = base / "kempten"
    shutil.copytree(KEMPTEN, folder, ignore=shutil.ignore_patterns("source", "*.sqlite*"))
    workflow.ingest(folder, today=dt.date(2023, 12, 1))
    return folder


def musterstadt_folder(base: Path) -> Path:
    folder = base / "musterstadt"
    shutil.copytree(MUSTERSTADT, folder, ignore=shutil.ignore_patterns("*.sqlite*", "*.py"))
    (folder / "eingang" / "2024-03-31_jobcenter-musterstadt.csv").write_text(
        EARLIER_MUSTERSTADT, encoding="utf-8"
    )
    (folder / "texte" / "leichte-sprache.md").write_text(EASY_LANGUAGE, encoding="utf-8")
    web = folder / "web"
    web.mkdir()
    (web / "logo.svg").write_text(LOGO, encoding="utf-8")
    (web / "eigenes.css").write_text(":root { --brand: #004d00; }\n", encoding="utf-8")
    with (folder / "kik.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[web]\nlizenz = "dl-de/by-2-0"\nnamensnennung = "Stadt Musterstadt"\n')
    workflow.ingest(folder, today=dt.date(2024, 12, 1))
    return folder
