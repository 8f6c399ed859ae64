#!/usr/bin/env python3
"""Check that a change leaves behaviour alone: the same episodes give the same records.

Runs the scripted policy on the smoke suite (2 episodes per task) and on one episode of every
embedded task (g1, dexmg, robocasa), one env slot, seed 0, each in its own
`scripts/evaluate.py` process, and writes every record's fields but timing to --out.
With --against FILE (the same made before the change) it prints the differences and exits 1
when there are any.

    python scripts/same_records.py --out /tmp/before.json            # on the old revision
    python scripts/same_records.py --out /tmp/after.json --against /tmp/before.json
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
    args = p.parse_args()
    if args.against is not None and not args.against.is_file():
        raise UserError("no such file", field="--against", where=str(args.against))
    with tempfile.TemporaryDirectory(prefix="arena-eval-same-") as tmp:
        got = {suite: records(suite, n, Path(tmp)) for suite, n in RUNS}
    args.out.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    n = sum(len(v) for v in got.values())
    print(f"{n} records of {', '.join(got)} written to {args.out}")
    if args.against is None:
        return 0
    want = json.loads(args.against.read_text())
    diffs = []
    for suite in sorted(set(want) | set(got)):
        a, b = want.get(suite, []), got.get(suite, [])
        if len(a) != len(b):
            diffs.append(f"{suite}: {len(a)} records before, {len(b)} now")
        for x, y in zip(a, b):
            keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
            if keys:
                diffs.append(f"{suite} {x['task']} episode {x['episode']}: {', '.join(keys)} differ")
    for d in diffs:
        print(d)
    print(f"same records: {n - len(diffs)} of {n}" if not diffs else f"{len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
