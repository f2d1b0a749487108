"""The speed work on the report (issue 16) changes no byte of what is written.

Golden digests of the report's content, computed by the code before the speed
changes: the Kempten example (``kik run`` on a copy) and the synthetic
1,440-measure concept of ``tests/report_fixtures.py`` (``make_case(10)``).
The digest covers every member of the DOCX package (name and bytes, in
package order); only the ZIP entries' time stamps are left out, which python-docx
sets to the time of writing, and the time each partner file was received (the
partner annex: "26.11.2026, 01:09"), which is the time of the test run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import zipfile
from pathlib import Path

from kik_core import workflow
from kik_core.report import build_report
from tests.report_fixtures import make_case, make_options

REPO = Path(__file__).resolve().parents[1]

KEMPTEN = "aeb838bffb218ec4b3745a5a4bd6850f40e6510584e52b04d302b4840bea380c"
#: Before the speed work: 56c1eeec6ceb04382509465a8c00b48ffc78497710f548a34649bc6c14b61521.
#: Changed once, on purpose, when the overview chart was paged (61 bars: 4 charts of at most
#: 16 instead of one 80 cm tall picture); every other speed change keeps this digest.
SYNTHETIC_1440 = "a69a823c5094252e07a8d639df5f65bd47a44549971f40d2409f8e192b040fdb"


#: A date and time of day as the partner annex shows when a file was received.
_RECEIVED = re.compile(rb"\d\d\.\d\d\.\d{4}, \d\d:\d\d")


def package_digest(docx: Path) -> str:
    """sha256 over the package members' names and bytes (not the times of the run)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(docx) as package:
        for info in package.infolist():
            digest.update(info.filename.encode())
            digest.update(b"\0")
            digest.update(_RECEIVED.sub(b"<received>", package.read(info)))
            digest.update(b"\0")
    return digest.hexdigest()


def kempten_report(tmp_path: Path) -> Path:
    folder = tmp_path / "kempten"
    shutil.copytree(REPO / "examples" / "kempten", folder, ignore=shutil.ignore_patterns("source"))
    result = workflow.run(folder, pdf=False, today=dt.date(2023, 12, 1))
    return result.report.docx


def synthetic_report(tmp_path: Path, scale: int) -> Path:
    case = make_case(scale)
    return build_report(
        case.concept,
        case.snapshot,
        tmp_path / "bericht.docx",
        options=make_options(),  # type: ignore[arg-type]
        content=case.content,
        history=case.history,
    )


def test_kempten_report_unchanged(tmp_path):
    assert package_digest(kempten_report(tmp_path)) == KEMPTEN


def test_synthetic_1440_report_unchanged(tmp_path):
    assert package_digest(synthetic_report(tmp_path, 10)) == SYNTHETIC_1440
