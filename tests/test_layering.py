"""Layers point down only: app.py → ui → eval, ingest → assistant, and inside the library
service → answering → search → store → embedding → reading, settings, answer.

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


#: The library's stages, top to bottom: a module may import its own stage or a lower one.
STAGES = {
    "service": 0, "components": 0, "__main__": 0, "__init__": 0,
    "answering": 1,
    "search": 2,
    "store": 3,
    "embedding": 4,
    "reading": 5, "settings": 5, "answer": 5,
}
#: Modules that sit in ``assistant/`` itself; every other module lives in its stage's folder.
TOP_LEVEL = {"__init__", "__main__", "service", "components", "settings", "answer"}


def stage_of(module: str) -> str:
    """``assistant.search.retrieval`` -> ``search``; ``assistant`` alone -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def library_imports(path: Path) -> set[tuple[str, int]]:
    """(imported assistant module, line) of every absolute import of the library in a file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "assistant"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "assistant":  # from assistant import X: X may be a stage
                found |= {(f"assistant.{alias.name}" if alias.name in STAGES else "assistant", node.lineno)
                          for alias in node.names}
            elif node.module.split(".")[0] == "assistant":
                found.add((node.module, node.lineno))
    return found


def stage_violations(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        own = relative.parts[0].removesuffix(".py")
        if own not in STAGES:
            found.append(f"{relative}: not in a stage ({', '.join(sorted(STAGES))})")
            continue
        for module, line in sorted(library_imports(path)):
            target = stage_of(module)
            if target not in STAGES:
                found.append(f"{relative}:{line} imports {module}, which is in no stage")
            elif STAGES[target] < STAGES[own]:
                found.append(f"{relative}:{line} ({own}) imports {module} ({target}), a higher stage")
    return found


def left_in_old_place(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("*.py") if p.stem not in TOP_LEVEL)


def test_inside_the_library_a_stage_never_imports_a_higher_one():
    assert stage_violations(ROOT / "assistant") == []


def test_no_module_is_left_beside_the_stage_folders():
    assert left_in_old_place(ROOT / "assistant") == []
    assert all((ROOT / "assistant" / stage / "__init__.py").is_file()
               for stage in ("answering", "search", "store", "embedding", "reading"))


def test_the_stage_check_fails_on_an_upward_import_and_a_stray_module(tmp_path):
    """The check itself, on a made-up library: store importing search, and a module at the top."""
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "store.py").write_text("def f():\n    from assistant.search.retrieval import Retriever\n")
    (tmp_path / "reading").mkdir()
    (tmp_path / "reading" / "text.py").write_text(
        "from assistant.answer import Passage\nfrom assistant import settings\n"
    )
    (tmp_path / "keyword_index.py").write_text("from assistant.store.store import Store\n")
    assert stage_violations(tmp_path) == [
        "keyword_index.py: not in a stage (" + ", ".join(sorted(STAGES)) + ")",
        "store/store.py:2 (store) imports assistant.search.retrieval (search), a higher stage",
    ]
    assert left_in_old_place(tmp_path) == ["keyword_index.py"]
