"""The web edition in a real browser (headless Chromium): axe-core and the measure filter.

axe-core checks every page type of the Kempten and Musterstadt sites and of a
concept with five statuses of its own (Beispielstadt: "zurückgestellt",
"entfällt" ...), at desktop width and at 320 px, against the WCAG 2.0/2.1 A and
AA rules: 0 violations. The
newest axe-core found is used: ``$KIK_AXE_JS``, else ``node_modules/axe-core``
(``npm install --no-save axe-core@4``, as CI does), else the older copy that
axe-selenium-python ships. The filter test uses the form as a visitor would and
checks the list it leaves.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kik_core import workflow
from tests.web_fixtures import copy_folder, kempten_issued_folder, musterstadt_played_folder

__all__ = ["kempten_issued_folder", "musterstadt_played_folder"]  # fixtures used here

pytestmark = pytest.mark.slow

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
REPO = Path(__file__).resolve().parents[1]

#: One page of every type; the Musterstadt draft adds the Leichte-Sprache page.
PAGES = (
    "index.html",
    "massnahmen.html",
    "handlungsfelder/{field}.html",
    "massnahmen/{measure}.html",
    "zeitleiste.html",
    "kennzahlen.html",
    "daten.html",
)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    binary, chromedriver = _chromium(), shutil.which("chromedriver")
    if binary is None or chromedriver is None:
        pytest.skip("Chromium and chromedriver are needed (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.binary_location = binary
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    browser.set_script_timeout(120)
    browser.set_window_size(1280, 1000)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def sites(
    tmp_path_factory: pytest.TempPathFactory,
    kempten_issued_folder: Path,
    musterstadt_played_folder: Path,
) -> dict[str, workflow.PublishResult]:
    base = tmp_path_factory.mktemp("browser")
    draft = copy_folder(musterstadt_played_folder, base)
    workflow.open_round(draft, stichtag=dt.date(2024, 12, 31), today=dt.date(2025, 1, 2))
    from tests.test_web import _structured_site

    return {
        "beispielstadt": _structured_site(base / "beispielstadt", "beispielstadt"),
        "kempten": workflow.publish(kempten_issued_folder, target=base / "site-kempten"),
        "musterstadt": workflow.publish(
            musterstadt_played_folder, target=base / "site-musterstadt"
        ),
        "musterstadt_draft": workflow.publish(draft, draft=True),
    }


def _axe_script() -> Path:
    candidates = [os.environ.get("KIK_AXE_JS", ""), REPO / "node_modules/axe-core/axe.min.js"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    bundled = pytest.importorskip("axe_selenium_python")
    return Path(bundled.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


_RUN = """
const done = arguments[arguments.length - 1];
const known = new Set(axe.getRules().flatMap((rule) => rule.tags));
const tags = %s.filter((tag) => known.has(tag));
axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then((result) => done({version: axe.version, tags: tags, violations: result.violations}))
  .catch((error) => done({error: String(error)}));
"""


def _axe(driver, url: str) -> list[dict]:
    driver.get(url)
    driver.execute_script(_axe_script().read_text(encoding="utf-8"))
    result = driver.execute_async_script(_RUN % json.dumps(WCAG))
    assert "error" not in result, result
    assert "wcag2aa" in result["tags"]
    if not result["version"].startswith("3."):
        assert "wcag21aa" in result["tags"]
    return result["violations"]


@pytest.mark.parametrize("name", ["kempten", "musterstadt", "musterstadt_draft", "beispielstadt"])
@pytest.mark.parametrize("width", [1280, 320])
def test_axe_finds_no_wcag_violation_on_any_page_type(driver, sites, name, width) -> None:
    site = sites[name]
    pages = [
        p.format(field=site.pages and _first(site, "handlungsfelder/"), measure=_measure(site))
        for p in PAGES
    ]
    if name.startswith("musterstadt"):
        pages.append("leichte-sprache.html")
    # a text of the report; Kempten's has a table
    pages.append("texte/querschnittsthemen.html" if name == "kempten" else "texte/vorwort.html")
    if name == "beispielstadt":  # a concept without key figures, timeline or texts
        pages = [page for page in pages if (site.folder / page).is_file()]
    driver.set_window_size(width, 900)
    found = {}
    for page in pages:
        assert (site.folder / page).is_file(), page
        violations = _axe(driver, (site.folder / page).as_uri())
        widths = driver.execute_script(
            "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]"
        )
        assert widths[1] <= widths[0], f"{page} scrolls sideways at {width} px: {widths}"
        if violations:
            found[page] = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
            ]
    assert found == {}


def test_axe_does_report_a_violation(driver, tmp_path) -> None:
    """The check is not vacuous: a page with an image without text fails it."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="de"><head><title>x</title></head>'
        '<body><main><img src="x.png"></main></body></html>',
        encoding="utf-8",
    )
    assert "image-alt" in {v["id"] for v in _axe(driver, page.as_uri())}


