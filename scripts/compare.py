#!/usr/bin/env python
"""Compare runs: per-task success rates with 95% CIs, deltas vs the first run and exact tests.

    python scripts/compare.py results/a results/b [...] [--out DIR]
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
    ap.add_argument("runs", nargs="+", type=Path, help="run directories; the first is the baseline")
    ap.add_argument("--out", type=Path, help="output directory (default: results/compare-<timestamp>/)")
    args = ap.parse_args(argv)

    from arena_eval.report import compare_runs, compare_markdown

    out = args.out or Path("results") / f"compare-{dt.datetime.now():%Y%m%d-%H%M%S}"
    df = compare_runs(args.runs, out_dir=out)
    print(compare_markdown(df), end="")
    print(f"\nwrote {out}/compare.{{md,csv,html}}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
