#!/usr/bin/env python
"""Compare runs: per-task success rates with 95% CIs, deltas vs the first run and exact tests.

    python scripts/compare.py results/a results/b [...] [--out DIR]
    python scripts/compare.py results/a --published g1_lift=43.9%@50 [--published TASK=RATE[@N] ...]

--published: is each run consistent with a published success rate (exact binomial test; a
two-sample Boschloo test when the published episode count N is given)?
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
    ap.add_argument("--published", action="append", default=[], metavar="TASK=RATE[@N]",
                    help="test each run against a published rate (RATE 0.439 or 43.9%%; N = its episodes)")
    args = ap.parse_args(argv)

    from arena_eval.report import compare_runs, compare_markdown

    pub = None
    if args.published:  # before anything is written: a bad TASK=RATE is a one-line error
        from arena_eval.published import compare_published, published_markdown

        pub = compare_published(args.runs, args.published)

    out = args.out or Path("results") / f"compare-{dt.datetime.now():%Y%m%d-%H%M%S}"
    df = compare_runs(args.runs, out_dir=out)
    print(compare_markdown(df), end="")
    print(f"\nwrote {out}/compare.{{md,csv,html}}", file=sys.stderr)
    if pub is not None:
        text = published_markdown(pub)
        print("\n" + text, end="")
        (out / "published.md").write_text(text)
        pub.to_csv(out / "published.csv", index=False)
        print(f"wrote {out}/published.{{md,csv}}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
