"""Integration tests against real Isaac Lab (kit-less, Newton MJWarp on CPU).

Each evaluation runs as its own process (`scripts/evaluate.py`), as users run it: Isaac Lab
allows one simulation context per process. The runs are made once per session and shared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_isaaclab import EPISODES_PER_TASK, checked, evaluate, kill_after_records

from arena_eval.records import EPISODES, read_records

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.isaaclab


def records(run: Path):
    return sorted(read_records(run / EPISODES), key=lambda r: (r.task, r.episode))


def without_timing(run: Path) -> list[dict]:
    out = []
    for line in (run / EPISODES).read_text().splitlines():
        d = json.loads(line)
        d.pop("timing")
        out.append(d)
    return sorted(out, key=lambda d: (d["task"], d["episode"]))


def test_run_dir_has_every_file(runs):
    run = runs.scripted4()
    for name in ("manifest.json", "episodes.jsonl", "summary.json", "summary.csv", "summary.md", "report.html"):
        assert (run / name).is_file(), name
    m = json.loads((run / "manifest.json").read_text())
    assert m["plan"]["seed"] == 7
    assert len(m["plan"]["tasks"]["cartpole_balance"]["seeds"]) == EPISODES_PER_TASK
    assert m["versions"]["isaaclab"] == "3.0.0"
    assert m["device"] == "cpu" and m["num_envs"] == {"cartpole_balance": 4}
    assert m["git"].keys() >= {"revision", "dirty"}
    assert m["suite"]["tasks"][0]["env"]["id"] == "Isaac-Cartpole-Direct"
    assert m["timing"]["env_steps"] > 0 and m["timing"]["sim_s"] > 0
    recs = records(run)
    assert [r.episode for r in recs] == list(range(EPISODES_PER_TASK))
    assert [r.seed for r in recs] == m["plan"]["tasks"]["cartpole_balance"]["seeds"]


def test_scripted_beats_random_and_the_report_says_so(runs):
    s = json.loads((runs.scripted4() / "summary.json").read_text())
    r = json.loads((runs.random4() / "summary.json").read_text())
    (st,), (rt,) = s["tasks"], r["tasks"]
    assert st["task"] == rt["task"] == "cartpole_balance"
    assert st["success_rate"] >= 0.75
    assert rt["success_rate"] <= 0.25
    assert st["ci_low"] > rt["ci_high"], "the intervals should separate"
    md = (runs.scripted4() / "summary.md").read_text()
    assert "cartpole_balance" in md and "[" in md  # interval shown


def test_same_num_envs_twice_is_bitwise_identical_apart_from_timing(runs):
    assert without_timing(runs.scripted4()) == without_timing(runs.scripted4_again())


def test_one_and_four_envs_agree_on_seeds_start_states_and_outcomes(runs):
    a, b = records(runs.scripted4()), records(runs.scripted1())
    assert [r.seed for r in a] == [r.seed for r in b]
    assert [r.init_state for r in a] == [r.init_state for r in b]
    assert [(r.outcome, r.reason, r.steps) for r in a] == [(r.outcome, r.reason, r.steps) for r in b]
    ra, rb = records(runs.random4()), records(runs.get("random-n1", "random", 1))
    assert [(r.init_state, r.outcome, r.steps) for r in ra] == [(r.init_state, r.outcome, r.steps) for r in rb]


def test_sigkill_mid_run_then_resume_matches_an_unkilled_run(runs, tmp_path):
    out = tmp_path / "killed"
    cmd = [
        sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "smoke", "--policy", "scripted",
        "--num-envs", "1", "--episodes", str(EPISODES_PER_TASK), "--seed", "7", "--out", str(out), "--no-progress",
    ]
    kill_after_records(cmd, out, 3, timeout=600)
    n_before = len(read_records(out / EPISODES))
    assert 3 <= n_before < EPISODES_PER_TASK
    checked(evaluate(out, "scripted", 1, "--resume"))
    lines = without_timing(out)
    assert [d["episode"] for d in lines] == list(range(EPISODES_PER_TASK))  # none missing, none twice
    assert lines == without_timing(runs.scripted1())
    killed = json.loads((out / "summary.json").read_text())
    unkilled = json.loads((runs.scripted1() / "summary.json").read_text())
    assert killed["tasks"] == unkilled["tasks"] and killed["suite"] == unkilled["suite"]


def test_resume_of_a_finished_run_repeats_nothing(runs, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(runs.scripted4(), out)
    before = (out / EPISODES).read_text()
    proc = checked(evaluate(out, "scripted", 4, "--resume"))
    assert (out / EPISODES).read_text() == before
    assert "already recorded" in proc.stderr


def test_compare_and_regression_gate_on_real_runs(runs, tmp_path):
    py = sys.executable
    base, cand = runs.scripted4(), runs.random4()
    cmp_out = tmp_path / "cmp"
    p = subprocess.run([py, "scripts/compare.py", str(base), str(cand), "--out", str(cmp_out)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "cartpole_balance" in p.stdout
    assert "McNemar" in p.stdout  # same plan -> paired test
    for f in ("compare.md", "compare.csv", "compare.html"):
        assert (cmp_out / f).is_file()
    worse = subprocess.run([py, "scripts/check_regression.py", "--baseline", str(base), "--candidate", str(cand)], cwd=ROOT, capture_output=True, text=True)
    assert worse.returncode == 1, worse.stdout + worse.stderr
    # Runs made by the tests come from whatever tree runs them, maybe with uncommitted changes.
    again = [py, "scripts/check_regression.py", "--baseline", str(base), "--candidate", str(runs.scripted4_again()),
             "--allow-dirty-baseline"]
    same = subprocess.run(again, cwd=ROOT, capture_output=True, text=True)
    # A handful of equal episodes cannot rule out a 30-point drop: not a pass, but undecided.
    assert same.returncode == 3 and "UNDECIDED" in same.stdout, same.stdout + same.stderr
    lenient = subprocess.run([*again, "--max-mde", "1"], cwd=ROOT, capture_output=True, text=True)
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr


def test_real_report_renders_in_headless_chromium(runs):
    from helpers_browser import dump_dom, rendered_plots, screenshot

    html = runs.scripted4() / "report.html"
    dom = dump_dom(html)
    assert 'id="summary-table"' in dom and "cartpole_balance" in dom
    assert len(rendered_plots(dom)) >= 2
    screenshot(html, ROOT / "artifacts" / "smoke_report.png")


# ------------------------------------------------------------------ bad input needing Isaac Lab


def bad_card(tmp_path: Path, **changes) -> Path:
    import yaml

    card = yaml.safe_load((ROOT / "tasks" / "smoke.yaml").read_text())
    for k, v in changes.items():
        target = card["tasks"][0]
        *parents, leaf = k.split("/")
        for p in parents:
            target = target[p]
        target[leaf] = v
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(card))
    return path


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"env/id": "Isaac-Cartpole-Nope"}, "Isaac Lab has no task id 'Isaac-Cartpole-Nope'"),
        ({"observations/state.cart": {"source": "critic"}}, "has no observation group 'critic'"),
        ({"observations/state.cart": {"source": "policy", "index": [2, 9]}}, "outside the 4 values"),
        ({"actions": {"action.cart_force": {"dim": 2}}}, "action keys add up to 2 dims but env Isaac-Cartpole-Direct takes 1"),
    ],
)
def test_env_level_mistakes_exit_2_with_one_line_and_no_results(tmp_path, changes, message):
    card = bad_card(tmp_path, **changes)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "scripts/evaluate.py", "--suite", str(card), "--policy", "random", "--episodes", "1",
         "--num-envs", "1", "--out", str(out), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last, last
    assert str(card) in last
    assert not out.exists(), "a failed fresh run must leave no results behind"


def test_two_runs_started_on_one_out_at_once_one_proceeds(runs, tmp_path):
    """Run integrity: the run lock admits one writer; the other stops with one line and exit
    2, and the survivor's records and summary equal a lone run's."""
    out = tmp_path / "shared"
    cmd = [
        sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "smoke", "--policy", "scripted",
        "--num-envs", "4", "--episodes", str(EPISODES_PER_TASK), "--seed", "7", "--out", str(out), "--no-progress",
    ]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(900), *p.communicate()) for p in procs]
    assert sorted(rc for rc, _, _ in results) == [0, 2], [(rc, err[-2000:]) for rc, _, err in results]
    _, _, err = next(r for r in results if r[0] == 2)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(out) in lines[0], err
    assert "in use by another run (pid " in lines[0] or "holds another run" in lines[0], lines[0]
    assert without_timing(out) == without_timing(runs.scripted4())
    mine = json.loads((out / "summary.json").read_text())
    lone = json.loads((runs.scripted4() / "summary.json").read_text())
    assert mine["tasks"] == lone["tasks"] and mine["suite"] == lone["suite"]


def test_resume_after_a_last_record_lost_its_newline(runs, tmp_path):
    """Run integrity: a last record that is whole but for its newline is counted and kept, so
    the resumed run has every planned episode exactly once."""
    import shutil

    out = tmp_path / "newline"
    shutil.copytree(runs.scripted4(), out)
    lines = (out / EPISODES).read_text().splitlines()
    (out / EPISODES).write_text("\n".join(lines[:5]))  # five records, the fifth without "\n"
    proc = checked(evaluate(out, "scripted", 4, "--resume"))
    # a quiet console: Isaac Lab's start-up tables go to the run's simulator.log
    assert "Base environment" not in proc.stdout + proc.stderr
    assert "Base environment" in (out / "simulator.log").read_text()
    recs = records(out)
    assert [r.episode for r in recs] == list(range(EPISODES_PER_TASK))  # none missing, none twice
    drop = lambda rows: [{k: v for k, v in d.items() if k != "slot"} for d in rows]  # noqa: E731
    assert drop(without_timing(out)) == drop(without_timing(runs.scripted4()))


def test_resume_with_more_episodes_grows_the_plan(runs, tmp_path):
    """A sequential gate's next batch: --resume with a larger --episodes runs only the new
    episodes; the first ones are the same as in a run planned that long from the start."""
    import shutil

    out = tmp_path / "grown"
    shutil.copytree(runs.scripted4(), out)
    more = EPISODES_PER_TASK + 4
    cmd = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "smoke", "--policy", "scripted",
           "--num-envs", "4", "--episodes", str(more), "--seed", "7", "--out", str(out), "--no-progress", "--resume"]
    checked(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900))
    rows = without_timing(out)
    assert [d["episode"] for d in rows] == list(range(more))
    assert rows[:EPISODES_PER_TASK] == without_timing(runs.scripted4())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["plan"]["tasks"]["cartpole_balance"]["episodes"] == more
    assert manifest["extended"][0]["from"] == {"cartpole_balance": EPISODES_PER_TASK}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["tasks"][0]["episodes"] == more and summary["tasks"][0]["complete"]