def _first(site: workflow.PublishResult, prefix: str) -> str:
    return next(p for p in site.pages if p.startswith(prefix)).split("/")[1][: -len(".html")]


def _measure(site: workflow.PublishResult) -> str:
    """A measure page with the most content: history (Musterstadt), goal texts (Kempten)."""
    chosen = "sp-1-1" if site.snapshot.as_of.year == 2024 else "gp-3-1"
    if (site.folder / "massnahmen" / f"{chosen}.html").is_file():
        return chosen
    return _first(site, "massnahmen/")


def _visible_ids(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    items = driver.find_elements(By.CSS_SELECTOR, "#liste > li")
    return [
        li.find_element(By.CSS_SELECTOR, ".measure-title a").text
        for li in items
        if li.is_displayed()
    ]


def test_the_filter_leaves_the_matching_measures(driver, sites) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    site = sites["kempten"]
    driver.set_window_size(1280, 900)
    driver.get((site.folder / "massnahmen.html").as_uri())
    form = driver.find_element(By.ID, "filter")
    assert form.is_displayed()  # JavaScript shows the form
    assert len(_visible_ids(driver)) == 144
    count = driver.find_element(By.ID, "treffer")

    Select(driver.find_element(By.ID, "f-feld")).select_by_value("GP")
    Select(driver.find_element(By.ID, "f-status")).select_by_value("implementiert")
    expected = sorted(
        e.measure_id
        for e in site.snapshot.statuses.values()
        if e.measure_id.startswith("GP-") and e.status.value == "implementiert"
    )
    assert sorted(_visible_ids(driver)) == expected
    assert len(expected) == 2  # the seed: 2 measures of Gesundheit und Pflege implementiert
    assert count.text == "2 von 144 Maßnahmen angezeigt"

    driver.find_element(By.CSS_SELECTOR, "button[type=reset]").click()
    assert len(_visible_ids(driver)) == 144
    Select(driver.find_element(By.ID, "f-partner")).select_by_visible_text("Stadtbibliothek")
    by_partner = _visible_ids(driver)
    assert by_partner
    assert all(
        "Stadtbibliothek"
        in driver.find_element(By.LINK_TEXT, mid).find_element(By.XPATH, "ancestor::li").text
        for mid in by_partner
    )

    driver.find_element(By.CSS_SELECTOR, "button[type=reset]").click()
    search = driver.find_element(By.ID, "f-suche")
    search.send_keys("Dolmetscher")
    found = _visible_ids(driver)
    assert "BS-5.3" in found
    assert all(
        "dolmetscher"
        in driver.find_element(By.LINK_TEXT, mid)
        .find_element(By.XPATH, "ancestor::li")
        .get_attribute("data-suche")
        for mid in found
    )


def test_without_javascript_the_full_list_shows(driver, sites) -> None:
    from selenium.webdriver.common.by import By

    site = sites["kempten"]
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        driver.get((site.folder / "massnahmen.html").as_uri())
        assert not driver.find_element(By.ID, "filter").is_displayed()
        assert len(driver.find_elements(By.CSS_SELECTOR, "#liste > li")) == 144
        assert all(li.is_displayed() for li in driver.find_elements(By.CSS_SELECTOR, "#liste > li"))
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_a_filter_in_the_address_is_applied(driver, sites) -> None:
    site = sites["musterstadt"]
    driver.get((site.folder / "massnahmen.html").as_uri() + "?status=wartend")
    statuses = {
        li.get_attribute("data-status")
        for li in driver.find_elements(By_CSS(), "#liste > li")
        if li.is_displayed()
    }
    assert statuses == {"wartend"}


def By_CSS() -> str:  # noqa: N802 - reads like the selenium constant it returns
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR


# --- measure attributes (issue 17): priorities, overdue measures, work packages ----------

#: The pages of a concept with priorities, timeframes, a lead partner, budgets and work
#: packages (Vierstadt, built from scratch in tests/test_structures_end_to_end.py).
ATTRIBUTE_PAGES = (
    "index.html",  # the priority sentence and the overdue list
    "massnahmen.html",  # the "nur prioritäre" / "nur überfällige" filters
    "handlungsfelder/1.html",  # the marks "prioritär" / "überfällig"
    "massnahmen/1-1-2-1.html",  # priority, timeframe (overdue), lead partner, budget
    "massnahmen/2-1-1-2.html",  # work packages with their statuses
)


@pytest.fixture(scope="module")
def attributes_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.test_structures_end_to_end import VIER_FILLED, _publish, vierstadt

    return _publish(tmp_path_factory.mktemp("attribute-site"), vierstadt(), VIER_FILLED).site


@pytest.mark.parametrize("width", [1280, 320])
def test_axe_finds_no_violation_on_pages_with_measure_attributes(
    driver, attributes_site, width
) -> None:
    driver.set_window_size(width, 900)
    found = {}
    for page in ATTRIBUTE_PAGES:
        assert (attributes_site / page).is_file(), page
        violations = _axe(driver, (attributes_site / page).as_uri())
        widths = driver.execute_script(
            "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]"
        )
        assert widths[1] <= widths[0], f"{page} scrolls sideways at {width} px: {widths}"
        if violations:
            found[page] = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
            ]
    assert found == {}


