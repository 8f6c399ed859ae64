"""The sequential regression gate on two runs (arena_eval.stats.sequential on recorded episodes).

The candidate must run on the baseline's plan: for every task, its episode seeds are a
prefix of the baseline's or the other way round (episode seeds depend only on the run seed,
the task and the episode index, so `--episodes 40` and `--episodes 200` with one seed share
their first 40). Pairs are taken in plan order up to the smaller plan and the cap; a pair
where either side is an error is left out (errors are faults, not outcomes). The baseline
must be complete; so must the candidate for its own plan (a run cut short keeps its short
episodes, docs/design.md Rule 1). A candidate of another suite, or on another plan (other episode
seeds), cannot be paired with the baseline at all: a UserError (exit 2), not a verdict.

Exit codes: 0 = no regression larger than delta, or the cap was reached undecided
(inconclusive: nothing detected within the cap; the design's power says what that rules
out); 1 = regression (or the gate cannot vouch for the candidate); 3 = undecided and below
the cap: run the next batch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError
from ..records import (
    SEQUENTIAL_DIR,
    check_same_definitions,
    load_task_records,
    plan_seeds,
    planned_episodes,
    read_decision,
    run_label,
)
from ..stats import sequential as sq
from .fixed import check_same_suite, dirty_baseline_problems

EXIT_MORE = 3
CODES = {sq.REGRESSION: 1, sq.NO_REGRESSION: 0, sq.INCONCLUSIVE: 0, sq.CONTINUE: EXIT_MORE}


def _pairs(base_recs: list[Any], cand_recs: list[Any], n: int) -> tuple[list[int], int]:
    """D_i = baseline success - candidate success for episodes 0..n-1 in plan order; pairs
    with an error on either side are left out. Returns (pairs, left out)."""
    b = {r.episode: r.outcome for r in base_recs}
    c = {r.episode: r.outcome for r in cand_recs}
    out, skipped = [], 0
    for i in range(n):
        ob, oc = b.get(i), c.get(i)
        if ob is None or oc is None or "error" in (ob, oc):
            skipped += 1
            continue
        out.append(int(ob == "success") - int(oc == "success"))
    return out, skipped


def check_pairable(base_m: dict[str, Any], cand_m: dict[str, Any], baseline_dir: str | Path,
                   candidate_dir: str | Path) -> None:
    """The sequential test needs the candidate on the baseline's plan: one suite, and for
    every shared task episode seeds of which one run's are a prefix of the other's. Else a
    UserError naming both runs (the check cannot be made, which is not a regression)."""
    check_same_suite(base_m, cand_m, baseline_dir, candidate_dir)
    for t in [t for t in base_m["plan"]["tasks"] if t in cand_m["plan"]["tasks"]]:
        sb, sc = plan_seeds(base_m, t) or [], plan_seeds(cand_m, t) or []
        n = min(len(sb), len(sc))
        if sb[:n] != sc[:n]:
            seeds = [m["plan"]["seed"] for m in (base_m, cand_m)]
            raise UserError(f"task {t}: the candidate {candidate_dir} (run seed {seeds[1]}) is not on the plan of the "
                            f"baseline {baseline_dir} (run seed {seeds[0]}): their episode seeds differ, so no episode "
                            "pairs; run the candidate with the baseline's --seed", field="plan")


MAX_NOTED_CAP = 4096  # above it the cap is no real design (compare.py passes 10**6): no note, no simulation


def simulated_power(base_rates: dict[str, float], design: sq.Design, n_sims: int = 4000,
                    seed: int = 0) -> dict[str, float]:
    """Per task: the chance this gate (every test it makes, alpha split over them) fails a
    candidate that dropped by delta on that task alone within the design's cap, simulated at
    the baseline's rates with independent outcomes (rho = 0, the cautious case); nan where
    it cannot be said (a rate below delta or unknown)."""
    return dict(zip(base_rates, sq.power_alone(list(base_rates.values()), design, 0.0, n_sims, seed)))


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.0%}"


def check_sequential(
    baseline_dir: str | Path,
    candidate_dir: str | Path,
    design: sq.Design,
    allow_errors: bool = False,
    allow_incomplete: bool = False,
    allow_dirty_baseline: bool = False,
    out_dir: str | Path | None = None,
) -> tuple[int, list[str], dict[str, Any]]:
    """Returns (exit code, lines to print, the sequential result); writes gate.md,
    sequential.json and evidence.png into out_dir if given."""
    base_m, base, _ = load_task_records(baseline_dir)
    cand_m, cand, _ = load_task_records(candidate_dir)
    check_pairable(base_m, cand_m, baseline_dir, candidate_dir)
    tasks = list(base)
    check_same_definitions([(Path(baseline_dir), base_m), (Path(candidate_dir), cand_m)], [t for t in tasks if t in cand])
    problems = [f"task {t}: missing from the candidate" for t in tasks if t not in cand]
    notes: list[str] = []
    problems += dirty_baseline_problems(base_m, baseline_dir, allow_dirty_baseline, notes)
    common = [t for t in tasks if t in cand]
    pairs: dict[str, list[int]] = {}
    base_n = {}
    for t in common:
        sb, sc = plan_seeds(base_m, t) or [], plan_seeds(cand_m, t) or []
        n = min(len(sb), len(sc))
        if n == 0:
            problems.append(f"task {t}: no planned episodes to pair")
            continue
        base_n[t] = planned_episodes(base_m, t) or 0
        for name, m, recs in (("baseline", base_m, base[t]), ("candidate", cand_m, cand[t])):
            planned = planned_episodes(m, t) or 0
            if len(recs) < planned:
                msg = f"{name} run is incomplete: {t} ({len(recs)} of {planned}) episodes recorded"
                (notes if allow_incomplete else problems).append(
                    f"note: {msg}; allowed" if allow_incomplete else f"{msg}; resume it first")
        pairs[t], skipped = _pairs(base[t], cand[t], n)
        n_err = sum(r.outcome == "error" for r in cand[t])
        if n_err:
            msg = f"candidate has {n_err} error episode(s) on {t}"
            if allow_errors:
                notes.append(f"note: {msg}; allowed, their pairs are left out")
            else:
                problems.append(f"{msg}; errors are faults, not failures (pass --allow-errors to gate without them)")
        elif skipped:
            notes.append(f"note: {skipped} pair(s) of {t} left out (baseline errors)")

    # The cap cannot exceed the baseline's episodes: pairs need a baseline outcome.
    cap = min([design.max_episodes, *base_n.values()]) if base_n else design.max_episodes
    eff = sq.Design(design.delta, design.alpha, design.beta, max(1, cap), design.batch, design.lam_max)
    rates = {t: float(np.mean([o.outcome == "success" for o in base[t] if o.outcome != "error"] or [np.nan]))
             for t in pairs}
    power = simulated_power(rates, eff) if pairs else {}
    # (A design "capped" only by the baseline, as compare.py --sequential's, has nothing to note.)
    if cap < design.max_episodes <= MAX_NOTED_CAP:
        full = simulated_power(rates, design) if pairs else {}
        notes.append(f"note: the baseline has only {cap} episodes per task, below the design's cap of "
                     f"{design.max_episodes}: the gate stops at {cap}, where its power@delta is "
                     f"{', '.join(f'{t} {_pct(v)}' for t, v in power.items())} ({design.max_episodes} episodes: "
                     f"{', '.join(_pct(v) for v in full.values())}); record the baseline with --episodes "
                     f"{design.max_episodes} for the design's power")
    result = sq.run_gate(pairs, eff) if pairs else None

    lines = [
        f"baseline:  {run_label(base_m, baseline_dir)} ({baseline_dir})",
        f"candidate: {run_label(cand_m, candidate_dir)} ({candidate_dir})",
        f"sequential paired test (betting e-processes, anytime-valid): delta={design.delta:g}, alpha={design.alpha:g}, "
        f"power={1 - design.beta:g}, cap {eff.max_episodes} episodes per task, batches of {design.batch}",
    ]
    if result is not None:
        lines += [f"regression when R >= {result['threshold_regression']:g} (alpha/{result['tests']}, Bonferroni over "
                  f"{result['tests']} test(s)); no regression > delta when F >= {result['threshold_futility']:g} (1/beta)", ""]
        w = max([24] + [len(t) for t in tasks])
        lines.append(f"{'task':<{w}} {'pairs':>11} {'base only':>9} {'cand only':>9} {'R':>10} {'F':>10} "
                     f"{'power@delta':>11}  verdict")
        for t, r in result["tasks"].items():
            pw = _pct(power[t])
            lines.append(f"{t:<{w}} {r['used']:>5} of {r['pairs']:<3} {r['base_only']:>9} {r['cand_only']:>9} "
                         f"{r['e_regression']:>10.3g} {r['e_futility']:>10.3g} {pw:>11}  {r['verdict']}")
        if result["tests"] > 1:
            suite = result["history"][-1]["log_r_suite"]
            lines.append(f"{'suite (product of R)':<{w}} {'':>31} {math.exp(suite):>10.3g}")
        lines += ["", "power@delta: chance that this gate (all its tests) detects a drop of delta on that task alone "
                  "within the cap, simulated at the baseline's rates with independent outcomes (correlated pairs need "
                  "fewer episodes)."]
    lines += notes
    lines.append("")
    if problems or result is None:
        lines += [f"FAIL: {p}" for p in problems or ["no task to test"]]
        code = 1
    else:
        decision = result["decision"]
        used = {t: r["used"] for t, r in result["tasks"].items()}
        took = ", ".join(f"{t}: {n}" for t, n in used.items())
        if result["at_batch"]:  # the cost: whole batches ran, the evidence crossed at the pair named
            took = f"batch {result['at_batch']} (decided at pair {took})"
        if decision == sq.REGRESSION:
            bad = [t for t, r in result["tasks"].items() if r["verdict"] == sq.REGRESSION] or ["the suite"]
            lines.append(f"FAIL: regression on {', '.join(bad)} after {took} paired episode(s)")
        elif decision == sq.NO_REGRESSION:
            lines.append(f"PASS: no regression larger than {design.delta:g} after {took} paired episode(s)")
        elif decision == sq.INCONCLUSIVE:
            lines.append(f"PASS (inconclusive): no regression detected within the cap ({took} paired episodes)")
        else:
            lines.append(f"CONTINUE: undecided after {took} paired episode(s); run the next batch")
        code = CODES[decision]
    if out_dir is not None:
        write_outputs(Path(out_dir), lines, result)
    return code, lines, result or {}


def write_outputs(out_dir: Path, lines: list[str], result: dict[str, Any] | None) -> None:
    from ..reports.gate import plot_evidence

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "gate.md").write_text("```\n" + "\n".join(lines) + "\n```\n")
    if result:
        (out_dir / "sequential.json").write_text(json.dumps(result, indent=1))
        plot_evidence(result, out_dir / "evidence.png")


def recorded_decision(run: Path, baseline: Path) -> str | None:
    """The decision `run` made against `baseline` as it ran (`evaluate.py --against
    --sequential`), as compare prints it; None when it made none against that baseline (a run
    decided against another baseline is tested afresh)."""
    made = read_decision(run)
    if made is None or Path(str(made["baseline"])).resolve() != Path(baseline).resolve():
        return None
    d = made["design"]
    head = (f"decided as it ran (evaluate.py --against --sequential: delta {d.get('delta')}, alpha {d.get('alpha')}, "
            f"power {1 - float(d.get('beta', 0.2)):g}, cap {d.get('max_episodes')}, batch {d.get('batch')}; "
            f"{made.get('episodes_per_task')} episodes per task; exit {made['exit_code']})")
    gate_md = Path(run) / SEQUENTIAL_DIR / "gate.md"
    body = gate_md.read_text().strip() if gate_md.is_file() else str(made["verdict"])
    return f"{head}\n\n{body}"
