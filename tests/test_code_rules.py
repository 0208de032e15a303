"""Rules the code keeps that no linter checks: a module never imports another module's private
names (a leading underscore), so each module's surface is what it says it is."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("payercert", "validators", "suites", "simulators", "specs")


def test_no_module_imports_another_modules_private_names():
    found = []
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                ours = isinstance(node, ast.ImportFrom) and (
                    node.level > 0 or (node.module or "").startswith("payercert")
                )
                if not ours:
                    continue
                module = "." * node.level + (node.module or "")
                if module.rsplit(".", 1)[-1].startswith("_"):
                    continue  # a private module of the importer's own package (a C extension, say)
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {module} import {', '.join(private)}")
    assert not found, "private names imported across modules:\n" + "\n".join(found)
