"""What a run directory must satisfy to be read: the manifest's shape, and every record
against the manifest's plan.

Every reader of runs (reports, compare, the gates, the leaderboard, `--resume`) goes through
`results.load_manifest` and `results.load_run`, which call these, so a run that was edited
or damaged is refused in the same words everywhere instead of being counted:

- a manifest whose `plan` is not an object of `seed` and `tasks` (each task with `episodes`
  and one integer seed per episode), or whose `suite`, `policy`, `code` or `invocations` are
  of the wrong type: one line naming manifest.json and the field (not a traceback from
  whichever reader tripped first);
- a record of a task the plan does not have, of an episode outside the task's plan, or whose
  seed is not the plan's seed for that episode: episode seeds follow from (run seed, task,
  index) alone, so such a record was not produced by this run's plan;
- two records of one episode that both decided it, with different outcomes: which one counts
  would be an accident of file order. Duplicates with the same outcome are tolerated (the
  first counts, as before): they change no rate. Error records may repeat (`--resume` runs an
  error episode again).

Errors name the file, the line and the field, as a `UserError` (exit 2 in the scripts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ..errors import UserError


def _kind(x: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(x), "a number" if isinstance(x, (int, float)) else type(x).__name__)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def check_manifest(m: Any, path: Path) -> dict[str, Any]:
    """The manifest, if its shape is one a reader can rely on; else a one-line UserError."""
    where = str(path)

    def bad(field: str, expected: str, got: Any) -> UserError:
        return UserError(f"expected {expected}, got {_kind(got)}", where=where, field=field)

    if not isinstance(m, dict):
        raise bad("(top level)", "an object", m)
    plan = m.get("plan")
    if not isinstance(plan, dict):
        raise bad("plan", "an object with seed and tasks", plan)
    if not _is_int(plan.get("seed")):
        raise bad("plan.seed", "an integer", plan.get("seed"))
    tasks = plan.get("tasks")
    if not isinstance(tasks, dict):
        raise bad("plan.tasks", "an object of task name -> {episodes, seeds}", tasks)
    for name, t in tasks.items():
        f = f"plan.tasks.{name}"
        if not isinstance(t, dict):
            raise bad(f, "an object with episodes and seeds", t)
        n, seeds = t.get("episodes"), t.get("seeds")
        if not _is_int(n) or n < 0:
            raise bad(f"{f}.episodes", "an integer >= 0", n)
        if not isinstance(seeds, list) or not all(_is_int(s) for s in seeds):
            raise bad(f"{f}.seeds", "a list of integers", seeds)
        if len(seeds) != n:
            raise UserError(f"expected {n} seeds (one per episode), got {len(seeds)}", where=where, field=f"{f}.seeds")
    for field, typ, expected in (("suite", dict, "an object"), ("policy", dict, "an object"),
                                 ("code", dict, "an object"), ("invocations", list, "a list")):
        if field in m and m[field] is not None and not isinstance(m[field], typ):
            raise bad(field, expected, m[field])
    suite = m.get("suite") or {}
    if "tasks" in suite and not (isinstance(suite["tasks"], list) and all(isinstance(t, dict) for t in suite["tasks"])):
        raise bad("suite.tasks", "a list of task cards", suite["tasks"])
    if "name" in suite and not isinstance(suite["name"], str):
        raise bad("suite.name", "a string", suite["name"])
    return m


def check_records(numbered: Iterable[tuple[int, Any]], manifest: dict[str, Any], path: Path) -> None:
    """Every record (`results.EpisodeRecord`, with its line number) against the (checked)
    manifest's plan, and no two records deciding one episode differently; see the module
    docstring. (Below results.py: it imports this, so records are not imported here.)"""
    tasks = manifest["plan"]["tasks"]
    decided: dict[tuple[str, int], tuple[int, str]] = {}
    for line, r in numbered:
        where = f"{path}: line {line}"
        plan = tasks.get(r.task)
        if plan is None:
            raise UserError(f"{r.task!r} is not a task of the run's plan (manifest.json plan.tasks: "
                            f"{', '.join(tasks) or 'none'})", where=where, field="task")
        if not 0 <= r.episode < plan["episodes"]:
            raise UserError(f"{r.episode} is outside the plan of task {r.task!r} (episodes 0..{plan['episodes'] - 1})", where=where, field="episode")
        want = plan["seeds"][r.episode]
        if r.seed != want:
            raise UserError(f"{r.seed} is not the plan's seed {want} for episode {r.episode} of task {r.task!r} "
                            f"(manifest.json plan.tasks.{r.task}.seeds[{r.episode}])", where=where, field="seed")
        if r.outcome == "error":
            continue
        first = decided.setdefault(r.key, (line, r.outcome))
        if first[1] != r.outcome:
            raise UserError(f"episode {r.episode} of task {r.task!r} is recorded twice with different outcomes "
                            f"({first[1]} on line {first[0]}, {r.outcome} here)", where=where, field="outcome")
