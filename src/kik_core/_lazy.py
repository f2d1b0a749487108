"""Lazy public names of a package (PEP 562), shared by ``kik_core`` and ``kik_core.ingest``.

A package lists where each public name lives in a ``_LAZY`` table and gets its
module-level ``__getattr__`` and ``__dir__`` from :func:`lazy_attributes`. A name is
imported on first access and then cached in the package's namespace, so that
``kik --help`` does not pay for openpyxl, cattrs and the model. The package keeps its
``TYPE_CHECKING`` imports (for mypy and IDEs) and its ``__all__``.

Example (in a package's ``__init__.py``)::

    _LAZY = {"Concept": "kik_core.model"}
    __getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__, globals())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no run-time import: this module is on the path of `kik --help`
    from collections.abc import Callable, Mapping, MutableMapping, Sequence

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str,
    table: Mapping[str, str],
    names: Sequence[str],
    namespace: MutableMapping[str, object],
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package with lazily imported names.

    Args:
        package: the package's ``__name__`` (for the AttributeError message).
        table: public name -> the module it is imported from.
        names: the package's ``__all__`` (what ``dir()`` lists).
        namespace: the package's ``globals()``; a name imported once is cached there,
            so ``__getattr__`` is not asked for it again.

    Returns:
        ``(__getattr__, __dir__)`` to assign at the package's module level.
    """

    def lazy_getattr(name: str) -> object:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def lazy_dir() -> list[str]:
        return list(names)

    return lazy_getattr, lazy_dir
