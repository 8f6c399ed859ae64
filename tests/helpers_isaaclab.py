"""Shared real Isaac Lab smoke-suite runs (one `scripts/evaluate.py` process each, as users
run it: Isaac Lab allows one simulation context per process), made once per session through
the `runs` fixture in conftest.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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

