#!/usr/bin/env python3
"""Check that a change leaves behaviour alone: the same episodes give the same records.

Runs the scripted policy on the smoke suite (2 episodes per task) and on one episode of every
embedded task (g1, dexmg, robocasa), one env slot, seed 0, each in its own
`scripts/evaluate.py` process, and writes every record's fields but timing to --out.
With --against FILE (the same made before the change) it prints the differences and exits 1
when there are any; records pair by (task, episode), so tasks added or removed by the change are
named as such and the others still compare with their own records. --suites runs some suites
alone (a change confined to one family).

    python scripts/same_records.py --out /tmp/before.json            # on the old revision
    python scripts/same_records.py --out /tmp/after.json --against /tmp/before.json
    python scripts/same_records.py --suites robocasa --out /tmp/after.json --against /tmp/before.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arena_eval.errors import UserError, cli_main  # noqa: E402
from arena_eval.records import EPISODES, read_records

RUNS = (("smoke", 2), ("g1", 1), ("dexmg", 1), ("robocasa", 1))


def records(suite: str, episodes: int, tmp: Path) -> list[dict]:
    out = tmp / suite
    cmd = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", suite, "--policy", "scripted",
           "--episodes", str(episodes), "--num-envs", "1", "--seed", "0", "--videos", "0", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{suite}: evaluate.py exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    rows = []
    for r in read_records(out / EPISODES):
        d = json.loads(r.to_json())
        d.pop("timing")
        d.pop("code_hash", None)  # the sources' hash: it changes with the change being checked, by design
        rows.append(d)
    return sorted(rows, key=lambda d: (d["task"], d["episode"]))


@cli_main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="where to write the records (JSON)")
    p.add_argument("--against", type=Path, default=None, help="records made before the change (JSON)")
    p.add_argument("--suites", default=",".join(s for s, _ in RUNS),
                   help="comma-separated suites to run (default: all of them); --against compares these alone")
    args = p.parse_args()
    runs = dict(RUNS)
    suites = [s for s in args.suites.split(",") if s]
    unknown = [s for s in suites if s not in runs]
    if unknown or not suites:
        raise UserError(f"expected suites among {', '.join(runs)}, got {args.suites!r}", field="--suites")
    if args.against is not None and not args.against.is_file():
        raise UserError("no such file", field="--against", where=str(args.against))
    with tempfile.TemporaryDirectory(prefix="arena-eval-same-") as tmp:
        got = {suite: records(suite, runs[suite], Path(tmp)) for suite in suites}
    args.out.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    n = sum(len(v) for v in got.values())
    print(f"{n} records of {', '.join(got)} written to {args.out}")
    if args.against is None:
        return 0
    want = {s: v for s, v in json.loads(args.against.read_text()).items() if s in got}
    diffs = []
    for suite in sorted(set(want) | set(got)):
        # Paired by (task, episode): a task added or removed by the change is named as such and
        # leaves the other tasks' records compared with their own.
        a = {(d["task"], d["episode"]): d for d in want.get(suite, [])}
        b = {(d["task"], d["episode"]): d for d in got.get(suite, [])}
        for task in sorted({t for t, _ in a} - {t for t, _ in b}):
            diffs.append(f"{suite} {task}: records before, none now")
        for task in sorted({t for t, _ in b} - {t for t, _ in a}):
            diffs.append(f"{suite} {task}: new (no records before)")
        for key in sorted(a.keys() & b.keys()):
            x, y = a[key], b[key]
            keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
            if keys:
                diffs.append(f"{suite} {key[0]} episode {key[1]}: {', '.join(keys)} differ")
        both = {t for t, _ in a} & {t for t, _ in b}
        for key in sorted(k for k in a.keys() ^ b.keys() if k[0] in both):
            diffs.append(f"{suite} {key[0]} episode {key[1]}: {'before only' if key in a else 'now only'}")
    for d in diffs:
        print(d)
    print(f"same records: {n - len(diffs)} of {n}" if not diffs else f"{len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
