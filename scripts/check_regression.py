#!/usr/bin/env python
"""Regression gate: exit 1 if the candidate is significantly worse than the baseline on any
task or on the suite (one-sided exact tests, Holm-adjusted), 0 otherwise, 2 on a user error.

    python scripts/check_regression.py --baseline results/base --candidate results/new
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
    args = ap.parse_args(argv)
    if not 0 < args.alpha < 1:
        ap.error("--alpha must be between 0 and 1")

    from arena_eval.gate import check_regression

    code, lines = check_regression(args.baseline, args.candidate, alpha=args.alpha,
                                   allow_errors=args.allow_errors, allow_incomplete=args.allow_incomplete)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
