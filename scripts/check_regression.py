#!/usr/bin/env python
"""Regression gate: exit 1 if the candidate is significantly worse than the baseline on any
task or on the suite (one-sided exact tests, Holm-adjusted), 0 otherwise, 2 on a user error.

    python scripts/check_regression.py --baseline results/base --candidate results/new

--sequential: the anytime-valid sequential test on the paired episodes available, in plan
order (arena_eval.stats.sequential): exit 1 on a regression, 0 on "no regression larger than
--delta" or when the cap is reached undecided, 3 when undecided below the cap (run more
episodes of the baseline's plan). --out DIR writes gate.md, sequential.json and evidence.png.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402

from arena_eval.errors import cli_main  # noqa: E402


@cli_main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, type=Path, help="baseline run directory")
    ap.add_argument("--candidate", required=True, type=Path, help="candidate run directory")
    ap.add_argument("--alpha", type=float, default=0.05, help="family-wise error rate (default 0.05)")
    ap.add_argument("--allow-errors", action="store_true", help="do not fail on candidate error episodes")
    ap.add_argument("--allow-incomplete", action="store_true", help="do not fail on runs with missing planned episodes")
    ap.add_argument("--allow-dirty-baseline", action="store_true",
                    help="accept a baseline recorded from a git tree with uncommitted changes")
    ap.add_argument("--max-mde", type=float, default=None,
                    help="largest smallest-detectable drop (rate points / 100) at which a gate with no significant "
                         "regression passes; above it the answer is 'not enough episodes to decide', exit 3 "
                         "(default: each task card's max_mde, else 0.3)")
    seq = ap.add_argument_group("sequential test")
    seq.add_argument("--sequential", action="store_true", help="use the sequential anytime-valid test")
    seq.add_argument("--delta", type=float, default=0.25, help="drop in success rate to detect (default 0.25)")
    seq.add_argument("--power", type=float, default=0.8, help="power at a drop of delta (default 0.8)")
    seq.add_argument("--max-episodes", type=int, default=200, help="cap of paired episodes per task (default 200)")
    seq.add_argument("--batch", type=int, default=8, help="episodes per task between looks (default 8)")
    seq.add_argument("--out", type=Path, help="write gate.md, sequential.json and evidence.png here")
    args = ap.parse_args(argv)
    if not 0 < args.alpha < 1:
        ap.error("--alpha must be between 0 and 1")
    if args.max_mde is not None and not 0 < args.max_mde <= 1:
        ap.error("--max-mde must be in (0, 1]")

    if args.sequential:
        if not (0 < args.delta < 1 and 0 < args.power < 1 and args.max_episodes >= 1 and args.batch >= 1):
            ap.error("--delta and --power must be in (0, 1), --max-episodes and --batch >= 1")
        from arena_eval.gates import check_sequential
        from arena_eval.stats.sequential import Design

        design = Design(args.delta, args.alpha, 1 - args.power, args.max_episodes, args.batch)
        code, lines, _ = check_sequential(args.baseline, args.candidate, design, allow_errors=args.allow_errors,
                                          allow_incomplete=args.allow_incomplete,
                                          allow_dirty_baseline=args.allow_dirty_baseline, out_dir=args.out)
        print("\n".join(lines))
        return code

    from arena_eval.gates import check_regression

    code, lines = check_regression(args.baseline, args.candidate, alpha=args.alpha,
                                   allow_errors=args.allow_errors, allow_incomplete=args.allow_incomplete,
                                   allow_dirty_baseline=args.allow_dirty_baseline, max_mde=args.max_mde)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
