"""The compiled library (``setup.py``, ``matching/compiled.py``): the install compiles
every listed module, compiled and source modules give the same results to the last
bit, and an edited source never runs as its old compiled copy."""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import matching
from matching import compiled

PACKAGE = Path(matching.__file__).resolve().parent
ROOT = PACKAGE.parent
#: What this environment was installed as: compiled unless the install was told not to.
EXPECTED = "source" if os.environ.get(compiled.PURE_ENV) else "compiled"

# Scores every golden pair and a grid of cross-script pairs, and prints everything a
# result holds (and the pairs' search keys) as JSON.
_SCORE_ALL = """
import json
import matching.compiled as compiled
from matching import build_profile, score_pair, search_keys
from tests.unit.test_golden import ROWS
from tests.unit.test_translit import SPELLINGS

pairs = [(row.query, row.candidate) for row in ROWS]
natives = [s[0] for s in SPELLINGS]
latins = [name for s in SPELLINGS for name in s[1:]]
pairs += [({"names": [n], "sex": "F"}, {"names": [m.title()], "sex": "F"})
          for n in natives for m in latins]
rows = []
for query, candidate in pairs:
    q, c = build_profile(query), build_profile(candidate)
    r = score_pair(q, c)
    rows.append([
        r.algorithm, r.match_weight, r.probability, r.band,
        [[f.feature, f.level, f.weight, f.query, f.candidate, f.detail] for f in r.features],
        sorted(search_keys(q)), sorted(search_keys(c)),
    ])
print(json.dumps({"running": compiled.RUNNING, "rows": rows}))
"""


def _run(code: str, *, pure: bool, cwd: Path, path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_ENV}
    env["PYTHONPATH"] = str(path)
    if pure:
        env[compiled.PURE_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )


def test_the_install_compiled_every_listed_module() -> None:
    assert compiled.RUNNING == EXPECTED
    if EXPECTED == "compiled":
        assert compiled.compiled_present(PACKAGE) == list(compiled.COMPILED)
        assert compiled.stale_modules(PACKAGE) == []
        for name in compiled.COMPILED:
            module = importlib.import_module(f"matching.{name}")
            assert not str(module.__file__).endswith(".py"), name


def test_compiled_and_source_modules_give_the_same_results() -> None:
    source: dict[str, Any] = json.loads(_run(_SCORE_ALL, pure=True, cwd=ROOT, path=ROOT).stdout)
    native: dict[str, Any] = json.loads(_run(_SCORE_ALL, pure=False, cwd=ROOT, path=ROOT).stdout)
    assert source["running"] == "source"
    assert native["running"] == EXPECTED
    assert len(native["rows"]) > 300
    assert native["rows"] == source["rows"]


def test_an_edited_source_runs_as_itself_and_says_why(tmp_path: Path) -> None:
    copy = tmp_path / "matching"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    names = copy / "names.py"
    names.write_text(names.read_text(encoding="utf-8") + "\nEDITED = True\n", encoding="utf-8")
    probe = (
        "import matching, matching.compiled as c, matching.names as n\n"
        "print(matching.__file__, c.RUNNING, getattr(n, 'EDITED', False))\n"
    )
    done = _run(probe, pure=False, cwd=tmp_path, path=tmp_path)
    where, running, edited = done.stdout.split()
    assert Path(where).resolve().parent == copy.resolve()
    assert (running, edited) == ("source", "True")
    if EXPECTED == "compiled":
        assert "names.py changed since it was compiled" in done.stderr


def _package(tmp_path: Path, compiled_names: list[str], record: bool = True) -> Path:
    """A package folder with a source for every listed module, an (empty) extension
    file for ``compiled_names`` and, if ``record``, the record of the sources."""
    package = tmp_path / "pkg"
    package.mkdir()
    for name in compiled.COMPILED:
        (package / f"{name}.py").write_text(f"NAME = {name!r}\n", encoding="utf-8")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in compiled_names:
        (package / f"{name}{suffix}").write_bytes(b"")
    if record:
        digests = {
            name: hashlib.sha256((package / f"{name}.py").read_bytes()).hexdigest()
            for name in compiled.COMPILED
        }
        (package / compiled.MANIFEST).write_text(json.dumps({"sources": digests}), "utf-8")
    return package


def test_sources_as_compiled_are_not_stale(tmp_path: Path) -> None:
    package = _package(tmp_path, list(compiled.COMPILED))
    assert compiled.stale_modules(package) == []
    assert (
        compiled.source_digests(package)
        == json.loads((package / compiled.MANIFEST).read_text("utf-8"))["sources"]
    )


def test_a_source_changed_after_compiling_is_stale(tmp_path: Path) -> None:
    package = _package(tmp_path, list(compiled.COMPILED))
    (package / "scoring.py").write_text("NAME = 'scoring'  # edited\n", encoding="utf-8")
    assert compiled.stale_modules(package) == ["scoring"]


def test_without_a_record_every_compiled_module_is_stale(tmp_path: Path) -> None:
    package = _package(tmp_path, ["names", "translit"], record=False)
    assert compiled.stale_modules(package) == ["names", "translit"]


def test_with_nothing_compiled_nothing_is_stale(tmp_path: Path) -> None:
    package = _package(tmp_path, [], record=False)
    assert compiled.compiled_present(package) == []
    assert compiled.stale_modules(package) == []
