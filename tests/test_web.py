"""The static web edition: strict HTML, links inside the site, draft view, overrides, swap."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest

from kik_core import workflow
from kik_core.cli import EXIT_FAILED, EXIT_OK, main
from kik_core.errors import PublishError, RoundError
from kik_core.web import DRAFT_NOTICE, MARKER
from tests.web_fixtures import (
    MUSTERSTADT_ROUNDS,
    copy_folder,
    kempten_issued_folder,
    musterstadt_played_folder,
)

__all__ = ["kempten_issued_folder", "musterstadt_played_folder"]  # fixtures used here

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def kempten(kempten_issued_folder: Path, tmp_path_factory) -> workflow.PublishResult:
    return workflow.publish(
        kempten_issued_folder, target=tmp_path_factory.mktemp("site") / "kempten"
    )


@pytest.fixture(scope="module")
def musterstadt(musterstadt_played_folder: Path, tmp_path_factory) -> workflow.PublishResult:
    """The published site of Musterstadt's third issued round."""
    return workflow.publish(
        musterstadt_played_folder, target=tmp_path_factory.mktemp("site") / "musterstadt"
    )


@pytest.fixture(scope="module")
def musterstadt_draft(musterstadt_played_folder: Path, tmp_path_factory) -> workflow.PublishResult:
    """The draft site of Musterstadt's fourth round, opened but not issued."""
    folder = copy_folder(musterstadt_played_folder, tmp_path_factory.mktemp("draft"))
    workflow.open_round(folder, stichtag=dt.date(2024, 12, 31), today=dt.date(2025, 1, 2))
    return workflow.publish(folder, draft=True)


def _parse(path: Path):
    parser = html5lib.HTMLParser(strict=True)
    return parser.parse(path.read_bytes(), transport_encoding="utf-8")


def _pages(site: workflow.PublishResult) -> list[Path]:
    return sorted(site.folder.rglob("*.html"))


@pytest.mark.parametrize("name", ["kempten", "musterstadt", "musterstadt_draft"])
def test_every_page_parses_strictly_and_every_link_resolves(name, request) -> None:
    site: workflow.PublishResult = request.getfixturevalue(name)
    pages = _pages(site)
    assert len(pages) == len(site.pages)
    for page in pages:
        tree = _parse(page)  # raises on any HTML parse error
        ids = [e.get("id") for e in tree.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), f"duplicate ids in {page}"
        assert tree.get("lang") == "de"
        relative = page.relative_to(site.folder).as_posix()
        for element in tree.iter():
            for attribute in ("href", "src"):
                target = element.get(attribute)
                if target is None:
                    continue
                parts = urlsplit(target)
                if parts.scheme in ("http", "https", "mailto"):
                    assert element.tag == f"{XHTML}a", f"external resource {target} in {page}"
                    continue
                assert not parts.scheme, f"{target} in {page}"
                assert not target.startswith("/"), f"absolute link {target} in {page}"
                if parts.path:
                    resolved = posixpath.normpath(
                        posixpath.join(posixpath.dirname(relative), unquote(parts.path))
                    )
                    assert not resolved.startswith(".."), f"{target} leaves the site ({page})"
                    assert (site.folder / resolved).is_file(), f"{target} missing ({page})"
                elif parts.fragment:
                    assert parts.fragment in ids, f"#{parts.fragment} not on {page}"


@pytest.mark.parametrize("name", ["kempten", "musterstadt", "musterstadt_draft"])
def test_one_h1_and_no_skipped_heading_level(name, request) -> None:
    site: workflow.PublishResult = request.getfixturevalue(name)
    for page in _pages(site):
        tree = _parse(page)
        levels = [int(e.tag[-1]) for e in tree.iter() if re.fullmatch(rf"{XHTML}h[1-6]", e.tag)]
        assert levels[0] == 1, page
        assert levels.count(1) == 1, page
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, f"heading jumps from h{before} to h{after} in {page}"


