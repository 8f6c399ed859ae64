"""`scripts/evaluate.py`: the command line of one evaluation (`evaluate.evaluate`) or of a
decision against a baseline in one process (`sequential.evaluate_sequential`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .evaluate import EvalConfig, evaluate


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ..cards import load_policy, load_suite, override, select_tasks
    from ..cards.variation import expand, parse_vary

    p = argparse.ArgumentParser(
        prog="evaluate.py",
        description="Evaluate a policy on a task suite; writes results/<run>/ with records and reports.",
    )
    p.add_argument("--suite", default=None,
                   help="suite name in tasks/ or a path to a suite card (with --against: the baseline's)")
    p.add_argument("--tasks", default=None, help="comma-separated task names of the suite to run (default: all)")
    p.add_argument("--policy", required=True, help="policy name in policies/ or a path to a policy card")
    p.add_argument("--num-envs", type=int, default=None, help="parallel env slots per task (default: the card's)")
    p.add_argument("--backend", default=None, choices=("isaaclab", "isaaclab_workers"),
                   help="env backend for every task: isaaclab (N envs in one process, MJWarp) or isaaclab_workers "
                        "(one env per worker process, MuJoCo C; --num-envs workers) (default: each card's)")
    p.add_argument("--episodes", type=int, default=None, help="episodes per task (default: the card's)")
    p.add_argument("--seed", type=int, default=None,
                   help="run seed; each episode's seed derives from it (default 0; with --against: the baseline's)")
    p.add_argument("--out", type=Path, default=None, help="run directory (default: results/<suite>-<policy>-<time>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out without repeating episodes")
    p.add_argument("--allow-code-change", action="store_true",
                   help="with --resume: continue a run whose episodes came from other code (other sources or "
                        "cards); the change is recorded and the summary marks which episodes came from which code")
    p.add_argument("--videos", type=int, default=2, help="record the first K episodes of each task with a camera as mp4")
    p.add_argument("--vary", action="append", metavar="AXIS=LEVEL[,LEVEL...]",
                   help="robustness sweep: also run each task under these levels of a variation axis, on the same "
                        "seeds (repeatable; the card's variations: lists axes and levels)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--verbose", action="store_true",
                   help="show Isaac Lab's, warp's and Newton's start-up output (default: in <out>/simulator.log)")
    q = p.add_argument_group("a decision against a baseline, in one process (docs/gates.md)")
    q.add_argument("--against", type=Path, metavar="BASELINE_RUN", default=None,
                   help="run on this baseline run's plan (its suite, tasks and seed unless given)")
    q.add_argument("--sequential", action="store_true",
                   help="with --against: batch by batch until the sequential test decides (regression, no "
                        "regression larger than --delta) or the cap; exit 0 no regression, 1 regression")
    q.add_argument("--delta", type=float, default=0.25, help="drop in success rate to detect (default 0.25)")
    q.add_argument("--alpha", type=float, default=0.05, help="type I error over the test's rows (default 0.05)")
    q.add_argument("--power", type=float, default=0.8, help="power at a drop of delta (default 0.8)")
    q.add_argument("--max-episodes", type=int, default=None, help="cap per task (default: the baseline's episodes)")
    q.add_argument("--batch", type=int, default=8, help="episodes per task between looks (default 8)")
    g = p.add_argument_group("Ray (one evaluation across many machines; see the README)")
    g.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="run shards on a Ray cluster: 'auto' or host:port joins one, 'local' starts one here")
    g.add_argument("--ray-cpus", type=int, default=None, help="CPUs of a --ray local cluster (default: all)")
    g.add_argument("--shard-size", type=int, default=None,
                   help="episodes per shard (default: 4 x the task's num_envs)")
    g.add_argument("--ray-retries", type=int, default=3, help="attempts per failed shard beyond the first (default 3)")
    args = p.parse_args(argv)
    if args.ray is None and (args.ray_cpus is not None or args.shard_size is not None):
        raise UserError("--ray-cpus and --shard-size need --ray", field="--ray")
    if args.ray_cpus is not None and args.ray != "local":
        raise UserError("--ray-cpus sets the size of a cluster started here (--ray local); an existing cluster "
                        "has its own", field="--ray-cpus")
    if args.shard_size is not None and args.shard_size < 1:
        raise UserError(f"expected an integer >= 1, got {args.shard_size}", field="--shard-size")
    if args.ray_retries < 0:
        raise UserError(f"expected an integer >= 0, got {args.ray_retries}", field="--ray-retries")
    if args.resume and args.out is None:
        raise UserError("--resume needs --out (the run directory to continue)")
    if args.allow_code_change and not args.resume:
        raise UserError("goes with --resume (a fresh run has one code)", field="--allow-code-change")
    if args.sequential and args.against is None:
        raise UserError("needs --against BASELINE_RUN (the run whose plan the candidate follows)", field="--sequential")
    if args.against is not None and not args.sequential:
        raise UserError("goes with --sequential (a fixed-size comparison is scripts/compare.py or "
                        "check_regression.py on two runs)", field="--against")
    seq_cfg = None
    if args.against is not None:
        from .sequential import SequentialConfig, baseline_plan

        name, base_tasks, base_seed, _ = baseline_plan(args.against)
        args.suite = args.suite or name
        args.tasks = args.tasks or ",".join(base_tasks)
        args.seed = base_seed if args.seed is None else args.seed
        if args.episodes is not None:
            raise UserError("the sequential test sets the episodes (its batches up to the cap); use --max-episodes",
                            field="--episodes")
        if not (0 < args.delta < 1 and 0 < args.alpha < 1 and 0 < args.power < 1):
            raise UserError("--delta, --alpha and --power must be in (0, 1)", field="--delta")
        seq_cfg = SequentialConfig(args.against, args.delta, args.alpha, args.power, args.max_episodes, args.batch)
    if args.suite is None:
        raise UserError("the following argument is required: --suite", field="--suite")
    suite = load_suite(args.suite)
    suite = select_tasks(suite, [t for t in args.tasks.split(",") if t] if args.tasks else None)
    suite = override(suite, num_envs=args.num_envs, episodes=args.episodes, backend=args.backend)
    suite = expand(suite, parse_vary(args.vary))  # derived tasks <task>@<axis>=<level>, the nominal seeds
    policy = load_policy(args.policy)
    cfg = EvalConfig(
        suite=suite, policy=policy, seed=0 if args.seed is None else args.seed, out=args.out, resume=args.resume,
        progress=not args.no_progress, videos=max(0, args.videos),
        ray=args.ray, ray_cpus=args.ray_cpus, shard_size=args.shard_size, ray_retries=args.ray_retries,
        verbose=args.verbose, allow_code_change=args.allow_code_change,
    )
    if seq_cfg is not None:
        from .sequential import evaluate_sequential

        code, lines, out = evaluate_sequential(cfg, seq_cfg)
        print("\n".join(lines))
        print(f"run written to {out} (the decision in {out / 'sequential'})")
        return code
    out = evaluate(cfg)
    summary = out / "summary.md"
    if summary.exists():
        print(summary.read_text())
    print(f"run written to {out}")
    return 0
