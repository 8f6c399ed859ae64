"""Regression gate: is the candidate significantly worse than the baseline?

For every task in the baseline and for the suite (pooled over the tasks both runs have), a
one-sided test that the candidate's success rate is lower: McNemar's exact test on matched
episodes when both plans have the same seeds for the task, Fisher's exact test otherwise.
Holm's adjustment over tasks + suite keeps a many-task suite from failing by chance.

The gate also fails, whatever the tests say, when it cannot vouch for the candidate: a
baseline task missing from the candidate, a task with no decided episodes on either side,
error episodes in the candidate (unless allowed), or an incomplete run (unless allowed;
a partial run's rate is biased towards short episodes, docs/design.md Rule 1).

A baseline recorded from a dirty git tree is refused unless `allow_dirty_baseline`. With
one task there is no separate suite row: it would test the same episodes twice. Runs of two
different suites are not a regression but a mistake in the input (`check_same_suite`: a
UserError, exit 2), as are runs whose records do not match their plans (`results.load_run`).

Beside each verdict it prints the smallest drop a one-sided Fisher test could detect with
80% power with these episode counts, at the strictest Holm level alpha / m, so users see
when their episode counts are too few to catch what they care about. When nothing failed but
some task's smallest detectable drop exceeds `max_mde` (the task card's, default 0.3), the
gate does not pass: it answers "not enough episodes to decide" (exit 3, as the sequential
gate's "run the next batch"). Runs whose tasks were judged by different success
definitions are refused (exit 2).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..records import (
    DEFAULT_MAX_MDE,
    check_same_definitions,
    load_task_records,
    max_mde_of,
    planned_episodes,
    run_label,
)
from ..reports.format import fmt_p, fmt_pct
from ..stats import SUITE_ROW, compare_suite, compare_task_runs
from ..stats import rates as stats

POWER = 0.8


def _incomplete(manifest: dict[str, Any], by_task: dict[str, list[Any]], tasks: list[str]) -> list[str]:
    out = []
    for t in tasks:
        planned = planned_episodes(manifest, t)
        if planned is not None and len(by_task.get(t, [])) < planned:
            out.append(f"{t} ({len(by_task.get(t, []))} of {planned})")
    return out


def _rate_text(side: dict[str, Any]) -> str:
    return f"{fmt_pct(side['rate'])} ({side['successes']}/{side['n']})"


def _mdd_text(mdd: float) -> str:
    return "none" if math.isnan(mdd) else f"{100 * mdd:.1f} pp"


def check_same_suite(base_m: dict[str, Any], cand_m: dict[str, Any], baseline_dir: str | Path,
                     candidate_dir: str | Path) -> None:
    """A regression check compares two runs of one suite; given runs of two suites it would
    report every baseline task "missing from the candidate" as a regression (exit 1) where
    the input is wrong (exit 2)."""
    a, b = ((m.get("suite") or {}).get("name") for m in (base_m, cand_m))
    if a and b and a != b:
        raise UserError(f"the baseline {baseline_dir} is a run of suite {a!r} and the candidate {candidate_dir} "
                        f"of suite {b!r}; a regression check compares two runs of one suite", field="suite")


def dirty_baseline_problems(manifest: dict[str, Any], baseline_dir: str | Path, allow: bool,
                            notes: list[str]) -> list[str]:
    """A baseline recorded from a git tree with uncommitted changes cannot be repeated from its
    revision (docs/design.md Rule 5): a problem unless allowed (then a note)."""
    git = manifest.get("git")
    if not (isinstance(git, dict) and git.get("dirty")):
        return []
    msg = f"baseline {baseline_dir} was recorded from a dirty git tree (revision {git.get('revision')})"
    if allow:
        notes.append(f"note: {msg}; allowed")
        return []
    return [f"{msg}; record it again from a clean tree, or pass --allow-dirty-baseline"]


def check_regression(
    baseline_dir: str | Path,
    candidate_dir: str | Path,
    alpha: float = 0.05,
    allow_errors: bool = False,
    allow_incomplete: bool = False,
    allow_dirty_baseline: bool = False,
    max_mde: float | None = None,
) -> tuple[int, list[str]]:
    """Returns (exit code, lines to print): 0 = no significant regression, 1 = the gate fails,
    3 = not enough episodes to decide. `max_mde` overrides the cards' bounds."""
    base_m, base, _ = load_task_records(baseline_dir)
    cand_m, cand, _ = load_task_records(candidate_dir)
    check_same_suite(base_m, cand_m, baseline_dir, candidate_dir)
    tasks = list(base)
    common = [t for t in tasks if t in cand]
    check_same_definitions([(Path(baseline_dir), base_m), (Path(candidate_dir), cand_m)], common)
    undecided: list[str] = []
    problems: list[str] = [f"task {t}: missing from the candidate" for t in tasks if t not in cand]

    comparisons = [(t, compare_task_runs(base, cand, base_m, cand_m, t)) for t in common]
    suite_row = len(tasks) > 1  # with one task the pooled row repeats it: testing it twice would halve alpha
    if suite_row:
        comparisons.append((SUITE_ROW, compare_suite(base, cand, base_m, cand_m, common)))
    dirty_notes: list[str] = []
    problems += dirty_baseline_problems(base_m, baseline_dir, allow_dirty_baseline, dirty_notes)
    adjusted = stats.holm([c["p_worse"] for _, c in comparisons])
    m = sum(not math.isnan(c["p_worse"]) for _, c in comparisons) or 1

    w = max([24] + [len(t) for t in tasks])  # long Isaac Lab task ids stay aligned
    lines = [
        f"baseline:  {run_label(base_m, baseline_dir)} ({baseline_dir})",
        f"candidate: {run_label(cand_m, candidate_dir)} ({candidate_dir})",
        f"one-sided tests that the candidate is worse, alpha={alpha}, Holm over {m} test(s)",
        "",
        f"{'task':<{w}} {'baseline':>16} {'candidate':>16} {'delta':>10}  {'test':<14} {'p':>8} {'p (Holm)':>9}"
        f"  {'min drop':>9}  verdict",
    ]
    rows: dict[str, str] = {
        t: f"{t:<{w}} {_rate_text(stats.side_counts(base[t])):>16} {'missing':>16}{'':>59}MISSING"
        for t in tasks if t not in cand
    }
    for (task, c), p_adj in zip(comparisons, adjusted):
        if c["test"] == stats.NO_TEST:
            verdict = "UNTESTED"
            if task != SUITE_ROW or common:
                side = "baseline" if c["base"]["n"] == 0 else "candidate"
                problems.append(f"task {task}: no decided episodes in the {side}, cannot test")
        elif p_adj < alpha:
            verdict = "REGRESSION"
            problems.append(f"task {task}: significantly worse ({fmt_pct(c['base']['rate'])} -> "
                            f"{fmt_pct(c['cand']['rate'])}, adjusted p={fmt_p(p_adj)} < {alpha})")
        else:
            verdict = "ok"
        # Power at the strictest Holm step: a lone regression must beat alpha / m.
        mdd = stats.min_detectable_drop(c["base"]["rate"], c["base"]["n"], c["cand"]["n"], alpha / m, POWER)
        bound = max_mde if max_mde is not None else max_mde_of(cand_m, task) if task != SUITE_ROW else DEFAULT_MAX_MDE
        if verdict == "ok" and task != SUITE_ROW and c["base"]["rate"] > 0 and (math.isnan(mdd) or mdd > bound):
            verdict = "UNDECIDED"
            undecided.append(f"task {task}: the smallest drop these episodes detect is {_mdd_text(mdd)}, over the "
                             f"bound of {100 * bound:.0f} pp")
        delta = "" if math.isnan(c["delta"]) else f"{100 * c['delta']:+.1f} pp"
        rows[task] = (
            f"{task:<{w}} {_rate_text(c['base']):>16} {_rate_text(c['cand']):>16} {delta:>10}  {c['test']:<14} "
            f"{fmt_p(c['p_worse']):>8} {fmt_p(p_adj):>9}  {_mdd_text(mdd):>9}  {verdict}"
        )
    lines += [rows[t] for t in [*tasks, *([SUITE_ROW] if suite_row else [])]]
    lines += dirty_notes
    lines += [
        "",
        f"min drop: the smallest drop in success rate a one-sided Fisher test detects with {POWER:.0%} power "
        f"at alpha/{m} with these episode counts (paired tests are usually more sensitive); "
        "'none' = too few episodes to detect even a drop to 0.",
    ]
    extra = [t for t in cand if t not in base]
    if extra:
        lines.append(f"note: candidate tasks not in the baseline are not gated: {', '.join(extra)}")

    cand_errors = {t: sum(r.outcome == "error" for r in cand[t]) for t in common}
    n_err = sum(cand_errors.values())
    if n_err:
        detail = ", ".join(f"{t}: {n}" for t, n in cand_errors.items() if n)
        msg = f"candidate has {n_err} error episode(s) ({detail})"
        if allow_errors:
            lines.append(f"note: {msg}; allowed, they are left out of the rates")
        else:
            problems.append(f"{msg}; errors are simulator or policy faults, not failures, and hide outcomes "
                            "(pass --allow-errors to gate on the decided episodes only)")
    for name, manifest, by_task in (("baseline", base_m, base), ("candidate", cand_m, cand)):
        inc = _incomplete(manifest, by_task, common)
        if inc:
            msg = f"{name} run is incomplete: {', '.join(inc)} episodes recorded"
            if allow_incomplete:
                lines.append(f"note: {msg}; allowed")
            else:
                problems.append(f"{msg}; resume it first (a partial run's rate is biased towards short episodes)")

    lines.append("")
    if problems:
        lines += [f"FAIL: {p}" for p in problems]
        return 1, lines
    if undecided:
        lines += [f"UNDECIDED: {u}" for u in undecided]
        lines.append("not enough episodes to decide: run more episodes (--resume --episodes N on both runs), "
                     "or raise the task's max_mde")
        return 3, lines
    lines.append(f"PASS: no significant regression (alpha={alpha}, Holm over {m} test(s))")
    return 0, lines
