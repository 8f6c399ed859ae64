"""Data flows one way (docs/design.md): the import graph of arena_eval, built from the source
with `ast` (every import statement, also those inside functions), has no cycle, and each
package imports only the packages its row of ALLOWED names: cards -> envs -> run -> records ->
stats -> reports / gates, policies and envs never import each other, records know nothing of
the simulator, the policies or the statistics, stats render nothing. No module imports
another module's private (`_name`) name."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "arena_eval"
# package -> the packages it may import (the leaf modules errors, console, outcomes import none).
ALLOWED = {
    "errors": set(),
    "console": set(),
    "outcomes": set(),
    "registry": {"errors"},
    "cards": {"errors", "outcomes", "registry"},
    "envs": {"cards", "errors", "outcomes", "registry"},
    # datasets: the replay policy reads recordings; records: training hashes its data
    "policies": {"cards", "console", "datasets", "errors", "records", "registry"},
    "serve": {"cards", "errors", "policies", "records"},
    "records": {"cards", "errors", "outcomes"},
    "stats": {"errors", "outcomes", "records"},
    "reports": {"errors", "outcomes", "records", "stats"},
    "gates": {"cards", "errors", "records", "reports", "stats"},
    "run": {"arena_eval", "cards", "console", "envs", "errors", "gates", "outcomes", "policies", "records", "registry",
            "reports", "stats"},
    "datasets": {"cards", "envs", "errors", "policies", "records", "run"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PKG.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                # `from pkg import mod` imports the module; `from mod import name`, the module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for t in targets:
                # the longest module of the package the name refers to
                while t and t not in files:
                    t = t.rpartition(".")[0]
                if t and t != mod and t.startswith("arena_eval"):
                    edges[mod].add(t)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def package(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_graph_is_built_from_the_source():
    edges = graph()
    assert "arena_eval.envs.isaaclab" in edges["arena_eval.run.evaluate"] or "arena_eval.envs" in edges["arena_eval.run.evaluate"]
    assert "arena_eval.registry" in edges["arena_eval.policies.simple"]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]  # the detector detects
    assert set(ALLOWED) == {package(m) for m in edges if m != "arena_eval"}  # every package has its row


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_each_package_imports_only_what_its_row_allows():
    bad = [f"{m} imports {t}" for m, ts in graph().items() for t in sorted(ts)
           if m != "arena_eval" and package(t) != package(m) and package(t) not in ALLOWED[package(m)]]
    assert bad == []


def test_no_module_imports_a_private_name_of_another():
    bad = []
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or node.level):
                bad += [f"{path.relative_to(PKG.parent)}: {a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    assert bad == []
