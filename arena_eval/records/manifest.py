"""Building the manifest, and checking a run directory against a request before anything is
written: a fresh run, or a resume of the same run (the same cards, plan, checkpoint hash and
policy identity, docs/design.md Rule 7; the plan may grow; the code is checked by
`code_identity.check_resume`). Also what is added to the manifest as a run goes: each task's
success definition as its env built it, and the time split.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from .code_identity import check_resume, invocation
from .rundir import LOCK, MANIFEST, load_manifest, write_json_atomic
from .schema import SCHEMA_VERSION


def plan_dict(seed: int, seeds: dict[str, list[int]]) -> dict[str, Any]:
    """The manifest's `plan`: the run seed and each task's planned seeds."""
    return {"seed": seed, "tasks": {t: {"episodes": len(s), "seeds": list(s)} for t, s in seeds.items()}}


def stamp(manifest: dict[str, Any]) -> dict[str, Any]:
    """A new manifest as written: with its schema version."""
    return {"schema_version": SCHEMA_VERSION, **manifest}


def run_identity(manifest: dict[str, Any]) -> dict[str, Any]:
    """What must match for --resume to continue a run (as JSON sees it; card paths aside)."""

    def strip(x: Any) -> Any:
        # A card's list of offered axes (`variations`) changes no episode; an applied level does.
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("source", "variations") and not (k == "variation" and not v)}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    keys = ("suite", "policy", "plan", "num_envs", "checkpoint_sha256", "policy_identity")
    ident = strip(json.loads(json.dumps({k: manifest.get(k) for k in keys}, default=str)))
    # One world per worker process: the number of slots changes no outcome, so a run may be
    # resumed with another (e.g. `num_envs: auto` on a machine with other cores).
    for t in (ident.get("suite") or {}).get("tasks", []):
        env = t.get("env") or {}
        if env.get("backend") == "isaaclab_workers":
            env.pop("num_envs", None)
            (ident.get("num_envs") or {}).pop(t.get("name"), None)
    return ident


def describe_identity(ident: Any) -> str:
    if not isinstance(ident, dict):
        return "nothing recorded"
    return ident.get("summary") or json.dumps(ident, sort_keys=True)[:200]


def resume_or_start(out: Path, manifest: dict[str, Any], resume: bool, allow_code_change: bool) -> tuple[bool, dict[str, Any], bool]:
    """Check the (locked) run dir against the request. Returns (fresh, manifest to use,
    whether a resumed run's plan grows). The manifest to use lists this invocation under
    `invocations`; it is written when the invocation writes its first episode. Nothing is
    written here: a refusal leaves the run as it was."""
    exists = out.is_dir() and any(p.name != LOCK for p in out.iterdir())
    if not resume:
        if exists:
            raise UserError("holds another run; pass --resume to continue it or choose another --out", where=str(out))
        return True, {**manifest, "invocations": [invocation(manifest["code"], resume=False)]}, False
    old = load_manifest(out)
    a, b = run_identity(old), run_identity(manifest)
    grows = a != b and extends(a, b)  # more episodes of the same plan (a sequential gate's next batch)
    diff = [k for k in a if a[k] != b[k]]
    if not grows and diff == ["policy_identity"]:
        raise UserError(f"cannot resume: the run's actions came from {describe_identity(a['policy_identity'])}, "
                        f"but now from {describe_identity(b['policy_identity'])}", where=str(out / MANIFEST))
    if not grows and diff:
        raise UserError(f"cannot resume: this request differs from the run in {', '.join(diff)}", where=str(out / MANIFEST))
    # Same request; is it the same code? (The CI gate's batches resume their own run: same code.)
    changed = check_resume(old, manifest["code"], allow_code_change, where=str(out / MANIFEST))
    use = {**old, "invocations": [*(old.get("invocations") or []), invocation(manifest["code"], True, changed)]}
    if grows:
        use.update(suite=manifest["suite"], plan=manifest["plan"])
        use["extended"] = [*old.get("extended", []), {
            "from": {t: v["episodes"] for t, v in old["plan"]["tasks"].items()},
            "to": {t: v["episodes"] for t, v in manifest["plan"]["tasks"].items()},
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}]
    return False, use, grows


def extends(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Does `new` only add episodes to `old`'s plan? Episode seeds depend on (seed, task,
    index) alone, so a plan of E episodes is the first E of a longer one: a resumed run may
    grow (never shrink), and what it recorded stays valid."""

    def without_counts(ident: dict[str, Any]) -> dict[str, Any]:
        x = json.loads(json.dumps(ident))
        for t in (x.get("suite") or {}).get("tasks", []):
            t.pop("episodes", None)
        for t in ((x.get("plan") or {}).get("tasks") or {}).values():
            t.pop("episodes", None)
            t.pop("seeds", None)
        return x

    if without_counts(old) != without_counts(new):
        return False
    new_tasks = new["plan"]["tasks"]
    for name, t in old["plan"]["tasks"].items():
        seeds = new_tasks[name]["seeds"]
        if len(seeds) < len(t["seeds"]) or seeds[: len(t["seeds"])] != t["seeds"]:
            return False
    return True


def record_definition(run_dir: Path, task: str, definition: dict[str, Any] | None) -> None:
    """The task's success and failure definition as its env built it (envs/definition.py),
    in the manifest before its first episode is recorded."""
    if definition is None:
        return
    m = json.loads((run_dir / MANIFEST).read_text())
    if (m.get("definitions") or {}).get(task) != definition:
        m.setdefault("definitions", {})[task] = definition
        write_json_atomic(run_dir / MANIFEST, m)


def record_timing(run_dir: Path, new: dict[str, float], env_info: dict[str, Any] | None = None) -> None:
    """Add this invocation's timing to the manifest (summed over resumed invocations), and
    what the backend reports of each task's env (the worker backend: its workers' peak
    memory and restarts; the latest invocation's per task)."""
    m = json.loads((run_dir / MANIFEST).read_text())
    old = m.get("timing") or {}
    m["timing"] = {k: round(old.get(k, 0) + new[k], 4) for k in new}
    if env_info:
        m["backend_info"] = {**(m.get("backend_info") or {}), **env_info}
    write_json_atomic(run_dir / MANIFEST, m)
