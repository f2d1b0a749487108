"""Take the screenshots of the web edition for the docs, with headless Chromium.

Run: ``python docs/bilder_web.py`` (needs ``chromium`` and ``chromedriver``, Debian:
``chromium chromium-driver``, and selenium from the ``test`` dependency group).

It builds the Kempten web edition as ``python quickstart.py report`` does (a fresh
copy of ``examples/kempten``, the round of 30.09.2023 read in and issued), publishes
it into a temp folder and writes six pictures to ``docs/images``:

* ``web_start_desktop.png`` / ``web_start_360.png``: the start page,
* ``web_field_desktop.png`` / ``web_field_360.png``: the field "Gesundheit und Pflege",
* ``web_measure_desktop.png`` / ``web_measure_360.png``: the measure GP-3.1,

each at 1280 and 360 CSS pixels wide (device scale 1), from the top of the page
down to at most :data:`MAX_HEIGHT` pixels. Kempten's concept has no priorities,
timeframes or work packages, so the pictures show none (Musterstadt has none
either; see ``docs/kommunen/veroeffentlichen.md`` for what those look like).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from kik_core import workflow

DOCS = Path(__file__).parent
IMAGES = DOCS / "images"
KEMPTEN = DOCS.parent / "examples" / "kempten"
#: The day the example's round is read in and issued (after the Stichtag 30.09.2023).
TODAY = dt.date(2023, 12, 1)
#: The widths of the pictures: a desktop window and a small phone.
WIDTHS = {"desktop": 1280, "360": 360}
#: Long pages are cut here (CSS pixels).
MAX_HEIGHT = 2260
#: picture name → page of the site.
PAGES = {
    "web_start": "index.html",
    "web_field": "handlungsfelder/gp.html",
    "web_measure": "massnahmen/gp-3-1.html",
}


def build_site(work: Path) -> Path:
    """The published site of Kempten's issued round, in ``work``."""
    folder = work / "kempten"
    shutil.copytree(KEMPTEN, folder, ignore=shutil.ignore_patterns("source", "*.sqlite*"))
    workflow.run(folder, today=TODAY)
    workflow.issue(folder, pdf=False)
    return workflow.publish(folder, target=work / "website").folder


@contextmanager
def chromium() -> Iterator[WebDriver]:
    """A headless Chromium driven by selenium (as in ``tests/test_web_browser.py``)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        raise SystemExit("Chromium und chromedriver fehlen (Debian: chromium chromium-driver).")
    options = webdriver.ChromeOptions()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.binary_location = binary
    browser = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield browser
    finally:
        browser.quit()


def shoot(driver: WebDriver, page: Path, width: int, out: Path) -> Path:
    """Screenshot ``page`` at ``width`` CSS pixels, as tall as the page (at most MAX_HEIGHT)."""
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.get(page.as_uri())
    height = driver.execute_script("return document.documentElement.scrollHeight")
    metrics["height"] = min(int(height), MAX_HEIGHT)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    out.write_bytes(driver.get_screenshot_as_png())
    return out


def main() -> list[Path]:
    """Write the six pictures; return their paths."""
    written = []
    with tempfile.TemporaryDirectory(prefix="kik-web-bilder-") as temp:
        site = build_site(Path(temp))
        with chromium() as driver:
            for name, page in PAGES.items():
                for label, width in WIDTHS.items():
                    out = IMAGES / f"{name}_{label}.png"
                    written.append(shoot(driver, site / page, width, out))
    return written


if __name__ == "__main__":
    for path in main():
        print(path.relative_to(DOCS.parent))
    sys.exit(0)
