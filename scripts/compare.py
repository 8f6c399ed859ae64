#!/usr/bin/env python
"""Compare runs: per-task success rates with 95% CIs, deltas vs the first run and exact tests.

    python scripts/compare.py results/a results/b [...] [--out DIR]
    python scripts/compare.py results/a --published g1_lift=43.9%@50 [--published TASK=RATE[@N] ...]

--published: is each run consistent with a published success rate (exact binomial test; a
two-sample Boschloo test when the published episode count N is given)?

--sequential [--delta D --alpha A --power P]: also the anytime-valid sequential test of each
run against the first on their shared episodes in plan order (arena_eval.stats.sequential, as
check_regression.py --sequential): regression, no regression larger than D, or undecided,
with the episodes the decision took; the sequential.json and evidence plot of each pair are
written beside the comparison. A run made by `evaluate.py --against FIRST --sequential` shows
the decision it made as it ran (its sequential/ folder) instead.
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
    seq = ap.add_argument_group("sequential test of each run against the first")
    seq.add_argument("--sequential", action="store_true", help="add the anytime-valid sequential decisions")
    seq.add_argument("--delta", type=float, default=0.25, help="drop in success rate to detect (default 0.25)")
    seq.add_argument("--alpha", type=float, default=0.05, help="type I error (default 0.05)")
    seq.add_argument("--power", type=float, default=0.8, help="power at a drop of delta (default 0.8)")
    seq.add_argument("--batch", type=int, default=8, help="episodes per task between looks (default 8)")
    args = ap.parse_args(argv)
    if args.sequential and not (0 < args.delta < 1 and 0 < args.alpha < 1 and 0 < args.power < 1 and args.batch >= 1):
        ap.error("--delta, --alpha and --power must be in (0, 1), --batch >= 1")

    from arena_eval.reports import compare_markdown, compare_runs

    pub = None
    if args.published:  # before anything is written: a bad TASK=RATE is a one-line error
        from arena_eval.reports.published import published_markdown
        from arena_eval.stats.published import compare_published

        pub = compare_published(args.runs, args.published)
    if args.sequential:  # also before anything is written: the sequential test pairs episodes
        from arena_eval.gates.sequential import check_pairable
        from arena_eval.records import load_manifest

        for cand in args.runs[1:]:
            check_pairable(load_manifest(args.runs[0]), load_manifest(cand), args.runs[0], cand)

    out = args.out or Path("results") / f"compare-{dt.datetime.now():%Y%m%d-%H%M%S}"
    df = compare_runs(args.runs, out_dir=out)
    print(compare_markdown(df), end="")
    print(f"\nwrote {out}/compare.{{md,csv,html}}", file=sys.stderr)
    if args.sequential and len(args.runs) > 1:
        from arena_eval.gates import check_sequential, recorded_decision
        from arena_eval.stats.sequential import Design

        print("\n## Sequential test against the first run\n")
        for i, cand in enumerate(args.runs[1:], start=1):
            made = recorded_decision(cand, args.runs[0])
            if made is not None:  # the run decided against this baseline as it ran: that decision
                print(f"### {cand}\n\n{made}\n")
                continue
            # no cap of its own: the baseline's episodes are the cap (pairs need a baseline outcome)
            design = Design(args.delta, args.alpha, 1 - args.power, 10**6, args.batch)
            _, lines, _ = check_sequential(args.runs[0], cand, design, allow_errors=True, allow_incomplete=True,
                                           allow_dirty_baseline=True, out_dir=out / f"sequential-{i}")
            print(f"### {cand}\n\n" + "\n".join(lines) + "\n")
        print(f"wrote {out}/sequential-*/", file=sys.stderr)
    if pub is not None:
        text = published_markdown(pub)
        print("\n" + text, end="")
        (out / "published.md").write_text(text)
        pub.to_csv(out / "published.csv", index=False)
        print(f"wrote {out}/published.{{md,csv}}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
