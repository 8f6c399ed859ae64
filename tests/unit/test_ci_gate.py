"""The CI gate's sequential entries (arena_eval.gates.ci) with a fake evaluation: a "policy"
with known success probabilities paired with the baseline's outcomes episode by episode."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers_runs import make_run

from arena_eval.errors import UserError
from arena_eval.gates import ci as ci_gate
from arena_eval.records import load_run, load_task_records
from arena_eval.stats import sequential as sq

ENTRY = {"policy": "p", "suite": "s", "episodes": 96, "seed": 0, "baseline": "base",
         "sequential": {"delta": 0.25, "alpha": 0.05, "power": 0.8, "max_episodes": 96, "batch": 8}}


class FakeEval:
    """Plays evaluate.py: writes the first n episodes of fixed candidate outcomes (a plan
    prefix, as the runner's per-episode seeds make it) and records each command."""

    def __init__(self, outcomes: str):
        self.outcomes, self.calls = outcomes, []

    def __call__(self, cmd: list[str]) -> int:
        self.calls.append(cmd)
        n, out = int(cmd[cmd.index("--episodes") + 1]), Path(cmd[cmd.index("--out") + 1])
        assert ("--resume" in cmd) == out.exists()
        make_run(out.parent, out.name, {"t": self.outcomes[:n]})
        return 0


def setup(tmp_path: Path, drop: float, seed: int) -> tuple[Path, FakeEval]:
    rng = np.random.default_rng(seed)
    p10, p01 = sq.paired_probs(0.85, drop, 0.5)
    cat = rng.choice(4, size=96, p=[0.85 - p10, p10, p01, 0.15 - p01])  # SS, SF, FS, FF
    base = make_run(tmp_path, "base", {"t": "".join("S" if k < 2 else "F" for k in cat)})
    return base, FakeEval("".join("S" if k in (0, 2) else "F" for k in cat))


def test_batches_stop_at_the_first_decision(tmp_path: Path) -> None:
    base, fake = setup(tmp_path, 0.6, 0)
    code, lines = ci_gate.run_sequential(ENTRY, "p", tmp_path / "run", base, tmp_path / "g", batches=True, evaluate=fake)
    assert code == 1 and "regression" in lines[-1], "\n".join(lines)
    sizes = [int(c[c.index("--episodes") + 1]) for c in fake.calls]
    assert sizes == list(range(8, 8 * len(sizes) + 1, 8)) and len(sizes) < 6
    assert len(load_run(tmp_path / "run")[1]) == sizes[-1]  # only the batches the decision needed ran
    assert (tmp_path / "g" / "evidence.png").is_file()


def test_equal_candidate_passes_early(tmp_path: Path) -> None:
    base, fake = setup(tmp_path, 0.0, 1)
    code, lines = ci_gate.run_sequential(ENTRY, "p", tmp_path / "run", base, tmp_path / "g", batches=True, evaluate=fake)
    assert code == 0 and "no regression larger than 0.25" in lines[-1], "\n".join(lines)
    assert len(fake.calls) < 96 // 8


def test_whole_cap_is_one_evaluation_at_the_cap(tmp_path: Path) -> None:
    base, fake = setup(tmp_path, 0.6, 2)
    short = make_run(tmp_path, "short", {"t": "S" * 40})  # the cap follows the baseline's episodes
    code, _ = ci_gate.run_sequential(ENTRY, "p", tmp_path / "run", short, tmp_path / "g", evaluate=fake, mode="cap")
    assert [c[c.index("--episodes") + 1] for c in fake.calls] == ["40"]


def test_by_default_one_process_decides_against_the_baseline(tmp_path: Path) -> None:
    """The default: one `evaluate.py --against BASELINE --sequential` (run/sequential.py), then
    the verdict read from its records."""
    base, fake = setup(tmp_path, 0.6, 0)

    def one_process(cmd: list[str]) -> int:
        fake.calls.append(cmd)
        assert cmd[cmd.index("--against") + 1] == str(base) and "--sequential" in cmd and "--episodes" not in cmd
        out = Path(cmd[cmd.index("--out") + 1])
        make_run(out.parent, out.name, {"t": fake.outcomes[:24]})  # as if it stopped after 3 batches
        return 1

    code, lines = ci_gate.run_sequential(ENTRY, "p", tmp_path / "run", base, tmp_path / "g", evaluate=one_process)
    assert code == 1 and "regression" in lines[-1] and len(fake.calls) == 1
    assert [cmd[cmd.index(k) + 1] for k in ("--delta", "--max-episodes", "--batch") for cmd in fake.calls] == ["0.25", "96", "8"]


def test_bad_sequential_fields_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    bad = dict(ENTRY, sequential={**ENTRY["sequential"], "power": 1.5})
    path.write_text(yaml.safe_dump({"gate": [bad]}))
    with pytest.raises(UserError, match=r"gate\[0\]\.sequential: .*power"):
        ci_gate.load_entries(path)
    path.write_text(yaml.safe_dump({"gate": [dict(ENTRY, sequential={"delta": 0.2})]}))
    with pytest.raises(UserError, match="expected exactly the fields"):
        ci_gate.load_entries(path)


@pytest.mark.parametrize("entry", [e for e in ci_gate.load_entries() if "sequential" in e], ids=lambda e: e["policy"])
def test_shipped_gates_detect_a_25_point_drop_within_their_cap(entry: dict) -> None:
    """At the design's cap (the baselines are recorded to it; a shorter one is gated with a
    note and the power it gives), each task alone dropping by 25 points, the others at their
    baseline rates, in the gate run_gate makes (alpha split over all its tests)."""
    d = ci_gate.design(entry)
    _, by_task, _ = load_task_records(ci_gate.GATE_FILE.parent / entry["baseline"])
    rates = [np.mean([r.outcome == "success" for r in recs if r.outcome != "error"]) for recs in by_task.values()]
    assert d.delta <= 0.25 and d.alpha <= 0.05
    for task, power in zip(by_task, sq.power_alone(rates, d, n_sims=10_000, seed=9)):
        assert power >= 0.8 - 3 * math.sqrt(0.16 / 10_000), (task, power)


def test_jobs_run_entries_side_by_side_and_print_each_whole(tmp_path: Path, monkeypatch, capsys) -> None:
    """--jobs 3: each entry's evaluation output lands in its own log and is printed with its
    verdict as one block; the exit code is the worst entry's."""
    import sys

    gate_file = tmp_path / "gate.yaml"
    names = ["a", "b", "c"]
    gate_file.write_text(yaml.safe_dump({"gate": [dict(ENTRY, policy=n) for n in names]}))

    def fake_entry(i, e, out, gf, batches, evaluate):
        for k in range(3):  # three evaluations (batches), each a real process writing to the log
            assert evaluate([sys.executable, "-c", f"print('eval {e['policy']} batch {k}')"]) == 0
        return (1 if e["policy"] == "b" else 0), [f"verdict {e['policy']}"]

    monkeypatch.setattr(ci_gate, "run_entry", fake_entry)
    assert ci_gate.main(["--out", str(tmp_path / "runs"), "--gate-file", str(gate_file), "--jobs", "3"]) == 1
    out = capsys.readouterr().out
    for n in names:
        block = "\n".join([f"eval {n} batch {k}" for k in range(3)] + [f"verdict {n}"])
        assert block in out, out
        assert (tmp_path / "runs" / f"{n}.log").read_text().count("batch") == 3
    assert out.rstrip().endswith("gate: FAILED")