def test_kempten_pages_show_the_seed_figures(kempten) -> None:
    index = (kempten.folder / "index.html").read_text(encoding="utf-8")
    assert (
        "Von den 144 Maßnahmen des Integrationskonzepts sind 45 implementiert (31 %), "
        "62 in Bearbeitung (43 %) und 37 wartend (26 %)." in index
    )
    field = (kempten.folder / "handlungsfelder" / "bs.html").read_text(encoding="utf-8")
    assert (
        "Von den 30 Maßnahmen im Handlungsfeld Bildung und Sprache sind 7 implementiert "
        "(23 %), 13 in Bearbeitung (44 %) und 10 wartend (33 %) (Rückmeldungen der Partner "
        "bis zum 30.09.2023)." in field
    )
    assert len(list((kempten.folder / "massnahmen").glob("*.html"))) == 144
    assert DRAFT_NOTICE not in index
    assert "noindex" not in index


def test_the_site_says_what_the_docx_says_from_the_same_presentation(kempten) -> None:
    """Sentences the DOCX had alone (codes, key figures' source) come from the presentation."""
    index = (kempten.folder / "index.html").read_text(encoding="utf-8")
    assert "Die Maßnahmen tragen das Kürzel ihres Handlungsfelds (BS = Bildung und Sprache" in (
        index
    )
    figures = (kempten.folder / "kennzahlen.html").read_text(encoding="utf-8")
    assert '<p class="footnote">Quelle: Amt für Stadtentwicklung (2023)' in figures


def test_table_cells_of_several_lines_keep_their_lines() -> None:
    from kik_core.web._site import _lines

    assert str(_lines("vhs → implementiert\nJobcenter → <wartend>")) == (
        "vhs → implementiert<br>Jobcenter → &lt;wartend&gt;"
    )


def test_the_texts_of_the_report_have_their_pages(kempten) -> None:
    index = (kempten.folder / "index.html").read_text(encoding="utf-8")
    assert '<a href="texte/vorwort.html">Vorwort</a>' in index
    assert '<a href="texte/querschnittsthemen.html">Querschnittsthemen</a>' in index
    foreword = (kempten.folder / "texte" / "vorwort.html").read_text(encoding="utf-8")
    assert "<h1>Vorwort</h1>" in foreword
    assert "Philipp Wagner" in foreword
    assert "Netzwerkpartner*innen" in foreword  # the gender star is text, not emphasis
    cross = _parse(kempten.folder / "texte" / "querschnittsthemen.html")
    regions = [d for d in cross.iter(f"{XHTML}div") if d.get("role") == "region"]
    assert regions
    assert all(d.find(f"{XHTML}table") is not None for d in regions)
    assert len(list(cross.iter(f"{XHTML}table"))) == len(regions)
    assert "Die Stadt Kempten (Allgäu) bedankt sich" in index


def test_charts_are_inline_svg_with_title_desc_and_a_table(kempten) -> None:
    tree = _parse(kempten.folder / "handlungsfelder" / "bs.html")
    svgs = [e for e in tree.iter() if e.tag == "{http://www.w3.org/2000/svg}svg"]
    assert len(svgs) == 1
    svg = svgs[0]
    assert svg.get("role") == "img"
    title = svg.find("{http://www.w3.org/2000/svg}title")
    desc = svg.find("{http://www.w3.org/2000/svg}desc")
    assert title is not None
    assert desc is not None
    assert desc.text.startswith("Kreisdiagramm Umsetzungsstand Bildung und Sprache: 7 impl")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    patterns = list(svg.iter("{http://www.w3.org/2000/svg}pattern"))
    assert len(patterns) == 3
    captions = [e.text for e in tree.iter(f"{XHTML}caption")]
    assert "Umsetzungsstand Bildung und Sprache in Zahlen" in captions
    assert not list(kempten.folder.rglob("*.png"))


