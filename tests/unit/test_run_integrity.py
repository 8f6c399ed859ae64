"""Run integrity without the simulator: the run lock, the records' tail, error records that
`--resume` runs again, actions checked before they reach the simulator, and the checks of
`--out` and `--ray` that happen before anything starts (one line, exit 2, nothing created).

The same properties against real Isaac Lab and a real policy server are tested in
test_isaaclab_smoke.py (concurrent runs, a newline-less last record) and
test_serve_isaaclab.py (resuming against a server that serves another policy).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEnv, fake_task
from test_cli import assert_user_error, evaluate

from arena_eval.cards import PolicySpec
from arena_eval.errors import UserError
from arena_eval.policies import Policy
from arena_eval.records import EPISODES, LOCK, EpisodeRecord, RunLock, RunWriter, dedupe, finished, read_records
from arena_eval.run import PlannedEpisode, run_task
from arena_eval.stats.rates import summarize_records

ROOT = Path(__file__).resolve().parents[2]


def rec(ep: int, outcome: str = "success", reason: str = "time_limit") -> EpisodeRecord:
    return EpisodeRecord("t", ep, 100 + ep, outcome, reason, 10)


# -- the records' tail: what readers count is what the writer keeps


def test_a_last_record_without_its_newline_is_counted_and_kept(tmp_path):
    path = tmp_path / EPISODES
    path.write_text(rec(0).to_json() + "\n" + rec(1).to_json())  # the newline never made it
    assert [r.episode for r in read_records(path)] == [0, 1]
    with RunWriter(tmp_path) as w:
        assert w.done == {("t", 0), ("t", 1)}
        assert not w.append(rec(1))  # counted, so never run again ...
        assert w.append(rec(2))
    assert [r.episode for r in read_records(path)] == [0, 1, 2]  # ... and kept
    assert path.read_text().count("\n") == 3


def test_a_torn_last_record_is_neither_counted_nor_kept(tmp_path):
    path = tmp_path / EPISODES
    path.write_text(rec(0).to_json() + "\n" + rec(1).to_json()[:-1])  # cut inside the object
    assert [r.episode for r in read_records(path)] == [0]
    with RunWriter(tmp_path) as w:
        assert w.done == {("t", 0)}
        assert w.append(rec(1))
    assert [r.episode for r in read_records(path)] == [0, 1]


def test_error_records_are_run_again_and_superseded(tmp_path):
    with RunWriter(tmp_path) as w:
        assert w.append(rec(0, "error", "error:policy server lost"))
        assert w.append(rec(1, "failure"))
    with RunWriter(tmp_path) as w:  # a resumed run
        assert w.done == {("t", 1)}  # episode 0 needs another run
        assert w.append(rec(0, "error", "error:again"))
        assert w.append(rec(0, "success"))
        assert not w.append(rec(0, "failure"))  # decided now: nothing more
    records = read_records(tmp_path / EPISODES)
    assert len(records) == 4
    kept = dedupe(records)
    assert [(r.episode, r.outcome) for r in kept] == [(0, "success"), (1, "failure")]
    assert finished(records) == {("t", 0), ("t", 1)}
    only_errors = dedupe([rec(3, "error", "first"), rec(3, "error", "last")])
    assert [r.reason for r in only_errors] == ["last"]


# -- the run lock


def test_the_run_lock_admits_one_holder_and_names_it(tmp_path):
    out = tmp_path / "a" / "run"
    first = RunLock(out).acquire()
    assert first.created == tmp_path / "a"
    assert f"pid {os.getpid()}" in (out / LOCK).read_text()
    with pytest.raises(UserError, match=rf"in use by another run \(pid {os.getpid()} on .*started"):
        RunLock(out).acquire()
    first.release()
    assert not (out / LOCK).exists()
    RunLock(out).acquire().release(remove=True)  # free again; removes what it created
    assert out.is_dir()  # this second lock found the directory there, so it created nothing


def test_a_dead_holders_lock_is_taken_over(tmp_path):
    out = tmp_path / "run"
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); from arena_eval.records.rundir import RunLock; "
            f"lock = RunLock({str(out)!r}).acquire(); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match=f"pid {holder.pid}"):
            RunLock(out).acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        assert (out / LOCK).exists()  # the stale file stays, but the kernel dropped its lock
        lock = RunLock(out).acquire()
        assert f"pid {os.getpid()}" in (out / LOCK).read_text()
        lock.release()
    finally:
        holder.kill()


# -- actions checked before they reach the simulator


class NonFinitePolicy(Policy):
    """NaN for seeds divisible by 3, inf for seeds divisible by 5 (not by 3), else zeros."""

    def __init__(self):
        super().__init__(PolicySpec(name="nonfinite", type="zero", action_horizon=4, n_action_steps=2))
        self.seeds: dict[int, int] = {}

    def reset(self, slots, seeds):
        self.seeds.update({int(s): int(x) for s, x in zip(slots, seeds)})

    def get_action(self, obs, slots):
        b = np.zeros((len(slots), 4, 1), np.float32)
        for row, s in enumerate(slots):
            seed = self.seeds[int(s)]
            if seed % 3 == 0:
                b[row, 1, 0] = np.nan  # in the executed part of the chunk
            elif seed % 5 == 0:
                b[row, 0, 0] = -np.inf
        return {"action.a": b, "action.b": np.zeros((len(slots), 4, 2), np.float32)}


def test_non_finite_actions_are_failures_of_the_policy_and_count_in_the_rate():
    task = fake_task()
    env = FakeEnv(task, 2, lambda s: (6, True))  # every episode the env finishes succeeds
    seeds = [1, 3, 5, 7, 9, 10, 11, 2]
    records = []
    run_task(env, NonFinitePolicy(), task, [PlannedEpisode(task.name, i, s) for i, s in enumerate(seeds)],
             records.append, progress=False)
    by_seed = {r.seed: r for r in records}
    assert sorted(by_seed) == sorted(seeds)  # every planned episode once
    for s, r in by_seed.items():
        if s % 3 == 0 or s % 5 == 0:
            assert (r.outcome, r.reason) == ("failure", "policy:non-finite action.a"), r
            assert r.steps == 0  # nothing of that chunk reached the simulator
        else:
            assert (r.outcome, r.reason) == ("success", "time_limit"), r
    assert all(np.isfinite(a["action.a"]).all() for a in env.actions)  # no NaN or inf was ever sent
    summary = summarize_records(records)
    assert (summary["successes"], summary["failures"], summary["errors"]) == (4, 4, 0)
    assert summary["success_rate"] == 0.5


def test_actions_outside_a_cards_limit_are_failures_of_the_policy():
    task = fake_task(actions={"action.a": {"dim": 1, "limit": [-0.5, 0.5]}, "action.b": {"dim": 2}})

    class Big(NonFinitePolicy):
        def get_action(self, obs, slots):
            out = super().get_action(obs, slots)
            out["action.a"][:] = np.array([0.6 if self.seeds[int(s)] == 7 else 0.1 for s in slots], np.float32)[:, None, None]
            return out

    records = []
    run_task(FakeEnv(task, 2, lambda s: (6, True)), Big(), task,
             [PlannedEpisode(task.name, i, s) for i, s in enumerate([1, 7, 11])], records.append, progress=False)
    reasons = {r.seed: r.reason for r in records}
    assert reasons == {1: "time_limit", 7: "policy:action.a out of limit [-0.5, 0.5]", 11: "time_limit"}


def test_a_limit_must_be_an_ordered_pair():
    with pytest.raises(UserError, match="limit"):
        fake_task(actions={"action.a": {"dim": 1, "limit": [1, -1]}, "action.b": {"dim": 2}})


# -- --out and --ray: checked before anything starts; one line, exit 2, nothing created


def _timed(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    proc = evaluate(*args)
    return proc, time.monotonic() - t0


@pytest.fixture
def read_only_dir(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() == 0:  # root writes through permission bits: a read-only mount it is
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(d)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a read-only tmpfs here: {r.stderr.strip()}")
        yield d
        subprocess.run(["umount", str(d)], check=False)
    else:
        d.chmod(0o555)
        yield d
        d.chmod(0o755)


def test_out_on_a_read_only_location(read_only_dir):
    out = read_only_dir / "run"
    proc, took = _timed("--suite", "smoke", "--policy", "random", "--out", str(out))
    assert_user_error(proc, str(out), "choose another --out")
    assert took < 30 and list(read_only_dir.iterdir()) == []


def test_out_on_a_file_and_under_a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("not a run")
    for out, words in ((f, "is a file"), (f / "run", "a parent of the run directory")):
        proc, took = _timed("--suite", "smoke", "--policy", "random", "--out", str(out))
        assert_user_error(proc, words, "choose another --out")
        assert took < 30
    assert f.read_text() == "not a run" and sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_ray_at_an_address_that_does_not_answer(tmp_path):
    out = tmp_path / "run"
    proc, took = _timed("--suite", "smoke", "--policy", "random", "--ray", "127.0.0.1:1", "--out", str(out))
    assert_user_error(proc, "--ray", "no Ray cluster answers at 127.0.0.1:1")
    assert took < 30 and not out.exists()


def test_resume_keeps_a_run_that_a_user_error_stops(tmp_path):
    """A user error in a resumed run removes nothing of the run."""
    out = tmp_path / "run"
    out.mkdir()
    plan = {"seed": 0, "tasks": {"t": {"episodes": 1, "seeds": [100]}}}
    (out / "manifest.json").write_text(json.dumps({"suite": {"name": "other"}, "policy": {}, "plan": plan}))
    (out / EPISODES).write_text(rec(0).to_json() + "\n")
    assert_user_error(evaluate("--suite", "smoke", "--policy", "random", "--resume", "--out", str(out)), "cannot resume")
    assert sorted(p.name for p in out.iterdir()) == ["episodes.jsonl", "manifest.json"]


def test_a_ray_worker_whose_policy_is_not_the_runs_stops_before_its_simulator():
    from arena_eval.cards import load_policy
    from arena_eval.run import distributed as d

    task = fake_task()
    job = d.Job.of([task], load_policy("scripted"), 0, 0, {"summary": "policy 'other' (type random)"})
    res = d.run_shard(dataclass_dict(job), {"task": task.name, "episodes": [[0, 1]]}, lambda *a: None)
    assert res["status"] == "user_error"
    assert "a Ray worker's policy is nothing, but this run's actions come from policy 'other'" in res["message"]


def dataclass_dict(obj):
    import dataclasses

    return dataclasses.asdict(obj)


def test_a_resumed_plan_may_grow_but_never_shrink_or_change():
    from arena_eval.records.manifest import extends as _extends

    def ident(n, seed=0, cfg=None):
        return {"suite": {"name": "s", "tasks": [{"name": "t", "episodes": n, "cfg": cfg}]},
                "plan": {"seed": seed, "tasks": {"t": {"episodes": n, "seeds": [seed * 100 + i for i in range(n)]}}},
                "policy": {"name": "p"}, "num_envs": {"t": 2}, "checkpoint_sha256": None, "policy_identity": None}

    assert _extends(ident(8), ident(16))
    assert _extends(ident(8), ident(8))
    assert not _extends(ident(16), ident(8))  # shrinking would leave recorded episodes outside the plan
    assert not _extends(ident(8, seed=0), ident(16, seed=1))  # other seeds: another plan
    assert not _extends(ident(8), ident(16, cfg={"x": 1}))  # another task card


def test_worker_runs_resume_with_another_number_of_slots():
    from arena_eval.records.manifest import run_identity as _identity

    def manifest(backend, n):
        return {"suite": {"tasks": [{"name": "t", "env": {"backend": backend, "num_envs": n}}]}, "num_envs": {"t": n},
                "plan": {}, "policy": {}}

    assert _identity(manifest("isaaclab_workers", 2)) == _identity(manifest("isaaclab_workers", 8))
    assert _identity(manifest("isaaclab", 2)) != _identity(manifest("isaaclab", 8))  # float rounding differs with N


# -- the code that produced the episodes: --resume under other code stops (issue 28)


def _recorded_smoke_run(out: Path, code_edit) -> None:
    """The run dir `evaluate.py --suite smoke --policy scripted --episodes 4 --seed 0` leaves
    (its manifest as evaluate builds it, 4 planned records), without the simulator; then
    `code_edit` changes the code it records, as a code change after the run would."""
    from arena_eval.cards import load_policy, load_suite, override
    from arena_eval.policies import make_policy
    from arena_eval.records.manifest import resume_or_start
    from arena_eval.run import EvalConfig, make_plan
    from arena_eval.run.evaluate import build_manifest

    cfg = EvalConfig(suite=override(load_suite("smoke"), episodes=4), policy=load_policy("scripted"), seed=0, out=out)
    plan, policy = make_plan(cfg.suite, 0), make_policy(cfg.policy)
    _, manifest, _ = resume_or_start(cfg.out, build_manifest(cfg, plan, policy.checkpoint_files(), policy.identity()),
                                     cfg.resume, cfg.allow_code_change)
    for code in (manifest["code"], manifest["invocations"][0]["code"]):
        code_edit(code)
    out.mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / EPISODES).write_text("".join(EpisodeRecord(e.task, e.episode, e.seed, "success", "time_limit", 200,
                                                      code_hash=manifest["code"]["sha256"][:12]).to_json() + "\n"
                                        for eps in plan.values() for e in eps))


def _committed_change(code: dict) -> None:  # another revision whose expert differs
    code.update(revision="0" * 40, dirty=False, sha256="1" * 64)
    code.get("files", {})["arena_eval/envs/tasks/cartpole/expert.py"] = "2" * 16


def _uncommitted_change(code: dict) -> None:  # this revision, with an edit not committed then
    code.update(dirty=True, sha256="1" * 64)


@pytest.mark.parametrize("change, came_from", [(_committed_change, "revision 000000000000 (sources sha256 111111111111)"),
                                               (_uncommitted_change, "with uncommitted changes (sources sha256 1111")],
                         ids=["committed", "uncommitted"])
def test_resume_under_other_code_stops_with_one_line_and_writes_nothing(tmp_path, change, came_from):
    """Issue 28: a smoke run, a change to the cartpole expert, then `--resume --episodes 6`
    counted 4 old-code and 2 new-code episodes as one rate (exit 0). Now: one line naming
    both codes (and, where the run recorded its files, which changed), exit 2, nothing
    written. (The same against a real change in a clone: test_code_identity.py.)"""
    out = tmp_path / "run"
    _recorded_smoke_run(out, change)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = evaluate("--suite", "smoke", "--policy", "scripted", "--episodes", "6", "--resume", "--out", str(out))
    assert_user_error(proc, f"{out}/manifest.json: cannot resume: the run's episodes came from ", came_from,
                      "but this is revision ", "pass --allow-code-change")
    if change is _committed_change:
        assert "changed: arena_eval/envs/tasks/cartpole/expert.py" in proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no lock, log or manifest change left


def test_allow_code_change_goes_with_resume(tmp_path):
    proc = evaluate("--suite", "smoke", "--policy", "scripted", "--allow-code-change", "--out", str(tmp_path / "o"))
    assert_user_error(proc, "--allow-code-change: goes with --resume")
    assert not (tmp_path / "o").exists()
