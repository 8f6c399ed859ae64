"""Data flows one way (DESIGN.md): the import graph of arena_eval, built from the source with
`ast` (every import statement, also those inside functions), has no cycle and no forbidden
direction: policies and envs never import each other, report renders only (no envs,
policies or runner), stats knows nothing of the runner, the runner nothing of the report."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "arena_eval"
FORBIDDEN = [
    ("arena_eval.policies", "arena_eval.envs"),
    ("arena_eval.envs", "arena_eval.policies"),
    ("arena_eval.reports.run", "arena_eval.envs"),
    ("arena_eval.reports.run", "arena_eval.policies"),
    ("arena_eval.reports.run", "arena_eval.run.runner"),
    ("arena_eval.stats.rates", "arena_eval.run.runner"),
    ("arena_eval.run.runner", "arena_eval.reports.run"),
]


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


def inside(mod: str, pkg: str) -> bool:
    return mod == pkg or mod.startswith(pkg + ".")


def test_the_graph_is_built_from_the_source():
    edges = graph()
    assert "arena_eval.envs.isaaclab" in edges["arena_eval.run.evaluate"] or "arena_eval.envs" in edges["arena_eval.run.evaluate"]
    assert "arena_eval.registry" in edges["arena_eval.policies.simple"]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]  # the detector detects


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_no_forbidden_import_directions():
    bad = [f"{m} imports {t}" for m, ts in graph().items() for t in sorted(ts)
           for a, b in FORBIDDEN if inside(m, a) and inside(t, b)]
    assert bad == []
