"""Every third-party module the project imports is declared in pyproject.toml (a dependency, or an
extra for the tests and benchmarks): nothing works only because something else happened to pull it in."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("payercert", "validators", "suites", "simulators", "specs", "tests", "bench")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {_normal(re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0]) for r in requirements}


def _imported() -> dict[str, Path]:
    ours = {p.stem for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")} | {"payercert", "conftest"}
    found: dict[str, Path] = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in ours and top != "__future__":
                        found.setdefault(top, path.relative_to(ROOT))
    return found


def test_every_imported_module_is_declared():
    distributions = importlib.metadata.packages_distributions()
    declared = _declared()
    missing = {
        module: (where, distributions.get(module))
        for module, where in _imported().items()
        if not {_normal(d) for d in distributions.get(module, [module])} & declared
    }
    assert not missing, (
        f"imported but not declared in pyproject.toml (module: (first importer, distribution)): {missing}"
    )
