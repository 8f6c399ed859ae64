#!/usr/bin/env python
"""Leaderboard of runs that share a plan: success rates with 95% Wilson intervals, pairwise
paired tests (McNemar exact, Holm) and rank intervals from a paired bootstrap over episodes
within tasks. Writes leaderboard.{md,csv,html} (+ _tasks.csv, _pairs.csv).

    python scripts/leaderboard.py results/a results/b results/c [--out DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402

from arena_eval.errors import cli_main  # noqa: E402


@cli_main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="run directories (same plan)")
    ap.add_argument("--out", type=Path, help="output directory (default: results/leaderboard-<timestamp>/)")
    ap.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for rank intervals")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    args = ap.parse_args(argv)
    if args.bootstrap < 100:
        ap.error("--bootstrap must be >= 100")

    from arena_eval.reports.leaderboard import markdown, write
    from arena_eval.stats.leaderboard import build

    res = build(args.runs, n_boot=args.bootstrap, seed=args.seed)
    out = args.out or Path("results") / f"leaderboard-{dt.datetime.now():%Y%m%d-%H%M%S}"
    write(res, out)
    print(markdown(res), end="")
    print(f"\nwrote {out}/leaderboard.{{md,csv,html}}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
