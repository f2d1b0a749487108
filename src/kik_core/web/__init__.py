"""The web edition: a static, accessible site of a report, with open data beside it.

Example:
    >>> from kik_core.presentation import present  # doctest: +SKIP
    >>> from kik_core.web import SiteOptions, build_site  # doctest: +SKIP
    >>> build_site(present(concept, snapshot), concept, snapshot, Path("website"),
    ...            options=SiteOptions(draft=True))  # doctest: +SKIP

Importing this package loads Jinja2 and pandas; ``kik_core`` itself does not import it.
"""

from kik_core.web._site import DRAFT_NOTICE, MARKER, SiteOptions, SiteResult, build_site

__all__ = ["DRAFT_NOTICE", "MARKER", "SiteOptions", "SiteResult", "build_site"]


def __dir__() -> list[str]:
    return list(__all__)
