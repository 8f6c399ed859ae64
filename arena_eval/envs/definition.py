"""A task's success and failure definition as data, and its hash.

Two runs can only be compared when their episodes were judged by the same rules. The
definition holds everything that decides an outcome: the card's success rule and term, its
failure terms with their outcome codes, `failure_when` conditions and step limit, and, from
the env cfg actually built (card overrides and sweep levels applied), every termination term's
function (module, name and a hash of its source) with its parameters; for a direct-workflow
env without named terms, the source of the env class's `_get_dones`. A function counts by its
code, not its text or place: the hash is of its syntax tree without docstrings (comments,
formatting and a move to another module change nothing; any change of what it computes does).
`sha256` is the hash of that JSON without the functions' names (the task's milestone names
ride along, outside the hash too), recorded per task in the manifest; compare and the gate
refuse to pair runs whose hashes differ.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import textwrap
from typing import Any


def _code_hash(obj: Any) -> str | None:
    """Hash of the function's syntax tree, docstrings dropped."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    except (OSError, TypeError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is tree.body[0]:
            node.name = ""  # a rename changes nothing it computes
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, annotate_fields=False).encode()).hexdigest()[:16]


def _func(f: Any) -> dict[str, Any]:
    f = getattr(f, "func", f)  # functools.partial
    return {"name": f"{getattr(f, '__module__', '?')}:{getattr(f, '__qualname__', repr(f))}", "code": _code_hash(f)}


def _params(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in sorted(params.items()):
        name = getattr(v, "name", None)
        if type(v).__name__ == "SceneEntityCfg":  # only the entity matters, not ids resolved later
            v = {"entity": name, "joint_names": getattr(v, "joint_names", None), "body_names": getattr(v, "body_names", None)}
        out[k] = v
    return json.loads(json.dumps(out, default=str, sort_keys=True))


def definition(task: Any, cfg: Any, env: Any = None) -> dict[str, Any]:
    """The definition of `task` as built from `cfg` (the env cfg) and its hash."""
    card = {
        "success": task.success.kind,
        "term": task.success.term,
        "rule": task.success.rule_text,
        "failure_terms": {t: task.failure_codes.get(t, "task_failure") for t in task.failure_terms},
        "failure_when": {n: {"key": c.key, "index": c.index, "outside": list(c.outside), "code": c.code}
                         for n, c in sorted(task.failure_when.items())},
        "max_steps": task.max_steps,
    }
    terms: dict[str, Any] = {}
    group = getattr(cfg, "terminations", None)
    if group is not None:
        for name, term in sorted(vars(group).items()):
            if name.startswith("_") or term is None or not hasattr(term, "func"):
                continue
            terms[name] = {**_func(term.func), "params": _params(dict(term.params or {})),
                           "time_out": bool(getattr(term, "time_out", False))}
    elif env is not None and hasattr(type(env), "_get_dones"):
        terms["_get_dones"] = _func(type(env)._get_dones)
    body = {"card": card, "terms": terms}
    hashed = {"card": card, "terms": {n: {k: v for k, v in t.items() if k != "name"} for n, t in terms.items()}}
    text = json.dumps(hashed, sort_keys=True)
    group = getattr(cfg, "milestones", None)  # how far episodes got; not part of the definition
    milestones = [n for n, t in vars(group).items() if not n.startswith("_") and hasattr(t, "func")] if group else []
    return {"rule": card["rule"], "sha256": hashlib.sha256(text.encode()).hexdigest(), **body, "milestones": milestones}
