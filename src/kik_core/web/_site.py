"""Write the static web edition: HTML pages, CSS, a little JS, inline SVG charts, open data.

The site is laid out from a :class:`~kik_core.presentation.Presentation` by Jinja2
templates; it has no server part and loads nothing from elsewhere. Every link is
relative, so the folder works from a file share, a USB stick or any sub-path of
a web server.

Writing is all or nothing: every file is written (atomically) into a hidden
temp folder beside the target; only when the whole site is there is the temp
folder renamed to the target, and the previous site removed. A folder kik did
not write (no ``.kik-website`` marker) is never replaced.

Two runs that write the same target (two ``kik veroeffentlichen``, or the
quarterly flow while someone publishes by hand) never interleave: each holds an
exclusive lock (``flock``) on ``.kik-lock-<target>`` beside the target while it
checks, writes and swaps the site. A second run waits up to
:data:`LOCK_TIMEOUT` seconds for the first to finish and then writes its own
site; if the first takes longer, the second stops with a
:class:`~kik_core.errors.PublishError` and writes nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jinja2
import markupsafe

from kik_core._atomic import atomic_write_bytes, atomic_write_text
from kik_core._locale import format_date
from kik_core._version import __version__
from kik_core.errors import PublishError
from kik_core.model import Concept
from kik_core.opendata import Licence, load_dictionary, write_open_data
from kik_core.presentation import Presentation
from kik_core.rules import Snapshot
from kik_core.web._markdown import markdown_html
from kik_core.web._styles import status_css
from kik_core.web._svg import chart_svg

__all__ = ["DRAFT_NOTICE", "LOCK_TIMEOUT", "MARKER", "SiteOptions", "SiteResult", "build_site"]

#: The marker file that identifies a folder as a site kik wrote.
MARKER = ".kik-website"
#: The notice on every page of a draft site.
DRAFT_NOTICE = "Entwurf – nicht veröffentlichen"
_LOGO_NAMES = ("logo.svg", "logo.png", "logo.jpg", "logo.jpeg", "logo.webp")


@attrs.frozen
class SiteOptions:
    """How to write the site besides its content.

    Attributes:
        draft: mark every page "Entwurf – nicht veröffentlichen" and ask search
            engines not to index it.
        licence: the data licence of the open data (None: none stated).
        attribution: the name to credit (e.g. "Stadt Kempten (Allgäu)").
        easy_language: Markdown of the "Leichte Sprache" page ('' for none).
        overrides: the municipality's ``web/`` folder: ``templates/*.html``
            replace the shipped templates, ``eigenes.css`` is loaded after the
            shipped CSS, ``logo.svg``/``logo.png`` is shown in the header.
    """

    draft: bool = False
    licence: Licence | None = None
    attribution: str = ""
    easy_language: str = ""
    overrides: Path | None = None


@attrs.frozen
class SiteResult:
    """A written site: its folder, its pages and its open-data files (relative paths)."""

    folder: Path
    pages: tuple[str, ...]
    data_files: tuple[str, ...]


@attrs.frozen
class _Page:
    path: str
    template: str
    title: str
    nav: str
    context: dict[str, Any] = attrs.field(factory=dict)

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")


def _lines(text: str) -> markupsafe.Markup:
    """A table cell of several lines (one partner per line): escaped, lines kept."""
    return markupsafe.Markup("<br>").join(markupsafe.escape(line) for line in text.split("\n"))


def _environment(overrides: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if overrides is not None and (overrides / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(overrides / "templates"))
    loaders.append(jinja2.PackageLoader("kik_core.web", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = markdown_html
    env.filters["lines"] = _lines
    env.globals["chart_svg"] = chart_svg
    return env


def _pages(p: Presentation, options: SiteOptions) -> list[_Page]:
    pages = [
        _Page("index.html", "index.html", "Übersicht", "index"),
        _Page("massnahmen.html", "measures.html", "Alle Maßnahmen", "measures"),
    ]
    pages += [
        _Page(f"handlungsfelder/{f.slug}.html", "field.html", f.heading, "fields", {"field": f})
        for f in p.fields
    ]
    pages += [
        _Page(
            f"massnahmen/{m.slug}.html",
            "measure.html",
            f"Maßnahme {m.id}",
            "measures",
            {"measure": m},
        )
        for m in p.measures
    ]
    pages += [
        _Page(f"texte/{t.slug}.html", "text.html", t.title, "texts", {"text": t}) for t in p.texts
    ]
    if p.timeline is not None:
        pages.append(_Page("zeitleiste.html", "timeline.html", "Zeitliche Umsetzung", "timeline"))
    if p.key_figures is not None:
        pages.append(_Page("kennzahlen.html", "key_figures.html", "Kennzahlen", "key_figures"))
    if options.easy_language.strip():
        pages.append(_Page("leichte-sprache.html", "easy.html", "Leichte Sprache", "easy"))
    pages.append(_Page("daten.html", "data.html", "Offene Daten", "data"))
    return pages


def _nav(p: Presentation, options: SiteOptions) -> list[tuple[str, str, str]]:
    items = [("index", "index.html", "Übersicht"), ("measures", "massnahmen.html", "Maßnahmen")]
    if p.timeline is not None:
        items.append(("timeline", "zeitleiste.html", "Zeitleiste"))
    if p.key_figures is not None:
        items.append(("key_figures", "kennzahlen.html", "Kennzahlen"))
    items.append(("data", "daten.html", "Offene Daten"))
    if options.easy_language.strip():
        items.append(("easy", "leichte-sprache.html", "Leichte Sprache"))
    return items


def _logo(overrides: Path | None) -> Path | None:
    if overrides is None:
        return None
    return next((overrides / n for n in _LOGO_NAMES if (overrides / n).is_file()), None)


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise PublishError(f"{target} ist eine Datei, kein Ordner: bitte einen Zielordner angeben")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise PublishError(
            f"Der Ordner {target} enthält Dateien, die nicht von kik stammen. kik ersetzt nur "
            "Ordner, die es selbst geschrieben hat. Bitte einen leeren oder neuen Zielordner "
            "angeben (--ziel)."
        )


#: Leftovers of a killed run older than this (seconds) are removed by the next run.
STALE_AFTER = 3600.0


def _remove_stale(target: Path) -> None:
    """Remove temp and old-site folders a killed run left beside ``target``."""
    if not target.parent.is_dir():
        return
    now = time.time()
    for path in target.parent.glob(f".{target.name}.*"):
        if path.suffix not in (".tmp", ".alt") or not path.is_dir():
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime >= STALE_AFTER:
                shutil.rmtree(path)


#: How long (seconds) a run waits for another run writing the same target to finish.
LOCK_TIMEOUT = 120.0
#: How often (seconds) a waiting run tries the lock again.
_LOCK_POLL = 0.2


def lock_path(target: Path) -> Path:
    """The lock file of ``target``: ``.kik-lock-<name>`` beside it (kept, never removed).

    Removing it after use would let a waiting run lock a file no newer run sees.
    """
    return target.with_name(f".kik-lock-{target.name}")


@contextlib.contextmanager
def _publish_lock(target: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock on ``target`` (wait at most ``timeout`` seconds for it).

    Raises:
        PublishError: the lock file cannot be created, or another run holds the
            lock for longer than ``timeout``.
    """
    timeout = LOCK_TIMEOUT if timeout is None else timeout
    lock = lock_path(target)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PublishError(f"Der Zielordner {target} kann nicht angelegt werden: {exc}") from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PublishError(
                        f"Die Website in {target} wird gerade von einem anderen Lauf "
                        f"geschrieben (seit über {round(timeout)} Sekunden). Bitte warten, bis "
                        "er fertig ist, und dann erneut veröffentlichen."
                    ) from None
                time.sleep(_LOCK_POLL)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


