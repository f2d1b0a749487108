"""Convert a DOCX to PDF through LibreOffice's UNO API, updating the indexes first.

This file is a stand-alone script, run by a Python that has LibreOffice's ``uno``
module (Debian: ``python3-uno``), not by kik's own interpreter:

    python3 _uno_export.py SOFFICE PROFILE_URL SOURCE.docx TARGET.pdf

``soffice --convert-to`` leaves a Word table of contents as it was written (kik
pre-fills it without page numbers); here every document index is updated before
the PDF/UA export, so the PDF's table of contents has LibreOffice's page numbers.
It imports nothing from kik.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]  # LibreOffice's bridge, not on PyPI
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

CONNECT_SECONDS = 60


def _prop(name: str, value: object) -> PropertyValue:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _connect(pipe: str) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(soffice: str, profile_url: str, source: str, target: str) -> int:
    """Start LibreOffice, load ``source``, update its indexes, export ``target``."""
    pipe = f"kik-pdf-{os.getpid()}"
    office = subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile_url}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        context = _connect(pipe)
        desktop = context.ServiceManager.createInstanceWithContext(  # type: ignore[attr-defined]
            "com.sun.star.frame.Desktop", context
        )
        document = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(str(Path(source).resolve())),
            "_blank",
            0,
            (_prop("Hidden", True),),
        )
        indexes = document.getDocumentIndexes()
        for number in range(indexes.getCount()):
            indexes.getByIndex(number).update()
        document.getTextFields().refresh()
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue", (_prop("PDFUACompliance", True),)
        )
        arguments = (_prop("FilterName", "writer_pdf_Export"), _prop("FilterData", filter_data))
        uno.invoke(
            document,
            "storeToURL",
            (uno.systemPathToFileUrl(str(Path(target).resolve())), arguments),
        )
        document.close(True)
        # the bridge drops while LibreOffice exits: whatever it raises then is expected
        with contextlib.suppress(Exception):
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
    return 0 if Path(target).is_file() else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
