"""kik_core._lazy: the one PEP 562 loader of kik_core and kik_core.ingest."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kik_core
import kik_core.ingest
from kik_core._lazy import lazy_attributes


@pytest.mark.parametrize(
    ("package", "message"),
    [
        (kik_core, "module 'kik_core' has no attribute 'Nichts'"),
        (kik_core.ingest, "module 'kik_core.ingest' has no attribute 'Nichts'"),
    ],
)
def test_unknown_names_raise_attribute_error(package: object, message: str) -> None:
    with pytest.raises(AttributeError) as caught:
        getattr(package, "Nichts")  # noqa: B009 - the dynamic lookup is what is tested
    assert str(caught.value) == message
    assert not hasattr(package, "Nichts")


def test_from_import_of_an_unknown_name_is_an_import_error() -> None:
    with pytest.raises(ImportError, match="cannot import name 'Nichts' from 'kik_core'"):
        from kik_core import Nichts  # type: ignore[attr-defined]  # noqa: F401


def test_dir_lists_all_and_every_lazy_name_is_public() -> None:
    for package in (kik_core, kik_core.ingest):
        assert sorted(dir(package)) == sorted(package.__all__)
        assert set(package._LAZY) <= set(package.__all__)  # type: ignore[attr-defined]


def test_a_name_is_imported_once_then_cached_in_the_namespace() -> None:
    namespace: dict[str, object] = {}
    getattr_, dir_ = lazy_attributes(
        "paket", {"dumps": "json", "fehlt": "json"}, ["dumps", "fehlt"], namespace
    )
    import json

    assert getattr_("dumps") is json.dumps
    assert namespace == {"dumps": json.dumps}
    assert dir_() == ["dumps", "fehlt"]
    with pytest.raises(AttributeError, match="module 'json' has no attribute 'fehlt'"):
        getattr_("fehlt")  # a wrong table entry is the module's AttributeError
    with pytest.raises(AttributeError, match="module 'paket' has no attribute 'x'"):
        getattr_("x")


def test_importing_the_packages_imports_none_of_their_lazy_modules() -> None:
    code = (
        "import sys, kik_core, kik_core.ingest\n"
        "lazy = set(kik_core._LAZY.values()) | set(kik_core.ingest._LAZY.values())\n"
        "lazy |= {'openpyxl', 'cattrs'}\n"
        "print(','.join(sorted(m for m in lazy if m in sys.modules)))\n"
        "kik_core.Concept, kik_core.ingest.FileKind\n"
        "print('kik_core.model' in sys.modules, 'Concept' in vars(kik_core))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["", "True True"]
