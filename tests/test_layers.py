"""Import direction (STYLE.md section 4), enforced by parsing every module's imports with `ast`.

Every import counts: module level, inside functions (lazy) and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "ingest", "evals")
OURS = PACKAGES + ("prompts",)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


@cache
def imports_of(module: str) -> frozenset[str]:
    """Every module name `module` imports: 'a.b' for `import a.b` and `from a.b import c` (plus 'a.b.c',
    since c may be a submodule). Relative imports are resolved."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return frozenset(found)


def ours(module: str) -> set[str]:
    """Our modules that `module` imports (names that are not modules, like `Settings`, are dropped)."""
    names = set()
    for name in imports_of(module):
        if name.split(".")[0] in OURS and (name in MODULES or name in OURS or (ROOT / name.replace(".", "/")).is_dir()):
            names.add(name)
    return names


def imports_any(module: str, *targets: str) -> list[str]:
    """Imports of `module` that are one of `targets` or inside one of them."""
    return sorted(n for n in imports_of(module) if any(n == t or n.startswith(t + ".") for t in targets))


def test_the_packages_are_found() -> None:
    for name in ("assistant.settings", "assistant.records", "assistant.errors", "assistant.store", "assistant.cli",
                 "ingest.parse", "ingest.pipeline", "evals.harness"):
        assert name in MODULES


def test_no_relative_imports() -> None:
    relative = [f"{m}: from {'.' * node.level}{node.module or ''}" for m, p in MODULES.items()
                for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                if isinstance(node, ast.ImportFrom) and node.level]
    assert relative == []


def test_errors_imports_nothing_of_ours() -> None:
    assert ours("assistant.errors") == set()


@pytest.mark.parametrize("module", ["assistant.settings", "assistant.records"])
def test_foundation_imports_only_the_foundation(module: str) -> None:
    assert ours(module) <= {"assistant.settings", "assistant.records", "assistant.errors"}, ours(module)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("ingest")))
def test_ingest_never_imports_the_top_layers(module: str) -> None:
    assert imports_any(module, "assistant.retrieve", "assistant.chain", "assistant.ui", "assistant.cli",
                       "assistant.api") == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("assistant.")
                                          and m not in {"assistant.api", "assistant.cli", "assistant.ui"}))
def test_assistant_core_never_imports_ingest(module: str) -> None:
    assert imports_any(module, "ingest") == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "assistant.cli"))
def test_nothing_imports_ui_or_cli_except_cli(module: str) -> None:
    assert imports_any(module, "assistant.ui", "assistant.cli") == []


def test_cli_imports_ui_only_lazily() -> None:
    tree = ast.parse(MODULES["assistant.cli"].read_text(encoding="utf-8"))
    top_level = {alias.name if isinstance(node, ast.Import) else node.module
                 for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
                 for alias in node.names}
    assert not any(name and name.startswith(("assistant.ui", "gradio")) for name in top_level)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_store_imports_chromadb(module: str) -> None:
    if module != "assistant.store":
        assert imports_any(module, "chromadb") == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_ui_imports_gradio(module: str) -> None:
    if module != "assistant.ui":
        assert imports_any(module, "gradio", "gradio_client") == []


def test_store_does_import_chromadb() -> None:
    """Guards the checks above against a parser that sees no imports at all."""
    assert imports_any("assistant.store", "chromadb") == ["chromadb", "chromadb.config", "chromadb.config.Settings"]


@pytest.mark.parametrize("module", [m for m in ("assistant.store", "assistant.tokens", "assistant.prompts",
                                                "assistant.embedder", "assistant.lexical", "assistant.names")
                                    if m in MODULES])
def test_leaf_modules_import_only_the_foundation(module: str) -> None:
    assert ours(module) <= {"assistant.settings", "assistant.records", "assistant.errors"}, ours(module)


def test_pipeline_imports_are_seen() -> None:
    """Guards the checks above: the ingest pipeline's imports of ours are all found."""
    assert {"assistant.store", "assistant.lexical", "ingest.chunk", "ingest.parse"} <= ours("ingest.pipeline")
