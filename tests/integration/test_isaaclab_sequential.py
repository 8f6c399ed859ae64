"""`scripts/evaluate.py --against BASELINE --sequential` on real Isaac Lab: a clearly degraded
candidate (the zero policy against the shipped cartpole checkpoint's baseline) is stopped as a
regression before the cap, in one process, with the decision in the run's summary and report,
and its records equal those of a plain run of the same episodes; `compare.py --sequential`
prints the decision the run made."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.isaaclab

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "results" / "baselines" / "smoke-small-gr00t-cartpole"


def _evaluate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--policy", "zero", "--no-progress",
                           "--videos", "0", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def _records(run: Path) -> list[dict]:
    out = []
    for line in (run / "episodes.jsonl").read_text().splitlines():
        r = json.loads(line)
        out.append({k: v for k, v in r.items() if k not in ("timing", "slot", "code_hash")})
    return sorted(out, key=lambda r: r["episode"])


def test_a_degraded_candidate_is_stopped_early_with_the_records_of_a_plain_run(tmp_path):
    seq = tmp_path / "sequential"
    p = _evaluate("--against", str(BASELINE), "--sequential", "--batch", "8", "--out", str(seq))
    assert p.returncode == 1, p.stdout[-3000:] + p.stderr[-3000:]  # a regression
    assert "FAIL: regression on cartpole_balance" in p.stdout
    decision = json.loads((seq / "sequential" / "decision.json").read_text())
    n = decision["episodes_per_task"]
    assert n < 88 and n % 8 == 0  # stopped at a batch boundary before the cap
    assert (seq / "sequential" / "evidence.png").is_file()
    summary = json.loads((seq / "summary.json").read_text())
    assert summary["sequential"]["exit_code"] == 1 and summary["tasks"][0]["episodes"] == n
    assert "Sequential decision" in (seq / "report.html").read_text()
    assert "## Sequential decision" in (seq / "summary.md").read_text()
    # the same episodes in a plain run: the same records
    plain = tmp_path / "plain"
    q = _evaluate("--suite", "smoke", "--episodes", str(n), "--seed", "0", "--out", str(plain))
    assert q.returncode == 0, q.stderr[-3000:]
    assert _records(seq) == _records(plain)
    # compare.py --sequential reads the decision the run made instead of testing afresh,
    # and tests the plain run (which made none) afresh.
    c = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare.py"), str(BASELINE), str(seq), str(plain),
                        "--sequential", "--out", str(tmp_path / "cmp")], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert c.returncode == 0, c.stderr[-3000:]
    made, fresh = c.stdout.split(f"### {seq}")[1].split(f"### {plain}")
    assert "decided as it ran" in made and "FAIL: regression on cartpole_balance" in made
    assert "decided as it ran" not in fresh and "cartpole_balance" in fresh
