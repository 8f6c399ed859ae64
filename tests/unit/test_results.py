"""Records: appended durably, torn tails survived, never a duplicate."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from helpers_runs import REPO_ROOT, make_run

from arena_eval.errors import UserError
from arena_eval.records import EPISODES, MANIFEST, EpisodeRecord, RunWriter, load_run, read_records, write_json_atomic


def rec(ep, outcome="success", task="t"):
    return EpisodeRecord(task=task, episode=ep, seed=100 + ep, outcome=outcome, reason="time_limit", steps=5)


def test_append_and_read_back(tmp_path):
    with RunWriter(tmp_path) as w:
        assert w.append(rec(0))
        assert w.append(rec(1, "failure"))
        assert not w.append(rec(0))  # already recorded
    records = read_records(tmp_path / EPISODES)
    assert [(r.episode, r.outcome) for r in records] == [(0, "success"), (1, "failure")]
    # Each line is complete JSON on disk as soon as append returns.
    assert all(json.loads(line) for line in (tmp_path / EPISODES).read_text().splitlines())


def test_torn_last_line_is_ignored_and_repaired(tmp_path):
    path = tmp_path / EPISODES
    path.write_text(rec(0).to_json() + "\n" + rec(1).to_json()[:20])
    assert [r.episode for r in read_records(path)] == [0]
    with RunWriter(tmp_path) as w:
        assert w.done == {("t", 0)}
        w.append(rec(1))
    assert [r.episode for r in read_records(path)] == [0, 1]


def test_torn_line_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / EPISODES
    path.write_text(rec(0).to_json() + "\n{garbage\n" + rec(1).to_json() + "\n")
    with pytest.raises(UserError, match="line 2 is not a valid episode record"):
        read_records(path)


def test_outcome_is_validated():
    with pytest.raises(ValueError):
        rec(0, outcome="maybe")


def test_atomic_json(tmp_path):
    write_json_atomic(tmp_path / "m.json", {"a": (1, 2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": [1, 2]}
    assert not list(tmp_path.glob("*.tmp"))


# -- what every reader of a run checks (arena_eval.records.checks through results.load_run)


def _lines(run):
    return (run / EPISODES).read_text().splitlines()


def _damage(run, case):
    """Issue 28's damaged runs: a record's seed edited, a duplicate with the opposite
    outcome, a plan that is a string."""
    lines = _lines(run)
    if case == "edited seed":
        d = json.loads(lines[2])
        d["seed"] += 1
        lines[2] = json.dumps(d)
    elif case == "conflicting duplicate":
        d = json.loads(lines[1])
        d["outcome"] = "failure" if d["outcome"] == "success" else "success"
        lines.append(json.dumps(d))
    elif case == "string plan":
        m = json.loads((run / MANIFEST).read_text())
        m["plan"] = "seed 0, 4 episodes"
        (run / MANIFEST).write_text(json.dumps(m))
    (run / EPISODES).write_text("".join(x + "\n" for x in lines))


DAMAGE = {
    "edited seed": r"episodes.jsonl: line 3: seed: \d+ is not the plan's seed \d+ for episode 2 of task 'a' "
                   r"\(manifest.json plan.tasks.a.seeds\[2\]\)",
    "conflicting duplicate": r"episodes.jsonl: line 5: outcome: episode 1 of task 'a' is recorded twice with different "
                             r"outcomes \(success on line 2, failure here\)",
    "string plan": r"manifest.json: plan: expected an object with seed and tasks, got a string",
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_run_is_refused_with_file_line_and_field(tmp_path, case):
    run = make_run(tmp_path, "run", {"a": "SSFS"})
    _damage(run, case)
    with pytest.raises(UserError, match=DAMAGE[case]):
        load_run(run)


def test_damaged_runs_are_one_line_exit_2_in_the_scripts(tmp_path, capsys):
    """The same three, as a user meets them: check_regression.py's main (the script's own
    cli_main wrapper, in this process to save an interpreter start per case); compare.py
    once as a real process."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_regression_script", REPO_ROOT / "scripts" / "check_regression.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    good = make_run(tmp_path, "good", {"a": "SSFS"})
    for case, pattern in DAMAGE.items():
        run = make_run(tmp_path, case.replace(" ", "-"), {"a": "SSFS"})
        _damage(run, case)
        assert script.main(["--baseline", str(good), "--candidate", str(run)]) == 2, case
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: ") and re.search(pattern, err), (case, err)
    p = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "compare.py"), str(run), "--out", str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and re.search(DAMAGE["string plan"], p.stderr), p.stderr
    assert not (tmp_path / "c").exists()


def test_identical_duplicates_and_repeated_errors_are_tolerated(tmp_path):
    """A duplicate with the same outcome changes no rate (the first counts); error records
    repeat by design (--resume runs an error episode again)."""
    run = make_run(tmp_path, "run", {"a": "SSFE"})
    lines = _lines(run)
    (run / EPISODES).write_text("".join(x + "\n" for x in lines + [lines[0], lines[3]]))
    _, records = load_run(run)
    assert [r.outcome for r in records] == ["success", "success", "failure", "error"]


@pytest.mark.parametrize("edit, field", [
    (lambda m: m.pop("plan"), "plan: expected an object with seed and tasks, got null"),
    (lambda m: m["plan"].pop("tasks"), "plan.tasks: expected an object of task name"),
    (lambda m: m["plan"].update(seed="0"), "plan.seed: expected an integer, got a string"),
    (lambda m: m["plan"]["tasks"]["a"].update(episodes=5), r"plan.tasks.a.seeds: expected 5 seeds \(one per episode\), got 4"),
    (lambda m: m["plan"]["tasks"]["a"].update(seeds="1,2"), "plan.tasks.a.seeds: expected a list of integers, got a string"),
    (lambda m: m.update(suite=["a"]), "suite: expected an object, got a list"),
    (lambda m: m.update(invocations={}), "invocations: expected a list, got an object"),
])
def test_a_malformed_manifest_is_one_line_naming_the_field(tmp_path, edit, field):
    run = make_run(tmp_path, "run", {"a": "SSFS"})
    m = json.loads((run / MANIFEST).read_text())
    edit(m)
    (run / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(UserError, match=f"run/manifest.json: {field}") as e:
        load_run(run)
    assert "\n" not in str(e.value)


def test_records_outside_the_plan_or_of_another_task_are_refused(tmp_path):
    run = make_run(tmp_path, "run", {"a": "SSFS"})
    seeds = json.loads((run / MANIFEST).read_text())["plan"]["tasks"]["a"]["seeds"]
    with open(run / EPISODES, "a") as f:
        f.write(EpisodeRecord("b", 0, seeds[0], "success", "x", 3).to_json() + "\n")
    with pytest.raises(UserError, match=r"line 5: task: 'b' is not a task of the run's plan \(manifest.json plan.tasks: a\)"):
        load_run(run)
