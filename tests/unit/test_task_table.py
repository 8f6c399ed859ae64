"""benchmarks/task_table.py's table from synthetic runs (no simulator): every column's rate, the
1- against 4-slot agreement, errors named apart from failures, and --table-only on an unfinished
table (columns not run yet are "-", nothing is run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers_runs import make_run

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import task_table  # noqa: E402


def rows(text: str) -> dict[str, list[str]]:
    out = {}
    for line in text.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[1]] = cells
    return out


def test_every_column_and_the_slot_agreement(tmp_path):
    runs = {
        ("robocasa", "scripted4"): make_run(tmp_path, "robocasa-scripted4", {"a": "SSSS", "b": "SSSF"}),
        ("robocasa", "scripted1"): make_run(tmp_path, "robocasa-scripted1", {"a": "SSSS", "b": "SSFF"}),
        ("robocasa", "random"): make_run(tmp_path, "robocasa-random", {"a": "FFFF", "b": "FFFE"}),
        ("robocasa", "blind"): make_run(tmp_path, "robocasa-blind", {"a": "SFFF", "b": "FFFF"}),
    }
    got = rows(task_table.table(runs, mjwarp=False))
    assert got["a"][2:] == ["4/4", "4/4", "4/4", "4/4", "0/4", "1/4"]
    # b: episode 2 ends differently with 1 slot; the random run's error is not a failure.
    assert got["b"][2:] == ["3/4", "2/4", "4/4", "3/4", "0/3 (+1 errors)", "0/4"]


def test_table_only_prints_an_unfinished_table(tmp_path):
    make_run(tmp_path, "robocasa-scripted4", {"a": "SSSS"})
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "task_table.py"), "--workdir", str(tmp_path),
                           "--suites", "robocasa", "--table-only"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert rows(proc.stdout)["a"][2:] == ["4/4", "-", "-", "-", "-", "-"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["robocasa-scripted4"]  # it ran nothing
    empty = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "task_table.py"), "--workdir",
                            str(tmp_path / "none"), "--table-only"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert empty.returncode == 2 and len(empty.stderr.strip().splitlines()) == 1