def test_no_page_loads_anything_from_elsewhere(kempten, musterstadt) -> None:
    for site in (kempten, musterstadt):
        for path in site.folder.rglob("*"):
            if path.suffix in (".html", ".css", ".js"):
                text = path.read_text(encoding="utf-8")
                assert "@import" not in text
                assert "url(http" not in text
                assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', text)


def test_measure_pages_show_the_history_over_the_issued_rounds(musterstadt) -> None:
    tree = _parse(musterstadt.folder / "massnahmen" / "sp-1-1.html")
    captions = [e.text for e in tree.iter(f"{XHTML}caption")]
    assert "Verlauf der Maßnahme SP-1.1" in captions
    text = (musterstadt.folder / "massnahmen" / "sp-1-1.html").read_text(encoding="utf-8")
    for day in MUSTERSTADT_ROUNDS:
        assert f"{day:%d.%m.%Y}" in text
    index = (musterstadt.folder / "index.html").read_text(encoding="utf-8")
    assert "Entwicklung über die Berichtszeitpunkte" in index
    assert "Seit dem 30.06.2024 hat sich der Status" in index


def test_open_data_per_issued_round(musterstadt, kempten) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from kik_core.opendata import load_schema

    for site in (musterstadt, kempten):
        for path in site.folder.rglob("massnahmen.json"):
            jsonschema.validate(
                json.loads(path.read_text(encoding="utf-8")),
                load_schema(),
                format_checker=jsonschema.FormatChecker(),
            )
    data = musterstadt.folder / "daten"
    for day in MUSTERSTADT_ROUNDS[:-1]:
        document = json.loads((data / day.isoformat() / "massnahmen.json").read_text("utf-8"))
        assert document["stichtag"] == day.isoformat()
        assert document["entwurf"] is False
    latest = json.loads((data / "massnahmen.json").read_text("utf-8"))
    assert latest["stichtag"] == MUSTERSTADT_ROUNDS[-1].isoformat()
    history = (data / "verlauf.csv").read_text(encoding="utf-8-sig")
    assert all(day.isoformat() in history for day in MUSTERSTADT_ROUNDS)
    page = (musterstadt.folder / "daten.html").read_text(encoding="utf-8")
    assert 'href="daten/2024-03-31/massnahmen.csv"' in page


def test_an_earlier_issued_round_can_be_published(musterstadt_played_folder, tmp_path) -> None:
    site = workflow.publish(
        musterstadt_played_folder, target=tmp_path / "q2", as_of=MUSTERSTADT_ROUNDS[1]
    )
    assert site.snapshot.as_of == MUSTERSTADT_ROUNDS[1]
    text = (site.folder / "index.html").read_text(encoding="utf-8")
    assert "Stand 30.06.2024" in text
    assert "30.09.2024" not in text
    with pytest.raises(RoundError, match="keine herausgegebene Runde"):
        workflow.publish(
            musterstadt_played_folder, target=tmp_path / "x", as_of=dt.date(2024, 5, 1)
        )


def test_nothing_is_published_before_a_round_is_issued(tmp_path) -> None:
    folder = tmp_path / "stadt"
    workflow.init_folder(folder, "Neustadt")
    with pytest.raises(RoundError, match="noch keine herausgegebene Runde"):
        workflow.publish(folder)
    with pytest.raises(RoundError, match="keine Runde offen"):
        workflow.publish(folder, draft=True)
    assert not (folder / "veroeffentlichung").exists()


def test_draft_notice_on_every_page(musterstadt_draft) -> None:
    assert musterstadt_draft.folder.name == "veroeffentlichung-entwurf"
    assert musterstadt_draft.snapshot.as_of == dt.date(2024, 12, 31)
    for page in _pages(musterstadt_draft):
        text = page.read_text(encoding="utf-8")
        assert text.count(DRAFT_NOTICE) == 2, page
        assert '<meta name="robots" content="noindex, nofollow">' in text
        assert "<title>Entwurf: " in text
    marker = json.loads((musterstadt_draft.folder / MARKER).read_text(encoding="utf-8"))
    assert marker["entwurf"] is True
    data = json.loads((musterstadt_draft.folder / "daten" / "massnahmen.json").read_text("utf-8"))
    assert data["entwurf"] is True


