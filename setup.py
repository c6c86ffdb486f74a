"""Build step: the matching library's hot modules compiled with mypyc.

pyproject.toml holds everything else about the package. This file only adds the
compiled modules (``matching.compiled.COMPILED``), and records the sources they
were compiled from in ``matching/_compiled.json``, so that a source edited later
runs as itself and never as its old compiled copy (``matching/compiled.py``).
The compiled modules need a C compiler at install. ``TESSERA_PURE_PYTHON=1`` at
install compiles nothing. The library then runs from its sources: the same results,
but slower.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "matching"
#: Commands that only read the package's metadata: pip runs them before the build, and
#: type-checking and generating the C code there would be done again by the build.
METADATA_ONLY = frozenset({"egg_info", "dist_info"})


def _compiled_module() -> Any:
    """``matching/compiled.py`` on its own (the package's dependencies may not be
    installed yet)."""
    spec = importlib.util.spec_from_file_location("_tessera_compiled", PACKAGE / "compiled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ext_modules() -> list[Any]:
    if METADATA_ONLY.intersection(sys.argv[1:2]):
        return []
    compiled = _compiled_module()
    manifest = PACKAGE / compiled.MANIFEST
    if os.environ.get(compiled.PURE_ENV):
        manifest.unlink(missing_ok=True)
        return []
    from mypyc.build import mypycify

    digests = compiled.source_digests(PACKAGE)
    manifest.write_text(json.dumps({"sources": digests}, indent=1) + "\n", encoding="utf-8")
    return list(
        mypycify(
            [f"matching/{name}.py" for name in compiled.COMPILED],
            opt_level="3",
            group_name=compiled.GROUP,
        )
    )


setup(ext_modules=ext_modules())
