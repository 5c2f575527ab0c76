"""Layers point down only: app.py → ui → eval, ingest → assistant.

Read from the source with ``ast`` (nothing is imported), so an import hidden inside a function
counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: package -> the top-level packages of this project it must never import
FORBIDDEN = {
    "assistant": {"ingest", "eval", "ui"},
    "ingest": {"eval", "ui"},
    "eval": {"ui"},
}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) of every absolute import in a Python file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__"
        ) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.add((node.args[0].value.split(".")[0], node.lineno))
    return found


def upward_imports(package: str) -> list[str]:
    forbidden = FORBIDDEN[package]
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name, line in sorted(imported_packages(path))
        if name in forbidden
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_a_layer_above_it(package):
    assert upward_imports(package) == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    """The check itself: a deferred import in a function body is found, relative imports are not."""
    module = tmp_path / "m.py"
    module.write_text(
        "import os\n"
        "def f():\n"
        "    from ingest.pipeline import Ingester\n"
        "    import eval.runner\n"
        "    from . import sibling\n"
        "    importlib.import_module('ui.layout')\n"
    )
    assert {name for name, _ in imported_packages(module)} == {"os", "ingest", "eval", "ui"}


def test_the_web_ui_is_its_own_top_level_package():
    assert not (ROOT / "assistant" / "ui").exists()
    assert (ROOT / "ui" / "layout.py").is_file()
    assert "from ui.launch import main" in (ROOT / "app.py").read_text(encoding="utf-8")