def test_the_published_site_has_no_draft_notice(musterstadt) -> None:
    for page in _pages(musterstadt):
        text = page.read_text(encoding="utf-8")
        assert DRAFT_NOTICE not in text
        assert "noindex" not in text


def test_easy_language_css_and_logo_from_the_municipality_folder(musterstadt) -> None:
    easy = (musterstadt.folder / "leichte-sprache.html").read_text(encoding="utf-8")
    assert "<h2>Was ist das Integrations-Konzept?</h2>" in easy
    assert "<h3>Was steht im Plan?</h3>" in easy
    assert (musterstadt.folder / "assets" / "logo.svg").is_file()
    assert (musterstadt.folder / "assets" / "eigenes.css").is_file()
    index = (musterstadt.folder / "index.html").read_text(encoding="utf-8")
    assert 'href="assets/eigenes.css"' in index
    assert 'src="assets/logo.svg"' in index
    assert 'href="leichte-sprache.html"' in index
    data = (musterstadt.folder / "daten.html").read_text(encoding="utf-8")
    assert "Datenlizenz Deutschland – Namensnennung – Version 2.0" in data


def test_a_municipality_template_replaces_the_shipped_one(
    musterstadt_played_folder, tmp_path
) -> None:
    folder = copy_folder(musterstadt_played_folder, tmp_path)
    templates = folder / "web" / "templates"
    templates.mkdir()
    (templates / "timeline.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Unser Fahrplan</h1>'
        "<p>{{ p.timeline.rows | length }} Schritte</p>{% endblock %}",
        encoding="utf-8",
    )
    site = workflow.publish(folder)
    text = (site.folder / "zeitleiste.html").read_text(encoding="utf-8")
    assert "<h1>Unser Fahrplan</h1>" in text


def test_site_is_replaced_as_a_whole_and_never_half_written(
    musterstadt_played_folder, tmp_path, monkeypatch
) -> None:
    folder = copy_folder(musterstadt_played_folder, tmp_path)
    first = workflow.publish(folder)
    stray = first.folder / "alt.html"
    stray.write_text("old", encoding="utf-8")
    second = workflow.publish(folder)
    assert second.folder == first.folder
    assert not stray.exists()
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".veroeffentlichung")]
    assert leftovers == []

    before = sorted(p.relative_to(first.folder) for p in first.folder.rglob("*"))

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kik_core.web._site.write_open_data", broken)
    with pytest.raises(PublishError, match="kann nicht geschrieben werden"):
        workflow.publish(folder)
    assert sorted(p.relative_to(first.folder) for p in first.folder.rglob("*")) == before
    assert [p.name for p in folder.iterdir() if p.name.startswith(".veroeffentlichung")] == []


def test_leftovers_of_a_killed_run_are_removed(musterstadt_played_folder, tmp_path) -> None:
    import os

    folder = copy_folder(musterstadt_played_folder, tmp_path)
    old = folder / ".veroeffentlichung.dead.tmp"
    young = folder / ".veroeffentlichung.busy.tmp"
    for leftover in (old, young):
        leftover.mkdir()
        (leftover / "index.html").write_text("halb", encoding="utf-8")
    os.utime(old, (0, 0))
    workflow.publish(folder)
    assert not old.exists()
    assert young.exists()  # it may belong to a run that is still writing


def test_a_folder_kik_did_not_write_is_never_replaced(musterstadt_played_folder, tmp_path) -> None:
    folder = copy_folder(musterstadt_played_folder, tmp_path)
    own = tmp_path / "eigene-seite"
    own.mkdir()
    (own / "index.html").write_text("von Hand", encoding="utf-8")
    with pytest.raises(PublishError, match="nicht von kik"):
        workflow.publish(folder, target=own)
    assert (own / "index.html").read_text(encoding="utf-8") == "von Hand"