def test_the_priority_and_overdue_filters(driver, attributes_site) -> None:
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 900)
    driver.get((attributes_site / "massnahmen.html").as_uri())
    assert len(_visible_ids(driver)) == 7
    priority = driver.find_element(By.CSS_SELECTOR, "input[name=prioritaer]")
    overdue = driver.find_element(By.CSS_SELECTOR, "input[name=ueberfaellig]")
    priority.click()
    assert sorted(_visible_ids(driver)) == ["1.1.1.1", "1.1.2.1"]
    assert driver.find_element(By.ID, "treffer").text == "2 von 7 Maßnahmen angezeigt"
    overdue.click()
    assert _visible_ids(driver) == ["1.1.2.1"]
    priority.click()
    assert _visible_ids(driver) == ["1.1.2.1"]  # the only overdue measure
    driver.find_element(By.CSS_SELECTOR, "button[type=reset]").click()
    assert len(_visible_ids(driver)) == 7
    # the start page's link opens the list filtered
    driver.get((attributes_site / "massnahmen.html").as_uri() + "?prioritaer=ja")
    assert sorted(_visible_ids(driver)) == ["1.1.1.1", "1.1.2.1"]
    assert driver.find_element(By.CSS_SELECTOR, "input[name=prioritaer]").is_selected()


def test_each_status_and_group_of_a_scheme_has_its_own_colour(driver, sites) -> None:
    """Five statuses, four groups: key numbers, bars and badges take the scheme's styles."""
    site = sites["beispielstadt"]
    driver.set_window_size(1280, 900)
    driver.get((site.folder / "index.html").as_uri())
    borders = dict(
        driver.execute_script(
            "return Array.from(document.querySelectorAll('.key-numbers li'))"
            ".map(li => [li.className, getComputedStyle(li).borderLeftColor])"
        )
    )
    assert borders == {
        "status-wartend": "rgb(217, 217, 217)",
        "status-in-bearbeitung": "rgb(230, 159, 0)",
        "status-implementiert": "rgb(0, 114, 178)",
        "status-entfallen": "rgb(255, 255, 255)",  # not counted: white, cross-hatched
    }
    driver.get((site.folder / "massnahmen.html").as_uri())
    swatches = driver.execute_script(
        "return Array.from(document.querySelectorAll('.status')).map(b => {"
        " const s = getComputedStyle(b.querySelector('.swatch'));"
        " return [b.className.replace('status ', ''), s.backgroundColor, s.backgroundImage]; })"
    )
    by_status = {name: (colour, image) for name, colour, image in swatches}
    assert by_status["status-entfaellt"][0] == "rgb(255, 255, 255)"
    assert "repeating-linear-gradient" in by_status["status-entfaellt"][1]
    assert by_status["status-in-umsetzung"][0] == "rgb(230, 159, 0)"
    assert "repeating-linear-gradient" in by_status["status-in-umsetzung"][1]
    assert by_status["status-umgesetzt"][0] == "rgb(0, 114, 178)"
    assert "radial-gradient" in by_status["status-umgesetzt"][1]
