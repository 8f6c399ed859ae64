"""Shared real Isaac Lab smoke-suite runs (one `scripts/evaluate.py` process each, as users
run it: Isaac Lab allows one simulation context per process), made once per session through
the `runs` fixture in conftest.py; and helpers for runs of any suite: killing a run's main
process once it has recorded some episodes, and records as runs that must agree compare them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EPISODES_PER_TASK = 8
SEED = 7


def evaluate(out: Path, policy: str, num_envs: int, *extra: str, timeout: float = 900) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "smoke", "--policy", policy,
        "--num-envs", str(num_envs), "--episodes", str(EPISODES_PER_TASK), "--seed", str(SEED), "--out", str(out),
        "--no-progress", *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def checked(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"
    return proc


class Runs:
    """Lazily made runs shared by all tests of the session."""

    def __init__(self, base: Path):
        self.base = base
        self._made: dict[str, Path] = {}

    def get(self, name: str, policy: str, num_envs: int) -> Path:
        if name not in self._made:
            out = self.base / name
            checked(evaluate(out, policy, num_envs))
            self._made[name] = out
        return self._made[name]

    # The runs the tests compare.
    def scripted4(self):
        return self.get("scripted-n4", "scripted", 4)

    def scripted4_again(self):
        return self.get("scripted-n4-again", "scripted", 4)

    def scripted1(self):
        return self.get("scripted-n1", "scripted", 1)

    def random4(self):
        return self.get("random-n4", "random", 4)



def kill_after_records(cmd: list[str], out: Path, at_least: int, timeout: float = 900) -> int:
    """Start the evaluation `cmd` (writing to `out`) and SIGKILL its main process once
    `out/episodes.jsonl` holds `at_least` records, as a crash or an OOM kill would; returns the
    records it held then. Fails if the run ends before it can be killed."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = out / "episodes.jsonl"
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if path.exists() and len(path.read_text().splitlines()) >= at_least:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        else:
            raise AssertionError(f"no {at_least} records within {timeout} s")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    return len(path.read_text().splitlines())


def comparable(run: Path, drop: tuple[str, ...] = ("timing", "slot")) -> list[dict]:
    """The kept records of a run (the last of each episode) without the fields that may differ
    between runs that must agree (timing; the slot, with another number of env slots), sorted."""
    kept: dict[tuple[str, int], dict] = {}
    for line in (run / "episodes.jsonl").read_text().splitlines():
        d = json.loads(line)
        for k in drop:
            d.pop(k, None)
        kept[d["task"], d["episode"]] = d
    return [kept[k] for k in sorted(kept)]
