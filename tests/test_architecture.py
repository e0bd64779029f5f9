"""The package's modules import each other without circles (lazy imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "django_govuk_notify_outbox"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE


def _module(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    own = _module(path)
    base = own.split(".") if path.name == "__init__.py" else own.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                target = ".".join(
                    base[: len(base) - node.level + 1] + ([node.module] if node.module else [])
                )
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(n for n in names if n in modules and n != own)
    return found


def test_no_module_of_the_package_imports_itself_in_a_circle() -> None:
    paths = [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts]
    modules = {_module(p) for p in paths}
    graph = {_module(p): _imports(p, modules) for p in paths}
    # A package's __init__ re-exporting its submodules is not a circle of code.
    for name in list(graph):
        graph[name] = {d for d in graph[name] if not name.startswith(d + ".")}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for dep in sorted(graph[node]):
            if dep in path:
                cycles.append([*path[path.index(dep) :], dep])
            elif len(path) < 12:
                visit(dep, [*path, dep])

    for name in sorted(graph):
        visit(name, [name])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles[:5])