def _swap(temp: Path, target: Path) -> None:
    """Put the finished ``temp`` folder in place of ``target`` (replaced as a whole)."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.alt")
        target.rename(old)
    try:
        temp.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)  # put the previous site back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_site(
    presentation: Presentation,
    concept: Concept,
    snapshot: Snapshot,
    target: Path,
    *,
    history: Sequence[Snapshot] = (),
    options: SiteOptions | None = None,
    concept_of: Callable[[Snapshot], Concept] | None = None,
) -> SiteResult:
    """Write the web edition of ``presentation`` to the folder ``target``.

    Args:
        presentation: every display value (from :func:`kik_core.presentation.present`).
        concept: the concept the presentation was made from (for the open data).
        snapshot: the snapshot the presentation was made from (for the open data).
        target: the site's folder; replaced as a whole when the new site is complete.
        history: earlier snapshots (for the open data's history file).
        options: draft mode, licence, Leichte Sprache, the municipality's overrides.
        concept_of: after a *Fortschreibung*, the edition each earlier snapshot was
            built in (its open data lists that edition's measures); default ``concept``.

    Returns:
        The folder, its pages and its open-data files.

    Raises:
        PublishError: ``target`` holds files kik did not write, or cannot be written,
            or another run has been writing it for longer than :data:`LOCK_TIMEOUT`
            seconds (the run waits for it until then).
    """
    options = options or SiteOptions()
    target = Path(target).absolute()
    with _publish_lock(target):
        return _build_locked(
            presentation,
            concept,
            snapshot,
            target,
            history=history,
            options=options,
            concept_of=concept_of,
        )


def _build_locked(
    presentation: Presentation,
    concept: Concept,
    snapshot: Snapshot,
    target: Path,
    *,
    history: Sequence[Snapshot],
    options: SiteOptions,
    concept_of: Callable[[Snapshot], Concept] | None,
) -> SiteResult:
    _check_target(target)
    _remove_stale(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        temp.mkdir()
    except OSError as exc:
        raise PublishError(f"Der Zielordner {target} kann nicht angelegt werden: {exc}") from exc
    try:
        result = _write(
            presentation,
            concept,
            snapshot,
            temp,
            history=history,
            options=options,
            concept_of=concept_of,
        )
        _swap(temp, target)
    except OSError as exc:
        raise PublishError(f"Die Website kann nicht geschrieben werden ({target}): {exc}") from exc
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)
    return attrs.evolve(result, folder=target)


def _write(
    p: Presentation,
    concept: Concept,
    snapshot: Snapshot,
    folder: Path,
    *,
    history: Sequence[Snapshot],
    options: SiteOptions,
    concept_of: Callable[[Snapshot], Concept] | None = None,
) -> SiteResult:
    env = _environment(options.overrides)
    data_dir = folder / "daten"
    data_paths = write_open_data(
        data_dir,
        concept,
        snapshot,
        history=history,
        title=p.title,
        licence=options.licence,
        attribution=options.attribution,
        draft=options.draft,
    )
    data_files = tuple(f"daten/{path.name}" for path in data_paths)
    # open data of every earlier round shown in the history, one folder per Stichtag
    rounds: list[tuple[str, str]] = []
    earlier = sorted((s for s in history if s.as_of < snapshot.as_of), key=lambda s: s.as_of)
    for index, past in enumerate(earlier):
        name = past.as_of.isoformat()
        write_open_data(
            data_dir / name,
            concept_of(past) if concept_of is not None else concept,
            past,
            history=earlier[:index],
            title=p.title,
            licence=options.licence,
            attribution=options.attribution,
            draft=False,
        )
        rounds.append((format_date(past.as_of), f"daten/{name}"))
    assets = folder / "assets"
    assets.mkdir()
    static = resources.files("kik_core.web").joinpath("static")
    for name in ("kik.css", "kik.js"):
        atomic_write_bytes(assets / name, static.joinpath(name).read_bytes())
    atomic_write_text(assets / "status.css", status_css(snapshot.scheme))
    extra_css = False
    if options.overrides is not None and (options.overrides / "eigenes.css").is_file():
        atomic_write_bytes(assets / "eigenes.css", (options.overrides / "eigenes.css").read_bytes())
        extra_css = True
    logo = _logo(options.overrides)
    logo_name = None
    if logo is not None:
        logo_name = f"assets/logo{logo.suffix.lower()}"
        atomic_write_bytes(folder / logo_name, logo.read_bytes())
    pages = _pages(p, options)
    common = {
        "p": p,
        "draft": options.draft,
        "draft_notice": DRAFT_NOTICE,
        "nav_items": _nav(p, options),
        "extra_css": extra_css,
        "logo": logo_name,
        "licence": options.licence,
        "attribution": options.attribution,
        "easy_language": options.easy_language,
        "data_files": data_files,
        "dictionary": load_dictionary(),
        "rounds": tuple(reversed(rounds)),
        "version": __version__,
    }
    for page in pages:
        html = env.get_template(page.template).render(
            **common,
            **page.context,
            root=page.root,
            page_title=page.title,
            current=page.nav,
            page_path=page.path,
        )
        path = folder / page.path
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, html)
    marker = {
        "stichtag": p.as_of.isoformat(),
        "entwurf": options.draft,
        "erzeugt_mit": f"kik {__version__}",
    }
    atomic_write_text(folder / MARKER, json.dumps(marker, ensure_ascii=False) + "\n")
    return SiteResult(folder, tuple(pg.path for pg in pages), data_files)
