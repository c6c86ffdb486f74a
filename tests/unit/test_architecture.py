"""The import rules of ARCHITECTURE.md, read from the source with ``ast``.

In ``service/``: a routes module imports no repository and no other routes module; a
repository imports no service or routes module; SQL is executed (``.execute``,
``.executemany``, ``.copy``, ``.cursor``, ``psycopg.sql``) only in ``repository.py``
modules and in ``service/ops/``. The checker is tried on small synthetic sources
first, so a rule that stopped catching its violation fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ROOT / "service"
_SQL_CALLS = frozenset({"execute", "executemany", "copy", "cursor"})


def _kind(module: str) -> str | None:
    """'routes', 'repository' or 'service' for a module of a room, else None."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "service":
        return None
    return parts[-1] if parts[-1] in ("routes", "repository", "service") else None


def _imported(tree: ast.AST) -> list[str]:
    """Every module an import statement names, with ``from a import b`` also as ``a.b``
    (``b`` may be a module)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _sql_allowed(path: str) -> bool:
    return path.endswith("/repository.py") or path.startswith("service/ops/")


def violations(path: str, source: str) -> list[str]:
    """The rules ``source`` (the module at ``path``, relative to the repository root)
    breaks, one sentence each."""
    tree = ast.parse(source, filename=path)
    name = path.removesuffix(".py").replace("/", ".")
    own = _kind(name)
    found: list[str] = []
    for module in _imported(tree):
        kind = _kind(module)
        if own == "routes" and kind == "repository":
            found.append(f"{path}: a routes module imports the repository {module}")
        if own == "routes" and kind == "routes" and module != name:
            found.append(f"{path}: a routes module imports the routes module {module}")
        if own == "repository" and kind in ("service", "routes"):
            found.append(f"{path}: a repository imports the {kind} module {module}")
        if not _sql_allowed(path) and module in ("psycopg.sql", "psycopg.sql.SQL"):
            found.append(f"{path}: composes SQL with psycopg.sql outside a repository")
    if not _sql_allowed(path):
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _SQL_CALLS
            ):
                found.append(
                    f"{path}:{node.lineno}: .{node.func.attr}() outside a repository or ops"
                )
    return found


def _service_modules() -> list[Path]:
    return sorted(p for p in SERVICE.rglob("*.py") if "__pycache__" not in p.parts)


def test_service_modules_keep_the_import_and_sql_rules() -> None:
    broken = [
        problem
        for module in _service_modules()
        for problem in violations(module.relative_to(ROOT).as_posix(), module.read_text())
    ]
    assert broken == []


def test_every_room_has_its_routes_service_and_repository() -> None:
    for room in ("cases", "evidence", "identities", "runs", "audit", "admin"):
        for part in ("routes.py", "service.py", "repository.py"):
            assert (SERVICE / room / part).is_file(), f"service/{room}/{part}"
    assert (SERVICE / "partner" / "routes.py").is_file()
    assert (SERVICE / "partner" / "service.py").is_file()


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        (
            "service/cases/routes.py",
            "from service.cases import repository as repo\n",
            "a routes module imports the repository service.cases.repository",
        ),
        (
            "service/desk/routes.py",
            "from service.evidence.repository import case_exists\n",
            "a routes module imports the repository service.evidence.repository",
        ),
        (
            "service/desk/routes.py",
            "from service.runs import routes as runs_api\n",
            "a routes module imports the routes module service.runs.routes",
        ),
        (
            "service/runs/repository.py",
            "import service.runs.service\n",
            "a repository imports the service module service.runs.service",
        ),
        (
            "service/cases/repository.py",
            "from service.evidence import routes\n",
            "a repository imports the routes module service.evidence.routes",
        ),
        (
            "service/cases/service.py",
            "def f(conn):\n    conn.execute('SELECT 1')\n",
            ".execute() outside a repository or ops",
        ),
        (
            "service/worker/relay.py",
            "def f(conn):\n    with conn.cursor() as cur:\n        cur.executemany(q, [])\n",
            ".cursor() outside a repository or ops",
        ),
        (
            "service/app.py",
            "from psycopg import sql\n",
            "composes SQL with psycopg.sql outside a repository",
        ),
    ],
)
def test_the_checker_catches_a_violation(path: str, source: str, rule: str) -> None:
    assert any(rule in problem for problem in violations(path, source)), violations(path, source)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("service/cases/repository.py", "def f(conn):\n    conn.execute('SELECT 1')\n"),
        ("service/ops/migrate.py", "from psycopg import sql\nconn.execute(sql.SQL('x'))\n"),
        ("service/cases/routes.py", "from service.cases import service\n"),
        ("service/runs/service.py", "from service.cases import repository\n"),
        ("service/indexing/repository.py", "from service.evidence.repository import x\n"),
    ],
)
def test_the_checker_lets_the_allowed_arrows_pass(path: str, source: str) -> None:
    assert violations(path, source) == []
