"""Which of the library's modules run compiled, and the guard against stale ones.

The install (``setup.py``) compiles the modules in :data:`COMPILED` with mypyc: the
same code, the same results, about 1.6 times as many pairs a second
(``bench/score_speed.py``). Beside the compiled modules it writes ``_compiled.json``,
the SHA-256 of each source as it was compiled.

An edited source must never run as its old compiled self. So when the package is
imported, :func:`choose` compares the sources with that record, and if any compiled
module's source has changed since (an edit, or a checkout without a new install), or
``TESSERA_PURE_PYTHON`` is set, every compiled module is loaded from its source
instead, with a warning. All or none: compiled modules call one another directly, so
one source module among compiled ones would still be bypassed. ``bash .ci/install``
compiles them again.

Stdlib only: ``setup.py`` reads :data:`COMPILED` from this file before anything else is
installed.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = [
    "COMPILED",
    "GROUP",
    "MANIFEST",
    "RUNNING",
    "choose",
    "compiled_present",
    "source_digests",
    "stale_modules",
]

#: The modules mypyc compiles (``matching/<name>.py``): the hot path of building
#: profiles and scoring pairs. ``comparison`` stays Python: it builds its frozen
#: results with a trick compiled classes refuse, and it is small.
COMPILED: tuple[str, ...] = (
    "attributes",
    "dates",
    "documents",
    "judgement",
    "keys",
    "names",
    "normalize",
    "profile",
    "scoring",
    "translit",
)
#: The compiled modules' shared library, ``matching/native__mypyc*.so``.
GROUP = "matching.native"
#: The record of the compiled sources, beside them.
MANIFEST = "_compiled.json"
#: Setting this (to anything) runs every module from its source.
PURE_ENV = "TESSERA_PURE_PYTHON"

#: How this process runs the library: ``"compiled"`` or ``"source"``, set on import.
RUNNING = "source"


def source_digests(package_dir: Path) -> dict[str, str]:
    """SHA-256 of each compiled module's source in ``package_dir`` (those present)."""
    digests = {}
    for name in COMPILED:
        path = package_dir / f"{name}.py"
        if path.is_file():
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def compiled_present(package_dir: Path) -> list[str]:
    """The modules of :data:`COMPILED` that have an extension module in ``package_dir``."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return [
        name
        for name in COMPILED
        if any((package_dir / f"{name}{suffix}").is_file() for suffix in suffixes)
    ]


def stale_modules(package_dir: Path) -> list[str]:
    """Compiled modules whose source differs from the one they were compiled from.

    Without a readable record every compiled module counts as stale; a module whose
    source is absent (a build that ships none) cannot be checked and is trusted."""
    present = compiled_present(package_dir)
    if not present:
        return []
    try:
        recorded = json.loads((package_dir / MANIFEST).read_text(encoding="utf-8"))["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return present
    current = source_digests(package_dir)
    return [name for name in present if name in current and recorded.get(name) != current[name]]


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds ``matching.<compiled module>`` as its ``.py`` file, ahead of the
    extension module beside it."""

    def __init__(self, package_dir: Path) -> None:
        self.package_dir = package_dir

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != "matching" or name not in COMPILED:
            return None
        source = self.package_dir / f"{name}.py"
        if not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def choose(package_dir: Path) -> str:
    """Decide, before any compiled module is imported, whether they run compiled or
    from source, and arrange for the latter; returns the choice (also :data:`RUNNING`)."""
    global RUNNING
    present = compiled_present(package_dir)
    if not present:
        RUNNING = "source"
        return RUNNING
    reason = ""
    if os.environ.get(PURE_ENV):
        reason = f"{PURE_ENV} is set"
    elif not (package_dir / MANIFEST).is_file():
        reason = f"no record ({MANIFEST}) of the sources they were compiled from"
    else:
        stale = stale_modules(package_dir)
        if stale:
            reason = (
                f"{', '.join(f'{name}.py' for name in stale)} changed since it was compiled "
                "(run `bash .ci/install` to compile again)"
            )
    if not reason and len(present) < len(COMPILED):
        missing = sorted(set(COMPILED) - set(present))
        reason = f"{', '.join(missing)} not compiled"
    if reason:
        if not any(isinstance(f, _FromSource) for f in sys.meta_path):
            sys.meta_path.insert(0, _FromSource(package_dir))
        if not os.environ.get(PURE_ENV):
            warnings.warn(
                f"matching runs from its Python sources, slower: {reason}",
                RuntimeWarning,
                stacklevel=2,
            )
        RUNNING = "source"
    else:
        RUNNING = "compiled"
    return RUNNING