def test_cli_veroeffentlichen(musterstadt_played_folder, tmp_path, capsys) -> None:
    folder = copy_folder(musterstadt_played_folder, tmp_path)
    target = tmp_path / "site"
    assert main(["veroeffentlichen", str(folder), "--ziel", str(target)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Website geschrieben" in out
    assert "Stichtag 30.09.2024" in out
    assert (target / "index.html").is_file()
    (tmp_path / "fremd").mkdir()
    (tmp_path / "fremd" / "x.txt").write_text("x", encoding="utf-8")
    code = main(["veroeffentlichen", str(folder), "--ziel", str(tmp_path / "fremd")])
    assert code == EXIT_FAILED
    assert "nicht von kik" in capsys.readouterr().out


# --- concepts of issue 17: a five-status scheme, four and two levels ---------------------


def _structured_site(root: Path, name: str) -> workflow.PublishResult:
    """Publish the issued round of a concept with its own status scheme (issue 17)."""
    from tests.test_scheme_end_to_end import FILLED, beispielstadt
    from tests.test_structures_end_to_end import (
        STICHTAG,
        VIER_FILLED,
        ZWEI_FILLED,
        _run,
        vierstadt,
        zweistadt,
    )

    concept, filled = {
        "beispielstadt": (beispielstadt(), FILLED),
        "vierstadt": (vierstadt(), VIER_FILLED),
        "zweistadt": (zweistadt(), ZWEI_FILLED),
    }[name]
    _run(root / name, concept, filled)
    workflow.issue(root / name, stichtag=STICHTAG, pdf=False)
    return workflow.publish(root / name, target=root / "site")


@pytest.mark.parametrize(
    ("name", "status"),
    [("beispielstadt", "entfällt"), ("vierstadt", "umgesetzt"), ("zweistadt", "implementiert")],
)
def test_a_concept_with_its_own_scheme_and_levels_publishes(
    name: str, status: str, tmp_path: Path
) -> None:
    site = _structured_site(tmp_path, name)
    pages = _pages(site)
    assert pages
    for page in pages:
        _parse(page)  # strict HTML
    text = " ".join(p.read_text(encoding="utf-8") for p in pages)
    assert status in text  # the concept's own statuses
    data = list(site.folder.rglob("*.csv"))
    assert data, "open data is written"
    assert status in " ".join(p.read_text(encoding="utf-8-sig") for p in data)
    # every status class a page uses has its colour, edge and pattern from the scheme
    css = (site.folder / "assets" / "status.css").read_text(encoding="utf-8")
    used = set(re.findall(r'class="[^"]*\bstatus-([a-z0-9-]+)', text)) - {"line"}
    assert used
    for key in used:
        assert f".status-{key} {{ --fill: var(--status-{key});" in css, key
        assert f"--status-{key}-pattern:" in css, key
    # every pattern a chart fills with is defined in that chart
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
            defined = set(re.findall(r'<pattern id="([^"]+)"', svg))
            assert set(re.findall(r"url\(#([^)]+)\)", svg)) <= defined, page


def test_status_styles_follow_the_scheme_as_the_docx_charts_do() -> None:
    charts = pytest.importorskip("kik_core.report.charts")
    from kik_core.model import DEFAULT_SCHEME, Status, StatusScheme
    from kik_core.web._styles import UNCOUNTED, scheme_styles, status_css, style_of
    from tests.scheme_fixtures import FIVE

    five_groups = [Status(g.name, i, g.name) for i, g in enumerate(FIVE.groups) if g.counted]
    simple = StatusScheme(tuple(Status(s.label, s.position) for s in FIVE.statuses))
    own_groups = [Status(n, i, n) for i, n in enumerate(("geplant", "laufend", "fertig"))]
    for shown in (DEFAULT_SCHEME.statuses, five_groups, simple.statuses, own_groups):
        for status in shown:
            style = style_of(status, shown)
            assert (style.fill, style.hatch, style.edge) == charts._style(status, list(shown))

    styles = scheme_styles(FIVE)
    assert set(styles) == {
        "offen",
        "zurueckgestellt",
        "in-umsetzung",
        "umgesetzt",
        "entfaellt",
        "wartend",
        "in-bearbeitung",
        "implementiert",
        "entfallen",
    }
    assert styles["offen"] == styles["zurueckgestellt"] == styles["wartend"]  # their group's
    assert styles["umgesetzt"] == styles["implementiert"]
    assert styles["entfaellt"] == styles["entfallen"] == UNCOUNTED  # not counted: cross-hatch
    assert styles["implementiert"].fill == "#0072B2"  # Kempten's colours for Kempten's groups
    # a scheme of five statuses, each its own group: five colours, five patterns
    own = scheme_styles(simple)
    assert len({s.fill for s in own.values()}) == 5
    assert len({s.hatch for s in own.values()}) == 5
    css = status_css(simple)
    assert "--status-entfaellt: #0072B2;" in css
    assert "--status-in-umsetzung-pattern: repeating-linear-gradient(45deg" in css


# --- two runs writing the same site ---------------------------------------------------

#: A second process that publishes ``folder`` and logs when it starts and ends writing.
_LOGGED_PUBLISH = """
import sys, time
from pathlib import Path
from kik_core import workflow
from kik_core.web import _site

log = Path(sys.argv[2])
original = _site._build_locked

def logged(*args, **kwargs):
    with log.open("a", encoding="utf-8") as stream:
        stream.write(f"start {sys.argv[3]}\\n")
    time.sleep(1.0)  # long enough for the other process to try its luck meanwhile
    try:
        return original(*args, **kwargs)
    finally:
        with log.open("a", encoding="utf-8") as stream:
            stream.write(f"end {sys.argv[3]}\\n")

_site._build_locked = logged
workflow.publish(Path(sys.argv[1]))
"""


def test_two_publishing_processes_never_interleave(musterstadt_played_folder, tmp_path) -> None:
    """Two `kik veroeffentlichen` at once: the second waits until the first has swapped."""
    import os
    import subprocess
    import sys

    folder = copy_folder(musterstadt_played_folder, tmp_path)
    log = tmp_path / "ablauf.txt"
    env = dict(os.environ)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOGGED_PUBLISH, str(folder), str(log), name],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    errors = [run.communicate(timeout=180)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    starts_and_ends = log.read_text(encoding="utf-8").splitlines()
    assert len(starts_and_ends) == 4
    first = starts_and_ends[0].split()[1]
    second = "b" if first == "a" else "a"
    assert starts_and_ends == [f"start {first}", f"end {first}", f"start {second}", f"end {second}"]
    site = folder / "veroeffentlichung"
    assert (site / MARKER).is_file()
    assert (site / "index.html").is_file()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".veroeffentlichung")] == []


def test_a_run_that_waits_too_long_for_another_stops_with_a_german_message(
    musterstadt_played_folder, tmp_path, monkeypatch, capsys
) -> None:
    import subprocess
    import sys

    from kik_core.web import _site

    folder = copy_folder(musterstadt_played_folder, tmp_path)
    target = folder / "veroeffentlichung"
    lock = _site.lock_path(target)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('gesperrt', flush=True)\n"
            "sys.stdin.read()\n",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "gesperrt"
        monkeypatch.setattr(_site, "LOCK_TIMEOUT", 0.5)
        with pytest.raises(PublishError, match="gerade von einem anderen Lauf geschrieben"):
            workflow.publish(folder)
        assert not target.exists()
        capsys.readouterr()
        assert main(["veroeffentlichen", str(folder)]) == EXIT_FAILED
        printed = capsys.readouterr()
        assert "anderen Lauf" in printed.out + printed.err
    finally:
        holder.communicate(input="", timeout=30)
    # the other run has finished: the next one writes the site
    workflow.publish(folder)
    assert (target / MARKER).is_file()
